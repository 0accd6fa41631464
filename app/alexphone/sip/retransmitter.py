"""The UAS core's 2xx retransmission until the ACK arrives (RFC 3261 §13.3.1.4), sans-I/O.

The INVITE server transaction sends the first 2xx and then leaves (RFC 6026 Accepted only
passes the TU's retransmissions through); this machine re-sends that 2xx at T1, 2·T1, ...
capped at T2, until the TU reports the ACK or 64·T1 have passed. Over reliable transports
nothing is re-sent but the 64·T1 wait for the ACK still runs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum, auto

from alexphone.sip.message import Request, Response
from alexphone.sip.timer_config import TimerConfig
from alexphone.sip.transaction import Outgoing


class RetransmitterState(Enum):
    """Where the wait for the ACK stands."""

    WAITING = auto()
    ACKED = auto()
    TIMED_OUT = auto()


@dataclass(frozen=True, slots=True)
class AckTimedOut:
    """No ACK came for the 2xx within 64·T1: the TU should end the session with BYE."""

    response: Response


class TwoHundredRetransmitter:
    """Re-sends a 2xx to an INVITE until its ACK arrives (RFC 3261 §13.3.1.4)."""

    def __init__(
        self,
        response: Response,
        destination: object,
        now: float,
        *,
        reliable: bool,
        config: TimerConfig | None = None,
    ) -> None:
        self.config = config if config is not None else TimerConfig()
        self.response = response
        self.destination = destination
        self.state = RetransmitterState.WAITING
        self._interval = self.config.t1
        self._next_send: float | None = None if reliable else now + self._interval
        self._give_up = now + 64 * self.config.t1
        self._output: deque[Outgoing] = deque()
        self._events: deque[AckTimedOut] = deque()

    def matches(self, ack: Request) -> bool:
        """Tell whether ``ack`` acknowledges this 2xx (same Call-ID and CSeq number)."""
        return (
            ack.method == "ACK"
            and ack.call_id == self.response.call_id
            and ack.cseq.seq == self.response.cseq.seq
        )

    def ack_received(self) -> None:
        """Stop: the TU has matched the ACK for this 2xx."""
        if self.state is RetransmitterState.WAITING:
            self.state = RetransmitterState.ACKED

    def get_timer(self) -> float | None:
        """Return when ``handle_timer`` must next be called, None once finished."""
        if self.state is not RetransmitterState.WAITING:
            return None
        if self._next_send is None:
            return self._give_up
        return min(self._next_send, self._give_up)

    def handle_timer(self, now: float) -> None:
        """Re-send the 2xx or give up, as the schedule says for ``now``."""
        while self.state is RetransmitterState.WAITING:
            due = self._next_send
            if self._give_up <= now and (due is None or self._give_up <= due):
                self.state = RetransmitterState.TIMED_OUT
                self._events.append(AckTimedOut(self.response))
            elif due is not None and due <= now:
                self._output.append(Outgoing(self.response, self.destination))
                # RFC 3261 §13.3.1.4: the interval doubles, capped at T2
                self._interval = min(2 * self._interval, self.config.t2)
                self._next_send = due + self._interval
            else:
                return

    def next_output(self) -> Outgoing | None:
        """Pop the oldest queued retransmission, None if there is none."""
        return self._output.popleft() if self._output else None

    def next_event(self) -> AckTimedOut | None:
        """Pop the timeout event, None if there is none."""
        return self._events.popleft() if self._events else None
