"""tel: links dialled with `alexphone call` through Kamailio (RFC 3966 → RFC 3261 §19.1.6).

Kamailio logs the Request-URI of every request it receives (LAB-REQUEST), which is what
our phone put on the wire. A global number reaches a phone registered under that number;
a local number keeps its phone-context in the user part, which no binding matches.
"""

from __future__ import annotations

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Kamailio

pytestmark = [pytest.mark.interop, pytest.mark.needs("kamailio")]

NUMBER = "+15551234567"
NUMBER_PASSWORD = "numberpw"


def phone(lab: Lab, host: Host, name: str, user: str, password: str, proxy: str) -> Alexphone:
    """An alexphone on host:5060 with the account user@lab.test behind `proxy`."""
    p = Alexphone(
        lab, host.ns, name, listen=[f"udp:{host.ipv4}:5060"], audio_in="silence", audio_out="null"
    )
    p.common += ["--account", f"sip:{user}@{DOMAIN}", "--proxy", proxy]
    p.common += ["--password-file", str(p.password_file(password))]
    return p


def invites(kamailio: Kamailio) -> list[str]:
    """The Request-URIs of the INVITEs Kamailio received."""
    return [s.split()[2] for s in kamailio.events() if s.startswith("LAB-REQUEST INVITE ")]


def test_tel_links_reach_the_wire_as_user_phone_request_uris(
    lab: Lab, flat_lan: list[Host]
) -> None:
    server, callee_host, caller_host = flat_lan
    kamailio = Kamailio(
        lab, server.ns, [server.ipv4], transports=["udp"], extra_users={NUMBER: NUMBER_PASSWORD}
    ).start()
    proxy = f"sip:{server.ipv4}:5060"
    callee = phone(lab, callee_host, "callee", NUMBER, NUMBER_PASSWORD, proxy)
    callee.daemon("--auto-answer")
    kamailio.wait_registered(NUMBER, timeout=20)
    caller = phone(lab, caller_host, "caller", "alice", USERS["alice"], proxy)

    code, events = caller.run_call("tel:+1-555-123-4567", duration=1, timeout=40)

    states = [e["state"] for e in events if e["event"] == "call.state"]
    assert code == 0, (states, caller.stderr_tail())
    assert "confirmed" in states
    assert f"sip:{NUMBER}@{DOMAIN};user=phone" in invites(kamailio)
    answered = callee.wait_event("call.state", lambda e: e["state"] == "confirmed")
    assert answered["direction"] == "in"

    # A local number: the context travels in the user part (RFC 3966 §5.1.5); no one has it.
    code, events = caller.run_call("tel:70-42;phone-context=lab.test", duration=1, timeout=40)

    ended = [e for e in events if e["event"] == "call.state" and e["state"] == "ended"]
    assert code == 1 and ended and ended[-1]["code"] == 404, (ended, caller.stderr_tail())
    assert f"sip:7042;phone-context=lab.test@{DOMAIN};user=phone" in invites(kamailio)
    callee.stop()
