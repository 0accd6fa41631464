"""The control protocol of a running phone (``alexphone ctl``): JSON lines, no I/O.

Theory of operation: a client writes one JSON object per line, each with an ``id`` (an
integer or a string) and a ``command``; the phone answers every request with exactly one
reply line carrying the same ``id``: ``{"id": 1, "ok": true, ...}`` or ``{"id": 1, "ok":
false, "error": "one line"}``. A line that is not a request (not JSON, no id, an unknown
command, a bad argument) gets an error reply and the connection stays open. After an
``events`` request the connection also receives every engine event as one JSON line
(``{"event": ...}``, the ``--json`` contract), interleaved with later replies.

Requests (``call`` is optional where shown in brackets; without it the request means the
only call, or for ``answer`` the only ringing incoming call)::

    dial uri [account] | answer [call] [others: hold|end] | hangup [call] | hold [call]
    resume [call] | swap [call] | merge [calls: [call, ...]]
    mute [call] | unmute [call] | dtmf [call] digits | status | events
    transfer [call] (uri | consult)      -- blind to uri, or attended to call consult

``hold`` without a call means the only call not held, ``resume`` the only held one, ``swap``
the call held last, ``merge`` every call that is up.

:class:`Control` turns a line into the engine commands to submit and the reply to send; it
learns which calls exist from the engine's ``call.state`` events (:meth:`Control.observe`).
The asyncio socket server (``engine.control_server``) only moves bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alexphone.core.errors import LocalProtocolError
from alexphone.engine.commands import (
    Answer,
    Command,
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
from alexphone.engine.events import CallChanged, CallState, Direction, Event

SOCKET_NAME = "ctl.sock"
MAX_LINE = 8192  # bytes per request line; longer lines end the connection
DTMF_DIGITS = frozenset("0123456789*#ABCDabcd")
_RINGING = (CallState.CALLING, CallState.RINGING, CallState.EARLY)
_NOT_HELD = frozenset({CallState.CONFIRMED})
_HELD = frozenset({CallState.HELD})

Reply = dict[str, object]


def socket_path(profile: Path) -> Path:
    """Return where the phone using ``profile`` listens for control requests."""
    return profile / SOCKET_NAME


class ControlError(LocalProtocolError):
    """A control request the phone cannot carry out; the message is the reply's error."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to do with one request line: submit ``commands``, send ``reply``."""

    reply: Reply
    commands: tuple[Command, ...] = ()
    subscribe: bool = False  # the connection now receives every event


def encode(message: Reply) -> bytes:
    """Return ``message`` as one JSON line."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def error_reply(request_id: object, message: str) -> Reply:
    """Return the reply refusing request ``request_id`` with one line ``message``."""
    return {"id": request_id, "ok": False, "error": message}


@dataclass(slots=True)
class Control:
    """The phone's side of the protocol: requests in, commands and replies out."""

    calls: dict[str, CallChanged] = field(default_factory=dict)

    def observe(self, event: Event) -> None:
        """Track the calls that have not ended from the engine's events."""
        if isinstance(event, CallChanged):
            if event.state is CallState.ENDED:
                self.calls.pop(event.call_id, None)
            else:
                self.calls[event.call_id] = event

    def receive_line(self, line: bytes) -> Outcome:
        """Return what answers the request ``line``; never raises on bad input."""
        try:
            request = json.loads(line)
        except (UnicodeDecodeError, ValueError) as exc:
            return Outcome(error_reply(None, f"not a JSON line: {exc}"))
        if not isinstance(request, dict):
            return Outcome(error_reply(None, "a request is a JSON object"))
        request_id = request.get("id")
        if request_id is None or isinstance(request_id, bool):
            return Outcome(error_reply(None, "a request needs an id (integer or string)"))
        if not isinstance(request_id, int | str):
            return Outcome(error_reply(None, "the id is an integer or a string"))
        try:
            return self._carry_out(request_id, request)
        except ControlError as exc:
            return Outcome(error_reply(request_id, str(exc)))

    def _carry_out(self, request_id: int | str, request: dict[str, object]) -> Outcome:
        name = request.get("command")
        if not isinstance(name, str):
            raise ControlError("a request needs a command (a string)")
        ok: Reply = {"id": request_id, "ok": True}
        if name == "status":
            return Outcome({**ok, "calls": [call.to_json() for call in self.calls.values()]})
        if name == "events":
            return Outcome(ok, subscribe=True)
        build = _BUILDERS.get(name)
        if build is None:
            raise ControlError(f"unknown command {name!r}; known: {', '.join(COMMANDS)}")
        return Outcome(ok, (build(self, request),))

    def call_for(
        self,
        request: dict[str, object],
        ringing: bool = False,
        among: frozenset[CallState] | None = None,
    ) -> str:
        """Return the call a request names, or when it names none the only (ringing) call,
        or the only call in one of the states ``among``."""
        call = _text(request, "call", required=False)
        if call:
            if call not in self.calls:
                raise ControlError(f"no call {call!r}")
            return call
        candidates = [
            c.call_id
            for c in self.calls.values()
            if (not ringing or (c.direction is Direction.IN and c.state in _RINGING))
            and (among is None or c.state in among)
        ]
        what = "ringing incoming call" if ringing else "call"
        if among is not None:
            what = " or ".join(f"{state.value} call" for state in among)
        if not candidates:
            raise ControlError(f"no {what}")
        if len(candidates) > 1:
            raise ControlError(f"{len(candidates)} calls; name one: {', '.join(candidates)}")
        return candidates[0]


def _text(request: dict[str, object], key: str, required: bool = True) -> str:
    value = request.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ControlError(f"{key!r} must be a non-empty string")
    return value.strip()


def _dial(control: Control, request: dict[str, object]) -> Command:
    return PlaceCall(_text(request, "uri"), _text(request, "account", required=False) or None)


def _answer(control: Control, request: dict[str, object]) -> Command:
    others = _text(request, "others", required=False) or OtherCalls.HOLD.value
    try:
        return Answer(control.call_for(request, ringing=True), OtherCalls(others))
    except ValueError:
        raise ControlError(f"others {others!r}: use hold or end") from None


def _merge(control: Control, request: dict[str, object]) -> Command:
    calls = request.get("calls", [])
    if not isinstance(calls, list) or not all(isinstance(c, str) for c in calls):
        raise ControlError("'calls' must be a list of call ids")
    for call in calls:
        if call not in control.calls:
            raise ControlError(f"no call {call!r}")
    return Merge(tuple(calls))


def _swap(control: Control, request: dict[str, object]) -> Command:
    call = _text(request, "call", required=False)
    return Swap(control.call_for(request) if call else None)


def _dtmf(control: Control, request: dict[str, object]) -> Command:
    digits = _text(request, "digits")
    if not set(digits) <= DTMF_DIGITS:
        raise ControlError(f"digits {digits!r}: DTMF digits are 0-9 * # A-D")
    return SendDtmf(control.call_for(request), digits.upper())


def _transfer(control: Control, request: dict[str, object]) -> Command:
    call = control.call_for(request)
    uri = _text(request, "uri", required=False)
    consult = _text(request, "consult", required=False)
    if bool(uri) == bool(consult):
        raise ControlError("transfer needs either 'uri' (blind) or 'consult' (attended)")
    if consult and consult not in control.calls:
        raise ControlError(f"no call {consult!r} to consult")
    if consult == call:
        raise ControlError("a call cannot be transferred to itself")
    return Transfer(call, uri, consult or None)


_BUILDERS: dict[str, Callable[[Control, dict[str, object]], Command]] = {
    "dial": _dial,
    "answer": _answer,
    "hangup": lambda control, request: HangUp(control.call_for(request)),
    "hold": lambda control, request: Hold(control.call_for(request, among=_NOT_HELD)),
    "resume": lambda control, request: Resume(control.call_for(request, among=_HELD)),
    "swap": _swap,
    "merge": _merge,
    "mute": lambda control, request: Mute(control.call_for(request)),
    "unmute": lambda control, request: Mute(control.call_for(request), on=False),
    "dtmf": _dtmf,
    "transfer": _transfer,
}
COMMANDS = (*_BUILDERS, "status", "events")
