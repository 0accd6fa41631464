"""Which pair each flow nominates: the controlling side's regular nomination (RFC 8445 §8.1.1).

The controlling agent nominates one valid pair per flow by re-checking it with USE-CANDIDATE.
ALEX adds a stop rule (docs/ALEX.md "Nomination and the stop rule"): the best valid pair is
nominated once every better pair failed, or once ``stop_after`` (1 s) passed since checks
began. Two shortcuts save the nomination round trip: a pair the ALEX cache vouches for, and
the best pair still possible (every better one failed), carry USE-CANDIDATE on their own
first check.
"""

from __future__ import annotations

from collections.abc import Sequence

from alexphone.alex.connection_list import CandidatePair, ConnectionList, PairState


class Nominator:
    """The nominations under way, one per flow, and the stop rule's deadline."""

    def __init__(self, stop_after: float) -> None:
        self.stop_after = stop_after
        self.pending: dict[str, CandidatePair] = {}  # flow → pair re-checked with USE-CANDIDATE
        self.started_at: float | None = None
        self.deadline: float | None = None  # the stop rule's mark, until it has passed

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
        for connection_list in lists:
            if connection_list.flow in self.pending:
                continue
            generating = connection_list.nomination_target(late)
            if generating is not None:
                self.pending[connection_list.flow] = generating
                generating.use_candidate_sent = True
                chosen.append((connection_list, generating))
        return chosen

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
