"""Several calls on one phone: automatic hold, resume, swap, the local conference, call waiting.

Theory of operation. Each call has a ``CallMode`` (active, held, in the conference), changed
only through ``TABLE``: (mode, intent) → (new mode, re-INVITE to send). Holding sends a
re-INVITE with a=sendonly, resuming one with a=sendrecv (``Call.hold``), and the phone's
mixer follows the mode at once (a held call hears nothing and is not heard; conference calls
also hear each other). Answering or placing a call holds every call that is up (or, for
"End & answer", hangs them up; ``--auto-answer`` keeps them as they are, each active call
hearing only the microphone); resuming one call holds the others; merging resumes the
calls it joins. An incoming call that rings while another call is up is *waiting*: the
mixer lays a soft beep over the speaker instead of the face ringing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Protocol

from alexphone.core.errors import LocalProtocolError
from alexphone.engine.commands import OtherCalls
from alexphone.engine.events import (
    CallChanged,
    CallMedia,
    CallMode,
    CallModeChanged,
    CallState,
    Direction,
    Event,
)
from alexphone.media.mixer import LegMode


class Intent(Enum):
    """What the user wants of one call."""

    HOLD = "hold"
    RESUME = "resume"
    MERGE = "merge"


class Signal(Enum):
    """The re-INVITE a change of mode needs."""

    NONE = "none"
    HOLD = "hold"  # a=sendonly
    UNHOLD = "unhold"  # a=sendrecv


_A, _H, _C = CallMode.ACTIVE, CallMode.HELD, CallMode.CONFERENCE
TABLE: dict[tuple[CallMode, Intent], tuple[CallMode, Signal]] = {
    (_A, Intent.HOLD): (_H, Signal.HOLD),
    (_A, Intent.RESUME): (_A, Signal.NONE),
    (_A, Intent.MERGE): (_C, Signal.NONE),
    (_H, Intent.HOLD): (_H, Signal.NONE),
    (_H, Intent.RESUME): (_A, Signal.UNHOLD),
    (_H, Intent.MERGE): (_C, Signal.UNHOLD),
    (_C, Intent.HOLD): (_H, Signal.HOLD),  # leaves the conference
    (_C, Intent.RESUME): (_C, Signal.NONE),
    (_C, Intent.MERGE): (_C, Signal.NONE),
}
LEG_MODES = {_A: LegMode.ACTIVE, _H: LegMode.HELD, _C: LegMode.CONFERENCE}
_RINGING_IN = frozenset({CallState.RINGING, CallState.EARLY})
_UP = frozenset({CallState.CONFIRMED, CallState.HELD})


class Line(Protocol):
    """What the switchboard needs of a call (``engine.call.Call`` is one)."""

    @property
    def is_confirmed(self) -> bool:
        """Tell whether the call is up."""
        ...

    def hold(self, on: bool) -> bool:
        """Send the re-INVITE that holds (or resumes) the call; False if it cannot go now."""
        ...

    def answer(self) -> None:
        """Accept the incoming call."""
        ...

    def hang_up(self) -> None:
        """End the call."""
        ...


class Mixing(Protocol):
    """What the switchboard needs of the shared audio (``engine.shared_audio``)."""

    def set_mode(self, call_id: str, mode: LegMode) -> None:
        """Make a call's leg active, held or conferenced."""
        ...

    def set_waiting(self, on: bool) -> None:
        """Play (or stop) the call-waiting cue."""
        ...


class Switchboard:
    """Decides which calls we talk with; carries it out on the calls and the mixer."""

    def __init__(
        self,
        calls: Mapping[str, Line],
        audio: Mixing,
        emit: Callable[[Event], None],
        defer: Callable[[Callable[[], None]], object] = lambda step: step(),
    ) -> None:
        self.calls = calls
        self.audio = audio
        self.emit = emit
        self.defer = defer  # runs a step after the call that reported has finished its own
        self.modes: dict[str, CallMode] = {}
        self.held_order: list[str] = []  # oldest hold first: Swap resumes the last
        self.states: dict[str, CallChanged] = {}  # the latest call.state of each live call
        self.waiting = False
        self.unsent: dict[str, bool] = {}  # hold wishes a re-INVITE under way held back

    def mode(self, call_id: str) -> CallMode:
        """Return the mode of ``call_id`` (active until told otherwise)."""
        return self.modes.get(call_id, CallMode.ACTIVE)

    def _up(self) -> list[str]:
        return [key for key, call in self.calls.items() if call.is_confirmed]

    def _apply(self, call_id: str, intent: Intent) -> None:
        call = self.calls.get(call_id)
        if call is None or not call.is_confirmed:
            return
        mode = self.mode(call_id)
        new, signal = TABLE[(mode, intent)]
        if signal is not Signal.NONE:
            self._signal(call_id, signal is Signal.HOLD)
        if new is mode:
            return
        self.modes[call_id] = new
        if call_id in self.held_order:
            self.held_order.remove(call_id)
        if new is CallMode.HELD:
            self.held_order.append(call_id)
        self.audio.set_mode(call_id, LEG_MODES[new])
        self.emit(CallModeChanged(call_id, new))

    def _signal(self, call_id: str, hold: bool) -> None:
        """Send the hold (or resume) re-INVITE, or send it once the one under way is done."""
        call = self.calls.get(call_id)
        self.unsent.pop(call_id, None)
        if call is not None and not call.hold(hold):
            self.unsent[call_id] = hold

    def _retry(self, call_id: str) -> None:
        if call_id in self.unsent:
            self._signal(call_id, self.unsent[call_id])

    def _hold_all_but(self, keep: set[str]) -> None:
        for key in self._up():
            if key not in keep:
                self._apply(key, Intent.HOLD)

    # -- the user's intents -------------------------------------------------------------------
    def answer(self, call_id: str, others: OtherCalls) -> None:
        """Answer ``call_id`` after holding (or hanging up, or keeping) every call that is up."""
        call = self.calls.get(call_id)
        if call is None:
            return
        if others is OtherCalls.END:
            for key in self._up():
                if key != call_id:
                    self.calls[key].hang_up()
        elif others is OtherCalls.HOLD:
            self._hold_all_but({call_id})
        call.answer()

    def placing(self) -> None:
        """A new call goes out: hold every call that is up."""
        self._hold_all_but(set())

    def hold(self, call_id: str) -> None:
        """Put ``call_id`` on hold."""
        self._apply(call_id, Intent.HOLD)

    def resume(self, call_id: str) -> None:
        """Take ``call_id`` (or its whole conference) off hold and hold every other call."""
        call = self.calls.get(call_id)
        if call is None or not call.is_confirmed:
            return  # a call still ringing holds nothing
        group = {call_id}
        if self.mode(call_id) is CallMode.CONFERENCE:
            group = {key for key in self._up() if self.mode(key) is CallMode.CONFERENCE}
        self._hold_all_but(group)
        for key in group:
            self._apply(key, Intent.RESUME)

    def swap(self, call_id: str | None) -> None:
        """Resume ``call_id``, or the call held last; LocalProtocolError if there is none."""
        if call_id is None:
            up = set(self._up())
            held = [key for key in self.held_order if key in up]
            if not held:
                raise LocalProtocolError("no held call to swap to")
            call_id = held[-1]
        self.resume(call_id)

    def merge(self, call_ids: tuple[str, ...]) -> None:
        """Join ``call_ids`` (or every call that is up) into the conference, holding the rest."""
        up = self._up()
        chosen = [key for key in call_ids if key in up] if call_ids else up
        if len(chosen) < 2:
            raise LocalProtocolError("a conference needs two calls that are up")
        self._hold_all_but(set(chosen))
        for key in chosen:
            self._apply(key, Intent.MERGE)

    # -- what the calls do --------------------------------------------------------------------
    def observe(self, event: Event) -> None:
        """Follow ``call.state``: forget ended calls, send a held-back hold wish, start or
        stop the call-waiting cue."""
        if isinstance(event, CallMedia | CallChanged) and event.call_id in self.unsent:
            self.defer(lambda: self._retry(event.call_id))  # its re-INVITE is over
        if not isinstance(event, CallChanged) or not event.call_id:
            return
        if event.state is CallState.ENDED:
            self.unsent.pop(event.call_id, None)
            self.states.pop(event.call_id, None)
            self.modes.pop(event.call_id, None)
            if event.call_id in self.held_order:
                self.held_order.remove(event.call_id)
            self._lone_conference()
        else:
            self.states[event.call_id] = event
        waiting = any(
            e.direction is Direction.IN and e.state in _RINGING_IN for e in self.states.values()
        ) and any(e.state in _UP for e in self.states.values())
        if waiting != self.waiting:
            self.waiting = waiting
            self.audio.set_waiting(waiting)

    def _lone_conference(self) -> None:
        """A conference of one is an ordinary call again."""
        members = [key for key, mode in self.modes.items() if mode is CallMode.CONFERENCE]
        if len(members) == 1:
            (last,) = members
            self.modes[last] = CallMode.ACTIVE
            self.audio.set_mode(last, LegMode.ACTIVE)
            self.emit(CallModeChanged(last, CallMode.ACTIVE))
