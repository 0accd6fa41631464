"""The test tree itself: pytest imports test files by basename, so basenames must be unique."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_python_file_basenames_are_unique_outside_conftest() -> None:
    names = Counter(
        path.name for path in TESTS.rglob("*.py")
        if path.name != "conftest.py" and "artifacts" not in path.parts
    )  # fmt: skip

    assert [name for name, count in names.items() if count > 1] == []
