"""Connection lists: one per flow, built and ordered as ICE checklists (RFC 8445 §6.1.2).

Pairs join a local base (host or relayed candidate: server-reflexive ones are replaced by their
base, §6.1.2.4) with a peer candidate of the same flow, transport and family. They are ordered
by the pair priority formula, pruned of duplicates, capped, and walk the §6.1.2.6 states.
The valid list records pairs a check proved, with the local candidate the check discovered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum, auto

from alexphone.alex.address import can_pair
from alexphone.alex.candidate import Candidate, pair_priority
from alexphone.core.address import Address
from alexphone.stun.transaction import StunTransaction

MAX_PAIRS = 100  # RFC 8445 §6.1.2.5; docs/ALEX.md "Connection lists"


class PairState(Enum):
    """Candidate pair states (RFC 8445 §6.1.2.6)."""

    FROZEN = auto()
    WAITING = auto()
    IN_PROGRESS = auto()
    SUCCEEDED = auto()
    FAILED = auto()


class ListState(Enum):
    """Checklist states (RFC 8445 §6.1.2.1)."""

    RUNNING = auto()
    COMPLETED = auto()
    FAILED = auto()


class CandidatePair:
    """A local base and a peer candidate, with the check that tests them."""

    __slots__ = (
        "first_sent_at",
        "from_cache",
        "local",
        "nominate_on_success",
        "priority",
        "remote",
        "rtt",
        "state",
        "transaction",
        "use_candidate_sent",
    )

    def __init__(self, local: Candidate, remote: Candidate, controlling: bool) -> None:
        self.local = local
        self.remote = remote
        self.state = PairState.FROZEN
        self.priority = 0
        self.transaction: StunTransaction | None = None
        self.use_candidate_sent = False  # the running check carries USE-CANDIDATE
        self.nominate_on_success = False  # controlled: the peer nominated it (RFC 8445 §7.3.1.5)
        self.rtt: float | None = None
        self.from_cache = False
        self.first_sent_at: float | None = None  # when its first check left (relay rule)
        self.reprioritize(controlling)

    @property
    def foundation(self) -> str:
        """The pair foundation: local and remote foundations joined (RFC 8445 §6.1.2.6)."""
        return f"{self.local.foundation}:{self.remote.foundation}"

    @property
    def key(self) -> tuple[Address, Address]:
        """(local base, remote address): what identifies the 5-tuple on the wire."""
        return (self.local.sending_base, self.remote.address)

    def reprioritize(self, controlling: bool) -> None:
        """Recompute the priority for our role (RFC 8445 §6.1.2.3, G = controlling side)."""
        ours, theirs = self.local.priority, self.remote.priority
        self.priority = pair_priority(ours, theirs) if controlling else pair_priority(theirs, ours)

    def __repr__(self) -> str:
        return f"CandidatePair({self.key}, {self.state.name}, {self.priority})"


@dataclass(frozen=True, slots=True)
class ValidPair:
    """A pair a check proved (RFC 8445 §7.2.5.3.2): ``local`` is the mapped local candidate."""

    local: Candidate
    remote: Candidate
    priority: int
    generating: tuple[Address, Address]  # key of the pair whose check succeeded
    rtt: float | None
    nominated: bool = False
    from_cache: bool = False


def valid_priority(local: Candidate, remote: Candidate, controlling: bool) -> int:
    """The pair priority of a valid pair for our role (RFC 8445 §6.1.2.3)."""
    if controlling:
        return pair_priority(local.priority, remote.priority)
    return pair_priority(remote.priority, local.priority)


def pairable(local: Candidate, remote: Candidate) -> bool:
    """Same flow and transport, and addresses that can reach each other (RFC 8445 §6.1.2.2)."""
    return (
        local.flow == remote.flow
        and local.transport == remote.transport
        and can_pair(local.sending_base[0], remote.address[0])
    )


class ConnectionList:
    """The ordered pairs of one flow, its triggered-check queue and its valid list."""

    def __init__(self, flow: str, max_pairs: int = MAX_PAIRS) -> None:
        self.flow = flow
        self.max_pairs = max(1, max_pairs)
        self.state = ListState.RUNNING
        self.pairs: list[CandidatePair] = []
        self.valid: list[ValidPair] = []
        self.triggered: deque[CandidatePair] = deque()
        self.selected: ValidPair | None = None

    def form(
        self, local: Iterable[Candidate], remote: Iterable[Candidate], controlling: bool
    ) -> None:
        """Pair every local base with every remote candidate, order, prune and cap."""
        bases = [c for c in local if c.flow == self.flow and c.address == c.sending_base]
        for remote_candidate in remote:
            if remote_candidate.flow != self.flow:
                continue
            for base in bases:
                if pairable(base, remote_candidate):
                    self._insert(CandidatePair(base, remote_candidate, controlling))
        self._sort_and_cap()

    def add(self, local: Candidate, remote: Candidate, controlling: bool) -> CandidatePair | None:
        """Add one pair (peer-reflexive or late); return it, the existing one, or None if capped."""
        existing = self.find(local.sending_base, remote.address)
        if existing is not None:
            return existing
        if not pairable(local, remote):
            return None
        pair = CandidatePair(local, remote, controlling)
        self.pairs.append(pair)
        self._sort_and_cap()
        return pair if pair in self.pairs else None

    def find(self, base: Address, remote: Address) -> CandidatePair | None:
        """The pair from local base ``base`` to ``remote``, if any."""
        for pair in self.pairs:
            if pair.key == (base, remote):
                return pair
        return None

    def reprioritize(self, controlling: bool) -> None:
        """Recompute every priority after a role change and re-order (RFC 8445 §7.2.5.1)."""
        for pair in self.pairs:
            pair.reprioritize(controlling)
        self.valid = [
            replace(v, priority=valid_priority(v.local, v.remote, controlling)) for v in self.valid
        ]
        self.pairs.sort(key=lambda p: -p.priority)
        self.valid.sort(key=lambda v: -v.priority)

    def next_check(self) -> CandidatePair | None:
        """Pop the next triggered pair, else the best Waiting pair (RFC 8445 §6.1.4.2)."""
        while self.triggered:
            pair = self.triggered.popleft()
            if pair in self.pairs and pair.state is PairState.WAITING:
                return pair
        for pair in self.pairs:
            if pair.state is PairState.WAITING:
                return pair
        return None

    def trigger(self, pair: CandidatePair) -> None:
        """Queue a triggered check for ``pair`` (RFC 8445 §7.3.1.4)."""
        pair.state = PairState.WAITING
        if pair not in self.triggered:
            self.triggered.append(pair)

    def add_valid(self, valid: ValidPair) -> ValidPair:
        """Record (or refresh) a valid pair and keep the list ordered."""
        self.valid = [
            v for v in self.valid if (v.local.sending_base, v.remote.address) != _vkey(valid)
        ]
        self.valid.append(valid)
        self.valid.sort(key=lambda v: -v.priority)
        return valid

    def valid_for(self, key: tuple[Address, Address]) -> ValidPair | None:
        """The valid pair produced by the pair ``key``, if any."""
        for valid in self.valid:
            if valid.generating == key:
                return valid
        return None

    def best_valid(self) -> ValidPair | None:
        """The highest-priority valid pair, None before any check succeeded."""
        return self.valid[0] if self.valid else None

    def nomination_target(self, late: bool) -> CandidatePair | None:
        """The stop rule's pair: the one that generated the best valid pair, once every better
        pair failed (or succeeded), or at once when ``late``; a cached valid pair always wins
        (docs/ALEX.md "Nomination and the stop rule")."""
        if self.state is not ListState.RUNNING or not self.valid:
            return None
        cached = [v for v in self.valid if v.from_cache]
        best = cached[0] if cached else self.valid[0]
        generating = self.find(*best.generating)
        if generating is None or cached or late:
            return generating
        settled = (PairState.FAILED, PairState.SUCCEEDED)
        if any(p.priority > generating.priority and p.state not in settled for p in self.pairs):
            return None
        return generating

    def pending(self) -> bool:
        """Tell whether any pair may still succeed (Frozen, Waiting or In-Progress)."""
        return any(
            p.state in (PairState.FROZEN, PairState.WAITING, PairState.IN_PROGRESS)
            for p in self.pairs
        )

    def stop_below(self, priority: int) -> None:
        """After nomination: drop waiting/frozen pairs, cancel lower checks (RFC 8445 §8.1.2)."""
        for pair in self.pairs:
            if pair.state in (PairState.FROZEN, PairState.WAITING):
                pair.state = PairState.FAILED
            elif (
                pair.state is PairState.IN_PROGRESS
                and pair.priority < priority
                and pair.transaction is not None
            ):
                pair.transaction.cancel()
        self.triggered.clear()

    def _insert(self, pair: CandidatePair) -> None:
        # RFC 8445 §6.1.2.4: of two pairs with the same local base and remote, keep the better
        existing = self.find(*pair.key)
        if existing is None:
            self.pairs.append(pair)
        elif pair.priority > existing.priority:
            self.pairs[self.pairs.index(existing)] = pair

    def _sort_and_cap(self) -> None:
        # cached pairs first (docs/ALEX.md "ALEX cache"), then by priority
        self.pairs.sort(key=lambda p: (not p.from_cache, -p.priority))
        del self.pairs[self.max_pairs :]


def _vkey(valid: ValidPair) -> tuple[Address, Address]:
    return (valid.local.sending_base, valid.remote.address)


def initial_unfreeze(lists: Sequence[ConnectionList]) -> None:
    """One Waiting pair per foundation, first list first, lowest component (RFC 8445 §6.1.2.6)."""
    seen: set[str] = set()
    for connection_list in lists:
        ordered = sorted(connection_list.pairs, key=lambda p: (p.local.component, -p.priority))
        for pair in ordered:
            if pair.state is PairState.FROZEN and pair.foundation not in seen:
                seen.add(pair.foundation)
                pair.state = PairState.WAITING


def unfreeze_foundation(lists: Sequence[ConnectionList], foundation: str) -> None:
    """Set every Frozen pair of ``foundation`` to Waiting (RFC 8445 §7.2.5.3.3)."""
    for connection_list in lists:
        for pair in connection_list.pairs:
            if pair.state is PairState.FROZEN and pair.foundation == foundation:
                pair.state = PairState.WAITING


def unfreeze_idle(lists: Sequence[ConnectionList], connection_list: ConnectionList) -> bool:
    """If ``connection_list`` has nothing Waiting, wake a Frozen pair (RFC 8445 §6.1.4.2)."""
    active = {
        p.foundation
        for cl in lists
        for p in cl.pairs
        if p.state in (PairState.WAITING, PairState.IN_PROGRESS)
    }
    woke = False
    for pair in connection_list.pairs:
        if pair.state is PairState.FROZEN and pair.foundation not in active:
            pair.state = PairState.WAITING
            active.add(pair.foundation)
            woke = True
    return woke
