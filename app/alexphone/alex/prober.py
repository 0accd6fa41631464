"""The outstanding probes of one agent: STUN transactions under the process probe budget.

Each probe is a StunTransaction (RFC 8489 §6.2.1 retransmissions) remembered with the 5-tuple
and purpose it was sent for, so that a response can be matched by transaction ID and checked
for symmetry (RFC 8445 §7.2.5.2.1). A retransmission goes out only when the shared
ProbeBudget grants a slot; it is simply late otherwise.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from enum import Enum, auto

from alexphone.alex.candidate import Candidate
from alexphone.alex.pacing import ProbeBudget
from alexphone.alex.probe import Credentials, Datagram, check_request, prflx_priority
from alexphone.core.address import Address
from alexphone.stun.message import StunMessage
from alexphone.stun.transaction import StunTimerConfig, StunTransaction, TransactionEvent


class ProbePurpose(Enum):
    """Why a probe was sent."""

    CHECK = auto()  # connectivity check (RFC 8445 §7.2.4)
    CONSENT = auto()  # consent freshness (RFC 7675 §5.1)


@dataclass(slots=True)
class Probe:
    """One outstanding request and what it was for."""

    transaction: StunTransaction
    flow: str
    base: Address
    remote: Address
    purpose: ProbePurpose
    use_candidate: bool
    priority: int  # the PRIORITY sent: a discovered prflx candidate gets it (§7.2.5.3.1)


class Prober:
    """Sends probes, retransmits them within the budget, matches their answers."""

    def __init__(self, budget: ProbeBudget, rng: random.Random, output: deque[Datagram]) -> None:
        self.budget = budget
        self.sent = 0  # requests put on the wire, retransmissions included
        self._rng = rng
        self._output = output
        self._probes: dict[bytes, Probe] = {}

    def __contains__(self, transaction_id: object) -> bool:
        return transaction_id in self._probes

    def send(
        self,
        purpose: ProbePurpose,
        local: Candidate,
        remote: Address,
        credentials: tuple[Credentials, Credentials],
        *,
        controlling: bool,
        tie_breaker: int,
        use_candidate: bool,
        timers: StunTimerConfig,
        now: float,
    ) -> Probe:
        """Send a new check from ``local`` to ``remote``; the caller has taken a budget slot."""
        ours, theirs = credentials
        transaction_id = self._rng.randbytes(12)
        request = check_request(
            transaction_id,
            ours,
            theirs,
            local,
            controlling=controlling,
            tie_breaker=tie_breaker,
            use_candidate=use_candidate,
        )
        transaction = StunTransaction(transaction_id, request, key=theirs.key, config=timers)
        probe = Probe(
            transaction,
            local.flow,
            local.sending_base,
            remote,
            purpose,
            use_candidate,
            prflx_priority(local),
        )
        self._probes[transaction_id] = probe
        transaction.start(now)
        self._flush(probe, now)
        return probe

    def answer(self, message: StunMessage, now: float) -> tuple[Probe, TransactionEvent] | None:
        """Match an authenticated response to its probe; None if unknown or not authentic."""
        probe = self._probes.get(message.transaction_id)
        if probe is None or not probe.transaction.receive(message, now):
            return None
        del self._probes[message.transaction_id]
        event = probe.transaction.next_event()
        assert event is not None
        return probe, event

    def get_timer(self) -> float | None:
        """The next retransmission (as the budget allows) or timeout, None if none."""
        times: list[float] = []
        for probe in self._probes.values():
            timer = probe.transaction.get_timer()
            if timer is not None:
                due = probe.transaction.next_send == timer
                times.append(self.budget.next_allowed(timer) if due else timer)
        return min(times) if times else None

    def run(self, now: float) -> list[tuple[Probe, TransactionEvent | None]]:
        """Retransmit and time out what is due; return the probes that finished."""
        finished: list[tuple[Probe, TransactionEvent | None]] = []
        for transaction_id, probe in list(self._probes.items()):
            transaction = probe.transaction
            timer = transaction.get_timer()
            if timer is None or timer > now:
                continue
            if transaction.next_send == timer and not self.budget.try_take(now):
                continue  # the retransmission waits for the budget
            transaction.handle_timer(now)
            self._flush(probe, now)
            if transaction.done:
                del self._probes[transaction_id]
                finished.append((probe, transaction.next_event()))
        return finished

    def clear(self) -> None:
        """Forget every outstanding probe."""
        self._probes.clear()

    def _flush(self, probe: Probe, now: float) -> None:
        for data in probe.transaction.datagrams_to_send(now):
            self.sent += 1
            self._output.append(Datagram(probe.base, probe.remote, data))
