"""Blind transfer as the transferee (RFC 5589 §6): the driver of ``sip.refer``.

A REFER in a confirmed call is answered 202; we call the Refer-To target and NOTIFY the
transferor of that call's progress (100 Trying, then its final status line). Once the
target answered, the transferor normally ends the original call with BYE (RFC 5589 §6.1);
if it has not after ``BYE_GRACE`` seconds, we end it ourselves. A flood of REFERs is
answered 503 with Retry-After: each dialog has a token bucket (``REFER_RATE``, a burst of
``REFER_BURST``), takes one transfer at a time, and at most ``MAX_TRANSFERS`` run at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from alexphone.engine.call import Call
from alexphone.engine.events import CallChanged, CallState, CallTransferred, Event, TransferState
from alexphone.engine.settings import AccountSettings
from alexphone.engine.signaling import Signaling
from alexphone.net.rate_limit import TokenBucket
from alexphone.sip.message import Request, make_response
from alexphone.sip.refer import (
    SIPFRAG_TYPE,
    Referral,
    ReferRefused,
    ReferSubscription,
    TransferInput,
    parse_refer,
)
from alexphone.sip.refer import TransferState as Sub
from alexphone.sip.replaces import Replaces
from alexphone.sip.transaction import TransactionId
from alexphone.sip.uri import SipUri

log = logging.getLogger(__name__)
BYE_GRACE = 5.0  # seconds we leave the transferor to BYE the original call
REFER_RATE = 0.5  # REFERs a second one dialog may send us, after a burst of REFER_BURST
REFER_BURST = 3.0
MAX_TRANSFERS = 4  # calls to targets under way at once, over all dialogs
RETRY_AFTER = 2  # seconds, in the 503 answering a REFER over the limits
_SHOWN = {
    Sub.ACCEPTED: TransferState.REQUESTED,
    Sub.TRYING: TransferState.TRYING,
    Sub.SUCCEEDED: TransferState.SUCCEEDED,
    Sub.FAILED: TransferState.FAILED,
}


class Transferee(Signaling, Protocol):
    """What a transfer needs from the user agent beyond a call's signaling."""

    def place_call(
        self,
        target: SipUri,
        referred_by: str | None = None,
        replaces: Replaces | None = None,
        account: AccountSettings | None = None,
    ) -> Call:
        """Start an outgoing call to ``target`` from ``account`` (naming who referred us,
        RFC 3892)."""


@dataclass(slots=True)
class _Transfer:
    original: Call
    subscription: ReferSubscription


class Transfers:
    """The REFERs we act on, keyed by the Call-ID of the new call to each target."""

    def __init__(
        self,
        ua: Transferee,
        emit: Callable[[Event], None],
        call_later: Callable[[float, Callable[[], None]], object],
        clock: Callable[[], float],
    ) -> None:
        self.ua = ua
        self.emit = emit
        self.call_later = call_later
        self.clock = clock
        self._by_new_call: dict[str, _Transfer] = {}
        self._buckets: dict[str, TokenBucket] = {}  # per dialog (Call-ID): a REFER flood

    def refer_received(self, call: Call, tid: TransactionId, request: Request) -> None:
        """Answer a REFER in ``call``'s dialog: 202 and a call to the target, or a 4xx."""
        assert call.dialog is not None
        error = call.dialog.receive_request(request)  # RFC 3261 §12.2.2: CSeq order
        if error is not None:
            self.ua.respond(tid, make_response(request, error, "CSeq out of order"))
            return
        if not call.is_confirmed:
            self.ua.respond(tid, make_response(request, 481, "Call/Transaction Does Not Exist"))
            return
        try:
            referral = parse_refer(request)
            self._admit(call)
        except ReferRefused as exc:
            response = make_response(request, exc.status, exc.reason)
            if exc.status == 503:  # RFC 3261 §21.5.4: when to try again
                response.headers.set("Retry-After", str(RETRY_AFTER))
            self.ua.respond(tid, response)
            return
        self.ua.respond(tid, self.ua.finish_response(make_response(request, 202, "Accepted")))
        self._start(call, referral)

    def _admit(self, call: Call) -> None:
        """Refuse (503) a REFER over the limits: one transfer per call, a few a second."""
        now = self.clock()
        bucket = self._buckets.get(call.call_id)
        if bucket is None:
            bucket = TokenBucket(REFER_RATE, REFER_BURST, REFER_BURST, now)
            self._buckets[call.call_id] = bucket
        if not bucket.take(now):
            raise ReferRefused(503, "Service Unavailable (too many REFERs)")
        under_way = [t.original for t in self._by_new_call.values()]
        if call in under_way:
            raise ReferRefused(503, "Service Unavailable (a transfer is under way)")
        if len(under_way) >= MAX_TRANSFERS:
            raise ReferRefused(503, "Service Unavailable (too many transfers)")

    def _start(self, call: Call, referral: Referral) -> None:
        subscription = ReferSubscription(referral)
        transfer = _Transfer(call, subscription)
        self._emit(transfer)
        # the transferee calls from the account the transferred call came to or went out from
        new = self.ua.place_call(
            referral.target, referral.referred_by, referral.replaces, call.account
        )
        self._by_new_call[new.call_id] = transfer
        self._feed(transfer, TransferInput.STARTED)

    def on_call_changed(self, event: CallChanged) -> None:
        """Follow the calls we placed for a transfer; NOTIFY and report their outcome."""
        if event.state is CallState.ENDED:
            self._buckets.pop(event.call_id, None)
        transfer = self._by_new_call.get(event.call_id)
        if transfer is None:
            return
        if event.state is CallState.CONFIRMED:
            del self._by_new_call[event.call_id]
            self._feed(transfer, TransferInput.ANSWERED, 200, "OK")
            self.call_later(BYE_GRACE, lambda: _end_original(transfer.original))
        elif event.state is CallState.ENDED:
            del self._by_new_call[event.call_id]
            code = event.code if event.code is not None and event.code >= 300 else 500
            reason = event.reason or "Server Internal Error"
            self._feed(transfer, TransferInput.FAILED, code, reason)

    def _feed(
        self, transfer: _Transfer, what: TransferInput, code: int = 100, reason: str = ""
    ) -> None:
        transfer.subscription.feed(what, code, reason)
        self._emit(transfer)
        while (notify := transfer.subscription.next_notify()) is not None:
            dialog = transfer.original.dialog
            if dialog is None or transfer.original.ended:
                log.info("transfer: original call gone, NOTIFY not sent")
                continue
            request = self.ua.prepare_in_dialog(dialog, "NOTIFY")
            request.headers.set("Event", notify.event)
            request.headers.set("Subscription-State", notify.subscription_state)
            request.headers.set("Content-Type", SIPFRAG_TYPE)
            request.body = notify.body
            self.ua.send_request(request, _Ignore())

    def _emit(self, transfer: _Transfer) -> None:
        target = str(transfer.subscription.referral.target)
        state = _SHOWN[transfer.subscription.state]
        self.emit(CallTransferred(transfer.original.call_id, target, state))


def _end_original(call: Call) -> None:
    """End the transferred call if the transferor has not (RFC 5589 §6.1 expects its BYE)."""
    if not call.ended:
        call.hang_up()


class _Ignore:
    def on_response(self, response: object) -> None:
        return

    def on_failure(self, status: int, reason: str) -> None:
        return
