"""MoveGuard folds flapping moves into at most one follow step per hold, on an injected clock."""

from __future__ import annotations

import pytest

from alexphone.engine.move_guard import TABLE, GuardInput, GuardState, MoveGuard
from alexphone.net.change_settler import ChangeSettler, SettleTimes


def _follows(guard: MoveGuard) -> list[str]:
    out: list[str] = []
    while (network := guard.next_follow()) is not None:
        out.append(network)
    return out


def test_the_first_move_is_followed_at_once() -> None:
    guard = MoveGuard(hold=1.0)
    guard.moved("B", 10.0)

    assert _follows(guard) == ["B"]
    assert guard.state is GuardState.HOLDING and guard.get_timer() == pytest.approx(11.0)


def test_moves_within_the_hold_fold_into_one_later_step_to_the_last_network() -> None:
    guard = MoveGuard(hold=1.0)
    guard.moved("B", 0.0)
    _follows(guard)
    guard.moved("C", 0.3)
    guard.moved("D", 0.6)

    assert _follows(guard) == []
    guard.handle_timer(0.99)  # not yet
    assert _follows(guard) == [] and guard.state is GuardState.HOLDING_MOVED
    guard.handle_timer(1.0)
    assert _follows(guard) == ["D"] and guard.folded == 2
    assert guard.get_timer() == pytest.approx(2.0)  # held again after that step


def test_a_flap_that_ends_where_it_was_followed_to_costs_no_second_step() -> None:
    guard = MoveGuard(hold=1.0)
    guard.moved("B", 0.0)
    _follows(guard)
    guard.moved("A", 0.2)
    guard.moved("B", 0.4)

    guard.handle_timer(1.0)

    assert _follows(guard) == [] and guard.state is GuardState.READY
    assert guard.get_timer() is None


def test_after_a_quiet_hold_the_next_move_is_not_delayed() -> None:
    guard = MoveGuard(hold=1.0)
    guard.moved("B", 0.0)
    _follows(guard)
    guard.handle_timer(1.0)
    guard.moved("C", 5.0)

    assert _follows(guard) == ["C"]


def test_a_step_that_sent_nothing_does_not_hold_the_next_move_back() -> None:
    guard = MoveGuard(hold=1.0)
    guard.moved("AB", 0.0)  # a second uplink: nobody needed telling
    assert _follows(guard) == ["AB"]
    guard.idle(0.0)
    guard.moved("B", 0.2)  # the first uplink goes: the real move

    assert _follows(guard) == ["B"] and guard.get_timer() == pytest.approx(1.2)


def test_every_row_of_the_table_is_reachable_and_nothing_else_is_allowed() -> None:
    assert set(TABLE) == {
        (GuardState.READY, GuardInput.MOVED),
        (GuardState.HOLDING, GuardInput.MOVED),
        (GuardState.HOLDING_MOVED, GuardInput.MOVED),
        (GuardState.HOLDING, GuardInput.HOLD_OVER),
        (GuardState.HOLDING_MOVED, GuardInput.HOLD_OVER),
        (GuardState.HOLDING_MOVED, GuardInput.HOLD_OVER_MOVED),
        (GuardState.HOLDING, GuardInput.IDLE),
    }
    with pytest.raises(ValueError):
        MoveGuard(hold=-1.0)


def _flap(transitions: list[float], end: float) -> tuple[list[str], int]:
    """Drive settler and guard through a link switching networks at ``transitions`` (s).

    The interface table alternates A, B, A, ...; every settled look compares it with the
    last reported one, as NetworkMonitor does. Returns the follow steps and the looks.
    """
    settler, guard = ChangeSettler(SettleTimes()), MoveGuard()
    table, reported, follows, looks = "A", "A", [], 0
    pending = sorted(transitions)
    for _ in range(1000):  # bounded: every iteration consumes one deadline
        deadlines = [t for t in (settler.get_timer(), guard.get_timer()) if t is not None]
        if pending:
            deadlines.append(pending[0])
        if not deadlines or min(deadlines) > end:
            break
        now = min(deadlines)
        if pending and pending[0] == now:
            pending.pop(0)
            table = "B" if table == "A" else "A"
            settler.kernel_message(now)
        elif settler.get_timer() == now and settler.handle_timer(now):
            looks += 1
            changed = table != reported
            reported = table
            settler.checked(now, changed)
            if changed:
                guard.moved(table, now)
        else:
            guard.handle_timer(now)
        follows += _follows(guard)
    return follows, looks


def test_a_link_flapping_three_times_within_a_second_gives_at_most_one_follow_in_it() -> None:
    # three flaps: A->B->A three times inside one second, the settler's own hold-down included
    follows, looks = _flap([0.0, 0.15, 0.3, 0.45, 0.6, 0.75], end=0.999)

    assert looks >= 2  # the settler alone reported more than one change
    assert follows == ["B"]


def test_after_the_flaps_the_calls_end_on_the_network_that_stayed() -> None:
    follows, _ = _flap([0.0, 0.15, 0.3, 0.45, 0.6], end=5.0)  # ends on B

    assert follows == ["B"]  # B was followed first and is where the flaps ended
    follows, _ = _flap([0.0, 0.15, 0.3, 0.45, 0.6, 0.75], end=5.0)  # ends on A
    assert follows == ["B", "A"]  # one step back, a full hold later
