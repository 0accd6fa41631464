"""Restart a call's ALEX checks: consent lost or our addresses moved (docs/ALEX.md "Restart").

Theory of operation. In ACTIVE, 30 s without consent on a selected pair (RFC 7675 §5.1,
the agent's ``ConsentExpired``) or a change of our local addresses (mobility) restarts
checking with new credentials, as an ICE restart does (RFC 8445 §9):

- the side that notices drops its check agent and starts a fresh one with a new ALEX-session
  (new ufrag/pwd/tie-breaker, same role) and our current host candidates, then sends a
  re-INVITE carrying the same SDP and the new ALEX headers; it goes over the route set,
  because the direct ``sip`` pair is exactly what is in doubt;
- after a move to another network our srflx and relayed addresses belong to the old one:
  with ``--stun``/``--turn`` the side that moved frees them and gathers again from the
  call's sockets (bounded by the STUN and TURN timeouts) before the re-INVITE announces;
- the peer sees an ALEX-session whose ufrag differs from the one it knows: it restarts too,
  starts checking at once toward the new items and answers the re-INVITE with its own new
  ALEX headers;
- the 2xx gives the restarting side the peer's new items: its agent starts, the checks run
  again, and the selections move media (``on_media_path``) and signaling to the new pairs.

The call's checks change only through its ``AlexCall`` (``renew``, ``renew_for_peer``,
``restart_checks``); the call itself is seen through ``RestartingCall``, so this module does
not import the call.

One restart runs per call at a time; a second trigger while its addresses are gathered or
its re-INVITE is out is ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from alexphone.engine.alexcall.session import AlexCall
from alexphone.engine.events import ErrorReported, ErrorSource, Event
from alexphone.engine.response_handler import ResponseHandler
from alexphone.net.task_set import TaskSet
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.session import SessionDescription
from alexphone.sip.dialog import Dialog
from alexphone.sip.message import Request, Response

log = logging.getLogger(__name__)
OFFER_RETRY = 1.0  # seconds: a restart waits for our other offer's answer (e.g. hold)


class RestartSignaling(Protocol):
    """What a restart sends through (the user agent)."""

    def prepare_in_dialog(self, dialog: Dialog, method: str, cseq: int | None = None) -> Request:
        """Build an in-dialog request with our Via and Contact."""
        ...

    def send_request(self, request: Request, handler: ResponseHandler) -> None:
        """Send ``request`` in a client transaction."""
        ...


class RestartingCall(Protocol):
    """What a restart needs of a call (engine/call.py's ``Call``)."""

    @property
    def call_id(self) -> str:
        """The Call-ID."""
        ...

    @property
    def alex(self) -> AlexCall | None:
        """The call's ALEX driver, None without ALEX."""
        ...

    @property
    def dialog(self) -> Dialog | None:
        """The dialog once there is one."""
        ...

    @property
    def sdp(self) -> SdpSession:
        """The call's offer/answer state."""
        ...

    @property
    def is_confirmed(self) -> bool:
        """Tell whether the call is confirmed and not ending."""
        ...

    def attach_sdp(self, message: Request | Response, sdp: SessionDescription) -> None:
        """Put ``sdp`` (with our ICE attributes) in ``message``."""
        ...

    def reoffer(
        self,
        build: Callable[[Dialog], Request],
        handler: Callable[[Request], ResponseHandler],
        *,
        replace: bool = True,
    ) -> bool:
        """Send the re-INVITE ``build`` makes (again after a 491); False if not now."""
        ...

    def on_reinvite_response(self, response: Response) -> None:
        """Finish a re-INVITE of ours: ACK a 2xx and apply the answer."""
        ...

    def on_reinvite_failure(self, status: int, reason: str, *, fatal: bool = True) -> None:
        """A re-INVITE of ours got no response: end the dialog, or keep it if not ``fatal``."""
        ...


Regather = Callable[[AlexCall], Awaitable[None]]


class ChecksRestart:
    """Runs ALEX restarts for the calls of one user agent."""

    def __init__(
        self,
        signaling: RestartSignaling,
        calls: Mapping[str, RestartingCall],
        emit: Callable[[Event], None],
        regather: Regather | None = None,
    ) -> None:
        self._signaling = signaling
        self._calls = calls
        self._emit = emit
        self._regather = regather  # a new network's srflx/relay; None without STUN/TURN
        self._pending: set[str] = set()  # Call-IDs whose restart re-INVITE is out
        self._answer: set[str] = set()  # Call-IDs whose next 2xx carries our new items
        self._tasks = TaskSet(log, "ALEX restart")
        self._restarts = 0
        # told (Call-ID, status, reason) when a restart re-INVITE of ours has its outcome
        self.on_outcome: Callable[[str, int, str], None] | None = None

    @property
    def restarts(self) -> int:
        """Restarts so far, ours and the peers'."""
        return self._restarts

    def consent_lost(self, call: RestartingCall, flow: str) -> None:
        """The call's agent lost consent on ``flow`` (RFC 7675 §5.1)."""
        # Consent fails on both sides when a path breaks either way: only the controlling
        # side re-INVITEs, so that two restarts never cross (no 491 glare).
        if call.alex is not None and call.alex.controlling:
            self.restart(call, f"consent lost ({flow})")

    def restart(self, call: RestartingCall, why: str, *, keep_gathered: bool = True) -> bool:
        """Start over with new credentials and send the re-INVITE; False if not possible."""
        session, dialog = call.alex, call.dialog
        if session is None or not session.active or dialog is None:
            return False
        if not call.is_confirmed or call.call_id in self._pending:
            return False
        if call.sdp.offer_pending or session.peer_credentials is None:
            return False
        session.renew(keep_gathered=keep_gathered)
        self._pending.add(call.call_id)
        self._restarts += 1
        log.info("call %s: ALEX restart: %s", call.call_id, why)
        self._emit(ErrorReported(ErrorSource.ALEX, f"call {call.call_id}: checks restart: {why}"))
        if keep_gathered or self._regather is None:
            self._offer(call)
        else:
            self._tasks.spawn(self._gather_then_offer(call, session))
        return True

    def _offer_if_pending(self, call: RestartingCall) -> None:
        if call.call_id in self._pending:
            self._offer(call)

    async def _gather_then_offer(self, call: RestartingCall, session: AlexCall) -> None:
        assert self._regather is not None
        await self._regather(session)
        self._offer_if_pending(call)  # unless the call ended meanwhile

    def _offer(self, call: RestartingCall) -> None:
        """Send the restart re-INVITE with our new ALEX headers."""
        session = call.alex
        if session is None or call.dialog is None or not call.is_confirmed:
            self._pending.discard(call.call_id)
            return

        def build(dialog: Dialog) -> Request:
            reinvite = self._signaling.prepare_in_dialog(dialog, "INVITE")
            call.attach_sdp(reinvite, call.sdp.create_offer())
            session.announce(reinvite.headers)
            return reinvite

        def outcome(reinvite: Request) -> ResponseHandler:
            return _RestartOutcome(self, call, reinvite)

        # the call retries after a 491 (RFC 3261 §14.1); while another offer of ours is out
        # or waits to be retried (a hold), the restart goes later
        if not call.reoffer(build, outcome, replace=False):
            asyncio.get_running_loop().call_later(OFFER_RETRY, self._offer_if_pending, call)

    def peer_request(self, call: RestartingCall, request: Request) -> None:
        """An in-dialog request came: restart too if it carries a new ALEX-session."""
        session = call.alex
        if request.method not in ("INVITE", "UPDATE") or session is None or not session.active:
            return
        if call.call_id in self._pending or call.sdp.offer_pending:
            return  # glare: the call answers 491 (RFC 3261 §14.2)
        if session.renew_for_peer(request.headers):
            self._restarts += 1
            log.info("call %s: ALEX restart asked by the peer", call.call_id)
            self._answer.add(call.call_id)

    def announce(self, response: Response) -> None:
        """Put our new items into the 2xx that answers the peer's restart."""
        call = self._calls.get(response.call_id)
        if call is None or call.alex is None or not 200 <= response.status < 300:
            return
        if call.call_id in self._answer and response.cseq.method in ("INVITE", "UPDATE"):
            self._answer.discard(call.call_id)
            call.alex.announce(response.headers)

    def refused(self, call: RestartingCall, why: str) -> None:
        """The peer refused the restart re-INVITE: the old paths stay, they may be gone."""
        message = f"call {call.call_id}: the peer refused the restart ({why}): the call may drop"
        self._emit(ErrorReported(ErrorSource.ALEX, message))

    def settled(self, call_id: str, status: int, reason: str) -> None:
        """The call's restart re-INVITE has its final outcome."""
        self._pending.discard(call_id)
        if self.on_outcome is not None:
            self.on_outcome(call_id, status, reason)

    def forget(self, call_id: str) -> None:
        """The call ended."""
        self._pending.discard(call_id)
        self._answer.discard(call_id)


class _RestartOutcome:
    """The restart re-INVITE's outcome: the peer's new items start our checks."""

    def __init__(self, restart: ChecksRestart, call: RestartingCall, request: Request) -> None:
        self.restart, self.call, self.request = restart, call, request

    def on_response(self, response: Response) -> None:
        if response.status < 200 or response.status == 491:  # the call retries (§14.1)
            self.call.on_reinvite_response(response)
            return
        self.restart.settled(self.call.call_id, response.status, response.reason)
        self.call.on_reinvite_response(response)
        session = self.call.alex
        if response.status >= 300:
            self.restart.refused(self.call, f"{response.status} {response.reason}")
            return
        if session is None:
            return
        # an ALEX peer answers with new items; an ICE peer with new SDP credentials (RFC 8445
        # §9: the ICE restart)
        if not session.restart_checks(response.headers) and not session.restart_ice(response.body):
            log.info("call %s: the peer answered our restart without ALEX", self.call.call_id)

    def on_failure(self, status: int, reason: str) -> None:
        self.restart.settled(self.call.call_id, status, reason)
        self.call.on_reinvite_failure(status, reason, fatal=False)  # the call goes on
        self.restart.refused(self.call, f"{status} {reason}")
        log.info("call %s: ALEX restart re-INVITE failed: %s", self.call.call_id, reason)
