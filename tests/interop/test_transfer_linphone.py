"""Attended transfer with linphonec (RFC 5589 §7): it follows our REFER with Replaces.

Our daemon calls linphonec, consults a second daemon (the call to linphonec is held), then
``ctl transfer --consult``: linphonec calls the target with the Replaces we gave it, the
target takes that INVITE in place of our consultation and ends it, linphonec NOTIFYs 200
and we end our call. linphonec plays a 700 Hz tone; the target must hear it on the new leg.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lab import Host, Lab, Process
from lab_peers import tone_wav
from test_transfer_baresip import (
    LISTENED,
    _consult,
    confirmed,
    ctl,
    daemon,
    ended,
    peak_hz,
    transfers,
)

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("linphonec")]


LINPHONE_RC = """[sip]
sip_port=5060
sip_tcp_port=0
sip_tls_port=0
use_ipv6=0
prefer_ipv6=0
ipv6_migration_done=1
[rtp]
audio_rtp_port=7078
[video]
display=0
capture=0
automatically_initiate=0
automatically_accept=0
"""


def linphonec(lab: Lab, host: Host, play: Path, seconds: float) -> Process:
    """linphonec -a (auto-answer) on host:5060 playing ``play`` with the files sound card."""
    home = lab.workdir / "linphone-home"
    (home / ".local/share/linphone").mkdir(parents=True)
    rc = lab.workdir / "linphonerc"
    rc.write_text(LINPHONE_RC)
    script = lab.workdir / "linphone.sh"
    record = lab.workdir / "linphone-heard.wav"
    script.write_text(
        f'(echo "soundcard use files"; echo "play {play}"; echo "record {record}";'
        f" sleep {seconds:g}; echo quit) | HOME={home} linphonec -a -c {rc}\n"
    )
    process = lab.spawn(
        host.ns, ["sh", str(script)], lab.workdir / "linphonec.log", timeout=seconds + 20
    )
    lab.wait_listening(host.ns, "udp", "0.0.0.0", 5060, timeout=15)
    time.sleep(1.0)  # the sound card commands are read after the SIP port opens
    return process


def test_our_daemon_transfers_a_linphonec_call_attended_with_ctl(
    lab: Lab, flat_lan: list[Host]
) -> None:
    alice_host, bob_host, carol_host = flat_lan
    heard = lab.workdir / "carol.wav"
    tone = tone_wav(lab.workdir / "tone700.wav", seconds=30, hz=700, rate=48000)
    bob = linphonec(lab, bob_host, tone, seconds=25)
    alice = daemon(lab, alice_host, "alice", audio_in="silence", audio_out="null")
    carol = daemon(lab, carol_host, "carol", audio_in="silence", audio_out=f"file:{heard}")

    assert ctl(alice, "dial", f"sip:bob@{bob_host.ipv4}:5060").returncode == 0
    original = confirmed(alice, "out")
    consult = _consult(alice, f"sip:carol@{carol_host.ipv4}:5060", original)
    moved = ctl(alice, "transfer", str(original["call_id"]), "--consult", str(consult["call_id"]))
    assert moved.returncode == 0, moved.stderr

    done = alice.wait_event("call.transfer", lambda e: e["state"] in ("succeeded", "failed"))
    assert done["state"] == "succeeded", (transfers(alice), bob.log_text()[-2000:])
    ended(alice, original["call_id"])
    ended(alice, consult["call_id"])
    replaced = carol.wait_event("call.transfer", timeout=10)  # linphonec sent Replaces
    assert (replaced["state"], replaced["role"]) == ("replaced", "target")
    assert replaced["call_id"] == consult["call_id"]
    time.sleep(LISTENED)
    carol.stop()
    assert peak_hz(heard) == pytest.approx(700, abs=15)  # linphonec's tone on the new leg
    alice.stop()
