"""``alexphone daemon`` on a bad profile: one line naming the file and the fix, never a
traceback, and the phone starts (with an empty database) all the same.

Each test runs the real program (``python -m alexphone daemon --json``) on loopback, reads
its events until ``ua.ready`` and stops it with SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from alexphone.store.database import SCHEMA_VERSION

APP = Path(__file__).resolve().parents[3] / "app"
MAX_LINES = 50  # events before ua.ready: a handful


def _daemon(profile: Path) -> tuple[list[dict[str, object]], str, int]:
    """Run the daemon until it is ready; return its events, its stderr and its exit status."""
    env = {**os.environ, "PYTHONPATH": str(APP)}
    argv = [sys.executable, "-m", "alexphone", "daemon", "--profile", str(profile)]
    argv += ["--listen", "udp:127.0.0.1:0", "--no-mdns", "--json"]
    argv += ["--audio-in", "silence", "--audio-out", "null"]
    with subprocess.Popen(
        ["timeout", "30", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        events: list[dict[str, object]] = []
        for line in process.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] == "ua.ready" or len(events) >= MAX_LINES:
                break
        process.send_signal(signal.SIGTERM)  # reaches timeout, which passes it on
        rest, err = process.communicate(timeout=30)
    events += [json.loads(line) for line in rest.splitlines() if line.startswith("{")]
    return events, err, process.returncode


def _profile_errors(events: list[dict[str, object]]) -> list[str]:
    return [str(e["message"]) for e in events if e["event"] == "error" and e["where"] == "profile"]


def test_an_unwritable_profile_is_said_once_and_the_phone_runs(read_only_dir: Path) -> None:
    events, err, status = _daemon(read_only_dir)

    assert "Traceback" not in err and err.strip() == ""  # no control-socket warning either
    assert status == 0
    assert any(e["event"] == "ua.ready" for e in events)
    [message] = _profile_errors(events)
    assert str(read_only_dir) in message and "not writable" in message
    assert "Fix:" in message and "--profile" in message


def test_a_newer_database_is_set_aside_and_a_fresh_one_used(tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "alexphone.db")
    raw.execute("CREATE TABLE from_the_future (x)")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()

    events, err, status = _daemon(tmp_path)

    assert "Traceback" not in err and status == 0
    [message] = _profile_errors(events)
    assert str(tmp_path / "alexphone.db") in message and "newer Alexphone" in message
    [kept] = tmp_path.glob("alexphone.db.newer-*[0-9]")
    assert kept.name in message
    assert sqlite3.connect(kept).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    fresh = sqlite3.connect(tmp_path / "alexphone.db")
    assert fresh.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_the_daemon_reads_no_config_toml_so_a_broken_one_changes_nothing(
    tmp_path: Path,
) -> None:
    broken = "[account\naor = 'sip:alice@example.com'\nvolume = 11\n"
    (tmp_path / "config.toml").write_text(broken, encoding="utf-8")

    events, err, status = _daemon(tmp_path)

    assert "Traceback" not in err and status == 0
    assert any(e["event"] == "ua.ready" for e in events) and _profile_errors(events) == []
    assert (tmp_path / "config.toml").read_text(encoding="utf-8") == broken  # the window's file
