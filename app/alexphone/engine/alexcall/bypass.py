"""In-dialog signaling on the ALEX-selected ``sip`` pair (docs/ALEX.md "Signaling bypass").

Theory of operation. Once a call's dialog is confirmed and its ALEX ``sip`` flow has a
selected pair, in-dialog requests (BYE, re-INVITE, UPDATE, INFO) go straight to the pair's
remote address instead of through the route set, provided the route set is empty or every
Record-Route URI carries ``;alex-bypass`` (each proxy's consent to leave the path). The
request keeps the dialog's remote target as Request-URI and drops its Route headers.

A direct request that gets no response at all within ``FALLBACK_AFTER`` (2 s), or whose
transaction fails, is sent again over the route set as a new transaction (new branch, new
CSeq, RFC 3261 §12.2.1.1) and the dialog falls back: no further direct tries. Whatever the
abandoned direct transaction hears later is dropped. ACKs for 2xx are not touched: they
follow the route set (RFC 3261 §13.2.2.4), so a proxy that record-routes sees the ACK.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from alexphone.engine.alexcall.session import AlexCall
from alexphone.engine.response_handler import ResponseHandler
from alexphone.engine.sip_stack import Destination
from alexphone.net.core_driver import Cancellable
from alexphone.net.transport import TransportKind
from alexphone.sip.dialog import Dialog, DialogState
from alexphone.sip.headers import CSeq, NameAddress
from alexphone.sip.message import Request, Response
from alexphone.sip.uri import SipUri

log = logging.getLogger(__name__)
BYPASS_PARAM = "alex-bypass"
DIRECT_METHODS = frozenset({"BYE", "INVITE", "UPDATE", "INFO"})
FALLBACK_AFTER = 2.0  # seconds a direct request may go unanswered


class SendRequest(Protocol):
    """The user agent's ``send_request``."""

    def __call__(
        self, request: Request, handler: ResponseHandler, destination: Destination | None = None
    ) -> None:
        """Send ``request`` in a client transaction (to ``destination`` if given)."""


CallLater = Callable[[float, Callable[[], None]], Cancellable]


class DialogCall(Protocol):
    """What the bypass needs of a call (engine/call.py's ``Call``)."""

    @property
    def call_id(self) -> str:
        """The Call-ID."""
        ...

    @property
    def dialog(self) -> Dialog | None:
        """The dialog once there is one."""
        ...

    @property
    def alex(self) -> AlexCall | None:
        """The call's ALEX driver, None without ALEX."""
        ...


def bypass_allowed(route_set: Sequence[NameAddress]) -> bool:
    """Tell whether the proxies consent: no route set, or ``;alex-bypass`` on every entry."""
    return all(isinstance(r.uri, SipUri) and r.uri.has_param(BYPASS_PARAM) for r in route_set)


class SignalingBypass:
    """Sends the in-dialog requests of ALEX calls direct, with the 2 s fallback."""

    def __init__(self, send: SendRequest, call_later: CallLater) -> None:
        self.send = send
        self.call_later = call_later
        self._fallen_back: set[str] = set()  # Call-IDs whose dialog signals via the route set
        self._direct_sent = 0
        self._fallbacks = 0

    @property
    def fallen_back(self) -> frozenset[str]:
        """The Call-IDs whose in-dialog requests go over the route set again."""
        return frozenset(self._fallen_back)

    @property
    def direct_sent(self) -> int:
        """Requests sent direct so far."""
        return self._direct_sent

    @property
    def fallbacks(self) -> int:
        """Direct requests that fell back to the route set so far."""
        return self._fallbacks

    def direct_target(self, call: DialogCall, request: Request) -> tuple[str, int] | None:
        """The selected ``sip`` remote address ``request`` may go to, None: the route set."""
        dialog, alex = call.dialog, call.alex
        if request.method not in DIRECT_METHODS or request.to.tag is None:
            return None
        if dialog is None or dialog.state is not DialogState.CONFIRMED or alex is None:
            return None
        if not alex.active or call.call_id in self._fallen_back:
            return None
        if not bypass_allowed(dialog.route_set):
            return None
        return alex.sip_target()

    def route(self, call: DialogCall, request: Request, handler: ResponseHandler) -> bool:
        """Send ``request`` straight to the peer if the call may; False: send it as usual."""
        target = self.direct_target(call, request)
        if target is None or call.dialog is None:
            return False
        direct = Request(request.method, call.dialog.remote_target, request.headers.copy())
        direct.body = request.body
        direct.headers.remove("Route")
        attempt = _DirectAttempt(self, call.call_id, call.dialog, request, handler)
        self._direct_sent += 1
        log.info("call %s: %s direct to %s", call.call_id, request.method, target)
        self.send(direct, attempt, Destination(TransportKind.UDP, target))
        return True

    def forget(self, call_id: str) -> None:
        """The call ended."""
        self._fallen_back.discard(call_id)

    def fall_back(
        self, call_id: str, dialog: Dialog, request: Request, handler: ResponseHandler
    ) -> None:
        """Resend ``request`` over the route set as a new transaction; stop direct tries."""
        self._fallen_back.add(call_id)
        self._fallbacks += 1
        dialog.local_seq += 1  # RFC 3261 §12.2.1.1: a new request in the dialog
        headers = request.headers.copy()
        headers.remove("Via")
        headers.set("CSeq", str(CSeq(dialog.local_seq, request.method)))
        log.info(
            "call %s: no answer to a direct %s, back to the route set", call_id, request.method
        )
        self.send(Request(request.method, request.uri, headers, request.body), handler)


class _DirectAttempt:
    """The handler of a direct request: passes answers on, falls back on silence."""

    def __init__(
        self,
        bypass: SignalingBypass,
        call_id: str,
        dialog: Dialog,
        request: Request,
        handler: ResponseHandler,
    ) -> None:
        self.bypass, self.call_id, self.dialog = bypass, call_id, dialog
        self.request, self.handler = request, handler
        self.answered = False
        self.abandoned = False
        self.timer: Cancellable | None = bypass.call_later(FALLBACK_AFTER, self._fall_back)

    def on_response(self, response: Response) -> None:
        if self.abandoned:
            return
        self.answered = True
        self._stop_timer()
        self.handler.on_response(response)

    def on_failure(self, status: int, reason: str) -> None:
        if self.abandoned:
            return
        if self.answered:
            self.handler.on_failure(status, reason)
        else:
            self._fall_back()

    def _fall_back(self) -> None:
        self.timer = None
        if self.answered or self.abandoned:
            return
        self.abandoned = True
        self._stop_timer()
        self.bypass.fall_back(self.call_id, self.dialog, self.request, self.handler)

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
