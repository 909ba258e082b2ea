"""The planner page's state: baselines to choose from, the package being edited, saved packages.

One :class:`Workspace` serves one local page. Every figure it shows comes from
:func:`simengine.runner.run_scenario` on a scenario read back from the TOML text the page offers
for download (:func:`simengine.planner.documents.load_package`), so ``simengine run`` on the
downloaded file reproduces it to the digit. Results are cached by that text; the region's
model and factorisations are cached by the runner.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import tomllib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from ..errors import DataError, ScenarioError, SimEngineError
from ..levers import LEVER_KINDS
from ..report.catalogue import LeverKind, lever_kind
from ..report.indicators import headline_indicators
from ..results import OBJECTIVE_STREAMS
from ..runner import run_scenario
from ..scenario import load_scenario
from ..scenario.load import is_batch_file
from ..scenario.schema import Scenario
from .documents import PACKAGE_ID, baseline_document, load_package, package_document, toml_text

__all__ = [
    "Workspace",
    "Draft",
    "Evaluation",
    "Package",
    "parse_levers",
    "page_defaults",
    "MAX_UPLOAD_BYTES",
    "RESULT_CACHE",
]

#: Largest upload accepted (bytes): a scenario or a contract register.
MAX_UPLOAD_BYTES = 5_000_000
#: Results kept in memory, by scenario text.
RESULT_CACHE = 64
#: Key path of a lever setting in a loader message, e.g. ``lever[2].response.uptake``.
_LEVER_PATH = re.compile(r": lever\[(\d+)\]\.([A-Za-z_][A-Za-z0-9_.]*)")


@dataclass
class Draft:
    """The package being edited: id, title and each lever's kind and raw form values."""

    package_id: str = "package-1"
    title: str = ""
    levers: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class Evaluation:
    """A draft run against the baseline: its TOML text, indicators, errors and time taken.

    ``errors`` maps ``(lever position, setting path)`` (``(-1, key)`` for package-level keys)
    to the loader's message; ``indicators`` is None when the draft is invalid.
    """

    text: str
    indicators: xr.Dataset | None
    errors: dict[tuple[int, str], str]
    seconds: float


@dataclass(frozen=True)
class Package:
    """A saved package: its TOML text, scenario and result."""

    package_id: str
    title: str
    text: str
    scenario: Scenario
    result: xr.Dataset


def _set_path(document: dict, path: str, value: object) -> None:
    *parents, last = path.split(".")
    for key in parents:
        document = document.setdefault(key, {})
    document[last] = value


def _number(raw: str, integer: bool) -> object:
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            return raw  # the loader names the bad value


def parse_levers(levers: Sequence[Mapping[str, object]], money_unit: str) -> list[dict]:
    """Lever tables from raw form values (``{"kind": ..., path: str or list}``); empty values are left out.

    Numbers that do not parse are passed on as text so that the loader reports them.
    """
    tables = []
    for raw in levers:
        spec: LeverKind = lever_kind(str(raw["kind"]))
        table: dict = {"kind": spec.kind}
        for setting in spec.fields:
            value = raw.get(setting.path)
            if setting.kind == "choices":
                if value:
                    _set_path(table, setting.path, [str(v) for v in value])  # type: ignore[union-attr]
                continue
            text = "" if value is None else str(value).strip()
            if text == "":
                continue
            if setting.kind in ("share", "number"):
                _set_path(table, setting.path, _number(text, integer=False))
            elif setting.kind in ("integer", "year"):
                _set_path(table, setting.path, _number(text, integer=True))
            elif setting.kind == "money":
                _set_path(table, setting.path, {"amount": _number(text, integer=False), "unit": money_unit})
            else:
                _set_path(table, setting.path, text)
        tables.append(table)
    return tables


def page_defaults(kind: str) -> dict[str, str]:
    """Settings a new lever card of ``kind`` starts with on the page, which runs analytic mode only.

    For a choice whose schema default analytic mode refuses (a reinvestment programme's
    ``channel = "capacity"``), the first choice it accepts (``"demand"``); nothing for other kinds.
    """
    model = LEVER_KINDS[kind]
    if not model.ANALYTIC_REFUSAL:
        return {}

    def accepted(path: str, value: object) -> bool:
        return bool(getattr(model.model_construct(**{path: value}), "analytic", True))

    out = {}
    for setting in lever_kind(kind).fields:
        if setting.kind != "choice" or "." in setting.path or setting.default is None:
            continue
        if not accepted(setting.path, setting.default):
            choice = next((c for c in setting.choices if accepted(setting.path, c)), None)
            if choice is not None:
                out[setting.path] = choice
    return out


def _error_place(message: str) -> tuple[int, str]:
    found = _LEVER_PATH.search(message)
    return (int(found.group(1)), found.group(2)) if found else (-1, "")


class Workspace:
    """Baselines, the draft package and the saved packages of one planner page.

    Parameters
    ----------
    scenario_dir : path, optional
        Folder whose analytic scenario files (not batch files) are offered as baselines.
    """

    def __init__(self, scenario_dir: str | Path | None = None) -> None:
        self.baselines: dict[str, Scenario] = {}
        self.baseline_files: dict[str, str] = {}
        self.problems: list[str] = []
        for path in sorted(Path(scenario_dir).glob("*.toml")) if scenario_dir else []:
            self._add_file(path)
        plain = [sid for sid, scenario in self.baselines.items() if not scenario.lever]
        self.baseline_id: str | None = next(iter(plain or self.baselines), None)
        self.draft = Draft()
        self.packages: dict[str, Package] = {}
        self.register: xr.Dataset | None = None
        self.register_name = ""
        self.lang = "en"
        #: Upload messages by form ("scenario", "register"), shown once next to the field.
        self.messages: dict[str, str] = {}
        #: Fields whose message the page shows now, ``(lever position, setting path)``.
        self.shown_errors: set[tuple[int, str]] = set()
        #: Objective the page ranks by (None: the baseline's ``[appraisal] objective``).
        self.chosen_objective: str | None = None
        self.lock = threading.RLock()
        self._results: OrderedDict[str, xr.Dataset] = OrderedDict()

    def _add_file(self, path: Path) -> None:
        try:
            if is_batch_file(path):
                return
            scenario = load_scenario(path)
        except SimEngineError as exc:
            self.problems.append(str(exc))
            return
        if scenario.scenario.mode == "analytic":
            self.baselines[scenario.scenario.id] = scenario
            self.baseline_files[scenario.scenario.id] = path.name

    # --- baseline ---------------------------------------------------------------------

    @property
    def baseline(self) -> Scenario:
        if self.baseline_id is None:
            raise DataError("no baseline scenario: upload a scenario file")
        return self.baselines[self.baseline_id]

    def choose_baseline(self, scenario_id: str) -> None:
        """Make ``scenario_id`` the baseline; the draft and saved packages start again."""
        if scenario_id not in self.baselines:
            raise DataError(f"unknown baseline {scenario_id!r}; choose one of {list(self.baselines)}")
        if scenario_id != self.baseline_id:
            self.baseline_id = scenario_id
            self.draft = Draft()
            self.packages = {}

    def add_uploaded_scenario(self, name: str, content: bytes) -> str:
        """Validate an uploaded scenario file as ``simengine validate`` would and make it the baseline."""
        text = _upload_text(name, content)
        scenario = load_package(text, Path(name).name or "upload.toml")
        if scenario.scenario.mode != "analytic":
            raise ScenarioError(f"{name}: scenario.mode: the page runs analytic scenarios only (got 'agents')")
        self.baselines[scenario.scenario.id] = scenario
        self.baseline_files[scenario.scenario.id] = Path(name).name
        self.baseline_id = None
        self.choose_baseline(scenario.scenario.id)
        return scenario.scenario.id

    def add_uploaded_register(self, name: str, content: bytes) -> None:
        """Read an uploaded contract register and keep its spend analysis (as ``simengine spend``)."""
        import tempfile

        from ..procurement import read_register, spend_analysis

        _upload_text(name, content)
        with tempfile.TemporaryDirectory(prefix="simengine-serve-") as folder:
            path = Path(folder) / (Path(name).name or "register.csv")
            path.write_bytes(content)
            try:
                analysis = spend_analysis(read_register(path))
            except SimEngineError as exc:
                raise type(exc)(str(exc).replace(str(path), path.name)) from None
        self.register, self.register_name = analysis, Path(name).name

    @property
    def objective(self) -> str:
        """The objective packages are ranked by: the one chosen on the page, else the baseline's."""
        return self.chosen_objective or self.baseline.appraisal.objective

    def choose_objective(self, objective: str) -> None:
        """Rank by ``objective`` (one of :data:`simengine.results.OBJECTIVE_STREAMS`)."""
        if objective not in OBJECTIVE_STREAMS:
            raise DataError(f"unknown objective {objective!r}; use one of {list(OBJECTIVE_STREAMS)}")
        self.chosen_objective = objective

    @property
    def money_unit(self) -> str:
        budget = self.baseline.budget
        return budget.currency if budget.monetary_unit == "one" else f"{budget.currency} {budget.monetary_unit}"

    # --- evaluation ---------------------------------------------------------------------

    def _run(self, text: str, scenario: Scenario) -> xr.Dataset:
        result = self._results.get(text)
        if result is None:
            result = run_scenario(scenario)
            self._results[text] = result
            while len(self._results) > RESULT_CACHE:
                self._results.popitem(last=False)
        self._results.move_to_end(text)
        return result

    def baseline_text(self) -> str:
        return toml_text(baseline_document(self.baseline))

    def baseline_result(self) -> xr.Dataset:
        text = self.baseline_text()
        return self._run(text, self.baseline)

    def download_text(self, scenario_id: str) -> str:
        """A saved package (or the baseline) as a scenario file whose ``[appraisal] objective`` is the
        objective the page ranks by, so ``simengine compare`` of the downloads ranks as the page does.

        The objective changes no figure of a run, only what a comparison ranks by.
        """
        with self.lock:
            if scenario_id == self.baseline_id:
                document, comment = baseline_document(self.baseline), f"Baseline {scenario_id!r}"
            else:
                package = self.packages[scenario_id]
                document = tomllib.loads(package.text)
                comment = f"Policy package {scenario_id!r} on the baseline {self.baseline_id!r}"
            document.setdefault("appraisal", {})["objective"] = self.objective
            comment += (
                f", written by simengine serve; ranked by {self.objective} ([appraisal] objective).\n"
                "Check it with: simengine validate FILE; reproduce it with: simengine run FILE;\n"
                "rank it with the baseline's and other packages' files: simengine compare BASELINE.toml FILE ..."
            )
            return toml_text(document, comment=comment)

    def package_text(self, draft: Draft) -> str:
        document = package_document(
            baseline_document(self.baseline),
            package_id=draft.package_id,
            title=draft.title or draft.package_id,
            levers=parse_levers(draft.levers, self.money_unit),
        )
        comment = (
            f"Policy package {draft.package_id!r} on the baseline {self.baseline_id!r}, written by simengine serve.\n"
            "Check it with: simengine validate FILE; reproduce it with: simengine run FILE"
        )
        return toml_text(document, comment=comment)

    def _file_name(self, draft: Draft) -> str:
        return f"{draft.package_id}.toml" if PACKAGE_ID.match(draft.package_id) else "package.toml"

    def evaluate(self, draft: Draft) -> Evaluation:
        """Run ``draft`` and the baseline; the indicators of both, or the loader's errors."""
        with self.lock:
            start = time.perf_counter()
            self.draft = draft
            try:
                text = self.package_text(draft)
                scenario = load_package(text, self._file_name(draft))
            except (ScenarioError, KeyError) as exc:
                message = str(exc).strip("'\"")
                return Evaluation("", None, {_error_place(message): message}, time.perf_counter() - start)
            try:
                result = self._run(text, scenario)
                base = self.baseline_result()
                indicators = headline_indicators([base, result], baseline=self.baseline_id, objective=self.objective)
            except SimEngineError as exc:
                return Evaluation(text, None, {(-1, ""): str(exc)}, time.perf_counter() - start)
            return Evaluation(text, indicators, {}, time.perf_counter() - start)

    def save(self, draft: Draft) -> Evaluation:
        """Evaluate ``draft`` and keep it as a saved package (replacing one with the same id)."""
        with self.lock:
            if not PACKAGE_ID.match(draft.package_id) or draft.package_id == self.baseline_id:
                message = (
                    f"package id {draft.package_id!r}: use lower-case letters, digits, '-' and '_', "
                    f"starting with a letter or digit, other than the baseline's id {self.baseline_id!r}"
                )
                return Evaluation("", None, {(-1, "package_id"): message}, 0.0)
            evaluation = self.evaluate(draft)
            if evaluation.indicators is not None:
                scenario = load_package(evaluation.text, self._file_name(draft))
                self.packages[draft.package_id] = Package(
                    draft.package_id, draft.title, evaluation.text, scenario, self._run(evaluation.text, scenario)
                )
                self.draft = dataclasses.replace(draft, package_id=self._next_id(), title="")
            return evaluation

    def _next_id(self) -> str:
        number = len(self.packages) + 1
        while f"package-{number}" in self.packages:
            number += 1
        return f"package-{number}"

    def remove(self, package_id: str) -> None:
        with self.lock:
            self.packages.pop(package_id, None)

    def comparison(self) -> xr.Dataset | None:
        """Indicators of the baseline and every saved package (None before the first save)."""
        with self.lock:
            if not self.packages:
                return None
            return headline_indicators(
                [self.baseline_result(), *(p.result for p in self.packages.values())],
                baseline=self.baseline_id,
                objective=self.objective,
            )

    def report_html(self, lang: str) -> str:
        """The HTML report of the baseline and the saved packages."""
        from ..report import build_report

        with self.lock:
            results = [self.baseline_result(), *(p.result for p in self.packages.values())]
            results = [result.assign_attrs(objective=self.objective) for result in results]
            return build_report(results, lang=lang, baseline=self.baseline_id)


def _upload_text(name: str, content: bytes) -> str:
    if len(content) > MAX_UPLOAD_BYTES:
        raise DataError(f"{name}: the file has {len(content):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
