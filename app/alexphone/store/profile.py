"""The profile directory: one identity's settings, database and sockets, private to its user."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PROFILE_MODE", "make_profile"]

PROFILE_MODE = 0o700  # history, contacts and the ALEX cache say whom we call and from where


def make_profile(path: Path) -> Path:
    """Create ``path`` with mode 0700 if it is missing (parents as usual); return it.

    An existing directory keeps its mode: the user may have opened it on purpose.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=PROFILE_MODE)
    except FileExistsError:
        return path
    os.chmod(path, PROFILE_MODE)  # mkdir's mode passes through the umask
    return path
