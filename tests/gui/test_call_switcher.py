"""Several calls in the window: call waiting, the list of calls, switch, hold, swap, merge."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from alexphone.engine.commands import Answer, Decline, Hold, Merge, OtherCalls, Resume, Swap
from alexphone.engine.events import CallChanged, CallMode, CallModeChanged, CallState, Direction
from alexphone.gui.main_window import MainWindow

WindowFactory = Callable[..., MainWindow]


def state(call_id: str, way: Direction, value: CallState) -> CallChanged:
    return CallChanged(call_id, way, f"sip:{call_id}@example.com", value)


def test_a_call_during_a_call_waits_softly_and_offers_end_and_answer(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.bridge.forward(state("a", Direction.OUT, CallState.CONFIRMED))
    window.bridge.forward(state("b", Direction.IN, CallState.RINGING))
    qtbot.waitUntil(lambda: "b" in window.incoming_dialogs, timeout=1000)
    dialog = window.incoming_dialogs["b"]
    assert dialog.accept_button.text() == "Hold && answer"
    assert dialog.end_and_answer_button.isVisible()
    assert window.ringer._playing is None  # the engine beeps over the call instead
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.mouseClick(dialog.end_and_answer_button, Qt.MouseButton.LeftButton)
    assert sent.args == [Answer("b", OtherCalls.END)]


def test_call_waiting_holds_and_answers_or_declines(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.bridge.forward(state("a", Direction.OUT, CallState.CONFIRMED))
    for waiting, button, command in (
        ("b", "accept_button", Answer("b", OtherCalls.HOLD)),
        ("c", "decline_button", Decline("c")),
    ):
        window.bridge.forward(state(waiting, Direction.IN, CallState.RINGING))
        qtbot.waitUntil(lambda w=waiting: w in window.incoming_dialogs, timeout=1000)
        dialog = window.incoming_dialogs[waiting]
        assert dialog.windowTitle() == "Call waiting"
        with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
            qtbot.mouseClick(getattr(dialog, button), Qt.MouseButton.LeftButton)
        assert sent.args == [command]
        assert not dialog.isVisible()


def test_a_first_call_rings_with_plain_accept(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.bridge.forward(state("a", Direction.IN, CallState.RINGING))
    qtbot.waitUntil(lambda: "a" in window.incoming_dialogs, timeout=1000)
    dialog = window.incoming_dialogs["a"]
    assert dialog.accept_button.text() == "Accept"
    assert not dialog.end_and_answer_button.isVisible()
    assert window.switcher.isHidden()


def test_the_call_list_switches_holds_swaps_and_merges(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.show()
    window.bridge.forward(state("a", Direction.OUT, CallState.CONFIRMED))
    window.bridge.forward(state("b", Direction.IN, CallState.CONFIRMED))
    window.bridge.forward(CallModeChanged("a", CallMode.HELD))
    window.bridge.forward(state("a", Direction.OUT, CallState.HELD))
    switcher = window.switcher
    qtbot.waitUntil(lambda: switcher.isVisible() and switcher.list.count() == 2, timeout=1000)
    rows = [switcher.list.item(i).text() for i in range(2)]
    assert rows == ["sip:a@example.com  ·  On hold", "sip:b@example.com  ·  Connected"]
    assert window.call_panel.call is not None and window.call_panel.call.call_id == "b"

    clicks = (
        (0, switcher.switch_button, Resume("a")),
        (1, switcher.hold_button, Hold("b")),
        (None, switcher.swap_button, Swap()),
        (None, switcher.merge_button, Merge()),
    )
    for row, button, command in clicks:
        if row is not None:
            switcher.list.setCurrentRow(row)
        assert button.isEnabled(), button.text()
        with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert sent.args == [command]
    switcher.list.setCurrentRow(0)
    assert not switcher.hold_button.isEnabled()  # a is held already: only Switch to

    for call_id in ("a", "b"):
        window.bridge.forward(CallModeChanged(call_id, CallMode.CONFERENCE))
    window.bridge.forward(state("a", Direction.OUT, CallState.CONFIRMED))
    qtbot.waitUntil(
        lambda: all("In conference" in switcher.list.item(i).text() for i in range(2)),
        timeout=1000,
    )
    assert not switcher.swap_button.isEnabled()  # nobody is held
    window.bridge.forward(state("a", Direction.OUT, CallState.ENDED))
    qtbot.waitUntil(switcher.isHidden, timeout=1000)
