"""The ``simengine serve`` web app: Starlette routes over one :class:`Workspace` (local, one user).

Routes (HTML unless stated; htmx posts the package form and swaps the fragment returned):

- ``GET /`` the page (``?lang=en|ko`` switches the language);
- ``POST /baseline`` choose a baseline; ``POST /upload/scenario``, ``POST /upload/register`` uploads;
- ``POST /evaluate`` the draft's results, with its messages next to their fields (out of band);
- ``POST /levers/add``, ``POST /levers/remove?position=i`` the lever cards;
- ``POST /packages/save``, ``POST /packages/remove?package_id=...`` the saved packages;
- ``GET /packages/{id}.toml`` a saved package (or the baseline) as a scenario file, with the page's
  objective as its ``[appraisal] objective``; ``GET /report.html`` the report;
- ``GET /static/...`` htmx, the script and the style sheet, ``GET /fonts/hangul.ttf`` the report's
  Hangul font (all shipped with the package, no CDN).

Every library error becomes its one-line message on the page; any other failure of a request is
a 500 response with one line, and the server goes on.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import SimEngineError
from ..report.catalogue import lever_kind
from ..report.fonts import FONT_PATH
from ..report.labels import LANGUAGES, load_labels
from .views import error_slots, levers_panel, packages_panel, page, placed_errors, results_panel
from .workspace import MAX_UPLOAD_BYTES, Draft, Workspace, page_defaults

__all__ = ["create_app", "serve", "STATIC"]

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("simengine.serve")


def _draft(form: FormData) -> Draft:
    """The package form as a draft: lever cards in order, each setting's raw value(s)."""
    positions = sorted({int(found.group(1)) for key in form if (found := re.fullmatch(r"lever-(\d{1,4})-kind", key))})
    levers = []
    for position in positions:
        kind = str(form[f"lever-{position}-kind"])
        try:
            spec = lever_kind(kind)
        except KeyError:
            continue
        raw: dict[str, object] = {"kind": kind}
        for setting in spec.fields:
            name = f"lever-{position}-{setting.path}"
            if setting.kind == "choices":
                raw[setting.path] = [str(v) for v in form.getlist(name)]
            elif name in form:
                raw[setting.path] = str(form[name])
        levers.append(raw)
    return Draft(str(form.get("package-id", "package-1")).strip(), str(form.get("package-title", "")).strip(), levers)


async def _upload(request: Request) -> tuple[str, bytes]:
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_UPLOAD_BYTES + 10_000:
        raise SimEngineError(f"the upload has {length:,} bytes; the limit is {MAX_UPLOAD_BYTES:,}")
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise SimEngineError("choose a file to upload")
    content = await upload.read(MAX_UPLOAD_BYTES + 1)
    return upload.filename, content


def create_app(workspace: Workspace) -> Starlette:
    """The Starlette application serving ``workspace``."""

    def labels():
        return load_labels(workspace.lang)

    def home(request: Request) -> Response:
        lang = request.query_params.get("lang")
        if lang in LANGUAGES:
            workspace.lang = lang
        evaluation = workspace.evaluate(workspace.draft) if workspace.baseline_id else None
        html = page(workspace, labels(), evaluation)
        workspace.messages.clear()
        return HTMLResponse(html)

    async def choose(request: Request) -> Response:
        form = await request.form()
        try:
            workspace.choose_baseline(str(form.get("baseline", "")))
        except SimEngineError as exc:
            workspace.messages["scenario"] = str(exc)
        return RedirectResponse("/", status_code=303)

    def uploader(slot: str, accept):
        """A route that reads one uploaded file into ``accept(name, content)``; its message goes to ``slot``."""

        async def upload(request: Request) -> Response:
            try:
                accept(*await _upload(request))
            except SimEngineError as exc:
                workspace.messages[slot] = str(exc)
            return RedirectResponse("/", status_code=303)

        return upload

    def objective_changed(form: FormData) -> bool:
        """Take the form's objective; whether it changed the ranking."""
        chosen = str(form.get("objective", "")) or workspace.objective
        if chosen == workspace.objective:
            return False
        try:
            workspace.choose_objective(chosen)
        except SimEngineError:
            return False
        return True

    async def evaluate(request: Request) -> Response:
        form = await request.form()
        draft = _draft(form)
        reranked = objective_changed(form)
        shown_before = workspace.shown_errors
        evaluation = workspace.evaluate(draft)
        workspace.shown_errors = set(placed_errors(draft, evaluation))
        slots = error_slots(draft, evaluation, shown_before=shown_before)
        if reranked:
            slots += packages_panel(workspace, labels()).replace(
                '<div id="packages"', '<div id="packages" hx-swap-oob="true"', 1
            )
        return HTMLResponse(results_panel(workspace, evaluation, labels()) + slots)

    async def add_lever(request: Request) -> Response:
        form = await request.form()
        draft = _draft(form)
        kind = str(form.get("new-kind", ""))
        try:
            lever_kind(kind)
            draft.levers.append({"kind": kind, **page_defaults(kind)})
        except KeyError:
            pass
        workspace.draft = draft
        return _levers_and_results(draft)

    async def remove_lever(request: Request) -> Response:
        draft = _draft(await request.form())
        position = request.query_params.get("position", "")
        position = int(position) if position.isdigit() else -1
        if 0 <= position < len(draft.levers):
            del draft.levers[position]
        workspace.draft = draft
        return _levers_and_results(draft)

    def _levers_and_results(draft: Draft) -> Response:
        evaluation = workspace.evaluate(draft)
        results = results_panel(workspace, evaluation, labels()).replace(
            '<div id="results"', '<div id="results" hx-swap-oob="true"', 1
        )
        panel = levers_panel(workspace, labels(), evaluation)
        workspace.shown_errors = set(placed_errors(draft, evaluation))
        return HTMLResponse(panel + results + error_slots(draft, evaluation, levers=False))

    async def save(request: Request) -> Response:
        form = await request.form()
        draft = _draft(form)
        objective_changed(form)
        evaluation = workspace.save(draft)
        oob = error_slots(draft, evaluation, shown_before=workspace.shown_errors)
        workspace.shown_errors = set(placed_errors(draft, evaluation))
        if evaluation.indicators is not None:
            oob += (
                f'<input type="text" name="package-id" id="package-id" value="{workspace.draft.package_id}" '
                'hx-swap-oob="true" pattern="[a-z0-9][a-z0-9_\\-]*">'
                '<input type="text" name="package-title" id="package-title" value="" hx-swap-oob="true">'
            )
        return HTMLResponse(packages_panel(workspace, labels()) + oob)

    async def remove_package(request: Request) -> Response:
        workspace.remove(request.query_params.get("package_id", ""))
        return HTMLResponse(packages_panel(workspace, labels()))

    def download(request: Request) -> Response:
        package_id = request.path_params["package_id"]
        if package_id not in workspace.packages and package_id != workspace.baseline_id:
            return PlainTextResponse(f"no saved package {package_id!r}", status_code=404)
        return Response(
            workspace.download_text(package_id),
            media_type="application/toml",
            headers={"Content-Disposition": f'attachment; filename="{package_id}.toml"'},
        )

    def report(request: Request) -> Response:
        lang = request.query_params.get("lang", workspace.lang)
        lang = lang if lang in LANGUAGES else "en"
        return Response(
            workspace.report_html(lang),
            media_type="text/html; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="simengine_packages_report.html"'},
        )

    def font(request: Request) -> Response:
        return FileResponse(FONT_PATH, media_type="font/ttf")

    async def library_error(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"error: {exc}", status_code=400)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("request %s failed", request.url.path)
        return PlainTextResponse(f"internal error: {type(exc).__name__}: {exc}", status_code=500)

    routes = [
        Route("/", home),
        Route("/baseline", choose, methods=["POST"]),
        Route("/upload/scenario", uploader("scenario", workspace.add_uploaded_scenario), methods=["POST"]),
        Route("/upload/register", uploader("register", workspace.add_uploaded_register), methods=["POST"]),
        Route("/evaluate", evaluate, methods=["POST"]),
        Route("/levers/add", add_lever, methods=["POST"]),
        Route("/levers/remove", remove_lever, methods=["POST"]),
        Route("/packages/save", save, methods=["POST"]),
        Route("/packages/remove", remove_package, methods=["POST"]),
        Route("/packages/{package_id}.toml", download),
        Route("/report.html", report),
        Route("/fonts/hangul.ttf", font),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={SimEngineError: library_error, Exception: server_error})


def serve(
    scenario_dir: str | Path | None = "scenarios",
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    warm: bool = True,
) -> None:
    """Run the planner page with uvicorn until interrupted (``simengine serve``).

    Parameters
    ----------
    scenario_dir : path, optional
        Folder whose analytic scenario files are offered as baselines.
    host, port : str, int
        Address to listen on (default: this machine only).
    warm : bool
        Run the first baseline once before serving, so the first change on the page is fast.
    """
    import uvicorn

    workspace = Workspace(scenario_dir if scenario_dir and Path(scenario_dir).is_dir() else None)
    if warm and workspace.baseline_id is not None:
        workspace.evaluate(workspace.draft)
    uvicorn.run(create_app(workspace), host=host, port=port, log_level="warning")
