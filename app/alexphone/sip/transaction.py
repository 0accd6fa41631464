"""RFC 3261 §17 transactions: shared states, inputs, events, output items and the machine base.

Theory of operation
-------------------
A transaction is a sans-I/O state machine. It takes four kinds of input: messages from
the peer (``receive``), responses from the TU (server side, ``respond``), expired timers
(``handle_timer(now)``) and send failures reported by whoever moves the bytes
(``transport_failed``). Every input is looked up in the machine's transition table,
``(state, input) -> (next state, action)``; an input with no entry is absorbed, which is
how the RFC's many "discard"/"absorb" rules fall out. Actions queue ``Outgoing`` work
items and events; the owner drains them with ``next_output()`` / ``next_event()`` and
re-arms a single timer at ``get_timer()``. Timers of zero length (reliable transports)
fire at once instead of being armed, so the machine never asks to be woken "now".

Timer deadlines chain from the previous deadline, not from the time ``handle_timer`` was
called, so a late wake-up never shifts the retransmission schedule.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any, ClassVar, NewType

from alexphone.sip.message import Headers, Message, Request, Response
from alexphone.sip.timer_config import TimerConfig

TransactionId = NewType("TransactionId", int)


class State(Enum):
    """Transaction states of RFC 3261 §17 figures 5–8, plus Accepted from RFC 6026."""

    CALLING = auto()
    TRYING = auto()
    PROCEEDING = auto()
    ACCEPTED = auto()
    COMPLETED = auto()
    CONFIRMED = auto()
    TERMINATED = auto()


class Input(Enum):
    """What can happen to a transaction; timers are named after the RFC's letters."""

    PROVISIONAL = auto()  # 1xx received (client) or handed down by the TU (server)
    SUCCESS = auto()  # 2xx, likewise
    FAILURE = auto()  # 300-699, likewise
    REQUEST = auto()  # a retransmission of the request (server)
    ACK = auto()  # an ACK matching an INVITE server transaction
    TRANSPORT_ERROR = auto()
    TIMER_TRYING = auto()  # 200 ms before a 100 Trying (RFC 3261 §17.2.1)
    TIMER_A = auto()
    TIMER_B = auto()
    TIMER_D = auto()
    TIMER_E = auto()
    TIMER_F = auto()
    TIMER_G = auto()
    TIMER_H = auto()
    TIMER_I = auto()
    TIMER_J = auto()
    TIMER_K = auto()
    TIMER_L = auto()
    TIMER_M = auto()


# When a retransmission and a timeout fall due together, the timeout wins.
_RETRANSMIT_TIMERS = frozenset({Input.TIMER_A, Input.TIMER_E, Input.TIMER_G})


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to hand to the transport, toward an opaque destination chosen by the caller."""

    message: Message
    destination: object


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """A response for the TU arrived in a client transaction."""

    transaction_id: TransactionId
    response: Response


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """A new request created a server transaction; the TU must answer it through that id."""

    transaction_id: TransactionId
    request: Request
    source: object
    cancel_target: TransactionId | None = None  # for CANCEL: the INVITE it cancels (§9.2)


@dataclass(frozen=True, slots=True)
class AckReceived:
    """An ACK for the TU: one for a 2xx (no transaction), or one in INVITE server Accepted."""

    request: Request
    source: object
    transaction_id: TransactionId | None = None


@dataclass(frozen=True, slots=True)
class StrayResponseReceived:
    """A response matching no client transaction (e.g. a 2xx retransmission, §13.2.2.4)."""

    response: Response
    source: object


@dataclass(frozen=True, slots=True)
class TransactionTimedOut:
    """Timer B, F or H fired: the transaction failed (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1)."""

    transaction_id: TransactionId


@dataclass(frozen=True, slots=True)
class TransportFailed:
    """A send reported as failed ended the transaction (RFC 3261 §17.1.1.2, §17.1.4, §17.2.4)."""

    transaction_id: TransactionId


@dataclass(frozen=True, slots=True)
class TransactionTerminated:
    """The transaction reached Terminated and is forgotten."""

    transaction_id: TransactionId


TransactionEvent = (
    ResponseReceived
    | RequestReceived
    | AckReceived
    | StrayResponseReceived
    | TransactionTimedOut
    | TransportFailed
    | TransactionTerminated
)

Action = Callable[[Any, Message | None, float], None]
Table = Mapping[tuple[State, Input], tuple[State, Action]]


def classify_status(status: int) -> Input:
    """Map a final or provisional status code to the table input that carries it."""
    if status < 200:
        return Input.PROVISIONAL
    if status < 300:
        return Input.SUCCESS
    return Input.FAILURE


class Transaction:
    """Base of the four machines: timers, output and event queues, the table step."""

    TABLE: ClassVar[Table]
    INITIAL: ClassVar[State]

    def __init__(
        self,
        transaction_id: TransactionId,
        request: Request,
        destination: object,
        *,
        reliable: bool,
        config: TimerConfig,
    ) -> None:
        self.id = transaction_id
        self.request = request
        self.destination = destination  # where requests (client) or responses (server) go
        self.reliable = reliable
        self.config = config
        self.state = self.INITIAL
        self._timers: dict[Input, float] = {}
        self._interval = 0.0  # current retransmission interval (A, E or G)
        self._output: deque[Outgoing] = deque()
        self._events: deque[TransactionEvent] = deque()
        self._announced = False

    @property
    def terminated(self) -> bool:
        """True once the machine reached Terminated."""
        return self.state is State.TERMINATED

    def get_timer(self) -> float | None:
        """Return when ``handle_timer`` must next be called, None if no timer runs."""
        return min(self._timers.values(), default=None)

    def handle_timer(self, now: float) -> None:
        """Fire every timer due at ``now``, earliest first."""
        while self._timers:
            timer, deadline = min(
                self._timers.items(), key=lambda item: (item[1], item[0] in _RETRANSMIT_TIMERS)
            )
            if deadline > now:
                return
            del self._timers[timer]
            self._step(timer, None, deadline)

    def transport_failed(self, now: float) -> None:
        """Report that a message of this transaction could not be sent."""
        self._step(Input.TRANSPORT_ERROR, None, now)

    def next_output(self) -> Outgoing | None:
        """Pop the oldest queued message to send, None if there is none."""
        return self._output.popleft() if self._output else None

    def next_event(self) -> TransactionEvent | None:
        """Pop the oldest queued event, None if there is none."""
        return self._events.popleft() if self._events else None

    def _step(self, event: Input, message: Message | None, now: float) -> None:
        row = self.TABLE.get((self.state, event))
        if row is None:
            return  # absorbed: the RFC gives this input no effect in this state
        self.state, action = row
        if self.state is State.TERMINATED:
            self._timers.clear()
        action(self, message, now)
        if self.state is State.TERMINATED and not self._announced:
            self._announced = True
            self._events.append(TransactionTerminated(self.id))

    def _start_timer(self, timer: Input, delay: float, now: float) -> None:
        if delay <= 0:
            self._step(timer, None, now)  # RFC 3261: "zero seconds" timers fire at once
        else:
            self._timers[timer] = now + delay

    def _stop_timers(self, *timers: Input) -> None:
        for timer in timers:
            self._timers.pop(timer, None)

    def _send(self, message: Message) -> None:
        self._output.append(Outgoing(message, self.destination))

    def _emit(self, event: TransactionEvent) -> None:
        self._events.append(event)

    def _nothing(self, message: Message | None, now: float) -> None:
        """Action for transitions whose only effect is the state change."""

    def _report_transport_error(self, message: Message | None, now: float) -> None:
        self._emit(TransportFailed(self.id))

    def _report_timeout(self, message: Message | None, now: float) -> None:
        self._emit(TransactionTimedOut(self.id))


def transport_error_rows(*states: State) -> dict[tuple[State, Input], tuple[State, Action]]:
    """Table rows ending each given state on a transport error, telling the TU."""
    return {
        (state, Input.TRANSPORT_ERROR): (State.TERMINATED, Transaction._report_transport_error)
        for state in states
    }


def _copy_request_headers(invite: Request, method: str, to: str) -> Headers:
    headers = Headers()
    headers.add("Via", invite.headers.get_all("Via")[0])  # the top Via only
    for route in invite.headers.get_fields("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    headers.add("From", invite.headers.get("From") or "")
    headers.add("To", to)
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{invite.cseq.seq} {method}")
    return headers


def build_ack(invite: Request, response: Response) -> Request:
    """Build the ACK for a non-2xx final response to ``invite`` (RFC 3261 §17.1.1.3)."""
    # Request-URI, Call-ID, From, CSeq number and top Via come from the INVITE, To from the
    # response (it carries the UAS's tag), Route from the INVITE.
    to = response.headers.get("To") or invite.headers.get("To") or ""
    return Request("ACK", invite.uri, _copy_request_headers(invite, "ACK", to))


def build_cancel(invite: Request) -> Request:
    """Build a CANCEL for ``invite`` (RFC 3261 §9.1): same branch, To, From, Call-ID, CSeq."""
    to = invite.headers.get("To") or ""
    return Request("CANCEL", invite.uri, _copy_request_headers(invite, "CANCEL", to))
