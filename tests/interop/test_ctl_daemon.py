"""``alexphone ctl`` drives a running daemon through a call with SIPp (a UAS nobody here wrote)."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
import threading

import pytest
from lab import Host, Lab, Process
from lab_alexphone import Alexphone
from lab_peers import EventLog, Sipp


def ctl(phone: Alexphone, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``alexphone ctl --profile P ARGS`` in the root namespace (the socket is a file)."""
    return phone.ctl(*args)


def stream_events(lab: Lab, phone: Alexphone) -> tuple[Process, EventLog]:
    """Start ``alexphone ctl events --json``; its lines go into the returned log."""
    argv = [sys.executable, "-m", "alexphone", "ctl", "--profile", str(phone.profile)]
    process = lab.spawn(
        None,
        [*argv, "events", "--json"],
        lab.workdir / "ctl-events.stderr.log",
        env=phone.env(),
        stdout_pipe=True,
    )
    log = EventLog()
    stdout = process.popen.stdout
    assert stdout is not None

    def read() -> None:
        for line in stdout:
            log.append(json.loads(line))
        log.close()

    threading.Thread(target=read, daemon=True).start()
    return process, log


@pytest.mark.interop
@pytest.mark.needs("sipp")
def test_ctl_dials_sends_dtmf_and_hangs_up(lab: Lab, flat_lan: list[Host]) -> None:
    callee, caller = flat_lan[0], flat_lan[1]
    uas = Sipp(lab, callee.ns, "uas", callee.ipv4, 5060, calls=1).start()
    phone = Alexphone(lab, caller.ns, "ctl", listen=[f"udp:{caller.ipv4}:5070"])
    phone.daemon()
    phone.wait_event("ua.ready", timeout=15)
    path = phone.profile / "ctl.sock"
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    streamer, events = stream_events(lab, phone)
    watcher = socket.socket(socket.AF_UNIX)  # subscribed before the dial, as its reply says
    watcher.settimeout(15)
    watcher.connect(str(path))
    watched = watcher.makefile("rb")
    watcher.sendall(b'{"id": "w", "command": "events"}\n')
    assert json.loads(watched.readline()) == {"id": "w", "ok": True}

    dialled = ctl(phone, "dial", f"sip:service@{callee.ipv4}:5060")
    assert dialled.returncode == 0, dialled.stderr
    confirmed = phone.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=15)
    call_id = str(confirmed["call_id"])

    status = ctl(phone, "status", "--json")
    assert status.returncode == 0, status.stderr
    [call] = json.loads(status.stdout)["calls"]
    assert (call["call_id"], call["state"], call["direction"]) == (call_id, "confirmed", "out")
    sent = ctl(phone, "dtmf", call_id, "12#")
    assert sent.returncode == 0, sent.stderr

    refused = ctl(phone, "transfer", call_id, "--consult", "nosuch")
    assert (refused.returncode, refused.stderr) == (1, "alexphone: no call 'nosuch' to consult\n")
    with socket.socket(socket.AF_UNIX) as raw:  # garbage gets an error line; the link stays
        raw.settimeout(10)
        raw.connect(str(path))
        raw.sendall(b'not json\n{"id": 5, "command": "status"}\n')
        lines = raw.makefile("rb")
        assert json.loads(lines.readline())["ok"] is False
        assert json.loads(lines.readline())["id"] == 5

    hung_up = ctl(phone, "hangup")
    assert hung_up.returncode == 0, hung_up.stderr
    phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=15)
    result = uas.wait(15)
    assert (result.successful, result.failed) == (1, 0)  # the uas counts a call once BYE got 200
    events.wait(lambda e: e.get("state") == "ended", 10, 0, what="call.state ended via ctl events")
    states = []
    for _ in range(200):  # bounded: the call's events are far fewer
        event = json.loads(watched.readline())
        if event["event"] == "call.state":
            states.append(event["state"])
            if event["state"] == "ended":
                break
    assert states[0] == "calling"
    assert "confirmed" in states
    watcher.close()

    assert phone.stop() == 0
    assert not path.exists()
    assert streamer.wait(10) == 0  # the phone's end ends the stream
    assert ctl(phone, "status").returncode == 1
