"""A STUN client transaction over UDP (RFC 8489 §6.2.1, was RFC 5389 §7.2.1), sans-I/O.

The request goes out at 0, RTO, 3·RTO, 7·RTO, ... (the interval doubles) until Rc requests
have been sent; the transaction then times out Rm·RTO after the last one. A response is taken
only if it carries the request's transaction ID and, when a key is given, a valid
MESSAGE-INTEGRITY (RFC 8489 §9.1.4: an unauthenticated response is ignored and the
retransmissions go on). ``cancel()`` stops retransmitting but keeps listening until the
timeout, which then counts as no failure (RFC 8445 §7.3.1.4, triggered checks).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum, auto

from alexphone.core.errors import ConfigError, LocalProtocolError
from alexphone.stun.message import StunClass, StunMessage


@dataclass(frozen=True, slots=True)
class StunTimerConfig:
    """Retransmission parameters of RFC 8489 §6.2.1 (defaults: RTO 500 ms, Rc 7, Rm 16)."""

    rto: float = 0.5
    rc: int = 7
    rm: int = 16

    def __post_init__(self) -> None:
        if self.rto <= 0 or self.rc < 1 or self.rm < 1:
            raise ConfigError(f"invalid STUN timers rto={self.rto} rc={self.rc} rm={self.rm}")


class TransactionState(Enum):
    """Where a client transaction stands."""

    WAITING = auto()  # created, not started
    IN_PROGRESS = auto()
    SUCCEEDED = auto()
    FAILED = auto()  # an authenticated error response came
    TIMED_OUT = auto()
    CANCELLED = auto()  # cancelled and its listening window is over


@dataclass(frozen=True, slots=True)
class StunSucceeded:
    """A success response answered the request."""

    response: StunMessage


@dataclass(frozen=True, slots=True)
class StunFailed:
    """An error response answered the request."""

    response: StunMessage


@dataclass(frozen=True, slots=True)
class StunTimedOut:
    """No acceptable response came within the RFC 8489 §6.2.1 schedule."""


TransactionEvent = StunSucceeded | StunFailed | StunTimedOut


class StunTransaction:
    """One request/response exchange; the caller sends what ``datagrams_to_send`` returns."""

    def __init__(
        self,
        transaction_id: bytes,
        request: bytes,
        *,
        key: bytes | None = None,
        config: StunTimerConfig | None = None,
    ) -> None:
        self.transaction_id = transaction_id
        self.request = request
        self.key = key
        self.config = config if config is not None else StunTimerConfig()
        self.state = TransactionState.WAITING
        self.sent = 0  # requests sent so far, retransmissions included
        self.started_at: float | None = None
        self.last_sent_at: float | None = None
        self._interval = self.config.rto
        self._next_send: float | None = None
        self._deadline: float | None = None
        self._cancelled = False
        self._output: deque[bytes] = deque()
        self._events: deque[TransactionEvent] = deque()

    @property
    def done(self) -> bool:
        """Tell whether the transaction has finished one way or another."""
        return self.state not in (TransactionState.WAITING, TransactionState.IN_PROGRESS)

    @property
    def next_send(self) -> float | None:
        """When the next retransmission is due, None if no more will be sent."""
        return self._next_send if self.state is TransactionState.IN_PROGRESS else None

    def start(self, now: float) -> None:
        """Send the first request."""
        if self.state is not TransactionState.WAITING:
            raise LocalProtocolError("STUN transaction already started")
        self.state = TransactionState.IN_PROGRESS
        self.started_at = now
        self._send(now)

    def cancel(self) -> None:
        """Stop retransmitting; a late response is still taken, a timeout is not a failure."""
        self._cancelled = True
        self._next_send = None
        if self.started_at is not None and self._deadline is None:
            # listen as long as the full schedule would have: last send + Rm·RTO
            config = self.config
            self._deadline = self.started_at + config.rto * (2 ** (config.rc - 1) - 1 + config.rm)

    def receive(self, message: StunMessage, now: float) -> bool:
        """Offer a response; return True if it was accepted as this transaction's answer."""
        if self.state is not TransactionState.IN_PROGRESS:
            return False
        if message.transaction_id != self.transaction_id:
            return False
        if message.klass not in (StunClass.SUCCESS, StunClass.ERROR):
            return False
        if self.key is not None and not message.check_integrity(self.key):
            return False  # RFC 8489 §9.1.4: ignore it, keep retransmitting
        if message.klass is StunClass.SUCCESS:
            self.state = TransactionState.SUCCEEDED
            self._events.append(StunSucceeded(message))
        else:
            self.state = TransactionState.FAILED
            self._events.append(StunFailed(message))
        self._next_send = self._deadline = None
        return True

    def get_timer(self) -> float | None:
        """Return when ``handle_timer`` must next run, None when nothing is pending."""
        if self.state is not TransactionState.IN_PROGRESS:
            return None
        times = [t for t in (self._next_send, self._deadline) if t is not None]
        return min(times) if times else None

    def handle_timer(self, now: float) -> None:
        """Retransmit or time out as the schedule says for ``now`` (early calls do nothing)."""
        if self.state is not TransactionState.IN_PROGRESS:
            return
        if self._next_send is not None and self._next_send <= now:
            self._send(now)
        elif self._deadline is not None and self._deadline <= now:
            self._next_send = self._deadline = None
            if self._cancelled:
                self.state = TransactionState.CANCELLED
            else:
                self.state = TransactionState.TIMED_OUT
                self._events.append(StunTimedOut())

    def datagrams_to_send(self, now: float) -> list[bytes]:
        """Pop the requests queued for sending."""
        out = list(self._output)
        self._output.clear()
        return out

    def next_event(self) -> TransactionEvent | None:
        """Pop the outcome, None until there is one."""
        return self._events.popleft() if self._events else None

    def _send(self, now: float) -> None:
        self._output.append(self.request)
        self.sent += 1
        self.last_sent_at = now
        if self.sent < self.config.rc:
            # RFC 8489 §6.2.1: the interval doubles after each retransmission
            self._next_send = now + self._interval
            self._interval *= 2
            self._deadline = None
        else:
            self._next_send = None
            self._deadline = now + self.config.rm * self.config.rto
