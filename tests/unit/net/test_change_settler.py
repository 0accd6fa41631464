"""A burst of kernel messages leads to one look at the table, at once for a first move."""

from __future__ import annotations

import pytest

from alexphone.net.change_settler import ChangeSettler, SettleTimes

TIMES = SettleTimes(settle=0.030, hold_down=0.250)


def test_nothing_pending_without_kernel_messages() -> None:
    settler = ChangeSettler(TIMES)

    assert settler.get_timer() is None
    assert settler.handle_timer(5.0) is False


def test_a_burst_is_read_once_when_quiet_for_the_settle_window() -> None:
    settler = ChangeSettler(TIMES)
    for now in (10.000, 10.004, 10.011):  # link down, address gone, route flushed
        settler.kernel_message(now)

    assert settler.get_timer() == pytest.approx(10.041)
    assert settler.handle_timer(10.040) is False  # not quiet long enough yet
    assert settler.handle_timer(10.041) is True
    assert settler.get_timer() is None
    assert settler.handle_timer(10.100) is False  # read once per burst


def test_the_first_move_after_a_quiet_period_is_not_held_down() -> None:
    settler = ChangeSettler(TIMES)
    settler.kernel_message(1.0)
    assert settler.handle_timer(1.03)
    settler.checked(1.03, changed=True)

    settler.kernel_message(2.0)  # long after the hold-down

    assert settler.get_timer() == pytest.approx(2.03)


def test_flaps_after_a_reported_change_fold_into_one_look_after_the_hold_down() -> None:
    settler = ChangeSettler(TIMES)
    settler.kernel_message(1.0)
    assert settler.handle_timer(1.03)
    settler.checked(1.03, changed=True)
    looks = 0
    now = 1.05
    for _ in range(6):  # up, down, up... every 30 ms
        settler.kernel_message(now)
        if settler.handle_timer(now + 0.029):
            looks += 1
        now += 0.030

    assert looks == 0
    assert settler.get_timer() == pytest.approx(1.03 + 0.250)
    assert settler.handle_timer(1.28) is True


def test_a_look_that_found_no_change_does_not_hold_down() -> None:
    settler = ChangeSettler(TIMES)
    settler.kernel_message(1.0)
    assert settler.handle_timer(1.03)
    settler.checked(1.03, changed=False)  # a route of no interest to us

    settler.kernel_message(1.05)

    assert settler.get_timer() == pytest.approx(1.08)


def test_negative_times_are_refused() -> None:
    with pytest.raises(ValueError):
        SettleTimes(settle=-0.1)


def test_a_look_without_a_route_waits_once_for_the_route() -> None:
    settler = ChangeSettler(SettleTimes(settle=0.020, hold_down=0.250, route_grace=0.5))
    settler.kernel_message(1.0)  # address moved, the default route not yet there
    assert settler.handle_timer(1.02)

    assert settler.defer(1.02) is True
    assert settler.get_timer() == pytest.approx(1.52)
    settler.kernel_message(1.03)  # the route came
    assert settler.get_timer() == pytest.approx(1.05)
    assert settler.handle_timer(1.05)


def test_a_network_without_a_route_is_reported_after_the_grace() -> None:
    settler = ChangeSettler(SettleTimes(settle=0.020, hold_down=0.250, route_grace=0.5))
    settler.kernel_message(1.0)
    assert settler.handle_timer(1.02)
    assert settler.defer(1.02)
    assert settler.handle_timer(1.52)

    assert settler.defer(1.52) is False  # once only: now the caller compares and reports
    settler.checked(1.52, changed=True)
    settler.kernel_message(3.0)
    assert settler.handle_timer(3.02)
    assert settler.defer(3.02) is True  # a later move may wait again


def test_a_change_to_no_route_holds_nothing_down_so_the_new_route_is_seen_at_once() -> None:
    settler = ChangeSettler(TIMES)
    settler.kernel_message(1.0)  # the new uplink's address, before its default route
    assert settler.handle_timer(1.03)
    settler.checked(1.03, changed=True, routed=False)

    settler.kernel_message(1.1)  # the default route comes

    due = settler.get_timer()
    assert due == pytest.approx(1.13)  # not held down to 1.28
    assert settler.handle_timer(due)
    settler.checked(due, changed=True)
    settler.kernel_message(1.2)
    assert settler.get_timer() == pytest.approx(1.38)  # a routed change holds down as before
