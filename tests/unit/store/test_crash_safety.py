"""kill -9 during profile writes: SQLite stays intact, at most the write in flight is lost.

A real subprocess (``crash_writer.py``) writes contacts, call history and ALEX cache entries
in a loop through the project's storage classes, acknowledging each write on stdout once it
has returned. The test kills it with SIGKILL once it has read a given number of
acknowledgements (the process is then inside a later write, or between two; what it said
before dying is still read from the pipe), then opens the database again and
checks ``PRAGMA integrity_check``, that WAL was in use, that every acknowledged write is
there and that at most one more write (the one in flight: committed, not yet acknowledged)
made it. Several rounds continue the same database, so recovery of a killed WAL is also the
starting point of the next round.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from alexphone.store.database import open_database

WRITER = Path(__file__).with_name("crash_writer.py")
APP = Path(__file__).resolve().parents[3] / "app"
KILL_AFTER = (1, 7, 60, 333, 1001)  # acknowledged writes before each kill, one per round
ROUND_WRITES = 100_000  # rounds the writer would do if never killed (bounds its loop)


def run_until_killed(database: Path, start: int, acks_before_kill: int) -> list[str]:
    """Start the writer from number ``start``, SIGKILL it after that many acks; every ack."""
    path = os.pathsep.join((str(APP), os.environ.get("PYTHONPATH", "")))
    env = {**os.environ, "PYTHONPATH": path}
    argv = [sys.executable, str(WRITER), str(database), str(start), str(ROUND_WRITES)]
    writer = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, text=True)
    assert writer.stdout is not None
    acks: list[str] = []
    try:
        assert writer.stdout.readline().strip() == "ready"
        while len(acks) < acks_before_kill:
            line = writer.stdout.readline()
            assert line, f"the writer stopped by itself after {len(acks)} writes"
            acks.append(line.strip())
        os.kill(writer.pid, signal.SIGKILL)
        acks += [line.strip() for line in writer.stdout]  # said before the kill, not yet read
    finally:
        if writer.poll() is None:
            os.kill(writer.pid, signal.SIGKILL)
        writer.wait(30)
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    return acks


def counted(connection: sqlite3.Connection) -> dict[str, int]:
    """Writes present in the database, counted the way the writer acknowledges them."""
    one = lambda sql: int(connection.execute(sql).fetchone()[0])  # noqa: E731
    return {
        "contact": one("SELECT count(*) FROM contacts"),
        "call begun": one("SELECT count(*) FROM history"),
        "call answered": one("SELECT count(*) FROM history WHERE answered IS NOT NULL"),
        "call ended": one("SELECT count(*) FROM history WHERE ended IS NOT NULL"),
        "cache": one("SELECT count(*) FROM alex_cache"),
    }


def acknowledged(acks: list[str]) -> dict[str, int]:
    """Acknowledged writes by kind, as ``counted`` names them."""
    kinds = {"contact": 0, "call begun": 0, "call answered": 0, "call ended": 0, "cache": 0}
    for line in acks:
        words = line.split()
        kinds[" ".join((words[0], *words[2:]))] += 1
    return kinds


@pytest.mark.slow  # a few thousand committed writes and five interpreters
def test_kill_9_mid_write_keeps_the_database_and_all_but_the_write_in_flight(
    tmp_path: Path,
) -> None:
    database = tmp_path / "profile" / "alexphone.db"
    total = acknowledged([])
    start = 0
    for round_no, kill_after in enumerate(KILL_AFTER):
        acks = run_until_killed(database, start, kill_after)
        assert Path(f"{database}-wal").exists(), "no write-ahead log: WAL is not on"
        for kind, n in acknowledged(acks).items():
            total[kind] += n

        connection = sqlite3.connect(database)  # a plain open: recovery is SQLite's own
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            present = counted(connection)
        finally:
            connection.close()
        extra = {kind: present[kind] - total[kind] for kind in total}
        assert all(n >= 0 for n in extra.values()), (round_no, present, total)  # none lost
        assert sum(extra.values()) <= 1, (round_no, present, total)  # only the one in flight
        total = present  # the write in flight, if it landed, is part of the next round's base
        start = present["contact"] + 1000 * (round_no + 1)  # fresh numbers, no key clashes

    connection = open_database(database)  # the phone's own open still works afterwards
    try:
        assert counted(connection) == total
    finally:
        connection.close()
