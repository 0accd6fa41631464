"""What is wrong with a profile, said once, and set aside so that the phone starts anyway.

A profile directory that cannot be written, a ``config.toml`` that is not TOML or holds a
value of the wrong type, keys this version does not know, a database written by a newer
Alexphone or one that is not a database at all: each becomes one ``ProfileNotice``, a line
naming the file, what was done about it and how to fix it. Nothing is deleted: a broken
file is renamed beside itself (``config.toml.broken-20261203-124500``, a newer database
``alexphone.db.newer-…`` with its WAL files) and the phone starts with defaults.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from alexphone.core.errors import ConfigError
from alexphone.store.config import CONFIG_NAME, parse_config, unknown_keys
from alexphone.store.database import (
    DATABASE_NAME,
    SCHEMA_VERSION,
    DatabaseTooNew,
    open_database,
    open_memory_database,
)
from alexphone.store.profile import make_profile

DATABASE_COMPANIONS = ("", "-wal", "-shm")  # SQLite's WAL files follow the database's name


class NoticeKind(Enum):
    """What was found wrong with the profile."""

    NOT_WRITABLE = "not_writable"
    CONFIG_BROKEN = "config_broken"
    CONFIG_UNKNOWN_KEYS = "config_unknown_keys"
    DATABASE_NEWER = "database_newer"
    DATABASE_BROKEN = "database_broken"


@dataclass(frozen=True, slots=True)
class ProfileNotice:
    """One problem of the profile: the file at fault and one line saying what to do."""

    kind: NoticeKind
    path: Path
    text: str
    kept_as: Path | None = None  # where the broken file now is, if it was set aside


def check_writable(profile: Path) -> ProfileNotice | None:
    """Create the profile if needed and prove a file can be written in it; a notice if not."""
    try:
        make_profile(profile)
        handle, probe = tempfile.mkstemp(prefix=".write-check-", dir=profile)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return ProfileNotice(
            NoticeKind.NOT_WRITABLE,
            profile,
            f"The profile {profile} is not writable ({reason}): settings, contacts and history "
            "start empty and nothing is kept. Fix: make it writable "
            f"(chmod u+w '{profile}') or start with --profile DIR.",
        )
    return None


def check_config(profile: Path, now: float | None = None) -> ProfileNotice | None:
    """Set aside a config.toml that cannot be read; name the keys it has that are unknown."""
    path = profile / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
        parse_config(text)
        unknown = unknown_keys(text)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ConfigError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return set_aside_config(profile, reason.removeprefix("config: "), now)
    if not unknown:
        return None
    return ProfileNotice(
        NoticeKind.CONFIG_UNKNOWN_KEYS,
        path,
        f"{path}: unknown {'keys' if len(unknown) > 1 else 'key'} {', '.join(unknown)} "
        "ignored. Fix: check the spelling, or remove them.",
    )


def set_aside_config(profile: Path, reason: str, now: float | None = None) -> ProfileNotice:
    """Rename config.toml beside itself so that the phone starts with default settings."""
    path = profile / CONFIG_NAME
    aside = _set_aside(path, "broken", now)
    where = f"it is kept as {aside.name}" if aside else "it could not be renamed"
    return ProfileNotice(
        NoticeKind.CONFIG_BROKEN,
        path,
        f"{path} cannot be used ({reason}); {where} and Alexphone starts with default "
        f"settings. Fix: correct it and rename it back to {CONFIG_NAME}, or set up again "
        "in Phone → Accounts & settings.",
        aside,
    )


def open_profile_database(
    profile: Path, now: float | None = None
) -> tuple[sqlite3.Connection, ProfileNotice | None]:
    """Open the profile's database; set aside one that is newer or broken, start a fresh one.

    An unwritable profile gets an empty database in memory.
    """
    path = profile / DATABASE_NAME
    unwritable = check_writable(profile)
    if unwritable is not None:
        return open_memory_database(), unwritable
    try:
        return open_database(path), None
    except DatabaseTooNew as exc:
        aside = _set_aside(path, "newer", now)
        notice = ProfileNotice(
            NoticeKind.DATABASE_NEWER,
            path,
            f"{path} was written by a newer Alexphone (schema {exc.version}, this one knows "
            f"up to {SCHEMA_VERSION}); it is kept as {_name(aside)} and contacts and history "
            "start empty. Fix: run the newer Alexphone, or rename the file back after "
            "upgrading.",
            aside,
        )
    except ConfigError as exc:
        aside = _set_aside(path, "broken", now)
        notice = ProfileNotice(
            NoticeKind.DATABASE_BROKEN,
            path,
            f"{path} is not a usable database ({str(exc).rpartition(': ')[2]}); it is kept as "
            f"{_name(aside)} and contacts and history start empty. Fix: restore it from a "
            f"backup as {DATABASE_NAME}.",
            aside,
        )
    try:
        return open_database(path), notice
    except ConfigError:  # could not be set aside: go on without keeping anything
        return open_memory_database(), notice


def _set_aside(path: Path, label: str, now: float | None) -> Path | None:
    """Rename ``path`` (and a database's WAL files) to ``<name>.<label>-<stamp>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    for attempt in range(100):  # bounded: two failures in one second get -1, -2, …
        suffix = f"-{attempt}" if attempt else ""
        aside = path.with_name(f"{path.name}.{label}-{stamp}{suffix}")
        if not any(aside.with_name(aside.name + c).exists() for c in DATABASE_COMPANIONS):
            break
    else:
        return None
    try:
        for companion in DATABASE_COMPANIONS:
            source = path.with_name(path.name + companion)
            if source.exists():
                os.replace(source, aside.with_name(aside.name + companion))
    except OSError:
        return None
    return aside


def _name(path: Path | None) -> str:
    return path.name if path is not None else "(could not be renamed)"
