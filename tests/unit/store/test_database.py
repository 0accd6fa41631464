"""The profile database: WAL mode, versioned schema, refusal of a newer schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from alexphone.core.errors import ConfigError
from alexphone.store.database import MIGRATIONS, SCHEMA_VERSION, open_database, schema_version
from alexphone.store.history import HistoryStore


def test_new_database_is_wal_and_current(tmp_path: Path) -> None:
    db = open_database(tmp_path / "a.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert schema_version(db) == SCHEMA_VERSION
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"contacts", "history"} <= tables


def test_reopening_keeps_rows_and_does_not_migrate_again(tmp_path: Path) -> None:
    db = open_database(tmp_path / "a.db")
    db.execute("INSERT INTO contacts (name, uri) VALUES ('a', 'sip:a@b')")
    db.close()
    again = open_database(tmp_path / "a.db")
    assert again.execute("SELECT name FROM contacts").fetchall() == [("a",)]


def test_committed_rows_survive_an_unclosed_connection(tmp_path: Path) -> None:
    # A crash is an exit without close(): the WAL holds the committed row.
    db = open_database(tmp_path / "a.db")
    db.execute("INSERT INTO contacts (name, uri) VALUES ('kept', 'sip:k@b')")
    other = sqlite3.connect(tmp_path / "a.db")
    assert other.execute("SELECT name FROM contacts").fetchall() == [("kept",)]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "a.db")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(ConfigError, match="newer than this Alexphone"):
        open_database(tmp_path / "a.db")


def test_garbage_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a.db").write_bytes(b"not a database" * 100)
    with pytest.raises(ConfigError, match="database"):
        open_database(tmp_path / "a.db")


def test_a_version_1_database_is_upgraded_and_keeps_its_history(tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    raw.executescript(MIGRATIONS[0])
    raw.execute("PRAGMA user_version = 1")
    raw.execute(
        "INSERT INTO history (call_id, direction, remote, started, reason)"
        " VALUES ('old', 'in', 'sip:eve@x', 5.0, 'Busy Here')"
    )
    raw.close()
    db = open_database(tmp_path / "a.db")
    assert schema_version(db) == SCHEMA_VERSION >= 2
    (old,) = HistoryStore(db).recent()
    assert (old.call_id, old.remote, old.reason, old.display_name) == (
        "old",
        "sip:eve@x",
        "Busy Here",
        "",
    )
