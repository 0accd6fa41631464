"""The profile database: one SQLite file in WAL mode, schema versioned by ``user_version``.

WAL keeps readers and the one writer apart and makes every committed row
survive a crash of the app (the log is replayed on the next open). Each
migration moves the schema one version up inside a transaction, so a half
applied upgrade never exists.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alexphone.core.errors import ConfigError
from alexphone.store.profile import make_profile

DATABASE_NAME = "alexphone.db"

# MIGRATIONS[i] takes the schema from version i to i + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        uri TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX contacts_name ON contacts (name COLLATE NOCASE);
    CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        call_id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        remote TEXT NOT NULL,
        started REAL NOT NULL,
        answered REAL,
        ended REAL,
        code INTEGER,
        reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX history_started ON history (started);
    CREATE INDEX history_call ON history (call_id);
    """,
    # 2: the other party's SIP display name (From/To), shown when no contact names them
    """
    ALTER TABLE history ADD COLUMN display_name TEXT NOT NULL DEFAULT ''
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseTooNew(ConfigError):
    """The database was written by a newer Alexphone: its schema ``version`` is unknown here."""

    def __init__(self, message: str, version: int) -> None:
        super().__init__(message)
        self.version = version


def open_database(path: Path) -> sqlite3.Connection:
    """Open (creating or upgrading) the database at ``path``; ConfigError if it is unusable."""
    make_profile(path.parent)
    try:
        connection = sqlite3.connect(path, isolation_level=None)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"database {path}: {exc}") from None
    try:
        version = schema_version(connection)
        if version > SCHEMA_VERSION:  # before any write: the newer program's file stays as it is
            raise DatabaseTooNew(
                f"database schema {version} is newer than this Alexphone ({SCHEMA_VERSION})",
                version,
            )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # WAL: durable up to the last checkpoint
        connection.execute("PRAGMA foreign_keys=ON")
        migrate(connection)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise ConfigError(f"database {path}: {exc}") from None
    except ConfigError:
        connection.close()
        raise
    return connection


def open_memory_database() -> sqlite3.Connection:
    """Open an empty database in memory, for a profile that cannot be written."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    migrate(connection)
    return connection


def schema_version(connection: sqlite3.Connection) -> int:
    """Return the schema version stored in the database."""
    row = connection.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(connection: sqlite3.Connection) -> None:
    """Apply every migration the database has not seen yet, each in its own transaction."""
    version = schema_version(connection)
    if version > SCHEMA_VERSION:
        raise DatabaseTooNew(
            f"database schema {version} is newer than this Alexphone ({SCHEMA_VERSION})", version
        )
    for step in range(version, SCHEMA_VERSION):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {step + 1}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
