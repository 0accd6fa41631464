"""What the INVITE session (``sip.invite_session``) speaks: roles, states, inputs, timers,
and the actions and events it queues for its driver (frozen dataclasses)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum, auto
from typing import TypeVar

from alexphone.core.errors import ConfigError, ProtocolError
from alexphone.sip.dialog import Dialog
from alexphone.sip.message import Request, Response
from alexphone.sip.transaction import TransactionId
from alexphone.sip.uri import SipUri, Uri


class SessionRole(Enum):
    """Which end of the INVITE we are."""

    UAC = auto()  # we sent the INVITE (and chose the Call-ID)
    UAS = auto()  # we received it


class SessionState(Enum):
    """Where an INVITE session stands (RFC 3261 §13–15)."""

    IDLE = auto()  # UAC: INVITE not sent yet; UAS: not offered to the user yet (gathering)
    IDLE_CANCELLED = auto()  # hung up or cancelled while IDLE: ends once PLACE/OFFER comes
    CALLING = auto()  # UAC: INVITE sent, no 101-199 yet, so no CANCEL allowed (§9.1)
    CANCEL_WANTED = auto()  # UAC: hung up in CALLING; the CANCEL waits for a 1xx
    PROCEEDING = auto()  # UAC: a 101-199 came
    CANCELLING = auto()  # UAC: CANCEL sent; the INVITE's final response still due
    OFFERED = auto()  # UAS: 180 sent, the user decides
    CONFIRMED = auto()  # the session is up, no offer of ours outstanding
    REINVITING = auto()  # up, our re-INVITE waits for its final response
    GLARE_WAIT = auto()  # up, our re-INVITE met 491: TIMER_GLARE resends it (§14.1)
    ENDING = auto()  # BYE sent
    TERMINATED = auto()


class SessionInput(Enum):
    """What can happen to a session; the first seven and the timers are ours."""

    PLACE = auto()  # send the first INVITE (UAC)
    OFFER = auto()  # ring: the INVITE is ready for the user (UAS)
    ANSWER = auto()
    REJECT = auto()  # refuse the INVITE with a final response (UAS)
    HANG_UP = auto()
    REOFFER = auto()  # a new offer of ours: hold, resume, ALEX restart
    ABANDON = auto()  # end locally, tell the peer nothing (shutdown)
    PROVISIONAL = auto()  # 101-199 to our INVITE
    SUCCESS = auto()  # 2xx to our INVITE, the first dialog
    SUCCESS_AGAIN = auto()  # 2xx retransmission in our dialog: ACK again
    SUCCESS_FORK = auto()  # 2xx from another fork (§13.2.2.4)
    REDIRECT = auto()  # 3xx naming a target not tried yet
    CHALLENGE = auto()  # 401/407 we may still answer
    FAILURE = auto()  # any other final response, a timeout or a transport error
    CANCEL = auto()  # the caller's CANCEL (UAS)
    PEER_REOFFER = auto()  # re-INVITE or UPDATE in the dialog
    PEER_BYE = auto()
    PEER_REQUEST = auto()  # OPTIONS, INFO... in the dialog
    REOFFER_ACCEPTED = auto()  # 2xx to our re-INVITE
    REOFFER_GLARE = auto()  # 491 to our re-INVITE (§14.1)
    REOFFER_REJECTED = auto()  # other failure: the old session stays (§14.1)
    REOFFER_FATAL = auto()  # 408/481 or no response: the dialog is gone (§14.1)
    BYE_DONE = auto()  # our BYE's final response, or its failure
    TIMER_C = auto()  # no final response to our INVITE (§16.6 item 11)
    TIMER_CANCEL = auto()  # no final response 64·T1 after our CANCEL (§9.1)
    TIMER_GLARE = auto()  # resend the re-INVITE that met 491 (§14.1)


LOCAL_INPUTS = frozenset(
    {
        SessionInput.PLACE,
        SessionInput.OFFER,
        SessionInput.ANSWER,
        SessionInput.REJECT,
        SessionInput.HANG_UP,
        SessionInput.REOFFER,
        SessionInput.ABANDON,
        SessionInput.TIMER_C,
        SessionInput.TIMER_CANCEL,
        SessionInput.TIMER_GLARE,
    }
)


@dataclass(frozen=True, slots=True)
class SessionTimers:
    """The session's timers in seconds, by their RFC names, and its retry limits."""

    t1: float = 0.5  # RFC 3261 §17.1.1.1
    timer_c: float = 181.0  # §16.6 item 11: "greater than 3 minutes"
    max_redirects: int = 5  # 3xx followed per call (§8.1.3.4 leaves the number to us)
    max_challenges: int = 2  # 401/407 answered per call: a third means wrong credentials

    def __post_init__(self) -> None:
        if self.t1 <= 0 or self.timer_c <= 180:
            raise ConfigError("T1 must be positive and Timer C above 3 minutes (RFC 3261 §16.6)")

    @property
    def cancel_wait(self) -> float:
        """How long the INVITE's final response may take after our CANCEL (§9.1)."""
        return 64 * self.t1

    def glare_delay(self, owner: bool, rng: random.Random) -> float:
        """The wait before resending a re-INVITE that met 491 (§14.1), in 10 ms steps."""
        low, high = (210, 400) if owner else (0, 200)
        return rng.randint(low, high) / 100


@dataclass(frozen=True, slots=True)
class Fed:
    """One input's arguments, as the classifying method found them."""

    now: float
    response: Response | None = None
    request: Request | None = None
    transaction_id: TransactionId | None = None
    status: int | None = None
    reason: str = ""
    target: Uri | None = None
    dialog: Dialog | None = None


@dataclass(frozen=True, slots=True)
class SendInvite:
    """Send an INVITE: the one given to ``place`` (target None) or one to a 3xx's target."""

    target: Uri | None


@dataclass(frozen=True, slots=True)
class AnswerChallenge:
    """Resend the INVITE with credentials for this 401/407 (§22.2), or ``challenge_refused``."""

    response: Response


@dataclass(frozen=True, slots=True)
class SendCancel:
    """CANCEL this INVITE (RFC 3261 §9.1)."""

    invite: Request


@dataclass(frozen=True, slots=True)
class SendAck:
    """ACK this 2xx in the dialog (RFC 3261 §13.2.2.4), retransmissions included."""

    dialog: Dialog
    response: Response


@dataclass(frozen=True, slots=True)
class EndFork:
    """ACK and BYE a 2xx that set up a dialog we do not want (§13.2.2.4)."""

    dialog: Dialog
    response: Response


@dataclass(frozen=True, slots=True)
class SendBye:
    """End the dialog with BYE (RFC 3261 §15.1.1)."""

    dialog: Dialog


@dataclass(frozen=True, slots=True)
class SendReinvite:
    """Send the pending re-offer (hold, resume, ALEX restart) as a re-INVITE (§14.1)."""

    dialog: Dialog


@dataclass(frozen=True, slots=True)
class ForgetOffer:
    """The offer we sent will get no answer: forget it, keep the media as they are (§14.1)."""


@dataclass(frozen=True, slots=True)
class RespondInvite:
    """Answer the initial INVITE (UAS): 180, 200 (with our SDP, until ACK) or a failure."""

    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class Respond:
    """Answer an in-dialog request in its server transaction."""

    transaction_id: TransactionId
    request: Request
    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class AnswerReoffer:
    """Answer the peer's re-INVITE or UPDATE with our SDP (or 488 if its offer is unusable)."""

    transaction_id: TransactionId
    request: Request


@dataclass(frozen=True, slots=True)
class Ringing:
    """The call rings: a 101–199 came (UAC), or we sent 180 (UAS)."""

    status: int


@dataclass(frozen=True, slots=True)
class Confirmed:
    """The session is up: the UAC's 2xx (apply its answer), or None when we answered."""

    response: Response | None


@dataclass(frozen=True, slots=True)
class ReofferAnswered:
    """Our re-INVITE got a 2xx (already ACKed): apply its answer."""

    response: Response


@dataclass(frozen=True, slots=True)
class Ended:
    """The session is over; ``code`` is the status that ended it (None: a BYE)."""

    code: int | None
    reason: str


SessionAction = (
    SendInvite
    | AnswerChallenge
    | SendCancel
    | SendAck
    | EndFork
    | SendBye
    | SendReinvite
    | ForgetOffer
    | RespondInvite
    | Respond
    | AnswerReoffer
    | Ringing
    | Confirmed
    | ReofferAnswered
    | Ended
)


def reoffer_input(status: int) -> SessionInput:
    """The input a final response to our re-INVITE is (§14.1)."""
    if status < 300:
        return SessionInput.REOFFER_ACCEPTED
    if status == 491:
        return SessionInput.REOFFER_GLARE
    if status in (408, 481):  # the dialog is gone: end it
        return SessionInput.REOFFER_FATAL
    return SessionInput.REOFFER_REJECTED


def request_input(method: str) -> SessionInput:
    """The input an in-dialog request of the peer is."""
    if method == "BYE":
        return SessionInput.PEER_BYE
    if method in ("INVITE", "UPDATE"):
        return SessionInput.PEER_REOFFER
    return SessionInput.PEER_REQUEST


def redirect_target(response: Response, tried: set[str], left: int) -> Uri | None:
    """The first SIP Contact of a 3xx not tried yet (§8.1.3.4); None for a loop or no more."""
    if left <= 0 or not 300 <= response.status < 400:
        return None
    try:
        contacts = response.contacts
    except ProtocolError:
        return None
    for contact in contacts:
        if isinstance(contact.uri, SipUri) and str(contact.uri) not in tried:
            return contact.uri
    return None


def classify_2xx(invite: Request, dialog: Dialog | None, fed: Fed) -> tuple[SessionInput, Fed]:
    """The input a 2xx to our INVITE is, by its To tag (§13.2.2.4), with its dialog."""
    response = fed.response
    assert response is not None
    try:
        if dialog is not None and response.to.tag == dialog.id.remote_tag:
            return SessionInput.SUCCESS_AGAIN, replace(fed, dialog=dialog)
        new = Dialog.for_uac(invite, response)
    except ProtocolError as exc:
        return SessionInput.FAILURE, replace(fed, status=502, reason=f"Bad 2xx response: {exc}")
    new.confirm(response)
    event = SessionInput.SUCCESS if dialog is None else SessionInput.SUCCESS_FORK
    return event, replace(fed, dialog=new)


A = TypeVar("A")


def rows(
    states: Iterable[SessionState], event: SessionInput, action: A, to: SessionState | None
) -> dict[tuple[SessionState, SessionInput], tuple[SessionState, A]]:
    """Table rows taking ``event`` in each of ``states`` to ``to`` (None: each stays put)."""
    return {(state, event): (state if to is None else to, action) for state in states}
