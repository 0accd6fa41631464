"""The transferor's side of a REFER (RFC 3515, RFC 5589 §6–7), sans-I/O.

Theory of operation
-------------------
We send a REFER in a confirmed dialog asking the peer (the transferee) to call a target;
the REFER creates an implicit subscription and the transferee reports how its call to the
target goes in NOTIFYs whose ``message/sipfrag`` bodies (RFC 3420) carry that call's
status line (RFC 3515 §2.4.5). A ``ReferClient`` is fed what arrives: the REFER's final
response and each NOTIFY, which ``classify_notify`` turns into one ``ReferInput``. It
looks ``(state, input)`` up in ``TABLE``, the only place transitions are written, and
queues a ``ReferProgress`` for the driver whenever the state changes:

    REFERRING --2xx--> ACCEPTED --NOTIFY 1xx--> TRYING --NOTIFY 2xx--> SUCCEEDED
        |                 |                        |
        +--REFER ≥300, NOTIFY ≥300, subscription ended without a final status,
           no final NOTIFY by the deadline--> FAILED

    REFERRING --401/407--> AUTHORIZING --2xx--> ACCEPTED ...
                               +--401/407 again, ≥300, no credentials--> FAILED

A 401/407 to the REFER (RFC 3261 §22.2) is answered once: AUTHORIZING tells the driver to
send the REFER again with credentials (``challenge_refused`` when it has none); a second
challenge fails the transfer rather than loop.

A NOTIFY may overtake the 202 (RFC 3515 §2.4.4 lets the transferee send it at once), so
the NOTIFY inputs have rows in REFERRING too. SUCCEEDED tells the driver to end the
original call (RFC 5589 §6.1), FAILED to take it back (resume it). Once the machine is
done, late NOTIFYs and responses change nothing. The deadline for the final NOTIFY is the
one timer (``get_timer`` / ``handle_timer(now)``); each ``active;expires=N`` moves it.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from enum import Enum

from alexphone.core.errors import ParseError, RemoteProtocolError
from alexphone.sip.message import Request

FINAL_NOTIFY_WAIT = 60.0  # seconds we wait for the final NOTIFY unless told an expiry
_EXPIRES = re.compile(r";\s*expires\s*=\s*([0-9]{1,9})\s*(?:;|$)", re.IGNORECASE)
_STATUS_LINE = re.compile(r"SIP/2\.0 ([1-6][0-9][0-9]) ?([^\r\n]*)")


class ReferState(Enum):
    """Where our REFER stands."""

    REFERRING = "referring"  # REFER sent, no final response yet
    AUTHORIZING = "authorizing"  # challenged once: the REFER goes again with credentials
    ACCEPTED = "accepted"  # 2xx to the REFER
    TRYING = "trying"  # a NOTIFY said the transferee's call is under way
    SUCCEEDED = "succeeded"  # a NOTIFY carried the target's 2xx
    FAILED = "failed"  # refused, failed, or never reported


class ReferInput(Enum):
    """What the transferee or the clock told us."""

    ACCEPTED = "accepted"  # 2xx to the REFER
    REJECTED = "rejected"  # ≥300 to the REFER, or its transaction failed
    CHALLENGED = "challenged"  # 401/407 to the REFER (RFC 3261 §22.2)
    PROGRESS = "progress"  # NOTIFY with a 1xx sipfrag, subscription active
    SUCCESS = "success"  # NOTIFY with a 2xx sipfrag
    FAILURE = "failure"  # NOTIFY with a ≥300 sipfrag
    ENDED = "ended"  # NOTIFY ending the subscription without a final status
    TIMEOUT = "timeout"  # no final NOTIFY by the deadline


@dataclass(frozen=True, slots=True)
class ReferProgress:
    """The REFER moved to ``state``; ``status``/``reason`` say why (the sipfrag or response)."""

    state: ReferState
    status: int | None = None
    reason: str = ""

    @property
    def done(self) -> bool:
        """True when this is the outcome: SUCCEEDED or FAILED."""
        return self.state in (ReferState.SUCCEEDED, ReferState.FAILED)


@dataclass(frozen=True, slots=True)
class NotifyReport:
    """What one NOTIFY of a refer subscription says."""

    what: ReferInput
    status: int | None
    reason: str
    expires: int | None  # the active subscription's expiry, seconds


S, In = ReferState, ReferInput
_NOTIFIED = {In.PROGRESS: S.TRYING, In.SUCCESS: S.SUCCEEDED, In.FAILURE: S.FAILED}
TABLE: dict[tuple[ReferState, ReferInput], ReferState] = {
    (S.REFERRING, In.ACCEPTED): S.ACCEPTED,
    (S.REFERRING, In.REJECTED): S.FAILED,
    **{(S.REFERRING, what): state for what, state in _NOTIFIED.items()},  # §2.4.4
    (S.REFERRING, In.ENDED): S.FAILED,
    (S.REFERRING, In.TIMEOUT): S.FAILED,
    (S.REFERRING, In.CHALLENGED): S.AUTHORIZING,
    (S.AUTHORIZING, In.ACCEPTED): S.ACCEPTED,
    (S.AUTHORIZING, In.REJECTED): S.FAILED,
    (S.AUTHORIZING, In.CHALLENGED): S.FAILED,  # our credentials were refused: once only
    **{(S.AUTHORIZING, what): state for what, state in _NOTIFIED.items()},  # §2.4.4
    (S.AUTHORIZING, In.ENDED): S.FAILED,
    (S.AUTHORIZING, In.TIMEOUT): S.FAILED,
    **{(S.ACCEPTED, what): state for what, state in _NOTIFIED.items()},
    (S.ACCEPTED, In.ENDED): S.FAILED,
    (S.ACCEPTED, In.TIMEOUT): S.FAILED,
    (S.TRYING, In.ACCEPTED): S.TRYING,  # the 202 after the first NOTIFY
    (S.TRYING, In.PROGRESS): S.TRYING,  # 180 Ringing after 100 Trying
    (S.TRYING, In.SUCCESS): S.SUCCEEDED,
    (S.TRYING, In.FAILURE): S.FAILED,
    (S.TRYING, In.ENDED): S.FAILED,
    (S.TRYING, In.TIMEOUT): S.FAILED,
    **{(done, what): done for done in (S.SUCCEEDED, S.FAILED) for what in ReferInput},
}


def parse_sipfrag(body: bytes) -> tuple[int, str]:
    """Return the status line of a sipfrag body (RFC 3420); ParseError if it has none."""
    first = body.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    match = _STATUS_LINE.fullmatch(first)
    if match is None:
        raise ParseError(f"sipfrag without a status line: {first[:60]!r}")
    return int(match.group(1)), match.group(2).strip()


def classify_notify(request: Request) -> NotifyReport:
    """Turn a NOTIFY of a refer subscription into one input; ParseError if it is not one."""
    event = request.headers.get("Event") or ""
    if event.split(";", 1)[0].strip().lower() != "refer":  # RFC 3515 §2.4.5
        raise ParseError(f"NOTIFY for event {event[:40]!r}, not refer")
    substate = request.headers.get("Subscription-State") or ""
    kind, semi, rest = substate.partition(";")
    kind = kind.strip().lower()
    if kind not in ("active", "pending", "terminated"):  # RFC 6665 §8.2.3
        raise ParseError(f"bad Subscription-State {substate[:40]!r}")
    # only the expiry matters here: a parameter we do not read may be malformed (liblinphone
    # 5.1 ends its refer subscription with an empty "reason=")
    found = _EXPIRES.search(semi + rest)
    expires = int(found.group(1)) if found is not None else None
    try:
        status, reason = parse_sipfrag(request.body)
    except ParseError:
        if kind != "terminated":
            raise
        return NotifyReport(In.ENDED, None, "subscription ended without a final status", None)
    if status >= 300:
        return NotifyReport(In.FAILURE, status, reason, expires)
    if status >= 200:
        return NotifyReport(In.SUCCESS, status, reason, expires)
    if kind == "terminated":  # §2.4.7: the subscription ended before the call did
        return NotifyReport(In.ENDED, status, reason, None)
    return NotifyReport(In.PROGRESS, status, reason, expires)


class ReferClient:
    """One REFER we sent and its implicit subscription; fed responses, NOTIFYs and time."""

    def __init__(self, now: float, wait: float = FINAL_NOTIFY_WAIT) -> None:
        self.state = ReferState.REFERRING
        self._deadline: float | None = now + wait
        self._events: deque[ReferProgress] = deque()

    @property
    def done(self) -> bool:
        """True once the outcome is known."""
        return self.state in (ReferState.SUCCEEDED, ReferState.FAILED)

    def refer_response(self, status: int, reason: str, now: float) -> None:
        """Take the REFER's final response (or 408/503 for its failed transaction)."""
        if status < 200:
            return
        if status in (401, 407):
            what = ReferInput.CHALLENGED
        else:
            what = ReferInput.ACCEPTED if status < 300 else ReferInput.REJECTED
        self._step(what, status, reason)

    def challenge_refused(self, status: int, reason: str, now: float) -> None:
        """Say the challenge cannot be answered (no credentials for it): the REFER failed."""
        self._step(ReferInput.REJECTED, status, reason)

    def notify_received(self, report: NotifyReport, now: float) -> None:
        """Take one NOTIFY of the subscription (already classified)."""
        if report.expires is not None and not self.done:
            self._deadline = now + report.expires
        self._step(report.what, report.status, report.reason)

    def get_timer(self) -> float | None:
        """When ``handle_timer`` must run next, or None."""
        return None if self.done else self._deadline

    def handle_timer(self, now: float) -> None:
        """Give up waiting for the final NOTIFY once its deadline passed."""
        if self._deadline is not None and now >= self._deadline and not self.done:
            self._step(ReferInput.TIMEOUT, None, "no final NOTIFY from the transferee")

    def next_event(self) -> ReferProgress | None:
        """Return the next progress report, None when there is none."""
        return self._events.popleft() if self._events else None

    def _step(self, what: ReferInput, status: int | None, reason: str) -> None:
        new = TABLE.get((self.state, what))
        if new is None:
            raise RemoteProtocolError(f"refer: {what.value} in state {self.state.value}")
        if new is not self.state:
            self.state = new
            self._events.append(ReferProgress(new, status, reason))
        if self.done:
            self._deadline = None
