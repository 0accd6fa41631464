"""RFC 3261 §17.1 client transactions: INVITE (figure 5, with RFC 6026 Accepted) and non-INVITE."""

from __future__ import annotations

from typing import ClassVar

from alexphone.core.errors import LocalProtocolError
from alexphone.sip.message import Message, Request, Response
from alexphone.sip.transaction import (
    Input,
    ResponseReceived,
    State,
    Table,
    Transaction,
    build_ack,
    classify_status,
    transport_error_rows,
)


class ClientTransaction(Transaction):
    """Common part of the client machines: sending the request, taking responses."""

    _started = False  # set per instance by start()

    def start(self, now: float) -> None:
        """Send the request and arm the retransmission and timeout timers."""
        if self._started:
            raise LocalProtocolError("client transaction already started")
        self._started = True
        self._send(self.request)
        self._arm(now)

    def receive(self, response: Response, now: float) -> None:
        """Feed a response matched to this transaction (RFC 3261 §17.1.3)."""
        self._step(classify_status(response.status), response, now)

    def _arm(self, now: float) -> None:
        raise NotImplementedError

    def _pass_up(self, message: Message | None, now: float) -> None:
        assert isinstance(message, Response)
        self._emit(ResponseReceived(self.id, message))


class InviteClientTransaction(ClientTransaction):
    """INVITE client transaction (RFC 3261 §17.1.1, RFC 6026 §7.2)."""

    INITIAL = State.CALLING
    ack: Request | None = None  # the ACK sent for a non-2xx final response (set per instance)

    def _arm(self, now: float) -> None:
        # RFC 3261 §17.1.1.2: Timer A only over unreliable transports; Timer B always.
        if not self.reliable:
            self._interval = self.config.a
            self._start_timer(Input.TIMER_A, self._interval, now)
        self._start_timer(Input.TIMER_B, self.config.b, now)

    def _retransmit(self, message: Message | None, now: float) -> None:
        # RFC 3261 §17.1.1.2: the interval doubles each time, with no cap.
        self._send(self.request)
        self._interval *= 2
        self._start_timer(Input.TIMER_A, self._interval, now)

    def _proceed(self, message: Message | None, now: float) -> None:
        # RFC 3261 §17.1.1.2: no more retransmissions once a provisional arrived; Timer B
        # only lives in Calling (figure 5).
        self._stop_timers(Input.TIMER_A, Input.TIMER_B)
        self._pass_up(message, now)

    def _accept(self, message: Message | None, now: float) -> None:
        # RFC 6026 §8.4: Accepted absorbs nothing; 2xx retransmissions go to the TU to re-ACK.
        self._stop_timers(Input.TIMER_A, Input.TIMER_B)
        self._pass_up(message, now)
        self._start_timer(Input.TIMER_M, self.config.m, now)

    def _complete(self, message: Message | None, now: float) -> None:
        # RFC 3261 §17.1.1.2/§17.1.1.3: ACK the non-2xx ourselves, then wait Timer D.
        assert isinstance(message, Response)
        self._stop_timers(Input.TIMER_A, Input.TIMER_B)
        self.ack = build_ack(self.request, message)
        self._send(self.ack)
        self._pass_up(message, now)
        self._start_timer(Input.TIMER_D, self.config.d(self.reliable), now)

    def _resend_ack(self, message: Message | None, now: float) -> None:
        # RFC 3261 §17.1.1.2: a retransmitted final response gets the ACK again, not the TU.
        if self.ack is not None:
            self._send(self.ack)

    TABLE: ClassVar[Table] = {
        (State.CALLING, Input.TIMER_A): (State.CALLING, _retransmit),
        (State.CALLING, Input.TIMER_B): (State.TERMINATED, Transaction._report_timeout),
        (State.CALLING, Input.PROVISIONAL): (State.PROCEEDING, _proceed),
        (State.CALLING, Input.SUCCESS): (State.ACCEPTED, _accept),
        (State.CALLING, Input.FAILURE): (State.COMPLETED, _complete),
        (State.PROCEEDING, Input.PROVISIONAL): (State.PROCEEDING, ClientTransaction._pass_up),
        (State.PROCEEDING, Input.SUCCESS): (State.ACCEPTED, _accept),
        (State.PROCEEDING, Input.FAILURE): (State.COMPLETED, _complete),
        (State.ACCEPTED, Input.SUCCESS): (State.ACCEPTED, ClientTransaction._pass_up),
        (State.ACCEPTED, Input.TIMER_M): (State.TERMINATED, Transaction._nothing),
        (State.COMPLETED, Input.FAILURE): (State.COMPLETED, _resend_ack),
        (State.COMPLETED, Input.TIMER_D): (State.TERMINATED, Transaction._nothing),
        **transport_error_rows(State.CALLING, State.PROCEEDING, State.ACCEPTED, State.COMPLETED),
    }


class NonInviteClientTransaction(ClientTransaction):
    """Non-INVITE client transaction (RFC 3261 §17.1.2, figure 6)."""

    INITIAL = State.TRYING

    def _arm(self, now: float) -> None:
        # RFC 3261 §17.1.2.2: Timer E only over unreliable transports; Timer F always.
        if not self.reliable:
            self._interval = self.config.e
            self._start_timer(Input.TIMER_E, self._interval, now)
        self._start_timer(Input.TIMER_F, self.config.f, now)

    def _retransmit_trying(self, message: Message | None, now: float) -> None:
        # RFC 3261 §17.1.2.2: in Trying the interval doubles up to T2.
        self._send(self.request)
        self._interval = min(2 * self._interval, self.config.t2)
        self._start_timer(Input.TIMER_E, self._interval, now)

    def _retransmit_proceeding(self, message: Message | None, now: float) -> None:
        # RFC 3261 §17.1.2.2: in Proceeding the request goes out every T2.
        self._send(self.request)
        self._interval = self.config.t2
        self._start_timer(Input.TIMER_E, self._interval, now)

    def _complete(self, message: Message | None, now: float) -> None:
        self._stop_timers(Input.TIMER_E, Input.TIMER_F)
        self._pass_up(message, now)
        self._start_timer(Input.TIMER_K, self.config.k(self.reliable), now)

    TABLE: ClassVar[Table] = {
        (State.TRYING, Input.TIMER_E): (State.TRYING, _retransmit_trying),
        (State.TRYING, Input.TIMER_F): (State.TERMINATED, Transaction._report_timeout),
        (State.TRYING, Input.PROVISIONAL): (State.PROCEEDING, ClientTransaction._pass_up),
        (State.TRYING, Input.SUCCESS): (State.COMPLETED, _complete),
        (State.TRYING, Input.FAILURE): (State.COMPLETED, _complete),
        (State.PROCEEDING, Input.TIMER_E): (State.PROCEEDING, _retransmit_proceeding),
        (State.PROCEEDING, Input.TIMER_F): (State.TERMINATED, Transaction._report_timeout),
        (State.PROCEEDING, Input.PROVISIONAL): (State.PROCEEDING, ClientTransaction._pass_up),
        (State.PROCEEDING, Input.SUCCESS): (State.COMPLETED, _complete),
        (State.PROCEEDING, Input.FAILURE): (State.COMPLETED, _complete),
        (State.COMPLETED, Input.TIMER_K): (State.TERMINATED, Transaction._nothing),
        **transport_error_rows(State.TRYING, State.PROCEEDING, State.COMPLETED),
    }
