"""Pairing, ordering, pruning, capping and freezing (RFC 8445 §6.1.2)."""

from __future__ import annotations

from alexphone.alex.candidate import Candidate, CandidateType
from alexphone.alex.connection_list import (
    ConnectionList,
    PairState,
    initial_unfreeze,
    unfreeze_foundation,
    unfreeze_idle,
)


def cand(
    ip: str,
    port: int,
    pri: int,
    fnd: str,
    flow: str = "m0.1",
    local: bool = False,
    kind: CandidateType = CandidateType.HOST,
) -> Candidate:
    address = (ip, port)
    return Candidate(flow, "udp", address, kind, pri, fnd, None, address if local else None)


def test_pairs_same_family_and_transport_ordered_by_priority() -> None:
    local = [
        cand("10.0.0.1", 1, 100, "a", local=True),
        cand("2001:db8::1", 1, 200, "b", local=True),
    ]
    remote = [
        cand("10.0.0.2", 2, 50, "x"),
        cand("2001:db8::2", 2, 60, "y"),
        Candidate("m0.1", "tcp", ("10.0.0.3", 3), CandidateType.HOST, 70, "z"),
        cand("10.0.0.4", 2, 50, "w", flow="sip"),
    ]
    cl = ConnectionList("m0.1")
    cl.form(local, remote, controlling=True)
    assert [p.key for p in cl.pairs] == [
        (("2001:db8::1", 1), ("2001:db8::2", 2)),
        (("10.0.0.1", 1), ("10.0.0.2", 2)),
    ]
    assert all(p.state is PairState.FROZEN for p in cl.pairs)


def test_srflx_locals_are_replaced_by_their_base() -> None:
    base = cand("10.0.0.1", 1, 100, "a", local=True)
    srflx = Candidate(
        "m0.1", "udp", ("203.0.113.1", 9), CandidateType.SRFLX, 90, "s", base.address, base.address
    )
    cl = ConnectionList("m0.1")
    cl.form([base, srflx], [cand("10.0.0.2", 2, 50, "x")], controlling=True)
    assert [p.local for p in cl.pairs] == [base]


def test_cap_keeps_the_best_pairs() -> None:
    local = [cand("10.0.0.1", 1, 100, "a", local=True)]
    remote = [cand("10.0.1.1", 1000 + i, 1 + i, f"r{i}") for i in range(150)]
    cl = ConnectionList("m0.1", max_pairs=100)
    cl.form(local, remote, controlling=True)
    assert len(cl.pairs) == 100
    assert min(p.remote.priority for p in cl.pairs) == 51
    assert cl.add(local[0], cand("10.0.1.1", 9, 1, "low"), controlling=True) is None


def test_role_change_reorders() -> None:
    local = [cand("10.0.0.1", 1, 10, "a", local=True), cand("10.0.0.9", 1, 20, "b", local=True)]
    remote = [cand("10.0.0.2", 2, 30, "x")]
    cl = ConnectionList("m0.1")
    cl.form(local, remote, controlling=True)
    before = [p.priority for p in cl.pairs]
    cl.reprioritize(controlling=False)
    assert [p.priority for p in cl.pairs] != before
    assert cl.pairs[0].priority >= cl.pairs[1].priority


def test_freezing_one_waiting_pair_per_foundation_first_list_first() -> None:
    local_m = [cand("10.0.0.1", 1, 100, "a", local=True)]
    local_s = [cand("10.0.0.1", 5060, 100, "a", flow="sip", local=True)]
    remote = [
        cand("10.0.0.2", 2, 50, "x"),
        cand("10.0.0.3", 2, 40, "x"),
        cand("10.0.0.4", 5060, 50, "x", flow="sip"),
    ]
    media, sip = ConnectionList("m0.1"), ConnectionList("sip")
    media.form(local_m, remote, controlling=True)
    sip.form(local_s, remote, controlling=True)
    initial_unfreeze([media, sip])
    assert [p.state for p in media.pairs] == [PairState.WAITING, PairState.FROZEN]
    assert [p.state for p in sip.pairs] == [PairState.FROZEN]
    unfreeze_foundation([media, sip], "a:x")
    assert sip.pairs[0].state is PairState.WAITING


def test_idle_list_wakes_a_frozen_pair_whose_foundation_is_idle() -> None:
    cl = ConnectionList("m0.1")
    cl.form(
        [cand("10.0.0.1", 1, 100, "a", local=True)],
        [cand("10.0.0.2", 2, 50, "x")],
        controlling=True,
    )
    assert cl.next_check() is None
    assert unfreeze_idle([cl], cl)
    assert cl.next_check() is cl.pairs[0]


def test_triggered_pairs_come_first() -> None:
    cl = ConnectionList("m0.1")
    local = [cand("10.0.0.1", 1, 100, "a", local=True)]
    cl.form(local, [cand("10.0.0.2", 2, 50, "x"), cand("10.0.0.3", 2, 10, "y")], controlling=True)
    for pair in cl.pairs:
        pair.state = PairState.WAITING
    cl.trigger(cl.pairs[1])
    assert cl.next_check() is cl.pairs[1]
    assert cl.next_check() is cl.pairs[0]
