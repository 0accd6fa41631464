"""ALEX in real calls: one check agent per call on the SIP and RTP sockets (ALEX.md).

Theory of operation. The ``AlexHub`` (hub.py) is the process-wide part. An
``AlexSession`` is the per-call driver of a sans-I/O ``CheckAgent``:

- it announces our candidates (``ALEX-session``/``ALEX-item``, ``Supported: alex``) in the
  INVITE (UAC) or in the 18x/2xx when the INVITE carried ALEX (UAS);
- it decides the mode once from the peer's INVITE or first 18x/2xx that announces ALEX
  (or from the 2xx); only ALEX mode runs checks;
- checks start when the dialog is confirmed (the 2xx arrives, or we send it), seeded with
  the cache's pairs for this peer on this network; the media socket joins when the media
  starts, and datagrams for it wait until then;
- agent events become ``alex.pair``/``alex.selected``; the best proven audio pair carries
  the media before nomination, the selected one after. ``may_send`` is the media gate:
  while ALEX runs, RTP only goes to addresses that answered an authenticated probe
  (ALEX.md, ARCHITECTURE.md §8);
- with ``--stun``/``--turn``, ``gather`` runs before our first announcement (bounded by the
  gatherer's STUN and TURN timeouts): the media socket's srflx and a TURN relayed candidate.
  The ``sip`` srflx is the REGISTER's received/rport (``AlexHub.learn_sip_mapping``), known
  at once. Probes and media from the relayed candidate go through the TURN allocation, and
  what the relay receives comes back here (STUN to the agent, RTP/RTCP to the media socket).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from alexphone.alex.cache import (
    CacheKey,
    CacheUse,
    endpoint,
    failure,
    parse_endpoint,
    success,
)
from alexphone.alex.candidate import Candidate, CandidateType, format_hostport
from alexphone.alex.checks import AgentState, CheckAgent
from alexphone.alex.connection_list import PairState
from alexphone.alex.events import (
    AgentEvent,
    ConsentExpired,
    FlowFailed,
    PairChanged,
    PairSelected,
    Role,
    path_kind,
)
from alexphone.alex.items import new_session, write_alex
from alexphone.alex.negotiation import Mode, add_supported
from alexphone.alex.probe import Credentials, Datagram
from alexphone.core.address import Address
from alexphone.core.errors import ParseError, TransportError
from alexphone.engine.alexcall.gathering import SipMapping, gather_for_call
from alexphone.engine.alexcall.headers import (
    AUDIO_FLOW,
    EVENT_FLOWS,
    SIP_FLOW,
    base_for,
    is_loopback,
    media_bound_for,
    read_peer,
    socket_candidates,
)
from alexphone.engine.alexcall.hub import AlexHub
from alexphone.engine.events import (
    AlexPairChanged,
    AlexSelected,
    CheckState,
    ErrorReported,
    Flow,
    PathKind,
)
from alexphone.engine.settings import PhoneSettings
from alexphone.net.gatherer import Gathered
from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket
from alexphone.net.turn_client import RelayAllocation
from alexphone.sip.message import Headers

log = logging.getLogger(__name__)
MAX_PENDING = 64  # media datagrams held until the media socket opens
Send = Callable[[bytes, Address], None]
_PAIR_STATES = {
    PairState.WAITING: CheckState.WAITING,
    PairState.IN_PROGRESS: CheckState.IN_PROGRESS,
    PairState.SUCCEEDED: CheckState.SUCCEEDED,
    PairState.FAILED: CheckState.FAILED,
}


class AlexSession:
    """The ALEX driver of one call: headers, checks, events, cache and the media gate."""

    def __init__(self, hub: AlexHub, call_id: str, role: Role, media: Address, peer: str) -> None:
        self.hub = hub
        self.call_id = call_id
        self.peer = peer  # cache key: the peer's instance once known, else its AOR
        self.values = new_session(hub.ids, hub.instance)
        credentials = Credentials(self.values.ufrag, self.values.pwd)
        self.agent = CheckAgent(
            role, credentials, self.values.tie_breaker, budget=hub.budget, rng=hub.rng
        )
        self.sip_bound = hub.sip_bound()
        self.media_bound = media
        self.media_bounds = [media]  # and the IPv6 pair's (media_sockets.py)
        sip = [c for bound in self.sip_bound for c in socket_candidates(SIP_FLOW, bound)]
        sip += hub.registered_reflexive(sip)
        audio = socket_candidates(AUDIO_FLOW, media)
        self.candidates: list[Candidate] = [*audio, *sip]  # media flows first (checks.py)
        self.agent.add_local_candidates(self.candidates)
        self._gathered: Gathered | None = None
        self._relays: dict[Address, RelayAllocation] = {}  # relayed address -> allocation
        self.keep_loopback = bool(self.candidates) and all(
            is_loopback(c.address[0]) for c in self.candidates
        )
        self.mode: Mode | None = None
        self.network = ""
        self.confirmed_at: float | None = None
        # (our address as the peer sees it, the peer's address, path kind)
        self.on_media_path: Callable[[Address, Address, str], None] | None = None
        self._media_path: tuple[Address, Address, str] | None = None  # where audio goes now
        self._media: RtpSocket | None = None
        self._pending: list[Datagram] = []
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self.on_consent_lost: Callable[[str], None] = lambda flow: None  # restart.py
        hub.sessions[call_id] = self

    @property
    def active(self) -> bool:
        """Tell whether checks run for this call (ALEX both ways, or ICE with an ICE peer)."""
        return self.mode in (Mode.ALEX, Mode.ICE) and not self._closed  # ice.py

    @property
    def probes(self) -> int:
        """Probes our agent sent so far."""
        return self.agent.probes_sent

    def _now(self) -> float:
        return self.hub.loop.time()

    async def gather(self, settings: PhoneSettings, port: MediaPort | RtpSocket) -> None:
        """Add srflx (STUN; ``sip`` only if no REGISTER told us) and relay (TURN, media)."""
        unmapped = [b for b in self.sip_bound if self.hub.sip_mapping(b) is None][:1]
        sip = [SipMapping(bound) for bound in unmapped]
        client = self.hub.sip_stun_client(unmapped[0]) if unmapped else None
        try:
            gathered = await gather_for_call(
                settings, media=[(AUDIO_FLOW, port)], sip=sip, sip_stun=client
            )
        finally:
            if client is not None:
                self.hub.stun_clients.remove(client)
        if self._closed:
            self.hub.free_later(gathered)
            return
        self._gathered = gathered
        known = {(c.flow, c.address) for c in self.candidates}
        extra = [
            c
            for c in gathered.candidates
            if c.type is not CandidateType.HOST and (c.flow, c.address) not in known
        ]
        for problem in gathered.problems:
            where = f"call {self.call_id}: no {problem.kind.value} from {problem.server}"
            self.hub.emit(ErrorReported("alex", f"{where}: {problem.reason}"))
        relay = gathered.relays.get(AUDIO_FLOW)
        if relay is not None:
            self._relays[relay.relayed] = relay
            relayed = relay.relayed
            relay.on_receive = lambda data, remote: self._on_relay(relayed, data, remote)
        self.candidates = sorted(
            [*self.candidates, *extra], key=lambda c: (c.flow != AUDIO_FLOW, -c.priority)
        )
        self.agent.add_local_candidates(extra)

    async def regather(self, settings: PhoneSettings) -> None:
        """Our network changed: free the old srflx/relay, gather again from the media socket."""
        self._drop_gathered()
        if self._media is not None and not self._closed:
            await self.gather(settings, self._media)

    def _drop_gathered(self) -> None:
        for relay in self._relays.values():
            relay.on_receive = None
        self._relays.clear()
        if self._gathered is not None:
            self.hub.free_later(self._gathered)  # RFC 8656 §7.2: Refresh with lifetime 0
            self._gathered = None

    # -- signaling ---------------------------------------------------------------------------
    def announce(self, headers: Headers) -> None:
        """Add ``Supported: alex`` and, unless the peer is plain, our ALEX headers."""
        add_supported(headers)
        if self.mode in (None, Mode.ALEX) and not self._closed:
            write_alex(headers, self.values, self.candidates)

    def peer_headers(self, headers: Headers, final: bool) -> None:
        """Decide the mode from the peer's INVITE or 18x/2xx (once: the first ALEX wins)."""
        if self.mode is not None or self._closed:
            return
        decision = read_peer(headers, enabled=True, keep_loopback=self.keep_loopback)
        if decision.mode is not Mode.ALEX:
            if final:
                self.mode = decision.mode
                log.info("call %s: no ALEX (%s)", self.call_id, decision.reason)
            return
        announcement = decision.announcement
        assert announcement is not None
        self.mode = Mode.ALEX
        session = announcement.session
        if session.instance:
            self.peer = session.instance
        self.agent.set_remote(
            Credentials(session.ufrag, session.pwd), list(announcement.candidates)
        )

    def confirmed(self) -> None:
        """The dialog is confirmed: seed from the cache and start checking."""
        if self.confirmed_at is not None or self._closed:
            return
        self.confirmed_at = self._now()
        if not self.active:
            return
        self.network = self.hub.network()
        self._seed_from_cache()
        self.agent.start(self._now())
        self.pump()

    # -- sockets -----------------------------------------------------------------------------
    def attach_media(self, socket: RtpSocket) -> None:
        """The media socket is open: take its STUN and send what waited for it."""
        if self._closed:
            return
        self._media = socket
        socket.on_stun = self._on_media_stun
        pending, self._pending = self._pending, []
        for datagram in pending:
            socket.send_rtp(datagram.data, datagram.remote)

    def receive_sip(self, data: bytes, local: Address, remote: Address) -> bool:
        """Take a STUN datagram from a SIP socket; True if this call's agent owned it."""
        if self._closed:
            return False
        base = base_for(local, remote, [c.address for c in self.candidates])
        taken = self.agent.receive(data, base, remote, self._now())
        if taken:
            self.pump()
        return taken

    def _on_media_stun(self, data: bytes, remote: Address) -> None:
        if self._closed:
            return
        bound = media_bound_for(self.media_bounds, remote)
        base = base_for(bound, remote, [c.address for c in self.candidates])
        if self.agent.receive(data, base, remote, self._now()):
            self.pump()

    def _on_relay(self, relayed: Address, data: bytes, remote: Address) -> None:
        """A datagram a peer sent to our relayed address (RFC 7983: STUN, else media)."""
        if self._closed or not data:
            return
        if data[0] < 4:
            if self.agent.receive(data, relayed, remote, self._now()):
                self.pump()
        elif self._media is not None:
            self._media.dispatch(data, remote)

    def may_send(self, remote: Address) -> bool:
        """The media gate: True unless ALEX runs and ``remote`` never answered a probe."""
        if self.mode not in (Mode.ALEX, Mode.ICE):
            return True
        return self._media_base(remote) is not None

    def _media_base(self, remote: Address) -> Address | None:
        """Where media to ``remote`` leaves from: the selected pair's base, else a checked one."""
        if self._closed:
            return None
        selected = self.agent.selected(AUDIO_FLOW)
        pair = selected.generating if selected is not None else None
        if pair is not None and pair[1] == remote and self.agent.is_validated(*pair):
            return pair[0]
        bases = [c.address for c in self.candidates if c.flow == AUDIO_FLOW]
        return next((b for b in bases if self.agent.is_validated(b, remote)), None)

    def gate(self, send: Send, *, rtcp: bool = False) -> Send:
        """Wrap a media send: only to checked addresses (RTCP: port − 1), through the relay
        when the checked base is our relayed address."""

        def gated(data: bytes, remote: Address) -> None:
            if self.mode not in (Mode.ALEX, Mode.ICE):
                send(data, remote)
                return
            rtp = (remote[0], remote[1] - 1) if rtcp else remote
            base = self._media_base(remote) or self._media_base(rtp)
            if base is None:
                return
            relay = self._relays.get(base)
            if relay is None:
                send(data, remote)
            elif relay.active:
                relay.send(data, remote)

        return gated

    # -- the agent ---------------------------------------------------------------------------
    def pump(self) -> None:
        """Send what the agent has queued, hand its events on and re-arm its timer."""
        now = self._now()
        for datagram in self.agent.datagrams_to_send(now):
            self._send(datagram)
        while (event := self.agent.next_event()) is not None:
            self._on_event(event, now)
        self._arm()

    def _send(self, datagram: Datagram) -> None:
        relay = self._relays.get(datagram.base)
        if relay is not None:
            if relay.active:
                relay.send(datagram.data, datagram.remote)
            return
        if any(c.address == datagram.base and c.flow == AUDIO_FLOW for c in self.candidates):
            if self._media is None:
                if len(self._pending) < MAX_PENDING:
                    self._pending.append(datagram)
                return
            self._media.send_rtp(datagram.data, datagram.remote)
            return
        try:
            self.hub.transport.send_datagram(datagram.data, datagram.base, datagram.remote)
        except TransportError as exc:
            log.debug("probe from %s not sent: %s", datagram.base, exc)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        when = self.agent.get_timer()
        if when is not None and not self._closed:
            self._timer = self.hub.loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._closed:
            return
        self.agent.handle_timer(self._now())
        self.pump()

    def _on_event(self, event: AgentEvent, now: float) -> None:
        match event:
            case PairChanged(flow=flow, local=local, remote=remote, state=state, rtt=rtt):
                self._pair_changed(flow, local, remote, state, rtt)
            case PairSelected():
                self._selected(event, now)
            case FlowFailed(flow=flow):
                where = f"call {self.call_id}: no {EVENT_FLOWS.get(flow, flow)} path"
                self.hub.emit(ErrorReported("alex", where))
            case ConsentExpired(flow=flow):
                where = f"call {self.call_id}: consent lost on {EVENT_FLOWS.get(flow, flow)}"
                self.hub.emit(ErrorReported("alex", where))
                self.on_consent_lost(flow)

    def _pair_changed(
        self,
        flow: str,
        local: Candidate,
        remote: Candidate,
        state: PairState,
        rtt: float | None,
    ) -> None:
        name = _PAIR_STATES.get(state)
        if name is None:
            return  # frozen: not reported (ARCHITECTURE.md §6 states)
        rtt_ms = round(rtt * 1000, 2) if rtt is not None else None
        self.hub.emit(
            AlexPairChanged(
                self.call_id,
                Flow(EVENT_FLOWS[flow]),
                format_hostport(local.sending_base),
                format_hostport(remote.address),
                name,
                rtt_ms,
            )
        )
        if state is PairState.FAILED:
            self._record(flow, local.sending_base, remote.address, None, failed=True)
        elif state is PairState.SUCCEEDED and flow == AUDIO_FLOW:
            self._early_media()

    def _early_media(self) -> None:
        """Before nomination, audio may already use the best pair a check proved (the media
        gate holds: it answered an authenticated probe); selection moves it again if needed."""
        valid = self.agent.best_valid(AUDIO_FLOW)
        if valid is not None and self.agent.selected(AUDIO_FLOW) is None:
            self._move_media(
                valid.local.address,
                valid.remote.address,
                path_kind(valid.local, valid.remote).value,
            )

    def _move_media(self, local: Address, remote: Address, kind: str) -> None:
        if self.on_media_path is not None and self._media_path != (local, remote, kind):
            self._media_path = (local, remote, kind)
            self.on_media_path(local, remote, kind)

    def _selected(self, event: PairSelected, now: float) -> None:
        flow = Flow(EVENT_FLOWS[event.flow])
        rtt_ms = round(event.rtt * 1000, 2) if event.rtt is not None else None
        after = now - self.confirmed_at if self.confirmed_at is not None else None
        self.hub.emit(
            AlexSelected(
                self.call_id,
                flow,
                format_hostport(event.local.address),
                format_hostport(event.remote.address),
                PathKind(event.kind.value),
                rtt_ms,
                event.from_cache,
                self.probes,
                round(after * 1000, 1) if after is not None else None,
            )
        )
        self._record(event.flow, event.base, event.remote.address, event.rtt, failed=False)
        if event.flow == AUDIO_FLOW:
            self._move_media(event.local.address, event.remote.address, event.kind.value)

    # -- the cache ---------------------------------------------------------------------------
    def _key(self, flow: str, base: Address, remote: Address) -> CacheKey:
        name = EVENT_FLOWS.get(flow, flow)
        return CacheKey(self.peer, name, endpoint(base), endpoint(remote), self.network)

    def _record(
        self, flow: str, base: Address, remote: Address, rtt: float | None, *, failed: bool
    ) -> None:
        cache = self.hub.cache
        if cache is None or not self.network:
            return
        key = self._key(flow, base, remote)
        wall = time.time()
        entry = failure(key, wall, cache.get(key)) if failed else success(key, wall, rtt)
        cache.record(entry)

    def _seed_from_cache(self) -> None:
        """Put the pair that worked with this peer on this network first (ALEX.md)."""
        cache = self.hub.cache
        if cache is None:
            return
        wall = time.time()
        remote = self.agent.candidates.remote
        for flow in (AUDIO_FLOW, SIP_FLOW):
            for entry in cache.lookup(self.peer, EVENT_FLOWS[flow], self.network, wall):
                if entry.use(wall) is not CacheUse.NOMINATE:
                    continue
                try:
                    (lip, lport), _ = parse_endpoint(entry.key.local)
                    (rip, rport), _ = parse_endpoint(entry.key.remote)
                except ParseError:
                    continue
                exact = flow == SIP_FLOW  # media ports change per call: match addresses only
                found = _match(self.candidates, remote, flow, (lip, lport), (rip, rport), exact)
                if found is not None:
                    self.agent.add_cached(flow, *found)
                    break

    def close(self) -> None:
        """The call ended: stop checking, forget the sockets."""
        if self._closed:
            return
        self._closed = True
        self.agent.close()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._media is not None:
            self._media.on_stun = None
        self._pending.clear()
        self._drop_gathered()
        self.hub.sessions.pop(self.call_id, None)

    @property
    def finished(self) -> bool:
        """Tell whether every flow was selected or failed."""
        return self.agent.state in (AgentState.COMPLETED, AgentState.CLOSED)


def _match(
    local: list[Candidate],
    remote: list[Candidate],
    flow: str,
    cached_local: Address,
    cached_remote: Address,
    exact: bool,
) -> tuple[Address, Address] | None:
    """The (base, remote) of this call that a cache entry describes, if any."""
    for ours in local:
        if ours.flow != flow or ours.base != ours.address:
            continue
        if ours.address != cached_local and (exact or ours.address[0] != cached_local[0]):
            continue
        for theirs in remote:
            if theirs.flow != flow:
                continue
            if theirs.address == cached_remote or (
                not exact and theirs.address[0] == cached_remote[0]
            ):
                return ours.address, theirs.address
    return None
