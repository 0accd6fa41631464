"""Transfer as the transferor (RFC 5589 §6 blind, §7 attended): the driver of ``sip.refer_client``.

We hold the original call (unless it is held already), send a REFER in its dialog naming
the target and follow the NOTIFYs the transferee sends back. For an attended transfer the
target is the party of our consultation call: the Refer-To names its remote target with a
Replaces naming that dialog (RFC 3891), so the transferee's INVITE takes its place. When a
NOTIFY reports the target's 2xx we end the original call with BYE (§6.1); the target ends
the consultation call itself, or we do after ``CONSULT_GRACE``. When the REFER is refused,
the transferee's call fails or no final NOTIFY comes, the original call is resumed if we
held it: nothing is lost. Each step is a ``call.transfer`` event in the transferor role.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from alexphone.core.errors import ParseError, ProtocolError
from alexphone.engine.call import Call
from alexphone.engine.events import (
    CallChanged,
    CallState,
    CallTransferred,
    Event,
    TransferRole,
    TransferState,
)
from alexphone.engine.signaling import Signaling
from alexphone.net.core_driver import CoreDriver, Scheduler
from alexphone.sip.headers import NameAddress
from alexphone.sip.message import Request, Response, make_response
from alexphone.sip.refer_client import ReferClient, ReferProgress, ReferState, classify_notify
from alexphone.sip.replaces import naming
from alexphone.sip.transaction import TransactionId
from alexphone.sip.uri import SipUri

log = logging.getLogger(__name__)
CONSULT_GRACE = 5.0  # seconds we leave the target to BYE the replaced consultation call
_SHOWN = {
    ReferState.REFERRING: TransferState.REQUESTED,
    ReferState.ACCEPTED: TransferState.ACCEPTED,
    ReferState.TRYING: TransferState.TRYING,
    ReferState.SUCCEEDED: TransferState.SUCCEEDED,
    ReferState.FAILED: TransferState.FAILED,
}


class TransferRefused(ProtocolError):
    """A transfer we cannot start; the message says why, in one line."""


class Holds(Protocol):
    """Who holds and resumes calls (the phone's switchboard, which also moves the mixer)."""

    def hold(self, call_id: str) -> None:
        """Put ``call_id`` on hold."""

    def resume(self, call_id: str) -> None:
        """Take ``call_id`` off hold."""


class Referrer(Signaling, Protocol):
    """What the transferor needs from the user agent beyond a call's signaling."""

    def local_aor(self) -> NameAddress:
        """Return our From address (the Referred-By we give, RFC 3892)."""


@dataclass(slots=True)
class _Referral:
    original: Call
    target: str
    event_id: int  # the REFER's CSeq: the NOTIFYs' Event id (RFC 3515 §2.4.6)
    held_by_us: bool
    consult: Call | None
    refer: Request
    driver: CoreDriver[ReferClient] | None = None
    challenge: Response | None = None  # the 401/407 the REFER got, answered once


class Transferor:
    """The REFERs we sent, keyed by the Call-ID of the call being transferred."""

    def __init__(
        self,
        ua: Referrer,
        emit: Callable[[Event], None],
        call_later: Callable[[float, Callable[[], None]], object],
        loop: Scheduler | None = None,
    ) -> None:
        self.ua = ua
        self.emit = emit
        self.call_later = call_later
        self._loop: Scheduler = loop if loop is not None else asyncio.get_running_loop()
        self.holds: Holds | None = None  # None: hold the call itself (no switchboard)
        self._by_call: dict[str, _Referral] = {}
        self._resume_wanted: dict[str, Call] = {}  # a resume waits for the hold to finish

    def transfer(self, call: Call, target: SipUri | None, consult: Call | None = None) -> None:
        """REFER ``call`` to ``target`` (blind) or to ``consult``'s party (attended)."""
        if not call.is_confirmed or call.dialog is None:
            raise TransferRefused(f"call {call.call_id} is not up")
        if call.call_id in self._by_call:
            raise TransferRefused(f"call {call.call_id} is already being transferred")
        if consult is not None:
            target = _consult_target(consult)
        if target is None:
            raise TransferRefused("a transfer needs a target or a consultation call")
        held_by_us = not call.held
        if held_by_us:  # RFC 5589 §6.1: the transferee waits on hold
            self._hold(call, True)
        refer = self.ua.prepare_in_dialog(call.dialog, "REFER")
        refer.headers.set("Refer-To", f"<{target}>")
        refer.headers.set("Referred-By", f"<{self.ua.local_aor().uri}>")
        shown = str(replace(target, headers=()))
        referral = _Referral(call, shown, refer.cseq.seq, held_by_us, consult, refer)
        client = ReferClient(self._loop.time())
        referral.driver = CoreDriver(client, lambda now: self._flush(referral), loop=self._loop)
        self._by_call[call.call_id] = referral
        self._emit(referral, TransferState.REQUESTED)
        self.ua.send_request(refer, _ReferOutcome(self, referral))

    def notify_received(self, call: Call, tid: TransactionId, request: Request) -> bool:
        """Answer a NOTIFY in ``call``'s dialog (ours are refer's); False for other methods."""
        if request.method != "NOTIFY":
            return False
        event = (request.headers.get("Event") or "").split(";", 1)[0].strip().lower()
        if event != "refer":  # RFC 6665 §8.2.1: the only event package we take
            self.ua.respond(tid, make_response(request, 489, "Bad Event"))
            return True
        assert call.dialog is not None
        if call.dialog.receive_request(request) is not None:  # RFC 3261 §12.2.2
            self.ua.respond(tid, make_response(request, 500, "CSeq out of order"))
            return True
        referral = self._by_call.get(call.call_id)
        if referral is None or referral.driver is None or not _same_id(request, referral):
            self.ua.respond(tid, make_response(request, 481, "Subscription Does Not Exist"))
            return True
        try:
            report = classify_notify(request)
        except ParseError as exc:
            log.info("NOTIFY in %s refused: %s (%r)", call.call_id, exc, request.body[:80])
            self.ua.respond(tid, make_response(request, 400, f"Bad Request ({exc})"[:100]))
            return True
        self.ua.respond(tid, self.ua.finish_response(make_response(request, 200, "OK")))
        driver = referral.driver
        self._feed(referral, lambda now: driver.core.notify_received(report, now))
        return True

    def on_call_changed(self, event: CallChanged) -> None:
        """Resume a call whose hold finished after its transfer failed; forget ended calls."""
        if event.state is CallState.HELD and (call := self._resume_wanted.pop(event.call_id, None)):
            self._hold(call, False)
        if event.state is not CallState.ENDED:
            return
        self._resume_wanted.pop(event.call_id, None)
        referral = self._by_call.pop(event.call_id, None)
        if referral is not None and referral.driver is not None:
            referral.driver.close()  # the transferee may BYE first (RFC 5589 §6.1)

    def refer_answered(
        self, referral: _Referral, status: int, reason: str, response: Response | None = None
    ) -> None:
        """Take the REFER's final response, or the failure of its transaction."""
        driver = referral.driver
        if driver is not None and not driver.closed:
            referral.challenge = response
            self._feed(referral, lambda now: driver.core.refer_response(status, reason, now))

    def _feed(self, referral: _Referral, step: Callable[[float], None]) -> None:
        driver = referral.driver
        assert driver is not None
        try:
            step(driver.now())
        except ProtocolError as exc:
            log.info("transfer of %s: %s", referral.original.call_id, exc)
            return
        driver.transmit()

    def _flush(self, referral: _Referral) -> None:
        assert referral.driver is not None
        while (progress := referral.driver.core.next_event()) is not None:
            self._progress(referral, progress)

    def _progress(self, referral: _Referral, progress: ReferProgress) -> None:
        if progress.state is ReferState.AUTHORIZING:
            self._authorize(referral, progress)
            return
        self._emit(referral, _SHOWN[progress.state])
        if not progress.done:
            return
        assert referral.driver is not None
        referral.driver.close()
        self._by_call.pop(referral.original.call_id, None)
        if progress.state is ReferState.SUCCEEDED:
            referral.original.hang_up()
            if (consult := referral.consult) is not None:
                self.call_later(CONSULT_GRACE, lambda: _end(consult))
        elif referral.held_by_us and not referral.original.ended:
            log.info("transfer failed (%s %s): resuming", progress.status, progress.reason)
            self._resume(referral.original)

    def _authorize(self, referral: _Referral, progress: ReferProgress) -> None:
        """Send the REFER again with credentials answering its 401/407 (RFC 3261 §22.2)."""
        driver, challenge = referral.driver, referral.challenge
        assert driver is not None
        retry = None if challenge is None else self.ua.authorize(referral.refer, challenge)
        dialog = referral.original.dialog
        if retry is None or dialog is None:  # the flush that runs us drains the failure
            driver.core.challenge_refused(progress.status or 401, progress.reason, driver.now())
            return
        dialog.local_seq = max(dialog.local_seq, retry.cseq.seq)  # §8.1.3.5: CSeq + 1
        referral.refer, referral.event_id = retry, retry.cseq.seq  # the NOTIFYs' id follows
        self.ua.send_request(retry, _ReferOutcome(self, referral))

    def _resume(self, call: Call) -> None:
        """Take the call off hold, or do so once the hold still under way is done."""
        if call.held:
            self._hold(call, False)
        else:
            self._resume_wanted[call.call_id] = call

    def _hold(self, call: Call, on: bool) -> None:
        if self.holds is None:
            call.hold(on)
        elif on:
            self.holds.hold(call.call_id)
        else:
            self.holds.resume(call.call_id)

    def _emit(self, referral: _Referral, state: TransferState) -> None:
        call_id = referral.original.call_id
        self.emit(CallTransferred(call_id, referral.target, state, TransferRole.TRANSFEROR))


def _consult_target(consult: Call) -> SipUri:
    """The consultation party's remote target, with a Replaces naming that dialog (§7)."""
    dialog = consult.dialog
    if not consult.is_confirmed or dialog is None:
        raise TransferRefused(f"consultation call {consult.call_id} is not up")
    target = dialog.remote_target
    if not isinstance(target, SipUri):
        raise TransferRefused(f"consultation call {consult.call_id} has no SIP target")
    return replace(target, headers=(("Replaces", str(naming(dialog.id))),))


def _same_id(request: Request, referral: _Referral) -> bool:
    """Tell whether a NOTIFY's Event id (if any) names our REFER (RFC 3515 §2.4.6)."""
    event = request.headers.get("Event") or ""
    for param in event.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "id":
            return value.strip() == str(referral.event_id)
    return True


def _end(call: Call) -> None:
    if not call.ended:
        call.hang_up()


class _ReferOutcome:
    def __init__(self, transferor: Transferor, referral: _Referral) -> None:
        self.transferor = transferor
        self.referral = referral

    def on_response(self, response: Response) -> None:
        if response.status >= 200:
            status, reason = response.status, response.reason
            self.transferor.refer_answered(self.referral, status, reason, response)

    def on_failure(self, status: int, reason: str) -> None:
        self.transferor.refer_answered(self.referral, status, reason)
