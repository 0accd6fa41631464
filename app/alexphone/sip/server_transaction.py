"""RFC 3261 §17.2 server transactions: INVITE (figure 7, with RFC 6026 Accepted) and non-INVITE.

The INVITE server transaction answers 100 Trying by itself when the TU has said nothing
``TimerConfig.trying_delay`` (200 ms) after the INVITE arrived, or at once when a
retransmission of the INVITE comes in before any response (RFC 3261 §17.2.1).
"""

from __future__ import annotations

from typing import ClassVar

from alexphone.core.errors import LocalProtocolError
from alexphone.sip.message import Message, Request, Response, make_response
from alexphone.sip.transaction import (
    AckReceived,
    Input,
    State,
    Table,
    Transaction,
    classify_status,
    transport_error_rows,
)


class ServerTransaction(Transaction):
    """Common part of the server machines: request retransmissions and TU responses."""

    last_response: Response | None = None

    def start(self, now: float) -> None:
        """Arm the timers that run from the request's arrival."""

    def receive(self, request: Request, now: float) -> None:
        """Feed a request matched to this transaction (RFC 3261 §17.2.3)."""
        self._step(Input.ACK if request.method == "ACK" else Input.REQUEST, request, now)

    def respond(self, response: Response, now: float) -> None:
        """Send a response from the TU through this transaction."""
        if not 100 <= response.status <= 699:
            raise LocalProtocolError(f"cannot send status {response.status}")
        self._step(classify_status(response.status), response, now)

    def _send_response(self, message: Message | None, now: float) -> None:
        assert isinstance(message, Response)
        self.last_response = message
        self._send(message)

    def _resend_last(self, message: Message | None, now: float) -> None:
        # RFC 3261 §17.2.1, §17.2.2: a retransmitted request gets the most recent response.
        if self.last_response is not None:
            self._send(self.last_response)


class InviteServerTransaction(ServerTransaction):
    """INVITE server transaction (RFC 3261 §17.2.1, RFC 6026 §7.1)."""

    INITIAL = State.PROCEEDING

    def start(self, now: float) -> None:
        """Arm the 100 Trying timer (RFC 3261 §17.2.1)."""
        self._start_timer(Input.TIMER_TRYING, self.config.trying_delay, now)

    def _send_trying(self, message: Message | None, now: float) -> None:
        self._stop_timers(Input.TIMER_TRYING)
        if self.last_response is None:
            self._send_response(make_response(self.request, 100), now)

    def _absorb_invite(self, message: Message | None, now: float) -> None:
        if self.last_response is None:
            self._send_trying(None, now)  # the client is retransmitting: don't wait 200 ms
        else:
            self._resend_last(None, now)

    def _send_provisional(self, message: Message | None, now: float) -> None:
        self._stop_timers(Input.TIMER_TRYING)
        self._send_response(message, now)

    def _accept(self, message: Message | None, now: float) -> None:
        # RFC 6026 §8.5: the UAS core retransmits the 2xx; Accepted only absorbs INVITEs.
        self._stop_timers(Input.TIMER_TRYING)
        self._send_response(message, now)
        self._start_timer(Input.TIMER_L, self.config.l, now)

    def _send_2xx_again(self, message: Message | None, now: float) -> None:
        # RFC 6026 §8.6: 2xx retransmissions from the TU pass through Accepted.
        assert isinstance(message, Response)
        self._send(message)

    def _complete(self, message: Message | None, now: float) -> None:
        # RFC 3261 §17.2.1: Timer G retransmits the final over unreliable transports; H waits.
        self._stop_timers(Input.TIMER_TRYING)
        self._send_response(message, now)
        if not self.reliable:
            self._interval = self.config.g
            self._start_timer(Input.TIMER_G, self._interval, now)
        self._start_timer(Input.TIMER_H, self.config.h, now)

    def _retransmit_final(self, message: Message | None, now: float) -> None:
        self._resend_last(None, now)
        self._interval = min(2 * self._interval, self.config.t2)
        self._start_timer(Input.TIMER_G, self._interval, now)

    def _confirm(self, message: Message | None, now: float) -> None:
        # RFC 3261 §17.2.1: the ACK is absorbed (not passed to the TU); Timer I soaks up
        # its retransmissions.
        self._stop_timers(Input.TIMER_G, Input.TIMER_H)
        self._start_timer(Input.TIMER_I, self.config.i(self.reliable), now)

    def _pass_ack(self, message: Message | None, now: float) -> None:
        # RFC 6026 §8.7: an ACK matching the transaction in Accepted goes to the TU.
        assert isinstance(message, Request)
        self._emit(AckReceived(message, self.destination, self.id))

    TABLE: ClassVar[Table] = {
        (State.PROCEEDING, Input.TIMER_TRYING): (State.PROCEEDING, _send_trying),
        (State.PROCEEDING, Input.REQUEST): (State.PROCEEDING, _absorb_invite),
        (State.PROCEEDING, Input.PROVISIONAL): (State.PROCEEDING, _send_provisional),
        (State.PROCEEDING, Input.SUCCESS): (State.ACCEPTED, _accept),
        (State.PROCEEDING, Input.FAILURE): (State.COMPLETED, _complete),
        (State.ACCEPTED, Input.SUCCESS): (State.ACCEPTED, _send_2xx_again),
        (State.ACCEPTED, Input.ACK): (State.ACCEPTED, _pass_ack),
        (State.ACCEPTED, Input.TIMER_L): (State.TERMINATED, Transaction._nothing),
        (State.COMPLETED, Input.REQUEST): (State.COMPLETED, ServerTransaction._resend_last),
        (State.COMPLETED, Input.TIMER_G): (State.COMPLETED, _retransmit_final),
        (State.COMPLETED, Input.TIMER_H): (State.TERMINATED, Transaction._report_timeout),
        (State.COMPLETED, Input.ACK): (State.CONFIRMED, _confirm),
        (State.CONFIRMED, Input.TIMER_I): (State.TERMINATED, Transaction._nothing),
        **transport_error_rows(State.PROCEEDING, State.ACCEPTED, State.COMPLETED, State.CONFIRMED),
    }


class NonInviteServerTransaction(ServerTransaction):
    """Non-INVITE server transaction (RFC 3261 §17.2.2, figure 8)."""

    INITIAL = State.TRYING

    def _complete(self, message: Message | None, now: float) -> None:
        self._send_response(message, now)
        self._start_timer(Input.TIMER_J, self.config.j(self.reliable), now)

    TABLE: ClassVar[Table] = {
        # A retransmission in Trying is discarded: there is nothing to answer with yet.
        (State.TRYING, Input.PROVISIONAL): (State.PROCEEDING, ServerTransaction._send_response),
        (State.TRYING, Input.SUCCESS): (State.COMPLETED, _complete),
        (State.TRYING, Input.FAILURE): (State.COMPLETED, _complete),
        (State.PROCEEDING, Input.PROVISIONAL): (State.PROCEEDING, ServerTransaction._send_response),
        (State.PROCEEDING, Input.REQUEST): (State.PROCEEDING, ServerTransaction._resend_last),
        (State.PROCEEDING, Input.SUCCESS): (State.COMPLETED, _complete),
        (State.PROCEEDING, Input.FAILURE): (State.COMPLETED, _complete),
        (State.COMPLETED, Input.REQUEST): (State.COMPLETED, ServerTransaction._resend_last),
        (State.COMPLETED, Input.TIMER_J): (State.TERMINATED, Transaction._nothing),
        **transport_error_rows(State.TRYING, State.PROCEEDING, State.COMPLETED),
    }
