"""What a call reports of its agent's events: engine events, media moves, consent loss."""

from __future__ import annotations

import random

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.checks import CheckAgent
from alexphone.alex.connection_list import PairState
from alexphone.alex.events import ConsentExpired, PairChanged, PairSelected, Role
from alexphone.alex.pacing import ProbeBudget
from alexphone.alex.probe import Credentials
from alexphone.core.address import Address
from alexphone.engine.alexcall.pair_memory import PairMemory
from alexphone.engine.alexcall.report import CheckReport
from alexphone.engine.events import (
    AlexPairChanged,
    AlexSelected,
    CheckState,
    ErrorReported,
    ErrorSource,
    Event,
    Flow,
    PathKind,
)

OURS = Candidate("m0.1", "udp", ("192.0.2.1", 4000), CandidateType.HOST, 100, "1", None, None)
THEIRS = Candidate("m0.1", "udp", ("198.51.100.2", 5000), CandidateType.SRFLX, 90, "2")


def _agent() -> CheckAgent:
    credentials = Credentials("ufrag", "password-password-pw")
    return CheckAgent(Role.CONTROLLING, credentials, 7, budget=ProbeBudget(), rng=random.Random(1))


def _report() -> tuple[
    CheckReport, list[Event], list[tuple[Address, Address, PathKind]], list[str]
]:
    events: list[Event] = []
    moves: list[tuple[Address, Address, PathKind]] = []
    lost: list[str] = []
    report = CheckReport(
        "c1",
        events.append,
        PairMemory(None, "sip:peer@example.com"),
        on_media_path=lambda local, remote, kind: moves.append((local, remote, kind)),
        on_consent_lost=lost.append,
    )
    return report, events, moves, lost


def test_consent_expiry_is_reported_and_handed_to_the_restart() -> None:
    report, events, _, lost = _report()

    report.handle(ConsentExpired("m0.1", OURS.address, THEIRS.address), _agent(), 10.0)

    assert lost == ["m0.1"]
    assert events == [ErrorReported(ErrorSource.ALEX, "call c1: consent lost on audio")]


def test_pair_states_are_reported_as_contract_enums_except_frozen() -> None:
    report, events, _, _ = _report()
    agent = _agent()

    report.handle(PairChanged("m0.1", OURS, THEIRS, PairState.FROZEN), agent, 1.0)
    report.handle(PairChanged("m0.1", OURS, THEIRS, PairState.FAILED), agent, 1.0)

    (changed,) = events
    assert isinstance(changed, AlexPairChanged)
    assert changed.flow is Flow.AUDIO and changed.state is CheckState.FAILED


def test_a_selection_moves_audio_once_and_is_timed_from_the_start_of_checks() -> None:
    report, events, moves, _ = _report()
    agent = _agent()
    selected = PairSelected(
        "m0.1", OURS, THEIRS, OURS.address, CandidateType.SRFLX, 0.02, from_cache=False
    )

    report.checks_started(100.0)
    report.handle(selected, agent, 100.25)
    report.handle(selected, agent, 100.5)  # the same pair again: audio stays where it is

    assert moves == [(OURS.address, THEIRS.address, PathKind.SRFLX)]
    first = events[0]
    assert isinstance(first, AlexSelected)
    assert first.kind is PathKind.SRFLX and first.after_ms == 250.0 and first.rtt_ms == 20.0
