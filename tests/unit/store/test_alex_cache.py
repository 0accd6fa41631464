"""The ALEX cache in SQLite: insert, look up, expire, clear, survive a crash (WAL)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from alexphone.alex.cache import CacheKey, CacheUse, failure, success
from alexphone.store.alex_cache import SCHEMA_VERSION, AlexCacheStore

KEY = CacheKey("<urn:uuid:b>", "m0.1", "10.0.1.10:5004/udp", "203.0.113.2:40000/udp", "net1")


def test_insert_lookup_replace(tmp_path: Path) -> None:
    store = AlexCacheStore(tmp_path / "alexphone.db")
    store.record(success(KEY, 1000.0, 0.02))
    assert store.get(KEY) == success(KEY, 1000.0, 0.02)
    store.record(success(KEY, 1010.0, 0.03))
    (entry,) = store.lookup(KEY.peer, KEY.flow, KEY.network, 1020.0)
    assert entry.updated == 1010.0 and entry.rtt == 0.03
    assert entry.use(1020.0) is CacheUse.NOMINATE
    store.close()


def test_other_network_is_ignored_not_deleted(tmp_path: Path) -> None:
    store = AlexCacheStore(tmp_path / "alexphone.db")
    store.record(success(KEY, 1000.0, 0.02))
    assert store.lookup(KEY.peer, KEY.flow, "net2", 1001.0) == []
    assert store.lookup(KEY.peer, KEY.flow, KEY.network, 1001.0) != []
    assert len(store.entries()) == 1


def test_expire_and_clear(tmp_path: Path) -> None:
    store = AlexCacheStore(tmp_path / "alexphone.db")
    old = CacheKey(KEY.peer, KEY.flow, KEY.local, "198.51.100.9:1/udp", KEY.network)
    store.record(success(KEY, 1000.0, 0.02))
    store.record(failure(old, 1000.0))
    assert store.expire(1100.0) == 1  # the failure is past 60 s, the success is not
    assert [e.key for e in store.entries()] == [KEY]
    assert store.clear() == 1
    assert store.entries() == []


def test_wal_mode_and_shared_database(tmp_path: Path) -> None:
    path = tmp_path / "alexphone.db"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY)")
    connection.execute("PRAGMA user_version = 7")
    store = AlexCacheStore(connection)
    store.record(success(KEY, 1.0, None))
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == 7  # not ours to touch
    store.close()
    assert connection.execute("SELECT count(*) FROM alex_cache").fetchone()[0] == 1


def test_unknown_schema_version_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "alexphone.db"
    AlexCacheStore(path).record(success(KEY, 1.0, None))
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alex_cache_schema SET version = ?", (SCHEMA_VERSION + 99,))
    connection.commit()
    connection.close()
    assert AlexCacheStore(path).entries() == []


def test_committed_entries_survive_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "alexphone.db"
    key = f"CacheKey({KEY.peer!r}, {KEY.flow!r}, {KEY.local!r}, {KEY.remote!r}, {KEY.network!r})"
    script = (
        "import os, sys\n"
        "from alexphone.alex.cache import CacheKey, success\n"
        "from alexphone.store.alex_cache import AlexCacheStore\n"
        f"AlexCacheStore(sys.argv[1]).record(success({key}, 1.0, 0.5))\n"
        "os._exit(9)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], timeout=60, check=False)
    assert result.returncode == 9  # died without closing anything
    assert AlexCacheStore(path).get(KEY) == success(KEY, 1.0, 0.5)


def test_forget_removes_one_peer_only(tmp_path: Path) -> None:
    store = AlexCacheStore(tmp_path / "alexphone.db")
    for peer in ("<urn:uuid:b>", "<urn:uuid:c>"):
        store.record(success(replace(KEY, peer=peer), 1000.0, 0.02))

    assert store.forget("<urn:uuid:b>") == 1

    assert [e.key.peer for e in store.entries()] == ["<urn:uuid:c>"]
    store.close()
