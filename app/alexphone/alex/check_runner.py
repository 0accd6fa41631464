"""Our side of the connectivity checks (RFC 8445 §6.1.4, §7.2, §8), the base of CheckAgent.

It holds the state of one dialog's checks and runs what we send: one new check per Ta taken in
turn from the flows' lists (§6.1.4.2), each a STUN transaction through the Prober; a pair
succeeds or fails, feeds the valid list, and nomination (nomination.py), selection and then
consent freshness (RFC 7675) on the selected pair follow. ``checks.CheckAgent`` adds the public
API and everything received: the peer's requests (§7.3) and the answers to our checks (§7.2.5).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, replace
from enum import Enum, auto

from alexphone.alex.candidate import Candidate
from alexphone.alex.candidate_set import CandidateSet
from alexphone.alex.connection_list import (
    CandidatePair,
    ConnectionList,
    ListState,
    PairState,
    ValidPair,
    unfreeze_foundation,
    unfreeze_idle,
    valid_priority,
)
from alexphone.alex.consent import ConsentTimer
from alexphone.alex.events import (
    AgentEvent,
    CandidateDiscovered,
    ConsentExpired,
    FlowFailed,
    PairChanged,
    PairSelected,
    Role,
    RoleChanged,
    path_kind,
)
from alexphone.alex.nomination import Nominator, is_relayed
from alexphone.alex.pacing import ProbeBudget
from alexphone.alex.probe import CheckConfig, Credentials, Datagram
from alexphone.alex.prober import Probe, ProbePurpose, Prober
from alexphone.core.address import Address
from alexphone.stun.transaction import StunTimedOut, StunTimerConfig, StunTransaction


class AgentState(Enum):
    """Where the agent stands."""

    NEW = auto()
    CHECKING = auto()
    COMPLETED = auto()  # every flow selected or failed
    CLOSED = auto()


@dataclass(frozen=True, slots=True)
class EarlyCheck:
    """A peer's check to act on: queued when it arrives before start() (RFC 8445 §7.3.1.4)."""

    base: Address
    remote: Address
    priority: int | None
    use_candidate: bool


class CheckRunner:
    """Checks we send and their outcomes for the flows of one dialog."""

    def __init__(
        self,
        role: Role,
        local: Credentials,
        tie_breaker: int,
        *,
        budget: ProbeBudget,
        rng: random.Random,
        config: CheckConfig | None = None,
    ) -> None:
        self.role = role
        self.local = local
        self.remote: Credentials | None = None
        self.tie_breaker = tie_breaker
        self.config = config if config is not None else CheckConfig()
        self.state = AgentState.NEW
        self.lists: list[ConnectionList] = []
        self._budget = budget
        self._rng = rng
        self.candidates = CandidateSet()
        self._validated: set[tuple[Address, Address]] = set()
        self._consent: dict[str, ConsentTimer] = {}
        self._nominator = Nominator(self.config.stop_after)
        self._cached: set[tuple[str, Address, Address]] = set()  # (flow, base, remote)
        self._early: list[EarlyCheck] = []
        self._give_up_deadline: float | None = None
        self._next_ta: float | None = None
        self._round_robin = 0
        self._output: deque[Datagram] = deque()
        self._prober = Prober(budget, rng, self._output)
        self._events: deque[AgentEvent] = deque()

    @property
    def probes_sent(self) -> int:
        """Requests sent so far, retransmissions and consent checks included."""
        return self._prober.sent

    @property
    def controlling(self) -> bool:
        """Tell whether we nominate (RFC 8445 §6.1.1)."""
        return self.role is Role.CONTROLLING

    def _list(self, flow: str) -> ConnectionList | None:
        return next((cl for cl in self.lists if cl.flow == flow), None)

    def _list_for_base(self, base: Address) -> ConnectionList | None:
        candidate = self.candidates.base(base)
        return self._list(candidate.flow) if candidate is not None else None

    def _switch_role(self) -> None:
        self.role = self.role.other
        self._nominator.clear()
        for connection_list in self.lists:
            connection_list.reprioritize(self.controlling)
        self._events.append(RoleChanged(self.role))

    def _succeed(
        self,
        connection_list: ConnectionList,
        pair: CandidatePair,
        sent: Probe,
        mapped: Address,
        rtt: float,
        now: float,
    ) -> None:
        local, new = self.candidates.mapped_local(pair.local, mapped, sent.priority)
        if new:
            self._events.append(CandidateDiscovered(local, local=True))
        pair.rtt = rtt
        self._set_state(connection_list, pair, PairState.SUCCEEDED)
        self._validated.add(pair.key)
        priority = valid_priority(local, pair.remote, self.controlling)
        nominated = (sent.use_candidate and self.controlling) or (
            pair.nominate_on_success and not self.controlling
        )
        valid = connection_list.add_valid(
            ValidPair(local, pair.remote, priority, pair.key, rtt, False, pair.from_cache)
        )
        unfreeze_foundation(self.lists, pair.foundation)  # RFC 8445 §7.2.5.3.3
        self._wake(now)
        upgrade = self._upgrades(connection_list, valid.priority)
        if nominated and (connection_list.state is ListState.RUNNING or upgrade):
            self._select(connection_list, valid, now)
        elif upgrade and self.controlling and not sent.use_candidate:
            # a direct pair answered after the flow settled on a relay: nominate it now
            pair.use_candidate_sent = True
            self._send_check(connection_list, pair, now)

    def _upgrades(self, connection_list: ConnectionList, priority: int) -> bool:
        """Tell whether a pair of ``priority`` would move a flow settled on a relay up."""
        selected = connection_list.selected
        return (
            connection_list.state is ListState.COMPLETED
            and selected is not None
            and is_relayed(selected)
            and priority > selected.priority
        )

    def _fail(self, connection_list: ConnectionList, pair: CandidatePair) -> None:
        self._set_state(connection_list, pair, PairState.FAILED)
        if self._nominator.failed(connection_list.flow, pair):
            connection_list.valid = [v for v in connection_list.valid if v.generating != pair.key]
            self._validated.discard(pair.key)

    def _set_state(
        self, connection_list: ConnectionList, pair: CandidatePair, state: PairState
    ) -> None:
        if pair.state is not state:
            pair.state = state
            self._events.append(
                PairChanged(connection_list.flow, pair.local, pair.remote, state, pair.rtt)
            )

    def _apply_stop_rule(self, now: float) -> None:
        """Stop rule: nominate the best valid pair once every better pair failed, or after 1 s."""
        if not self.controlling or self.state is not AgentState.CHECKING:
            return
        for connection_list, generating in self._nominator.stop_rule(self.lists, now):
            connection_list.trigger(generating)
            self._wake(now)

    def _select(self, connection_list: ConnectionList, valid: ValidPair, now: float) -> None:
        chosen = connection_list.add_valid(replace(valid, nominated=True))
        connection_list.selected = chosen
        connection_list.state = ListState.COMPLETED
        self._nominator.settled(connection_list.flow)
        generating = connection_list.find(*valid.generating)
        connection_list.stop_below(generating.priority if generating else valid.priority)
        base, remote = valid.generating
        self._consent[connection_list.flow] = ConsentTimer(
            connection_list.flow, base, remote, now, self._rng, self.config.consent
        )
        kind = path_kind(valid.local, valid.remote)
        flow = connection_list.flow
        self._events.append(
            PairSelected(flow, valid.local, valid.remote, base, kind, valid.rtt, valid.from_cache)
        )
        self._check_completed()

    def _give_up(self, now: float) -> None:
        if self._give_up_deadline is None or now < self._give_up_deadline:
            return
        self._give_up_deadline = None
        for connection_list in self.lists:
            if connection_list.state is ListState.RUNNING and connection_list.best_valid() is None:
                connection_list.state = ListState.FAILED
                connection_list.stop_below(2**64)
                self._events.append(FlowFailed(connection_list.flow))
        self._check_completed()

    def _check_completed(self) -> None:
        if self.lists and all(cl.state is not ListState.RUNNING for cl in self.lists):
            self.state = AgentState.COMPLETED
            self._next_ta = None

    def _wake(self, now: float) -> None:
        if self.state is AgentState.CHECKING and self._next_ta is None:
            self._next_ta = now

    def _pace(self, now: float) -> None:
        """RFC 8445 §6.1.4.2: one new check per Ta, lists in turn."""
        if self._next_ta is None or self._next_ta > now:
            return
        if self._budget.next_allowed(now) > now:
            return  # get_timer reports when the budget allows
        count = len(self.lists)
        for step in range(count):
            connection_list = self.lists[(self._round_robin + step) % count]
            if connection_list.state is not ListState.RUNNING:
                continue
            pair = connection_list.next_check()
            if pair is None and unfreeze_idle(self.lists, connection_list):
                pair = connection_list.next_check()
            if pair is None:
                continue
            self._budget.try_take(now)
            self._round_robin = (self._round_robin + step + 1) % count
            self._send_check(connection_list, pair, now)
            self._next_ta = now + self.config.pacing.ta
            return
        self._next_ta = None  # nothing to do until a trigger or unfreeze wakes us

    def _send_check(self, connection_list: ConnectionList, pair: CandidatePair, now: float) -> None:
        use_candidate = self.controlling and self._nominator.use_candidate(connection_list, pair)
        active = sum(
            p.state in (PairState.WAITING, PairState.IN_PROGRESS) for p in connection_list.pairs
        )
        # RFC 8445 §14.3: RTO = MAX(500 ms, Ta · (waiting + in-progress))
        rto = max(self.config.stun.rto, self.config.pacing.ta * active)
        timers = StunTimerConfig(rto, self.config.stun.rc, self.config.stun.rm)
        transaction = self._probe(
            ProbePurpose.CHECK, pair.local, pair.remote.address, timers, use_candidate, now
        )
        pair.transaction = transaction
        if pair.first_sent_at is None:
            pair.first_sent_at = now
        self._set_state(connection_list, pair, PairState.IN_PROGRESS)

    def _run_probes(self, now: float) -> None:
        for probe, event in self._prober.run(now):
            if isinstance(event, StunTimedOut):
                self._timed_out(probe)

    def _probe(
        self,
        purpose: ProbePurpose,
        local: Candidate,
        remote: Address,
        timers: StunTimerConfig,
        use_candidate: bool,
        now: float,
    ) -> StunTransaction:
        assert self.remote is not None
        probe = self._prober.send(
            purpose,
            local,
            remote,
            (self.local, self.remote),
            controlling=self.controlling,
            tie_breaker=self.tie_breaker,
            use_candidate=use_candidate,
            timers=timers,
            now=now,
        )
        return probe.transaction

    def _timed_out(self, sent: Probe) -> None:
        if sent.purpose is not ProbePurpose.CHECK:
            return  # consent: judged by the time of the last answer
        connection_list = self._list(sent.flow)
        pair = connection_list.find(sent.base, sent.remote) if connection_list else None
        if (
            connection_list is not None
            and pair is not None
            and pair.transaction is sent.transaction
        ):
            self._fail(connection_list, pair)

    def _run_consent(self, now: float) -> None:
        for flow, consent in list(self._consent.items()):
            if consent.expire_if_due(now):
                self._validated.discard((consent.base, consent.remote))
                self._events.append(ConsentExpired(flow, consent.base, consent.remote))
                del self._consent[flow]
                continue
            if consent.check_due(now) and self._budget.try_take(now):
                local = self.candidates.base(consent.base)
                if local is None:
                    continue
                consent.check_sent(now)
                self._probe(
                    ProbePurpose.CONSENT,
                    local,
                    consent.remote,
                    self.config.consent_stun,
                    False,
                    now,
                )
