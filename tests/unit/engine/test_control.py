"""The control protocol: request lines in, engine commands and one reply (same id) out."""

from __future__ import annotations

import json

import pytest

from alexphone.engine.commands import (
    Answer,
    HangUp,
    Hold,
    Merge,
    Mute,
    OtherCalls,
    PlaceCall,
    Resume,
    SendDtmf,
    Swap,
    Transfer,
)
from alexphone.engine.control import Control, Outcome, encode
from alexphone.engine.events import CallChanged, CallState, Direction


def ask(control: Control, **request: object) -> Outcome:
    return control.receive_line(json.dumps(request).encode() + b"\n")


def incoming(call_id: str, state: CallState = CallState.RINGING) -> CallChanged:
    return CallChanged(call_id, Direction.IN, "sip:bob@127.0.0.1", state)


def outgoing(call_id: str, state: CallState = CallState.CONFIRMED) -> CallChanged:
    return CallChanged(call_id, Direction.OUT, "sip:carol@127.0.0.1", state)


@pytest.mark.parametrize(
    ("request_", "command"),
    [
        ({"command": "dial", "uri": " sip:bob@127.0.0.1 "}, PlaceCall("sip:bob@127.0.0.1")),
        (
            {"command": "dial", "uri": "sip:bob@lab.test", "account": "carol"},
            PlaceCall("sip:bob@lab.test", "carol"),
        ),
        ({"command": "answer"}, Answer("in1")),
        ({"command": "answer", "call": "in1"}, Answer("in1")),
        ({"command": "hangup", "call": "out1"}, HangUp("out1")),
        ({"command": "hold", "call": "out1"}, Hold("out1")),
        ({"command": "resume", "call": "out1"}, Resume("out1")),
        ({"command": "answer", "others": "end"}, Answer("in1", OtherCalls.END)),
        ({"command": "swap"}, Swap(None)),
        ({"command": "swap", "call": "out1"}, Swap("out1")),
        ({"command": "merge"}, Merge(())),
        ({"command": "merge", "calls": ["in1", "out1"]}, Merge(("in1", "out1"))),
        ({"command": "mute", "call": "in1"}, Mute("in1")),
        ({"command": "unmute", "call": "in1"}, Mute("in1", on=False)),
        ({"command": "dtmf", "call": "out1", "digits": "12#a"}, SendDtmf("out1", "12#A")),
        (
            {"command": "transfer", "call": "out1", "uri": "sip:carol@192.0.2.3"},
            Transfer("out1", "sip:carol@192.0.2.3"),
        ),
        ({"command": "transfer", "call": "in1", "consult": "out1"}, Transfer("in1", "", "out1")),
    ],
)
def test_a_request_becomes_one_command_and_an_ok_reply_with_its_id(
    request_: dict[str, object], command: object
) -> None:
    control = Control()
    control.observe(incoming("in1"))
    control.observe(outgoing("out1"))
    outcome = ask(control, id="r7", **request_)
    assert outcome.commands == (command,)
    assert outcome.reply == {"id": "r7", "ok": True}
    assert not outcome.subscribe


def test_without_a_call_the_only_call_is_meant() -> None:
    control = Control()
    control.observe(outgoing("out1", CallState.CALLING))
    assert ask(control, id=1, command="hangup").commands == (HangUp("out1"),)
    control.observe(outgoing("out1", CallState.CONFIRMED))
    assert ask(control, id=2, command="hold").commands == (Hold("out1"),)


def test_with_two_calls_hold_means_the_one_up_and_resume_the_held_one() -> None:
    control = Control()
    control.observe(outgoing("a", CallState.HELD))
    control.observe(outgoing("b", CallState.CONFIRMED))
    assert ask(control, id=1, command="hold").commands == (Hold("b"),)
    assert ask(control, id=2, command="resume").commands == (Resume("a"),)
    control.observe(outgoing("b", CallState.HELD))
    refused = ask(control, id=3, command="hold")
    assert refused.commands == () and refused.reply["error"] == "no confirmed call"


@pytest.mark.parametrize(
    ("calls", "request_", "error"),
    [
        ((), {"command": "hangup"}, "no call"),
        ((outgoing("a"), outgoing("b")), {"command": "hangup"}, "2 calls; name one: a, b"),
        ((outgoing("a"),), {"command": "answer"}, "no ringing incoming call"),
        ((outgoing("a"),), {"command": "hold", "call": "zz"}, "no call 'zz'"),
        ((outgoing("a"),), {"command": "dtmf", "call": "a", "digits": "12x"}, "DTMF digits"),
        ((outgoing("a"),), {"command": "dtmf", "call": "a"}, "'digits' must be"),
        ((), {"command": "dial"}, "'uri' must be a non-empty string"),
        ((), {"command": "dial", "uri": 5}, "'uri' must be a non-empty string"),
        ((), {"command": "transfer", "call": "a", "uri": "sip:x@y"}, "no call 'a'"),
        ((outgoing("a"),), {"command": "transfer", "call": "a"}, "either 'uri' (blind) or"),
        (
            (outgoing("a"), outgoing("b")),
            {"command": "transfer", "call": "a", "uri": "sip:x@y", "consult": "b"},
            "either 'uri' (blind) or",
        ),
        ((outgoing("a"),), {"command": "transfer", "call": "a", "consult": "zz"}, "no call 'zz'"),
        ((outgoing("a"),), {"command": "transfer", "consult": "a"}, "to itself"),
        ((), {"command": "reboot"}, "unknown command 'reboot'; known: dial, answer"),
        ((), {}, "needs a command"),
        ((outgoing("a"),), {"command": "merge", "calls": ["a", "zz"]}, "no call 'zz'"),
        ((outgoing("a"),), {"command": "merge", "calls": "a"}, "'calls' must be a list"),
        ((incoming("a"),), {"command": "answer", "others": "park"}, "use hold or end"),
    ],
)
def test_a_request_that_cannot_be_carried_out_gets_an_error_reply_and_no_command(
    calls: tuple[CallChanged, ...], request_: dict[str, object], error: str
) -> None:
    control = Control()
    for call in calls:
        control.observe(call)
    outcome = ask(control, id=9, **request_)
    assert outcome.commands == ()
    assert outcome.reply["id"] == 9
    assert outcome.reply["ok"] is False
    assert error in str(outcome.reply["error"])


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b"garbage\n", "not a JSON line"),
        (b"\xff\xfe\n", "not a JSON line"),
        (b"[1, 2]\n", "a JSON object"),
        (b'{"command": "status"}\n', "needs an id"),
        (b'{"id": true, "command": "status"}\n', "needs an id"),
        (b'{"id": [1], "command": "status"}\n', "integer or a string"),
    ],
)
def test_a_line_that_is_no_request_gets_an_error_reply_without_id(line: bytes, error: str) -> None:
    outcome = Control().receive_line(line)
    assert outcome.reply["id"] is None
    assert outcome.reply["ok"] is False
    assert error in str(outcome.reply["error"])
    assert outcome.commands == ()


def test_status_lists_the_calls_that_have_not_ended() -> None:
    control = Control()
    control.observe(incoming("in1"))
    control.observe(outgoing("out1"))
    control.observe(outgoing("out1", CallState.HELD))
    control.observe(incoming("in1", CallState.ENDED))
    outcome = ask(control, id=3, command="status")
    assert outcome.reply == {
        "id": 3,
        "ok": True,
        "calls": [outgoing("out1", CallState.HELD).to_json()],
    }


def test_events_subscribes_the_connection() -> None:
    outcome = ask(Control(), id=4, command="events")
    assert outcome.subscribe
    assert outcome.reply == {"id": 4, "ok": True}


def test_a_reply_is_one_json_line() -> None:
    line = encode({"id": 1, "ok": False, "error": "two\nlines"})
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert json.loads(line) == {"id": 1, "ok": False, "error": "two\nlines"}
