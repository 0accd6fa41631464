"""Restart ALEX checks in a running call: consent lost or our addresses changed (ALEX.md).

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

One restart runs per call at a time; a second trigger while its addresses are gathered or
its re-INVITE is out is ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.checks import CheckAgent
from alexphone.alex.items import new_session
from alexphone.alex.negotiation import Mode
from alexphone.alex.probe import Credentials
from alexphone.engine.alexcall.headers import AUDIO_FLOW, SIP_FLOW, read_peer, socket_candidates
from alexphone.engine.alexcall.media_sockets import audio_candidates
from alexphone.engine.alexcall.session import AlexSession
from alexphone.engine.call import Call, Phase
from alexphone.engine.events import ErrorReported
from alexphone.sip.message import Request, Response

if TYPE_CHECKING:
    from alexphone.engine.call import Signaling

log = logging.getLogger(__name__)
OFFER_RETRY = 1.0  # seconds: a restart waits for our other offer's answer (e.g. hold)


def renew_agent(session: AlexSession, *, keep_gathered: bool) -> None:
    """Replace the session's agent by a fresh one with new credentials and candidates."""
    old = session.agent
    old.close()
    session.values = new_session(session.hub.ids, session.hub.instance)
    session.sip_bound = session.hub.sip_bound()
    sip = [c for bound in session.sip_bound for c in socket_candidates(SIP_FLOW, bound)]
    sip += session.hub.registered_reflexive(sip)
    audio = audio_candidates(session.media_bounds)  # both families' pairs
    kept: list[Candidate] = []
    if keep_gathered:  # consent lost on a path: STUN/TURN addresses are still ours
        kept = [c for c in session.candidates if c.type is not CandidateType.HOST]
        kept = [c for c in kept if c not in sip]
    session.candidates = sorted(
        [*audio, *sip, *kept], key=lambda c: (c.flow != AUDIO_FLOW, -c.priority)
    )
    credentials = Credentials(session.values.ufrag, session.values.pwd)
    session.agent = CheckAgent(
        old.role,
        credentials,
        session.values.tie_breaker,
        budget=session.hub.budget,
        rng=session.hub.rng,
    )
    session.agent.add_local_candidates(session.candidates)


def _start(session: AlexSession, request_or_response: Request | Response) -> bool:
    """Give the fresh agent the peer's new items and start checking; False if none."""
    decision = read_peer(
        request_or_response.headers, enabled=True, keep_loopback=session.keep_loopback
    )
    if decision.mode is not Mode.ALEX or decision.announcement is None:
        return False
    peer = decision.announcement.session
    session.agent.set_remote(
        Credentials(peer.ufrag, peer.pwd), list(decision.announcement.candidates)
    )
    now = session.hub.loop.time()
    session.confirmed_at = now  # alex.selected's after_ms counts from the restart
    session.agent.start(now)
    session.pump()
    return True


class ChecksRestart:
    """Runs ALEX restarts for the calls of one user agent."""

    def __init__(
        self,
        signaling: Signaling,
        calls: dict[str, Call],
        regather: Callable[[AlexSession], Awaitable[None]] | None = None,
    ) -> None:
        self.signaling = signaling
        self.calls = calls
        self.regather = regather  # a new network's srflx/relay; None without STUN/TURN
        self.pending: set[str] = set()  # Call-IDs whose restart re-INVITE is out
        self._answer: set[str] = set()  # Call-IDs whose next 2xx carries our new items
        self._tasks: set[asyncio.Task[None]] = set()
        self.restarts = 0

    def watch(self, call: Call) -> None:
        """Restart the call's checks when its consent expires."""
        if call.alex is not None:
            call.alex.on_consent_lost = lambda flow: self._consent_lost(call, flow)

    def _consent_lost(self, call: Call, flow: str) -> None:
        # Consent fails on both sides when a path breaks either way: only the controlling
        # side re-INVITEs, so that two restarts never cross (no 491 glare).
        if call.alex is not None and call.alex.agent.controlling:
            self.restart(call, f"consent lost ({flow})")

    def network_changed(self) -> None:
        """Our addresses changed: restart every running ALEX call (mobility)."""
        for call in list(self.calls.values()):
            self.restart(call, "local addresses changed", keep_gathered=False)

    def restart(self, call: Call, why: str, *, keep_gathered: bool = True) -> bool:
        """Start over with new credentials and send the re-INVITE; False if not possible."""
        session, dialog = call.alex, call.dialog
        if session is None or not session.active or dialog is None:
            return False
        if call.phase is not Phase.CONFIRMED or call.call_id in self.pending:
            return False
        if call.sdp.offer_pending or session.agent.remote is None:
            return False
        renew_agent(session, keep_gathered=keep_gathered)
        self.pending.add(call.call_id)
        self.restarts += 1
        log.info("call %s: ALEX restart: %s", call.call_id, why)
        session.hub.emit(ErrorReported("alex", f"call {call.call_id}: checks restart: {why}"))
        if keep_gathered or self.regather is None:
            self._offer(call)
        else:
            task = session.hub.loop.create_task(self._gather_then_offer(call, session))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    def _offer_if_pending(self, call: Call) -> None:
        if call.call_id in self.pending:
            self._offer(call)

    async def _gather_then_offer(self, call: Call, session: AlexSession) -> None:
        assert self.regather is not None
        await self.regather(session)
        self._offer_if_pending(call)  # unless the call ended meanwhile

    def _offer(self, call: Call) -> None:
        """Send the restart re-INVITE with our new ALEX headers."""
        session, dialog = call.alex, call.dialog
        if session is None or dialog is None or call.phase is not Phase.CONFIRMED:
            self.pending.discard(call.call_id)
            return
        if call.sdp.offer_pending:  # another offer of ours came first: after its answer
            session.hub.loop.call_later(OFFER_RETRY, self._offer_if_pending, call)
            return
        reinvite = self.signaling.prepare_in_dialog(dialog, "INVITE")
        call.attach_sdp(reinvite, call.sdp.create_offer())
        session.announce(reinvite.headers)
        self.signaling.send_request(reinvite, _RestartOutcome(self, call, reinvite))

    def peer_request(self, call: Call, request: Request) -> None:
        """An in-dialog request came: restart too if it carries a new ALEX-session."""
        session = call.alex
        if request.method not in ("INVITE", "UPDATE") or session is None or not session.active:
            return
        if call.call_id in self.pending or call.sdp.offer_pending:
            return  # glare: the call answers 491 (RFC 3261 §14.2)
        decision = read_peer(request.headers, enabled=True, keep_loopback=session.keep_loopback)
        if decision.announcement is None:
            return
        known = session.agent.remote
        if known is not None and known.ufrag == decision.announcement.session.ufrag:
            return
        renew_agent(session, keep_gathered=True)
        self.restarts += 1
        log.info("call %s: ALEX restart asked by the peer", call.call_id)
        self._answer.add(call.call_id)
        _start(session, request)

    def announce(self, response: Response) -> None:
        """Put our new items into the 2xx that answers the peer's restart."""
        call = self.calls.get(response.call_id)
        if call is None or call.alex is None or not 200 <= response.status < 300:
            return
        if call.call_id in self._answer and response.cseq.method in ("INVITE", "UPDATE"):
            self._answer.discard(call.call_id)
            call.alex.announce(response.headers)

    def forget(self, call_id: str) -> None:
        """The call ended."""
        self.pending.discard(call_id)
        self._answer.discard(call_id)


class _RestartOutcome:
    """The restart re-INVITE's outcome: the peer's new items start our checks."""

    def __init__(self, restart: ChecksRestart, call: Call, request: Request) -> None:
        self.restart, self.call, self.request = restart, call, request

    def on_response(self, response: Response) -> None:
        if response.status < 200:
            return
        self.restart.pending.discard(self.call.call_id)
        self.call.on_reinvite_response(self.request, response)
        session = self.call.alex
        if response.status < 300 and session is not None and not _start(session, response):
            log.info("call %s: the peer answered our restart without ALEX", self.call.call_id)

    def on_failure(self, status: int, reason: str) -> None:
        self.restart.pending.discard(self.call.call_id)
        self.call.sdp.cancel_offer()
        log.info("call %s: ALEX restart re-INVITE failed: %s", self.call.call_id, reason)
