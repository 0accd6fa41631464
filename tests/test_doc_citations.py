"""Design documents the code cites must be in the repository, with the sections it names.

A citation is a file name in capitals ending in ``.md`` (``docs/ALEX.md``, ``README.md``),
optionally followed by quoted section names: ``docs/ALEX.md "Headers", "Bad input"``.
The file must exist (a bare name in ``docs/`` or at the repository root, a path relative to
the root), and each quoted section must be one of its headings. Numbered sections
(``docs/ARCHITECTURE.md §4``) are refused: headings move, names say what is meant.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("app", "tests")
SUFFIXES = {".py", ".cfg", ".toml", ".sh", ".txt", ".md", ".spec", ".ini"}
CITATION = re.compile(r'(?<![\w/.-])((?:[\w.-]+/)*[A-Z][A-Z0-9_-]*\.md)((?:,? "[^"\n]+")*)( ?§)?')
SECTION = re.compile(r'"([^"\n]+)"')
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def resolve(name: str) -> Path | None:
    """The document a citation names, None if the repository has no such file."""
    candidates = [ROOT / name] if "/" in name else [ROOT / "docs" / name, ROOT / name]
    return next((path for path in candidates if path.is_file()), None)


def headings(document: Path) -> set[str]:
    """Every heading text of a Markdown file."""
    return {match.group(1) for match in HEADING.finditer(document.read_text(encoding="utf-8"))}


def problems(text: str) -> list[str]:
    """What is wrong with the citations in ``text`` (empty if nothing)."""
    found: list[str] = []
    for match in CITATION.finditer(text):
        name, sections, numbered = match.groups()
        document = resolve(name)
        if document is None:
            found.append(f"{name}: no such file in docs/ or at the repository root")
            continue
        if numbered:
            found.append(f"{name} §…: cite a section by its heading, not a number")
        known = headings(document) if sections else set()
        found.extend(
            f'{name} "{section}": no such heading'
            for section in SECTION.findall(sections)
            if section not in known
        )
    return found


def scanned_files() -> list[Path]:
    """Text files under app/ and tests/, this one excepted (it quotes bad examples)."""
    files = [
        path
        for top in SCANNED
        for path in sorted((ROOT / top).rglob("*"))
        if path.is_file() and path.suffix in SUFFIXES and "artifacts" not in path.parts
    ]
    return [path for path in files if path != Path(__file__).resolve()]


def test_cited_design_documents_exist_with_their_sections() -> None:
    report = [
        f"{path.relative_to(ROOT)}: {problem}"
        for path in scanned_files()
        for problem in problems(path.read_text(encoding="utf-8", errors="replace"))
    ]

    assert report == []


def test_the_checker_refuses_missing_files_numbers_and_unknown_sections() -> None:
    text = (
        'see LAB.md; (docs/ARCHITECTURE.md §4); docs/ALEX.md "Headers", "No such part";'
        ' docs/TESTING.md "Markers"'
    )

    assert problems(text) == [
        "LAB.md: no such file in docs/ or at the repository root",
        "docs/ARCHITECTURE.md §…: cite a section by its heading, not a number",
        'docs/ALEX.md "No such part": no such heading',
    ]
