"""Transfer from the call panel: the picker, consult first, progress in words, real transfers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from alexphone.engine.commands import PlaceCall, Transfer
from alexphone.engine.events import (
    CallChanged,
    CallState,
    CallTransferred,
    Direction,
    ErrorReported,
    ErrorSource,
    TransferRole,
    TransferState,
)
from alexphone.gui.call_model import CallInfo
from alexphone.gui.main_window import MainWindow
from alexphone.gui.peer_model import Peer
from alexphone.gui.transfer_dialog import TransferDialog
from alexphone.store.contacts import Contact
from conftest import WAIT_MS, PeerPhone

WindowFactory = Callable[..., MainWindow]
CLICK = Qt.MouseButton.LeftButton


def state(call_id: str, value: CallState, way: Direction = Direction.OUT) -> CallChanged:
    return CallChanged(call_id, way, f"sip:{call_id}@example.com", value)


def picker(qtbot: QtBot, window: MainWindow) -> TransferDialog:
    """Press Transfer… on the panel and return the picker it opens."""
    panel = window.call_panel
    qtbot.waitUntil(panel.transfer_button.isVisible, timeout=WAIT_MS)
    qtbot.mouseClick(panel.transfer_button, CLICK)
    dialog = window.transfers.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_a_blind_transfer_to_a_contact_and_its_progress_in_words(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.contacts.add(Contact("Carol", "sip:carol@example.com"))
    window.peers.add(Peer("Dave's desk", "sip:dave@10.0.0.4"))
    window.show()
    window.bridge.forward(state("a", CallState.CONFIRMED))
    dialog = picker(qtbot, window)
    entries = [dialog.target.itemText(i) for i in range(dialog.target.count())]
    assert entries == ["Carol — sip:carol@example.com", "Dave's desk (on this network)"]
    dialog.target.setCurrentIndex(0)
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.mouseClick(dialog.transfer_button, CLICK)
    assert sent.args == [Transfer("a", "sip:carol@example.com")]
    assert not dialog.isVisible()

    line = window.call_panel.transfer_line
    for step, words in (
        (TransferState.REQUESTED, "Transfer to sip:carol@example.com: asking the other side"),
        (TransferState.ACCEPTED, "accepted, they are calling there"),
        (TransferState.TRYING, "trying, it is ringing there"),
        (TransferState.FAILED, "failed; the call is back with you."),
    ):
        event = CallTransferred("a", "sip:carol@example.com", step, TransferRole.TRANSFEROR)
        window.bridge.forward(event)
        qtbot.waitUntil(lambda w=words: w in line.text(), timeout=1000)
        assert line.isVisible()


def test_a_typed_address_is_checked_inline_and_a_refusal_is_shown(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.show()
    window.bridge.forward(state("a", CallState.CONFIRMED))
    dialog = picker(qtbot, window)
    sent: list[object] = []
    window.command_sent.connect(sent.append)
    qtbot.mouseClick(dialog.transfer_button, CLICK)  # nothing chosen
    assert dialog.error.isVisible() and dialog.isVisible()
    dialog.target.setEditText("sip:bad host@")
    qtbot.mouseClick(dialog.transfer_button, CLICK)
    assert dialog.error.isVisible() and dialog.isVisible()
    assert sent == []
    dialog.target.setEditText("sip:erin@example.com")
    qtbot.mouseClick(dialog.transfer_button, CLICK)
    assert sent == [Transfer("a", "sip:erin@example.com")]
    window.bridge.forward(ErrorReported(ErrorSource.TRANSFER, "call a is not up"))
    line = window.call_panel.transfer_line
    qtbot.waitUntil(lambda: line.text() == "Cannot transfer: call a is not up", timeout=1000)


def test_consult_first_calls_the_target_then_completes_the_transfer(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.show()
    panel = window.call_panel
    window.bridge.forward(state("a", CallState.CONFIRMED))
    dialog = picker(qtbot, window)
    dialog.target.setEditText("sip:carol@example.com")
    dialog.consult.setChecked(True)
    assert dialog.transfer_button.text() == "Call first"
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.mouseClick(dialog.transfer_button, CLICK)
    assert sent.args == [PlaceCall("sip:carol@example.com")]
    window.bridge.forward(state("a", CallState.HELD))  # the switchboard holds the call
    window.bridge.forward(state("b", CallState.RINGING))
    qtbot.waitUntil(lambda: window.transfers.consults == {"b": "a"}, timeout=1000)
    assert not panel.complete_transfer_button.isVisible()  # Carol has not answered yet
    window.bridge.forward(state("b", CallState.CONFIRMED))
    qtbot.waitUntil(panel.complete_transfer_button.isVisible, timeout=1000)
    assert panel.call is not None and panel.call.call_id == "b"
    assert "complete the transfer once they answer" in panel.transfer_line.text()
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.mouseClick(panel.complete_transfer_button, CLICK)
    assert sent.args == [Transfer("a", consult="b")]
    failed = CallTransferred("a", "sip:carol@x", TransferState.FAILED, TransferRole.TRANSFEROR)
    window.bridge.forward(CallTransferred("a", "sip:carol@x", TransferState.REQUESTED))
    window.bridge.forward(failed)
    qtbot.waitUntil(
        lambda: panel.transfer_line.text().endswith("both calls are still yours."), timeout=1000
    )
    assert panel.complete_transfer_button.isVisible()  # it may be tried again
    window.bridge.forward(state("b", CallState.ENDED))
    qtbot.waitUntil(lambda: not window.transfers.consults, timeout=1000)
    qtbot.waitUntil(lambda: not panel.complete_transfer_button.isVisible(), timeout=1000)


def test_a_consultation_that_ends_untransferred_leaves_no_stale_words(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.show()
    panel = window.call_panel
    window.bridge.forward(state("a", CallState.CONFIRMED))
    for consult in ("b", "c"):  # b never gets up (no route); c answers, then hangs up
        dialog = picker(qtbot, window)
        dialog.target.setEditText("sip:carol@example.com")
        dialog.consult.setChecked(True)
        qtbot.mouseClick(dialog.transfer_button, CLICK)
        qtbot.waitUntil(lambda: "first" in panel.transfer_line.text(), timeout=1000)
        if consult == "c":
            window.bridge.forward(state(consult, CallState.CALLING))
            window.bridge.forward(state(consult, CallState.CONFIRMED))
            qtbot.waitUntil(panel.complete_transfer_button.isVisible, timeout=1000)
        window.bridge.forward(state(consult, CallState.ENDED))
        window.bridge.forward(state("a", CallState.CONFIRMED))  # back to the first call
        qtbot.waitUntil(lambda: panel.call is not None and panel.call.call_id == "a", timeout=1000)
        qtbot.waitUntil(lambda: panel.transfer_line.isHidden(), timeout=1000)
        assert not window.transfers.consults and not panel.complete_transfer_button.isVisible()


# -- real engines on loopback ---------------------------------------------------------------


def _confirmed(call: CallInfo) -> bool:
    return call.state is CallState.CONFIRMED


def _call(qtbot: QtBot, window: MainWindow, uri: str) -> CallInfo:
    """Dial ``uri`` from the dial box and return the call once it is up."""
    window.dial_box.edit.setText(uri)
    with qtbot.waitSignal(
        window.dispatcher.call_updated, timeout=WAIT_MS, check_params_cb=_confirmed
    ) as up:
        qtbot.mouseClick(window.dial_box.call_button, CLICK)
    call = up.args[0]
    assert isinstance(call, CallInfo)
    return call


def _finished(event: CallTransferred) -> bool:
    return event.state in (TransferState.SUCCEEDED, TransferState.FAILED)


def _started(qtbot: QtBot, window: MainWindow) -> None:
    window.show()
    with qtbot.waitSignal(window.bridge.client_ready, timeout=WAIT_MS):
        window.start_engine()


def _transfer_picked(
    qtbot: QtBot, window: MainWindow, callee: str, target: str
) -> tuple[CallInfo, TransferDialog]:
    """Start the window's engine, call ``callee`` and open the picker on ``target``."""
    _started(qtbot, window)
    original = _call(qtbot, window, callee)
    dialog = picker(qtbot, window)
    dialog.target.setEditText(target)
    return original, dialog


def test_the_window_transfers_a_real_call_blind_to_a_third_phone(
    qtbot: QtBot, make_window: WindowFactory, peer_phone: PeerPhone, tmp_path: Path
) -> None:
    carol = PeerPhone(qtbot, tmp_path / "carol")
    try:
        window = make_window()
        bob, target = peer_phone.uri("bob"), carol.uri("carol")
        original, dialog = _transfer_picked(qtbot, window, bob, target)
        with qtbot.waitSignal(
            window.dispatcher.transfer_changed, timeout=3 * WAIT_MS, check_params_cb=_finished
        ) as done:
            qtbot.mouseClick(dialog.transfer_button, CLICK)
        assert done.args[0].state is TransferState.SUCCEEDED
        qtbot.waitUntil(
            lambda: (window.calls.find(original.call_id) or original).state is CallState.ENDED,
            timeout=WAIT_MS,
        )
        assert window.call_panel.transfer_line.text() == f"Transferred to {carol.uri('carol')}."
        qtbot.waitUntil(  # Bob called Carol: she has a call up that is not ours
            lambda: any(
                isinstance(e, CallChanged) and e.state is CallState.CONFIRMED for e in carol.events
            ),
            timeout=WAIT_MS,
        )
    finally:
        assert carol.thread.shut_down(5000)


def test_a_real_transfer_that_fails_gives_the_call_back(
    qtbot: QtBot, make_window: WindowFactory, peer_phone: PeerPhone
) -> None:
    window = make_window()
    nobody = "sip:nobody@127.0.0.1:9;transport=tcp"  # nobody listens there
    original, dialog = _transfer_picked(qtbot, window, peer_phone.uri("bob"), nobody)
    with qtbot.waitSignal(
        window.dispatcher.transfer_changed, timeout=3 * WAIT_MS, check_params_cb=_finished
    ) as done:
        qtbot.mouseClick(dialog.transfer_button, CLICK)
    assert done.args[0].state is TransferState.FAILED
    panel = window.call_panel
    qtbot.waitUntil(
        lambda: (
            (window.calls.find(original.call_id) or original).state is CallState.CONFIRMED
            and panel.state.text() == "Connected"
        ),
        timeout=WAIT_MS,
    )
    assert panel.transfer_line.text().endswith("failed; the call is back with you.")


def test_the_window_consults_then_completes_a_real_attended_transfer(
    qtbot: QtBot, make_window: WindowFactory, peer_phone: PeerPhone, tmp_path: Path
) -> None:
    carol = PeerPhone(qtbot, tmp_path / "carol")
    try:
        window = make_window()
        bob, target = peer_phone.uri("bob"), carol.uri("carol")
        original, dialog = _transfer_picked(qtbot, window, bob, target)
        dialog.consult.setChecked(True)
        qtbot.mouseClick(dialog.transfer_button, CLICK)
        panel = window.call_panel
        qtbot.waitUntil(panel.complete_transfer_button.isVisible, timeout=WAIT_MS)
        (consult,) = window.transfers.consults
        with qtbot.waitSignal(
            window.dispatcher.transfer_changed, timeout=3 * WAIT_MS, check_params_cb=_finished
        ) as done:
            qtbot.mouseClick(panel.complete_transfer_button, CLICK)
        assert done.args[0].state is TransferState.SUCCEEDED
        for call_id in (original.call_id, consult):  # Bob's call replaced ours at Carol's
            qtbot.waitUntil(
                lambda c=call_id: (window.calls.find(c) or original).state is CallState.ENDED,
                timeout=WAIT_MS,
            )
        replaced = [e for e in carol.events if isinstance(e, CallTransferred)]
        assert [(e.state, e.role) for e in replaced] == [
            (TransferState.REPLACED, TransferRole.TARGET)
        ]
    finally:
        assert carol.thread.shut_down(5000)
