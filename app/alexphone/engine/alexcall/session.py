"""ALEX in real calls: one check agent per call on the SIP and RTP sockets (docs/ALEX.md).

Theory of operation. The ``AlexHub`` (hub.py) is the process-wide part. An ``AlexCall`` is
the per-call driver of a sans-I/O ``CheckAgent`` and the only writer of its own state:

- it announces our candidates (``ALEX-session``/``ALEX-item``, ``Supported: alex``) in the
  INVITE (UAC) or in the 18x/2xx when the INVITE carried ALEX (UAS);
- it decides the mode once from the peer's INVITE or first 18x/2xx that announces ALEX
  (or from the 2xx); only ALEX mode runs checks, and ICE mode when the peer's SDP does ICE
  without ALEX (``adopt_ice``, ice.py);
- checks start when the dialog is confirmed (the 2xx arrives, or we send it), seeded with
  the cache's pairs for this peer on this network (pair_memory.py); the media socket joins
  when the media starts, and datagrams for it wait until then;
- agent events are reported by its ``CheckReport`` (report.py): ``alex.pair``/``alex.selected``,
  cache outcomes, and the audio path (the best proven pair before nomination, the selected one
  after). Its ``MediaGate`` (media_gate.py) sends probes from their bases and gates media:
  while checks run, RTP only goes to addresses that answered an authenticated probe;
- with ``--stun``/``--turn``, ``gather`` runs before our first announcement (bounded by the
  gatherer's STUN and TURN timeouts): the media socket's srflx and a TURN relayed candidate.
  The ``sip`` srflx is the REGISTER's received/rport (``AlexHub.learn_sip_mapping``), known
  at once. Probes and media from the relayed candidate go through the TURN allocation;
- a restart (restart.py) ``renew``s the checks: new credentials, our current candidates, a
  fresh agent with the same role; the peer's new items start it again.
"""

from __future__ import annotations

import contextlib
import logging

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.checks import AgentState, CheckAgent
from alexphone.alex.events import Role
from alexphone.alex.items import Announcement, write_alex
from alexphone.alex.negotiation import Mode, add_supported
from alexphone.alex.probe import Credentials
from alexphone.core.address import Address
from alexphone.engine.alexcall.gathering import SipMapping, gather_for_call
from alexphone.engine.alexcall.generation import CheckGeneration, ordered
from alexphone.engine.alexcall.headers import (
    AUDIO_FLOW,
    MEDIA_FLOWS,
    RTCP_FLOW,
    SIP_FLOW,
    base_for,
    is_loopback,
    read_peer,
    socket_candidates,
)
from alexphone.engine.alexcall.hub import AlexHub
from alexphone.engine.alexcall.ice import checks_rtcp, ice_peer, with_ice
from alexphone.engine.alexcall.media_gate import MediaGate, Send
from alexphone.engine.alexcall.media_sockets import (
    audio_candidates,
    ipv6_reflexive,
    rtcp_candidates,
)
from alexphone.engine.alexcall.pair_memory import PairMemory
from alexphone.engine.alexcall.report import CheckReport, ConsentListener, MediaPathListener
from alexphone.engine.settings import PhoneSettings
from alexphone.net.gatherer import Gathered
from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket
from alexphone.sdp.session import SessionDescription
from alexphone.sip.message import Headers

log = logging.getLogger(__name__)
CHECKING = (Mode.ALEX, Mode.ICE)


class AlexCall:
    """The ALEX driver of one call: headers, checks, events, cache and the media gate."""

    def __init__(
        self,
        hub: AlexHub,
        call_id: str,
        role: Role,
        media: Address,
        peer: str,
        *,
        on_media_path: MediaPathListener | None = None,
        on_consent_lost: ConsentListener | None = None,
    ) -> None:
        self._hub = hub
        self._call_id = call_id
        self._mode: Mode | None = None
        self._confirmed = False
        self._closed = False
        self._gathered: Gathered | None = None  # STUN/TURN results, freed at the end
        self._memory = PairMemory(hub.cache, peer)
        self._report = CheckReport(
            call_id,
            hub.emit,
            self._memory,
            on_media_path=on_media_path,
            on_consent_lost=on_consent_lost,
        )
        self._gate = MediaGate(
            media,
            hub.transport,
            checked_base=self._checked_base,
            base_of=self._base_of,
            receive=self._receive,
            rtcp_apart=lambda: self._mode is Mode.ICE and self._checks.checks_rtcp,
            rtcp_route=lambda: self._checks.rtcp_route(),
        )
        self._sip_bound = hub.sip_bound()
        audio = socket_candidates(AUDIO_FLOW, media)
        self._checks = CheckGeneration(hub, role, [*audio, *self._sip_hosts()], self._flush)
        candidates = self._checks.candidates
        self._keep_loopback = bool(candidates) and all(
            is_loopback(c.address[0]) for c in candidates
        )
        hub.join(call_id, self)

    def _sip_hosts(self) -> list[Candidate]:
        """Host candidates of our SIP sockets, and the srflx the registrar revealed."""
        sip = [c for bound in self._sip_bound for c in socket_candidates(SIP_FLOW, bound)]
        return sip + self._hub.registered_reflexive(sip)

    # -- what others may read ----------------------------------------------------------------
    @property
    def call_id(self) -> str:
        """The call's Call-ID."""
        return self._call_id

    @property
    def mode(self) -> Mode | None:
        """ALEX, ICE or PLAIN once decided, None before."""
        return self._mode

    @property
    def active(self) -> bool:
        """Tell whether checks run for this call (ALEX both ways, or ICE with an ICE peer)."""
        return self._mode in CHECKING and not self._closed

    @property
    def probes(self) -> int:
        """Probes the current agent sent so far."""
        return self._checks.agent.probes_sent

    @property
    def finished(self) -> bool:
        """Tell whether every flow was selected or failed."""
        return self._checks.agent.state in (AgentState.COMPLETED, AgentState.CLOSED)

    @property
    def controlling(self) -> bool:
        """Tell whether our agent is the controlling one (it nominates)."""
        return self._checks.agent.controlling

    @property
    def credentials(self) -> Credentials:
        """Our current ufrag/pwd (the ALEX-session's, also our ICE ones)."""
        return self._checks.credentials

    @property
    def peer_credentials(self) -> Credentials | None:
        """The peer's current ufrag/pwd, None before it announced any."""
        return self._checks.agent.remote

    @property
    def peer(self) -> str:
        """The peer as the cache knows it: its instance URN once announced, else its AOR."""
        return self._memory.peer

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """Our candidates, media flows first."""
        return tuple(self._checks.candidates)

    @property
    def remote_candidates(self) -> tuple[Candidate, ...]:
        """The peer's candidates the agent pairs with ours."""
        return tuple(self._checks.agent.candidates.remote)

    @property
    def media_bounds(self) -> tuple[Address, ...]:
        """The bound addresses of the call's media pairs (IPv4 first)."""
        return self._gate.bounds

    @property
    def keep_loopback(self) -> bool:
        """Tell whether loopback items count (all our candidates are loopback)."""
        return self._keep_loopback

    def sip_target(self) -> Address | None:
        """The peer's address of the selected ``sip`` pair over UDP, if there is one."""
        selected = self._checks.agent.selected(SIP_FLOW)
        if selected is None or selected.remote.transport != "udp":
            return None
        return selected.generating[1]

    # -- signaling ---------------------------------------------------------------------------
    def announce(self, headers: Headers) -> None:
        """Add ``Supported: alex`` and, unless the peer is plain, our ALEX headers."""
        add_supported(headers)
        if self._mode in (None, Mode.ALEX) and not self._closed:
            write_alex(headers, self._checks.values, self._checks.candidates)

    def peer_headers(self, headers: Headers, final: bool) -> None:
        """Decide the mode from the peer's INVITE or 18x/2xx (once: the first ALEX wins)."""
        if self._mode is not None or self._closed:
            return
        decision = read_peer(headers, enabled=True, keep_loopback=self._keep_loopback)
        if decision.mode is not Mode.ALEX:
            if final:
                self._mode = decision.mode
                log.info("call %s: no ALEX (%s)", self._call_id, decision.reason)
            return
        announcement = decision.announcement
        assert announcement is not None
        self._mode = Mode.ALEX
        session = announcement.session
        if session.instance:
            self._memory.learn_instance(session.instance)
        self._set_remote(announcement)

    def _set_remote(self, announcement: Announcement) -> None:
        session = announcement.session
        credentials = Credentials(session.ufrag, session.pwd)
        self._checks.agent.set_remote(credentials, list(announcement.candidates))

    def confirmed(self) -> None:
        """The dialog is confirmed: seed from the cache and start checking."""
        if self._confirmed or self._closed:
            return
        self._confirmed = True
        now = self._now()
        self._report.checks_started(now)
        if not self.active:
            return
        self._memory.join(self._hub.network())
        agent = self._checks.agent
        for flow, base, remote in self._memory.seeds(
            self._checks.candidates, agent.candidates.remote
        ):
            agent.add_cached(flow, base, remote)
        agent.start(now)
        self._pump()

    # -- ICE peers (ice.py) --------------------------------------------------------------------
    def with_ice(self, sdp: SessionDescription) -> SessionDescription:
        """``sdp`` with our ICE attributes on the audio m-line, unless the peer is plain;
        before the peer is known (our offer) with RTCP candidates too (ice.py)."""
        if self._mode is Mode.PLAIN:
            return sdp
        media = [c for c in self._checks.candidates if c.flow in MEDIA_FLOWS]
        if self._mode is None and not self._checks.checks_rtcp:
            media += rtcp_candidates(list(self._gate.bounds))
        return with_ice(sdp, self._checks.credentials, media)

    def adopt_ice(self, body: bytes) -> bool:
        """Switch a non-ALEX call to ICE if the peer's SDP ``body`` does ICE; True if it did.
        A peer that checks RTCP apart (no rtcp-mux) gets our RTCP candidates as ``m0.2``."""
        if self._mode not in (None, Mode.PLAIN) or not self._checks.values.ufrag or not body:
            return False
        peer = ice_peer(body, self._call_id, keep_loopback=self._keep_loopback)
        if peer is None:
            return False
        self._mode = Mode.ICE
        self._checks.media_only(self._rtcp_for(checks_rtcp(peer)))  # ICE has no sip flow
        self._checks.agent.set_remote(peer.credentials, list(peer.candidates))
        log.info("call %s: ICE with %d peer candidates", self._call_id, len(peer.candidates))
        return True

    def _rtcp_for(self, wanted: bool) -> list[Candidate]:
        """Our RTCP candidates when the peer checks RTCP apart, else none."""
        return rtcp_candidates(list(self._gate.bounds)) if wanted else []

    # -- restarts (restart.py) -----------------------------------------------------------------
    def renew(self, *, keep_gathered: bool) -> None:
        """Drop the agent for a fresh one: new credentials, our current candidates, same role.

        ``keep_gathered``: keep our srflx/relayed candidates (consent was lost on a path, the
        addresses are still ours); after a move they belong to the old network.
        """
        old = self._checks
        old.close()
        self._sip_bound = self._hub.sip_bound()
        sip = self._sip_hosts()
        kept: list[Candidate] = []
        if keep_gathered:
            kept = [c for c in old.candidates if c.type is not CandidateType.HOST]
            kept = [c for c in kept if c not in sip]
        audio = audio_candidates(list(self._gate.bounds))  # both families' pairs
        rtcp = self._rtcp_for(old.checks_rtcp)
        kept = [c for c in kept if c.flow != RTCP_FLOW]
        candidates = ordered([*audio, *rtcp, *sip, *kept])
        self._checks = CheckGeneration(self._hub, old.agent.role, candidates, self._flush)
        if self._mode is Mode.ICE:
            self._checks.media_only(rtcp)  # ICE has no sip flow

    def renew_for_peer(self, headers: Headers) -> bool:
        """The peer restarts (its headers carry a new ALEX-session): renew and check toward
        its new items; False if they carry none or the one we know."""
        announcement = self._announcement(headers)
        known = self._checks.agent.remote
        if announcement is None or (
            known is not None and known.ufrag == announcement.session.ufrag
        ):
            return False
        self.renew(keep_gathered=True)
        self._restart_with(announcement)
        return True

    def restart_checks(self, headers: Headers) -> bool:
        """The peer answered our restart: check toward its new items; False if none."""
        announcement = self._announcement(headers)
        if announcement is None:
            return False
        self._restart_with(announcement)
        return True

    def restart_ice(self, body: bytes) -> bool:
        """An ICE peer answered our restart: check toward its new SDP credentials and
        candidates (RFC 8445 §9); False if not ICE or the answer carries no ICE."""
        if self._mode is not Mode.ICE or not body:
            return False
        peer = ice_peer(body, self._call_id, keep_loopback=self._keep_loopback)
        if peer is None:
            return False
        if self._checks.checks_rtcp and not checks_rtcp(peer):  # the peer now multiplexes
            self._checks.media_only([])
        self._checks.agent.set_remote(peer.credentials, list(peer.candidates))
        now = self._now()
        self._report.checks_started(now)
        self._checks.agent.start(now)
        self._pump()
        return True

    def _announcement(self, headers: Headers) -> Announcement | None:
        decision = read_peer(headers, enabled=True, keep_loopback=self._keep_loopback)
        return decision.announcement if decision.mode is Mode.ALEX else None

    def _restart_with(self, announcement: Announcement) -> None:
        self._set_remote(announcement)
        now = self._now()
        self._report.checks_started(now)  # alex.selected's after_ms counts from the restart
        self._checks.agent.start(now)
        self._pump()

    # -- candidates from our sockets ---------------------------------------------------------
    def add_audio_socket(self, bound: Address) -> list[Candidate]:
        """Another media pair (IPv6) is bound at ``bound``: announce its host candidates too
        (before the call announces); returns the new candidates."""
        if not self._gate.add_bound(bound):
            return []
        extra = self._checks.unknown(socket_candidates(AUDIO_FLOW, bound))
        if self._checks.checks_rtcp:
            extra += self._checks.unknown(rtcp_candidates([bound]))
        if extra:
            self._checks.add(extra)
            self._keep_loopback = all(is_loopback(c.address[0]) for c in self._checks.candidates)
        return extra

    async def gather(self, settings: PhoneSettings, port: MediaPort | RtpSocket) -> None:
        """Add srflx (STUN; ``sip`` only if no REGISTER told us) and relay (TURN, media), and
        the IPv6 pair's srflx when ``port`` has one."""
        unmapped = [b for b in self._sip_bound if self._hub.sip_mapping(b) is None][:1]
        sip = [SipMapping(bound) for bound in unmapped]
        with contextlib.ExitStack() as stack:
            client = stack.enter_context(self._hub.sip_stun_client(unmapped[0])) if sip else None
            gathered = await gather_for_call(
                settings, media=[(AUDIO_FLOW, port)], sip=sip, sip_stun=client
            )
        if self._closed:
            self._hub.free_later(gathered)
            return
        self._gathered = gathered
        for problem in gathered.problems:
            self._report.error(f"no {problem.kind.value} from {problem.server}: {problem.reason}")
        relay = gathered.relays.get(AUDIO_FLOW)
        if relay is not None:
            self._gate.add_relay(relay)
        reflexive = [c for c in gathered.candidates if c.type is not CandidateType.HOST]
        self._checks.add(self._checks.unknown(reflexive))
        if isinstance(port, MediaPort):
            extra = await ipv6_reflexive(settings, port)
            if not self._closed:
                self._checks.add(self._checks.unknown(extra))

    async def regather(self, settings: PhoneSettings) -> None:
        """Our network changed: free the old srflx/relay, gather again from the media socket."""
        self._drop_gathered()
        socket = self._gate.socket
        if socket is not None and not self._closed:
            await self.gather(settings, socket)

    def _drop_gathered(self) -> None:
        self._gate.drop_relays()
        if self._gathered is not None:
            self._hub.free_later(self._gathered)  # RFC 8656 §7.2: Refresh with lifetime 0
            self._gathered = None

    # -- sockets and the media gate ----------------------------------------------------------
    def attach_media(self, socket: RtpSocket) -> None:
        """The media socket is open: take its STUN and send what waited for it."""
        if not self._closed:
            self._gate.attach(socket)

    def receive_sip(self, data: bytes, local: Address, remote: Address) -> bool:
        """Take a STUN datagram from a SIP socket; True if this call's agent owned it."""
        if self._closed:
            return False
        taken = self._checks.agent.receive(data, self._base_of(local, remote), remote, self._now())
        if taken:
            self._pump()
        return taken

    def _base_of(self, bound: Address, remote: Address) -> Address:
        return base_for(bound, remote, [c.address for c in self._checks.candidates])

    def _receive(self, data: bytes, base: Address, remote: Address) -> None:
        if not self._closed and self._checks.agent.receive(data, base, remote, self._now()):
            self._pump()

    def may_send(self, remote: Address) -> bool:
        """The media gate: True unless checks run and ``remote`` never answered a probe."""
        return self._mode not in CHECKING or self._checked_base(remote) is not None

    def gate(self, send: Send, *, rtcp: bool = False) -> Send:
        """Wrap a media send: only to checked addresses (RTCP: port − 1), through the relay
        when the checked base is our relayed address."""
        return self._gate.gate(send, lambda: self._mode in CHECKING, rtcp=rtcp)

    def _checked_base(self, remote: Address) -> Address | None:
        return None if self._closed else self._checks.checked_base(remote)

    # -- the agent ---------------------------------------------------------------------------
    def _now(self) -> float:
        return self._hub.loop.time()

    def _pump(self) -> None:
        """After an input to the agent: send what it queued, report its events, re-arm."""
        self._checks.driver.transmit()

    def _flush(self, agent: CheckAgent, now: float) -> None:
        audio, rtcp = self._checks.audio_bases(), self._checks.rtcp_bases()
        for datagram in agent.datagrams_to_send(now):
            base = datagram.base
            self._gate.send_probe(datagram, audio=base in audio, rtcp=base in rtcp)
        while (event := agent.next_event()) is not None:
            self._report.handle(event, agent, now)

    def close(self) -> None:
        """The call ended: stop checking, forget the sockets."""
        if self._closed:
            return
        self._closed = True
        self._checks.close()
        self._gate.close()
        self._drop_gathered()
        self._hub.leave(self._call_id)
