"""No secret in anything the daemon writes: events, logs, its profile and private directories.

erin is the daemon on h1: registered at Kamailio (h3) with digest authentication, a TURN
account at coturn (h3), SRTP mandatory (SDES keys in the SDP), ALEX on, the SIP log printed
as `sip.message` events and debug logging. bob (h2) calls her through Kamailio. A raw
socket in Kamailio's namespace reads every SIP datagram of the call off the wire, so the
test knows the secrets that really travelled: erin's and bob's ALEX `pwd`, the ICE
`a=ice-pwd`, the SDES keys and erin's digest responses. Then every byte erin wrote is
searched for each of them and for the account and TURN passwords (the password files
live outside her directories, as a password store would).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_coturn import Coturn
from lab_peers import DOMAIN, USERS, Kamailio
from test_srtp_baresip import WireWatch

pytestmark = [pytest.mark.interop, pytest.mark.needs("kamailio", "turnserver")]

ACCOUNT_PASSWORD = "Qm7-erin-account-4f1c"  # pragma: allowlist secret
TURN_USER = "carol"
WIRE_SECRETS = {
    "ALEX pwd": re.compile(r"ALEX-session:[^\r\n]*\bpwd=([A-Za-z0-9]+)"),
    "ICE pwd": re.compile(r"a=ice-pwd:(\S+)"),
    "SDES key": re.compile(r"inline:([A-Za-z0-9+/=]+)"),
    "digest response": re.compile(r'Authorization:[^\r\n]*\bresponse="?([0-9a-f]+)'),
}


def secret_file(lab: Lab, name: str, text: str) -> Path:
    """A 0600 file outside every directory the daemon writes to."""
    folder = lab.workdir / "secrets"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    path.chmod(0o600)
    return path


def wire_secrets(payloads: list[bytes]) -> dict[str, set[str]]:
    """The secrets of each kind found in the SIP datagrams seen on the wire."""
    text = "\n".join(p.decode("utf-8", "replace") for p in payloads)
    return {kind: set(pattern.findall(text)) for kind, pattern in WIRE_SECRETS.items()}


def everything_written(phone: Alexphone) -> bytes:
    """stdout (events and any other line) and every file under the daemon's home."""
    lines = [repr(e).encode() for e in phone.events.snapshot()]
    lines += [n.encode() for n in phone.noise]
    files = [p.read_bytes() for p in sorted(phone.home.rglob("*")) if p.is_file()]
    return b"\n".join(lines + files)


def test_no_secret_reaches_events_logs_or_profile(lab: Lab, flat_lan: list[Host]) -> None:
    h1, h2, h3 = flat_lan
    Kamailio(lab, h3.ns, [h3.ipv4], transports=("udp",),
                        extra_users={"erin": ACCOUNT_PASSWORD}).start()  # fmt: skip
    coturn = Coturn(lab, h3.ns, h3.ipv4).start()
    wire = [WireWatch(lab, h3.ns, h.ipv4) for h in (h1, h2)]
    erin = Alexphone(lab, h1.ns, "erin", listen=[f"udp:{h1.ipv4}:5060"],
                     audio_in="tone:440", audio_out="null")  # fmt: skip
    erin.daemon(
        "--account", f"sip:erin@{DOMAIN}",
        "--password-file", str(secret_file(lab, "account", ACCOUNT_PASSWORD)),
        "--proxy", f"sip:{h3.ipv4}:5060", "--auto-answer", "--media-encryption", "mandatory",
        "--turn", coturn.uri, "--turn-user", TURN_USER,
        "--turn-password-file", str(secret_file(lab, "turn", USERS[TURN_USER])),
        "--sip-log", "-vv",
    )  # fmt: skip
    erin.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    bob = Alexphone(lab, h2.ns, "bob", listen=[f"udp:{h2.ipv4}:5060"],
                    audio_in="tone:660", audio_out="null")  # fmt: skip
    bob.common += ["--account", f"sip:bob@{DOMAIN}", "--proxy", f"sip:{h3.ipv4}:5060"]
    bob.common += ["--password-file", str(secret_file(lab, "bob", USERS["bob"]))]
    bob.common += ["--media-encryption", "mandatory"]  # SDES keys in both SDPs

    code, events = bob.run_call(f"sip:erin@{DOMAIN}", duration=3, timeout=60)
    erin.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)
    assert erin.stop(grace=10) == 0
    for watch in wire:
        watch.stop()

    assert code == 0, bob.stderr_tail()
    media = [e for e in events if e["event"] == "call.media"][-1]
    assert media["encryption"] == "srtp", media
    assert "TURN allocation created" in erin.stderr_tail(10**7)  # her TURN account worked
    found = wire_secrets([p for w in wire for _, p in w.payloads])
    assert len(found["ALEX pwd"]) >= 2, found  # erin's and bob's
    assert len(found["SDES key"]) >= 2 and found["ICE pwd"], found
    assert found["digest response"], found  # erin's REGISTER and bob's INVITE
    sip_log = [e for e in erin.events.snapshot() if e["event"] == "sip.message"]
    assert any("ALEX-session" in e["text"] for e in sip_log)  # the SIP log was there to leak

    written = everything_written(erin)
    secrets = {"account password": {ACCOUNT_PASSWORD}, "TURN password": {USERS[TURN_USER]}}
    leaks = [
        f"{kind} {value!r}"
        for kind, values in {**secrets, **found}.items()
        for value in values
        if value.encode() in written
    ]
    assert not leaks, leaks
