"""The ALEX cache table in the profile database (docs/ARCHITECTURE.md "Profile and data").

The table is versioned on its own (``alex_cache_schema``), since the database is shared with
contacts and history: an unknown or older version of this table is dropped and recreated
(the cache is only a hint, never worth a migration failure). Every write commits at once, so
a crash loses at most the write in progress; WAL keeps readers and the writer apart.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alexphone.alex.cache import CacheEntry, CacheKey, CachePolicy, CacheUse, Outcome, rank

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alex_cache (
    peer TEXT NOT NULL,
    flow TEXT NOT NULL,
    local TEXT NOT NULL,
    remote TEXT NOT NULL,
    network TEXT NOT NULL,
    outcome TEXT NOT NULL,
    updated REAL NOT NULL,
    last_success REAL,
    rtt REAL,
    PRIMARY KEY (peer, flow, local, remote, network)
)
"""
_COLUMNS = "peer, flow, local, remote, network, outcome, updated, last_success, rtt"
_Row = tuple[str, str, str, str, str, str, float, float | None, float | None]


class AlexCacheStore:
    """Insert, look up, expire and clear ALEX cache entries in ``path``."""

    def __init__(self, database: Path | str | sqlite3.Connection) -> None:
        if isinstance(database, sqlite3.Connection):
            self._db, self._owned = database, False  # e.g. store.database.open_database()
        else:
            self._db = sqlite3.connect(Path(database), isolation_level=None)
            self._owned = True
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=2000")
        self._migrate()

    def _migrate(self) -> None:
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS alex_cache_schema (version INTEGER)")
            row = self._db.execute("SELECT version FROM alex_cache_schema").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                self._db.execute("DROP TABLE IF EXISTS alex_cache")
                self._db.execute("DELETE FROM alex_cache_schema")
                self._db.execute(
                    "INSERT INTO alex_cache_schema (version) VALUES (?)", (SCHEMA_VERSION,)
                )
            self._db.execute(_SCHEMA)

    def record(self, entry: CacheEntry) -> None:
        """Insert or replace the entry for its key."""
        key = entry.key
        with self._db:
            self._db.execute(
                f"INSERT OR REPLACE INTO alex_cache ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    key.peer,
                    key.flow,
                    key.local,
                    key.remote,
                    key.network,
                    entry.outcome.value,
                    entry.updated,
                    entry.last_success,
                    entry.rtt,
                ),
            )

    def get(self, key: CacheKey) -> CacheEntry | None:
        """The entry stored under exactly ``key``, if any."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM alex_cache"
            " WHERE peer=? AND flow=? AND local=? AND remote=? AND network=?",
            (key.peer, key.flow, key.local, key.remote, key.network),
        ).fetchone()
        return _entry(row) if row is not None else None

    def lookup(
        self,
        peer: str,
        flow: str,
        network: str,
        now: float,
        policy: CachePolicy | None = None,
    ) -> list[CacheEntry]:
        """Usable entries for a peer and flow on this network, best first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM alex_cache WHERE peer=? AND flow=? AND network=?",
            (peer, flow, network),
        ).fetchall()
        return rank((_entry(r) for r in rows), now, policy)

    def entries(self) -> list[CacheEntry]:
        """Every stored entry, any network (for ``alexphone cache``)."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM alex_cache ORDER BY peer, flow, updated DESC"
        ).fetchall()
        return [_entry(r) for r in rows]

    def expire(self, now: float, policy: CachePolicy | None = None) -> int:
        """Delete entries past every lifetime; return how many went."""
        stale = [e.key for e in self.entries() if e.use(now, policy) is CacheUse.EXPIRED]
        with self._db:
            for key in stale:
                self._db.execute(
                    "DELETE FROM alex_cache"
                    " WHERE peer=? AND flow=? AND local=? AND remote=? AND network=?",
                    (key.peer, key.flow, key.local, key.remote, key.network),
                )
        return len(stale)

    def forget(self, peer: str) -> int:
        """Delete one peer's entries; return how many went."""
        with self._db:
            return self._db.execute("DELETE FROM alex_cache WHERE peer = ?", (peer,)).rowcount

    def clear(self) -> int:
        """Delete every entry; return how many went."""
        with self._db:
            return self._db.execute("DELETE FROM alex_cache").rowcount

    def close(self) -> None:
        """Close the database connection if this store opened it."""
        if self._owned:
            self._db.close()


def _entry(row: _Row) -> CacheEntry:
    peer, flow, local, remote, network, outcome, updated, last_success, rtt = row
    key = CacheKey(peer, flow, local, remote, network)
    return CacheEntry(key, Outcome(outcome), updated, last_success, rtt)
