"""Links a new user follows work: every relative link and image in README.md and docs/*.md names a
file of the repository (and its anchor a heading there), no page names a path on one machine, and
every repository path a page names in backticks exists."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: ``[text](target)`` and ``![alt](target)``, target without spaces, optional "title".
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
#: ``<img src="...">`` and ``<a href="...">`` in raw HTML.
HTML_LINK = re.compile(r"<(?:img|a)\s[^>]*(?:src|href)=\"([^\"]+)\"")
#: Top-level folders of the repository whose paths a page may name in backticks.
REPOSITORY_FOLDERS = ("simengine/", "scenarios/", "tests/", "benchmarks/", "docs/", ".ci/")
#: Paths that exist only on one machine.
MACHINE_PATH = re.compile(r"(?<![\w.~])(/work/|/home/|/Users/|/root/|/mnt/|/tmp/[\w-]+/|[A-Z]:\\\\)")
#: Notes that live outside the repository and do not ship.
OUTSIDE_NOTES = re.compile(r"\b(MODEL\.md|DESIGN\.md|COMMON\.md|shared/)")
#: Files a test or command writes when it runs (named as outputs, not shipped).
WRITTEN_BY_TESTS = ("tests/artifacts/",)


def _strip_code(text: str) -> str:
    """``text`` without fenced code blocks (their contents are code, not links)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|__", "", heading.strip()).lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (repeated headings get -1, -2, ...)."""
    seen: dict[str, int] = {}
    out = set()
    for line in _strip_code(path.read_text(encoding="utf-8")).splitlines():
        found = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if found:
            base = slug(found.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            out.add(base if count == 0 else f"{base}-{count}")
    return out


def links(path: Path) -> list[str]:
    text = _strip_code(path.read_text(encoding="utf-8"))
    return LINK.findall(text) + HTML_LINK.findall(text)


CASES = [(path, target) for path in DOCUMENTS for target in links(path)]


def test_the_pages_have_links():
    assert len(CASES) > 20


@pytest.mark.parametrize(("path", "target"), CASES, ids=[f"{p.relative_to(ROOT)}->{t}" for p, t in CASES])
def test_relative_link_resolves(path, target):
    if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
        assert target.startswith(("http://", "https://", "mailto:")), f"{path.name}: unexpected scheme {target}"
        return
    file_part, _, anchor = target.partition("#")
    destination = (path.parent / file_part).resolve() if file_part else path
    assert destination.is_relative_to(ROOT), f"{path.name}: {target} points outside the repository"
    assert destination.exists(), f"{path.relative_to(ROOT)}: {target}: no such file in the repository"
    if anchor:
        assert destination.suffix == ".md", f"{path.name}: {target}: an anchor into a file that is not Markdown"
        assert anchor in anchors(destination), (
            f"{path.relative_to(ROOT)}: {target}: no heading with anchor #{anchor} in {destination.name}"
        )


@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_no_machine_paths_or_outside_notes(path):
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        assert not MACHINE_PATH.search(line), f"{path.relative_to(ROOT)}:{number}: a path on one machine: {line}"
        assert not OUTSIDE_NOTES.search(line), f"{path.relative_to(ROOT)}:{number}: a note that does not ship: {line}"


def _named_paths(path: Path) -> list[str]:
    """Repository paths named in backticks (``simengine/levers/``, ``tests/test_x.py::Case``)."""
    out = []
    for code in re.findall(r"`([^`\n]+)`", path.read_text(encoding="utf-8")):
        for word in code.split():
            word = word.split("::")[0].rstrip(",.;:)")
            if word.startswith(REPOSITORY_FOLDERS) and not word.startswith(WRITTEN_BY_TESTS):
                out.append(word)
    return out


@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_named_repository_paths_exist(path):
    missing = []
    for word in _named_paths(path):
        if any(c in word for c in "*?[") or "<" in word:
            if not list(ROOT.glob(re.sub(r"<[^>]*>", "*", word))):
                missing.append(word)
        elif not (ROOT / word).exists():
            missing.append(word)
    assert not missing, f"{path.relative_to(ROOT)} names files that are not in the repository: {missing}"


def test_slug_follows_github():
    assert slug("Data sources and licences") == "data-sources-and-licences"
    assert slug("For planners: the what-if page") == "for-planners-the-what-if-page"
    assert slug("Adding a lever kind") == "adding-a-lever-kind"
    assert slug("`simengine serve` (local)") == "simengine-serve-local"
