"""SIPp (a SIP tester nobody here wrote) against the Alexphone CLI, on a namespace LAN."""

from __future__ import annotations

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import Sipp

from alexphone.engine.user_agent import MAX_CALLS


@pytest.mark.interop
@pytest.mark.slow
@pytest.mark.needs("sipp")
def test_sipp_uac_places_50_calls_to_auto_answering_daemon(lab: Lab, flat_lan: list[Host]) -> None:
    # SIPp keeps at most MAX_CALLS calls open: the phone answers the next one 486 Busy Here
    # by design, and a loaded machine that stalls the daemon for a second lets ten pile up.
    callee, caller = flat_lan[0], flat_lan[1]
    phone = Alexphone(lab, callee.ns, "callee", listen=[f"udp:{callee.ipv4}:5060"])
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)

    uac = Sipp(
        lab,
        caller.ns,
        "uac",
        caller.ipv4,
        5080,
        target=f"{callee.ipv4}:5060",
        calls=50,
        rate=10,
        limit=MAX_CALLS,
        call_ms=200,
        run_timeout_s=40,
    ).start()
    result = uac.wait(60)

    assert (result.successful, result.failed) == (50, 0), result
    ended = [
        e for e in phone.events.snapshot() if e["event"] == "call.state" and e["state"] == "ended"
    ]
    assert len(ended) == 50
    assert all(e["direction"] == "in" for e in ended)
    phone.stop()


@pytest.mark.interop
@pytest.mark.needs("sipp")
def test_call_command_completes_a_call_to_sipp_uas(lab: Lab, flat_lan: list[Host]) -> None:
    callee, caller = flat_lan[0], flat_lan[1]
    uas = Sipp(lab, callee.ns, "uas", callee.ipv4, 5060, calls=1).start()
    phone = Alexphone(lab, caller.ns, "caller", listen=[f"udp:{caller.ipv4}:5070"])

    code, events = phone.run_call(f"sip:service@{callee.ipv4}:5060", duration=1, timeout=30)

    states = [e["state"] for e in events if e["event"] == "call.state"]
    assert code == 0, (states, phone.stderr_tail())
    assert states[0] == "calling"
    assert "confirmed" in states
    assert states[-1] == "ended"
    result = uas.wait(15)
    assert (result.successful, result.failed) == (1, 0)  # the uas counts a call once BYE got 200


@pytest.mark.interop
@pytest.mark.needs("sipp")
def test_call_command_over_ipv6_to_sipp_uas(lab: Lab, flat_lan: list[Host]) -> None:
    callee, caller = flat_lan[0], flat_lan[1]
    uas = Sipp(lab, callee.ns, "uas", callee.ipv6, 5060, calls=1).start()
    phone = Alexphone(lab, caller.ns, "caller6", listen=[f"udp:[{caller.ipv6}]:5070"])

    code, events = phone.run_call(f"sip:service@[{callee.ipv6}]:5060", duration=1, timeout=30)

    states = [e["state"] for e in events if e["event"] == "call.state"]
    assert code == 0, (states, phone.stderr_tail())
    assert "confirmed" in states
    assert uas.wait(15).successful == 1


@pytest.mark.interop
@pytest.mark.needs("sipp")
def test_call_command_exits_nonzero_when_nobody_answers(lab: Lab, flat_lan: list[Host]) -> None:
    caller = flat_lan[1]
    phone = Alexphone(lab, caller.ns, "lonely", listen=[f"tcp:{caller.ipv4}:5070"])

    code, events = phone.run_call(
        f"sip:nobody@{flat_lan[0].ipv4}:5099;transport=tcp", duration=1, timeout=30
    )

    ended = [e for e in events if e["event"] == "call.state" and e["state"] == "ended"]
    assert code == 1
    assert ended and ended[-1]["code"] == 503
