"""The check agent: connectivity checks over every flow of one dialog (RFC 8445 §6–§8), sans-I/O.

Theory of operation. The agent owns one ConnectionList per flow (media flows first: they set
the foundations' first checks). Every Ta it starts one check, taking turns among the lists:
a triggered pair first, else the best Waiting pair, else a Frozen pair whose foundation is idle.
Every probe (retransmissions included) must also get a slot from the process-wide ProbeBudget.
Checks are STUN Binding requests signed with the peer's password; a response counts only if
it is authenticated and comes back on the same 5-tuple. An authenticated request from the peer
is answered (signed with our password), may reveal a peer-reflexive candidate and queues a
triggered check. Requests failing MESSAGE-INTEGRITY get no answer and change nothing.

The controlling side (the caller) nominates per flow (regular nomination, §8.1.1): the best
valid pair once every better pair failed, or once ``stop_after`` passed. A pair from the ALEX
cache, or the best pair still possible (every better one failed), is nominated by its own first
check, which saves the nomination round trip. A peer's private IPv4 hosts behind another NAT
rank below its mapping (reachability.py), so they do not hold the stop rule back. The
controlled side selects what the peer nominated, once its own check on that pair was answered.
A selected pair then runs consent freshness.

``is_validated(base, remote)`` is the media gate: True only while ``remote`` has answered an
authenticated probe sent from ``base`` and consent has not lapsed.
"""

from __future__ import annotations

from alexphone.alex.candidate import Candidate
from alexphone.alex.check_runner import AgentState, CheckRunner, EarlyCheck
from alexphone.alex.connection_list import (
    ConnectionList,
    ListState,
    PairState,
    ValidPair,
    initial_unfreeze,
)
from alexphone.alex.events import AgentEvent, CandidateDiscovered
from alexphone.alex.probe import (
    ROLE_CONFLICT,
    Credentials,
    Datagram,
    check_success,
    role_conflict,
)
from alexphone.alex.prober import ProbePurpose
from alexphone.alex.reachability import rank_behind_other_nat
from alexphone.core.address import Address
from alexphone.core.errors import LocalProtocolError, ParseError
from alexphone.stun import message as stun
from alexphone.stun.transaction import StunFailed, StunSucceeded

__all__ = ["AgentState", "CheckAgent"]


class CheckAgent(CheckRunner):
    """Connectivity checks, nomination and consent for the flows of one dialog."""

    def add_local_candidates(self, candidates: list[Candidate]) -> None:
        """Add our candidates (with ``base`` set); flow order is the order lists are served."""
        self.candidates.add_local(candidates)

    def set_remote(self, credentials: Credentials, candidates: list[Candidate]) -> None:
        """Set the peer's credentials and candidates (from its ALEX items or SDP)."""
        self.remote = credentials
        self.candidates.remote = list(candidates)

    def add_cached(self, flow: str, base: Address, remote: Address) -> None:
        """Mark a pair the ALEX cache vouches for: first, unfrozen, nominated by its first check."""
        self._cached.add((flow, base, remote))

    def start(self, now: float) -> None:
        """Form the lists and begin checking (needs the peer's credentials and candidates)."""
        if self.state is not AgentState.NEW:
            raise LocalProtocolError("check agent already started")
        if self.remote is None:
            raise LocalProtocolError("start() before set_remote()")
        self.state = AgentState.CHECKING
        self._nominator.start(now, controlling=self.controlling)
        self._give_up_deadline = now + self.config.give_up_after
        self.candidates.remote = rank_behind_other_nat(
            self.candidates.local, self.candidates.remote
        )
        flows = self.candidates.flows()
        per_list = max(1, self.config.max_pairs // max(1, len(flows)))
        for flow in flows:
            connection_list = ConnectionList(flow, per_list)
            connection_list.form(self.candidates.local, self.candidates.remote, self.controlling)
            for pair in connection_list.pairs:
                if (flow, *pair.key) in self._cached:
                    pair.from_cache = True
            connection_list.form([], [], self.controlling)  # re-sort: cached pairs first
            self.lists.append(connection_list)
        initial_unfreeze(self.lists)
        for connection_list in self.lists:
            for pair in connection_list.pairs:
                if pair.from_cache:
                    connection_list.trigger(pair)
        for early in self._early:
            self._handle_check(early, now)
        self._early.clear()
        self._next_ta = now

    def close(self) -> None:
        """Stop every check and timer; nothing is sent after this."""
        self.state = AgentState.CLOSED
        self._prober.clear()
        self._consent.clear()
        self._validated.clear()
        self._next_ta = None

    def is_validated(self, base: Address, remote: Address) -> bool:
        """Tell whether media may go from ``base`` to ``remote`` (authenticated answer, consent)."""
        return (base, remote) in self._validated

    def selected(self, flow: str) -> ValidPair | None:
        """The nominated pair of ``flow``, None before selection."""
        connection_list = self._list(flow)
        return connection_list.selected if connection_list is not None else None

    def best_valid(self, flow: str) -> ValidPair | None:
        """The selected pair, else the best validated one (media may start on it early)."""
        connection_list = self._list(flow)
        if connection_list is None:
            return None
        if connection_list.selected is not None:
            return connection_list.selected
        for valid in connection_list.valid:
            if self.is_validated(*valid.generating):
                return valid
        return None

    def receive(self, data: bytes, base: Address, remote: Address, now: float) -> bool:
        """Take a datagram that arrived on ``base`` from ``remote``; True if it was ours."""
        if self.state is AgentState.CLOSED or not stun.is_stun(data):
            return False
        try:
            message = stun.parse(data)
        except ParseError:
            return False
        if message.method != stun.BINDING:
            return False
        if message.klass is stun.StunClass.REQUEST:
            return self._on_request(message, base, remote, now)
        if message.klass in (stun.StunClass.SUCCESS, stun.StunClass.ERROR):
            return self._on_response(message, base, remote, now)
        return False

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        """Pop every datagram queued for sending."""
        out = list(self._output)
        self._output.clear()  # shared with the prober: clear, never replace
        return out

    def next_event(self) -> AgentEvent | None:
        """Pop the oldest event, None if there is none."""
        return self._events.popleft() if self._events else None

    def get_timer(self) -> float | None:
        """When ``handle_timer`` must next run, None when nothing is pending."""
        if self.state is AgentState.CLOSED:
            return None
        times: list[float] = []
        probe_timer = self._prober.get_timer()
        if probe_timer is not None:
            times.append(probe_timer)
        if self._next_ta is not None and self.state is AgentState.CHECKING:
            times.append(self._budget.next_allowed(self._next_ta))
        for consent in self._consent.values():
            t = consent.get_timer()
            if t is not None:
                times.append(self._budget.next_allowed(t) if t == consent.next_check else t)
        if self.state is AgentState.CHECKING:
            times.extend(
                t for t in (self._nominator.next_due(), self._give_up_deadline) if t is not None
            )
        return min(times) if times else None

    def handle_timer(self, now: float) -> None:
        """Do what is due at ``now``: retransmit, time out, pace new checks, nominate, consent."""
        if self.state is AgentState.CLOSED:
            return
        self._run_probes(now)
        if self.state is AgentState.CHECKING:
            self._pace(now)
            self._apply_stop_rule(now)
            self._give_up(now)
        self._run_consent(now)

    def _on_request(
        self, message: stun.StunMessage, base: Address, remote: Address, now: float
    ) -> bool:
        fragments = message.username_fragments
        if fragments is None or fragments[0] != self.local.ufrag or not message.has_fingerprint:
            return False  # not for this agent (another dialog on the shared socket)
        if not message.check_integrity(self.local.key):
            return True  # forged or stale: no answer, no state change
        if self.candidates.base(base) is None:
            return False
        if self._role_conflict(message, base, remote):
            return True
        self._output.append(Datagram(base, remote, check_success(message, remote, self.local)))
        early = EarlyCheck(base, remote, message.priority, message.use_candidate)
        if self.state is AgentState.NEW:
            self._early.append(early)  # RFC 8445 §7.3.1.4: handled once checks start
        elif self.state in (AgentState.CHECKING, AgentState.COMPLETED):
            self._handle_check(early, now)  # completed: only a move up from a relay
        return True

    def _role_conflict(self, message: stun.StunMessage, base: Address, remote: Address) -> bool:
        """RFC 8445 §7.3.1.1; True when we answered 487 and the request stops here."""
        theirs = message.ice_controlling if self.controlling else message.ice_controlled
        if theirs is None:
            return False
        we_win = self.tie_breaker >= theirs
        if we_win == self.controlling:
            self._output.append(Datagram(base, remote, role_conflict(message, self.local)))
            return True
        self._switch_role()
        return False

    def _handle_check(self, check: EarlyCheck, now: float) -> None:
        connection_list = self._list_for_base(check.base)
        if connection_list is None:
            return
        if self._nominator.peer_heard_at is None:
            self._nominator.peer_heard_at = now
        running = connection_list.state is ListState.RUNNING
        if not running and not self._upgrades(connection_list, 2**64):
            return  # settled, and not on a relay a direct pair could replace
        local = self.candidates.base(check.base)
        if local is None:
            return
        found = self.candidates.remote_for(
            connection_list.flow, check.remote, check.priority, local
        )
        if found is None:
            return
        remote, new = found
        if new:
            self._events.append(CandidateDiscovered(remote, local=False))
        pair = connection_list.add(local, remote, self.controlling)
        if pair is None:
            return  # capped
        if not running and not self._upgrades(connection_list, pair.priority):
            return  # settled, and not a move up from a relay
        if check.use_candidate and not self.controlling:
            pair.nominate_on_success = True  # RFC 8445 §7.3.1.5
        if pair.state is PairState.SUCCEEDED:
            if pair.nominate_on_success:
                valid = connection_list.valid_for(pair.key)
                if valid is not None:
                    self._select(connection_list, valid, now)
            return
        if pair.state is PairState.IN_PROGRESS and pair.transaction is not None:
            pair.transaction.cancel()  # RFC 8445 §7.3.1.4: a late answer still counts
        # the peer reached us on this pair: its triggered check gets a whole relay round
        # trip of its own before a relay may be nominated over it (nomination.py)
        pair.first_sent_at = None
        if not running:  # the pacer is idle once every flow settled: check at once
            self._send_check(connection_list, pair, now)
            return
        connection_list.trigger(pair)
        self._wake(now)

    def _on_response(
        self, message: stun.StunMessage, base: Address, remote: Address, now: float
    ) -> bool:
        if message.transaction_id not in self._prober:
            return False
        answered = self._prober.answer(message, now)
        if answered is None:
            return True  # unauthenticated: ignored, retransmissions go on (RFC 8489 §9.1.4)
        sent, event = answered
        symmetric = (base, remote) == (sent.base, sent.remote)  # RFC 8445 §7.2.5.2.1
        if sent.purpose is ProbePurpose.CONSENT:
            consent = self._consent.get(sent.flow)
            if isinstance(event, StunSucceeded) and symmetric and consent is not None:
                consent.answered(now)
            return True
        connection_list = self._list(sent.flow)
        pair = connection_list.find(sent.base, sent.remote) if connection_list else None
        if connection_list is None or pair is None:
            return True
        error = event.response.error_code if isinstance(event, StunFailed) else None
        if error is not None and error[0] == ROLE_CONFLICT:
            self._switch_role()  # RFC 8445 §7.2.5.1
            pair.use_candidate_sent = False
            connection_list.trigger(pair)
            self._wake(now)
            return True
        if not isinstance(event, StunSucceeded) or not symmetric:
            self._fail(connection_list, pair)
            return True
        mapped = event.response.xor_mapped_address
        if mapped is None:
            self._fail(connection_list, pair)
            return True
        rtt = now - (sent.transaction.last_sent_at or now)
        self._succeed(connection_list, pair, sent, mapped, rtt, now)
        self._apply_stop_rule(now)
        return True
