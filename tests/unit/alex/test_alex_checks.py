"""The check agent against a hand-driven peer: authentication, pacing, consent (RFC 8445, 7675)."""

from __future__ import annotations

import itertools
import random

import pytest

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.checks import AgentState, CheckAgent
from alexphone.alex.connection_list import PairState
from alexphone.alex.events import CandidateDiscovered, ConsentExpired, PairSelected, Role
from alexphone.alex.pacing import ProbeBudget
from alexphone.alex.probe import Credentials
from alexphone.stun.message import StunClass, binding_request, binding_success, parse

LOCAL = Credentials("ourufrag", "our-password-0123456789")
PEER = Credentials("peerufrag", "peer-password-012345678")
BASE = ("192.0.2.1", 4000)


def host(address: tuple[str, int], fnd: str, priority: int, base: bool = True) -> Candidate:
    return Candidate(
        "m0.1", "udp", address, CandidateType.HOST, priority, fnd, None, address if base else None
    )


def agent(
    role: Role = Role.CONTROLLED, remotes: int = 1, budget: ProbeBudget | None = None
) -> CheckAgent:
    checks = CheckAgent(role, LOCAL, 5, budget=budget or ProbeBudget(), rng=random.Random(7))
    checks.add_local_candidates([host(BASE, "L", 2130706431)])
    checks.set_remote(
        PEER,
        [
            host((f"192.0.2.{100 + i}", 5000), f"R{i}", 2130706431 - i, False)
            for i in range(remotes)
        ],
    )
    return checks


def peer_check(key: str = PEER.pwd, tid: bytes = b"T" * 12, use_candidate: bool = False) -> bytes:
    # the peer signs with OUR password: a request to us carries our credentials
    return binding_request(
        tid,
        username=f"{LOCAL.ufrag}:{PEER.ufrag}",
        key=(LOCAL.pwd if key == PEER.pwd else key).encode(),
        priority=1862270975,
        ice_controlling=99,
        use_candidate=use_candidate,
    )


def answer(datagram_data: bytes, mapped: tuple[str, int]) -> bytes:
    request = parse(datagram_data)
    return binding_success(request.transaction_id, mapped, PEER.pwd.encode())


def test_authenticated_check_is_answered_and_triggers_our_check() -> None:
    checks = agent()
    checks.start(0.0)
    checks.handle_timer(0.0)
    checks.datagrams_to_send(0.0)
    assert checks.receive(peer_check(), BASE, ("198.51.100.7", 6000), 0.005)
    out = checks.datagrams_to_send(0.005)
    reply = parse(out[0].data)
    assert reply.klass is StunClass.SUCCESS
    assert reply.xor_mapped_address == ("198.51.100.7", 6000)
    assert reply.check_integrity(LOCAL.pwd.encode())
    discovered = [e for e in iter(checks.next_event, None) if isinstance(e, CandidateDiscovered)]
    assert discovered and discovered[0].candidate.type is CandidateType.PRFLX
    timer = checks.get_timer()
    assert timer is not None
    checks.handle_timer(timer)
    triggered = [d for d in checks.datagrams_to_send(timer) if d.remote == ("198.51.100.7", 6000)]
    assert len(triggered) == 1
    assert parse(triggered[0].data).username == f"{PEER.ufrag}:{LOCAL.ufrag}"


def test_forged_probe_gets_no_answer_and_changes_nothing() -> None:
    checks = agent()
    checks.start(0.0)
    checks.handle_timer(0.0)
    checks.datagrams_to_send(0.0)
    list(iter(checks.next_event, None))
    before = [(p.key, p.state) for p in checks.lists[0].pairs]
    timer_before = checks.get_timer()
    forged = peer_check(key="guessed-password-000000", use_candidate=True)
    assert checks.receive(forged, BASE, ("198.51.100.66", 6000), 0.001)
    assert checks.datagrams_to_send(0.001) == []
    assert checks.next_event() is None
    assert [(p.key, p.state) for p in checks.lists[0].pairs] == before
    assert checks.get_timer() == timer_before
    assert not checks.is_validated(BASE, ("198.51.100.66", 6000))


def test_forged_answer_does_not_validate() -> None:
    checks = agent()
    checks.start(0.0)
    checks.handle_timer(0.0)
    (probe,) = checks.datagrams_to_send(0.0)
    request = parse(probe.data)
    forged = binding_success(request.transaction_id, BASE, b"not-the-peer-password")
    assert checks.receive(forged, BASE, probe.remote, 0.01)
    assert not checks.is_validated(BASE, probe.remote)
    assert checks.lists[0].pairs[0].state is PairState.IN_PROGRESS
    checks.receive(answer(probe.data, BASE), BASE, probe.remote, 0.02)
    assert checks.is_validated(BASE, probe.remote)


def test_answer_from_another_address_fails_the_pair() -> None:
    checks = agent()
    checks.start(0.0)
    checks.handle_timer(0.0)
    (probe,) = checks.datagrams_to_send(0.0)
    checks.receive(answer(probe.data, BASE), BASE, ("192.0.2.250", 5000), 0.01)
    assert checks.lists[0].pairs[0].state is PairState.FAILED  # RFC 8445 §7.2.5.2.1
    assert not checks.is_validated(BASE, probe.remote)
    assert not checks.is_validated(BASE, ("192.0.2.250", 5000))


def test_new_checks_are_paced_at_ta() -> None:
    checks = agent(remotes=5)
    checks.start(0.0)
    sent: list[float] = []
    now = 0.0
    while (timer := checks.get_timer()) is not None and timer < 0.2:
        now = timer
        checks.handle_timer(now)
        sent += [now for _ in checks.datagrams_to_send(now)]
    assert len(sent) == 5
    assert all(b - a == pytest.approx(0.020) for a, b in itertools.pairwise(sent))


def test_shared_budget_spaces_two_agents() -> None:
    budget = ProbeBudget()
    first, second = agent(budget=budget), agent(budget=budget)
    first.start(0.0)
    second.start(0.0)
    first.handle_timer(0.0)
    second.handle_timer(0.0)
    assert len(first.datagrams_to_send(0.0)) == 1
    assert second.datagrams_to_send(0.0) == []
    assert second.get_timer() == pytest.approx(0.005)
    second.handle_timer(0.005)
    assert len(second.datagrams_to_send(0.005)) == 1


def test_checks_arriving_before_start_are_answered_and_replayed() -> None:
    checks = agent()
    source = ("198.51.100.7", 6000)
    assert checks.receive(peer_check(), BASE, source, 0.0)
    assert parse(checks.datagrams_to_send(0.0)[0].data).klass is StunClass.SUCCESS
    checks.start(0.1)
    assert any(p.remote.address == source for p in checks.lists[0].triggered)


def test_controlled_side_selects_what_the_peer_nominates_once_validated() -> None:
    checks = agent()
    checks.start(0.0)
    checks.handle_timer(0.0)
    (probe,) = checks.datagrams_to_send(0.0)
    checks.receive(peer_check(use_candidate=True), BASE, probe.remote, 0.01)
    assert checks.selected("m0.1") is None  # not validated by us yet
    checks.receive(answer(probe.data, BASE), BASE, probe.remote, 0.02)
    selected = checks.selected("m0.1")
    assert selected is not None and selected.nominated
    assert any(isinstance(e, PairSelected) for e in iter(checks.next_event, None))
    assert checks.state is AgentState.COMPLETED


def test_consent_lapses_after_30_s_without_answers() -> None:
    checks = agent()
    checks.start(0.0)
    checks.handle_timer(0.0)
    (probe,) = checks.datagrams_to_send(0.0)
    checks.receive(peer_check(use_candidate=True), BASE, probe.remote, 0.01)
    checks.receive(answer(probe.data, BASE), BASE, probe.remote, 0.02)
    assert checks.is_validated(BASE, probe.remote)
    consent_checks = 0
    events = []
    now = 0.02
    while (timer := checks.get_timer()) is not None and timer < 40.0:
        now = timer
        checks.handle_timer(now)
        consent_checks += sum(d.remote == probe.remote for d in checks.datagrams_to_send(now))
        events += list(iter(checks.next_event, None))
    expired = [e for e in events if isinstance(e, ConsentExpired)]
    assert len(expired) == 1
    assert not checks.is_validated(BASE, probe.remote)
    assert consent_checks >= 5  # every ~5 s, with retransmissions


def test_consent_answers_keep_the_pair_validated() -> None:
    checks = agent()
    checks.start(0.0)
    checks.handle_timer(0.0)
    (probe,) = checks.datagrams_to_send(0.0)
    checks.receive(peer_check(use_candidate=True), BASE, probe.remote, 0.01)
    checks.receive(answer(probe.data, BASE), BASE, probe.remote, 0.02)
    now = 0.02
    while (timer := checks.get_timer()) is not None and timer < 60.0:
        now = timer
        checks.handle_timer(now)
        for datagram in checks.datagrams_to_send(now):
            checks.receive(answer(datagram.data, BASE), BASE, datagram.remote, now + 0.01)
    assert checks.is_validated(BASE, probe.remote)
    assert not any(isinstance(e, ConsentExpired) for e in iter(checks.next_event, None))


def test_closed_agent_is_silent() -> None:
    checks = agent()
    checks.start(0.0)
    checks.close()
    assert checks.get_timer() is None
    assert not checks.receive(peer_check(), BASE, ("198.51.100.7", 6000), 0.0)
    assert checks.datagrams_to_send(0.0) == []


def test_not_our_ufrag_is_left_for_another_agent() -> None:
    checks = agent()
    checks.start(0.0)
    other = binding_request(
        b"X" * 12, username="someoneelse:peer", key=b"k" * 22, priority=1, ice_controlling=1
    )
    assert not checks.receive(other, BASE, ("198.51.100.7", 6000), 0.0)
    assert not checks.receive(b"\x80" + bytes(30), BASE, ("198.51.100.7", 6000), 0.0)
