"""Which pair each flow nominates: the controlling side's regular nomination (RFC 8445 §8.1.1).

The controlling agent nominates one valid pair per flow by re-checking it with USE-CANDIDATE.
ALEX adds a stop rule (docs/ALEX.md "Nomination and the stop rule"): the best valid pair is
nominated once every better pair failed, or once ``stop_after`` (1 s) passed since checks
began. Two shortcuts save the nomination round trip: a pair the ALEX cache vouches for, and
the best pair still possible (every better one failed), carry USE-CANDIDATE on their own
first check.

Relayed paths are not held back by the stop rule's 1 s: when the best valid pair goes through
a relay and every better pair still pending was sent at least one relay round trip ago (plus
``RELAY_GRACE``) without an answer, the relay pair is nominated at once. A direct path is
shorter than the relayed one, so a direct pair that works would have answered in that time;
if one answers later after all, the check runner moves the flow up to it (a path upgrade).
"""

from __future__ import annotations

from collections.abc import Sequence

from alexphone.alex.candidate import CandidateType
from alexphone.alex.connection_list import (
    CandidatePair,
    ConnectionList,
    ListState,
    PairState,
    ValidPair,
)

RELAY_GRACE = 0.020  # s beyond the relay pair's round trip that better pairs get to answer


class Nominator:
    """The nominations under way, one per flow, and the stop rule's deadline."""

    def __init__(self, stop_after: float) -> None:
        self.stop_after = stop_after
        self.pending: dict[str, CandidatePair] = {}  # flow → pair re-checked with USE-CANDIDATE
        self.started_at: float | None = None
        self.deadline: float | None = None  # the stop rule's mark, until it has passed
        self.relay_due: float | None = None  # when a relay pair may be nominated early
        self.peer_heard_at: float | None = None  # the peer's first check: it is checking too

    def start(self, now: float, *, controlling: bool) -> None:
        """Checks begin at ``now``; only the controlling side waits for the stop rule's mark."""
        self.started_at = now
        self.deadline = now + self.stop_after if controlling else None

    def use_candidate(self, connection_list: ConnectionList, pair: CandidatePair) -> bool:
        """Tell whether the controlling side's next check on ``pair`` carries USE-CANDIDATE."""
        if pair.use_candidate_sent or (pair.from_cache and pair.state is PairState.WAITING):
            pair.use_candidate_sent = True
            self.pending[connection_list.flow] = pair
            return True
        if self._best_still_possible(connection_list, pair):
            # not pending: the stop rule may still nominate a pair that answers first
            pair.use_candidate_sent = True
            return True
        return False

    def _best_still_possible(self, connection_list: ConnectionList, pair: CandidatePair) -> bool:
        """The stop rule would nominate this pair the moment it succeeds (every better pair
        failed): its own check carries USE-CANDIDATE, saving the nomination round trip."""
        if connection_list.flow in self.pending or pair.state is PairState.SUCCEEDED:
            return False
        return all(
            p.state is PairState.FAILED for p in connection_list.pairs if p.priority > pair.priority
        )

    def stop_rule(
        self, lists: Sequence[ConnectionList], now: float
    ) -> list[tuple[ConnectionList, CandidatePair]]:
        """Stop rule: pick the best valid pair of each flow once every better pair failed, or
        after ``stop_after``; return the pairs to re-check with USE-CANDIDATE."""
        if self.started_at is None:
            return []
        late = now >= self.started_at + self.stop_after
        if self.deadline is not None and late:
            self.deadline = None  # from now on the rule runs on every answer
        chosen: list[tuple[ConnectionList, CandidatePair]] = []
        self.relay_due = None
        for connection_list in lists:
            if connection_list.flow in self.pending:
                continue
            generating = connection_list.nomination_target(late)
            if generating is None and self.deadline is not None:
                generating, due = relay_without_waiting(connection_list, now, self.peer_heard_at)
                if due is not None:
                    self.relay_due = due if self.relay_due is None else min(self.relay_due, due)
            if generating is not None:
                self.pending[connection_list.flow] = generating
                generating.use_candidate_sent = True
                chosen.append((connection_list, generating))
        return chosen

    def next_due(self) -> float | None:
        """The earliest moment the stop rule may pick a pair without an answer arriving."""
        times = [t for t in (self.deadline, self.relay_due) if t is not None]
        return min(times) if times else None

    def failed(self, flow: str, pair: CandidatePair) -> bool:
        """The check on ``pair`` failed; True if it was the flow's nomination (now dropped)."""
        if self.pending.get(flow) is pair:
            del self.pending[flow]
            return True
        return False

    def settled(self, flow: str) -> None:
        """``flow`` selected its pair: no nomination is under way any more."""
        self.pending.pop(flow, None)

    def clear(self) -> None:
        """The role switched (RFC 8445 §7.3.1.1): forget the nominations under way."""
        self.pending.clear()


def is_relayed(valid: ValidPair) -> bool:
    """Tell whether the path of ``valid`` goes through a TURN relay (ours or the peer's)."""
    return CandidateType.RELAY in (valid.local.type, valid.remote.type)


def relay_without_waiting(
    connection_list: ConnectionList, now: float, peer_heard_at: float | None
) -> tuple[CandidatePair | None, float | None]:
    """Relay rule (docs/ALEX.md): the pair to nominate now, or None and when to look again.

    The best valid pair must be relayed, with a measured round trip; every better pair
    that is still waiting or in progress must have been sent that long ago (plus
    ``RELAY_GRACE``), and the peer's first check must have come that long ago too (a peer
    that starts checking later opens its NAT later). Frozen pairs are not waited for.
    """
    if connection_list.state is not ListState.RUNNING or not connection_list.valid:
        return None, None
    if peer_heard_at is None:
        return None, None  # the peer answers but does not check yet: its NAT is still shut
    best = connection_list.valid[0]
    if not is_relayed(best) or best.rtt is None:
        return None, None
    generating = connection_list.find(*best.generating)
    if generating is None:
        return None, None
    patience = best.rtt + RELAY_GRACE
    latest = peer_heard_at + best.rtt + RELAY_GRACE  # when every better pair waited enough
    for pair in connection_list.pairs:
        if pair.priority <= generating.priority:
            continue
        if pair.state in (PairState.FAILED, PairState.SUCCEEDED, PairState.FROZEN):
            continue
        if pair.first_sent_at is None:
            return None, None  # not sent yet: the pacer will send it within a few Ta
        latest = max(latest, pair.first_sent_at + patience)
    if latest > now:
        return None, latest
    return generating, None
