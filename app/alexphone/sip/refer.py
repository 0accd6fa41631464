"""The transferee's side of a REFER (RFC 3515, RFC 5589 §6), sans-I/O.

Theory of operation
-------------------
A REFER in a confirmed dialog asks us to call the ``Refer-To`` target and creates an
implicit subscription (RFC 3515 §2.4.4) whose NOTIFYs carry ``message/sipfrag`` bodies
(RFC 3420) with the status line of our call to the target. ``parse_refer`` checks the
request (one Refer-To naming a sip:/sips: URI whose only embedded header may be a
``Replaces``, RFC 3891, which our INVITE to the target then carries: attended transfer,
RFC 5589 §7) and raises ``ReferRefused`` with the status to answer.

A ``ReferSubscription`` is fed what our new call does (``TransferInput``) and looks
``(state, input)`` up in ``TABLE``; each transition queues at most one ``Notify`` for the
driver to send. ACCEPTED (202 sent) → TRYING (NOTIFY ``100 Trying``, active) → SUCCEEDED
or FAILED (NOTIFY of the final status line, ``terminated;reason=noresource``,
RFC 3515 §2.4.7). A pair without a row raises ``LocalProtocolError``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from enum import Enum

from alexphone.core.errors import LocalProtocolError, ParseError
from alexphone.sip.headers import NameAddress
from alexphone.sip.message import Request
from alexphone.sip.replaces import Replaces
from alexphone.sip.uri import SipUri

SIPFRAG_TYPE = "message/sipfrag;version=2.0"
SUBSCRIPTION_EXPIRES = 60  # seconds the implicit subscription lasts (RFC 3515 §2.4.4)


class ReferRefused(Exception):
    """A REFER we answer with ``status`` instead of 202."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Referral:
    """What a valid REFER asks: call ``target``, naming ``referred_by`` (RFC 3892).

    ``replaces`` (attended transfer) goes into our INVITE to the target as its Replaces.
    """

    target: SipUri
    referred_by: str | None
    event_id: int  # the REFER's CSeq: the NOTIFYs' Event id (RFC 3515 §2.4.6)
    replaces: Replaces | None = None


def parse_refer(request: Request) -> Referral:
    """Return what a REFER asks for, or raise ``ReferRefused`` (400 for a bad Refer-To)."""
    values = request.headers.get_fields("Refer-To")
    if len(values) != 1:  # RFC 3515 §2.4.1: exactly one Refer-To
        raise ReferRefused(400, "Bad Request (exactly one Refer-To)")
    try:
        address = NameAddress.parse(values[0])
    except ParseError as exc:
        raise ReferRefused(400, "Bad Request (Refer-To)") from exc
    uri = address.uri
    if not isinstance(uri, SipUri):
        raise ReferRefused(400, "Bad Request (Refer-To is not a SIP URI)")
    replaces = _replaces_of(uri)
    target = replace(uri, headers=())
    return Referral(target, request.headers.get("Referred-By"), request.cseq.seq, replaces)


def _replaces_of(uri: SipUri) -> Replaces | None:
    """Return the Replaces embedded in a Refer-To URI; any other header is refused."""
    names = [name.lower() for name, _ in uri.headers]
    if any(name != "replaces" for name in names) or len(names) > 1:
        raise ReferRefused(400, "Bad Request (Refer-To headers other than one Replaces)")
    if not names:
        return None
    try:
        return Replaces.parse(uri.headers[0][1])
    except ParseError as exc:
        raise ReferRefused(400, "Bad Request (Replaces in Refer-To)") from exc


def sipfrag(status: int, reason: str) -> bytes:
    """Return the sipfrag body carrying one status line (RFC 3420, RFC 3515 §2.4.5)."""
    return f"SIP/2.0 {status} {reason}\r\n".encode()


class TransferState(Enum):
    """Where the transferee's call to the target stands."""

    ACCEPTED = "accepted"  # 202 sent, no NOTIFY yet
    TRYING = "trying"  # NOTIFY 100 sent, the call to the target is under way
    SUCCEEDED = "succeeded"  # the target answered; final NOTIFY sent
    FAILED = "failed"  # the call to the target failed; final NOTIFY sent


class TransferInput(Enum):
    """What happened to the call to the target."""

    STARTED = "started"
    ANSWERED = "answered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Notify:
    """A NOTIFY to send: its sipfrag body and Subscription-State (RFC 6665 §8.2.3)."""

    body: bytes
    subscription_state: str
    event: str


S, In = TransferState, TransferInput
TABLE: dict[tuple[TransferState, TransferInput], TransferState] = {
    (S.ACCEPTED, In.STARTED): S.TRYING,
    (S.ACCEPTED, In.FAILED): S.FAILED,  # the target could not even be called
    (S.TRYING, In.ANSWERED): S.SUCCEEDED,
    (S.TRYING, In.FAILED): S.FAILED,
}


class ReferSubscription:
    """The implicit subscription of one REFER: what to NOTIFY as the new call progresses."""

    def __init__(self, referral: Referral) -> None:
        self.referral = referral
        self.state = TransferState.ACCEPTED
        self._notifies: deque[Notify] = deque()

    @property
    def done(self) -> bool:
        """True once the final NOTIFY is queued."""
        return self.state in (TransferState.SUCCEEDED, TransferState.FAILED)

    def feed(self, what: TransferInput, status: int = 100, reason: str = "Trying") -> None:
        """Move on ``what`` happened, queueing the NOTIFY it calls for."""
        new = TABLE.get((self.state, what))
        if new is None:
            raise LocalProtocolError(f"transfer: {what.value} in state {self.state.value}")
        self.state = new
        event = f"refer;id={self.referral.event_id}"
        if new is TransferState.TRYING:
            active = f"active;expires={SUBSCRIPTION_EXPIRES}"
            self._notifies.append(Notify(sipfrag(100, "Trying"), active, event))
        else:
            done = "terminated;reason=noresource"
            self._notifies.append(Notify(sipfrag(status, reason), done, event))

    def next_notify(self) -> Notify | None:
        """Return the next NOTIFY to send, None when there is none."""
        return self._notifies.popleft() if self._notifies else None
