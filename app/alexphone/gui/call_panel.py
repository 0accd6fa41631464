"""The call panel: who, state, timer, path in plain words, codec, live quality, controls."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alexphone.engine.events import CallState, Direction
from alexphone.gui.call_model import CallInfo
from alexphone.gui.device_picker import DevicePicker
from alexphone.gui.dial_box import PAD_KEYS
from alexphone.gui.history_model import format_duration
from alexphone.gui.level_meter import LevelMeter


def _quality(call: CallInfo) -> str:
    if call.sent == 0 and call.received == 0:
        return "—"
    total = call.received + call.lost
    loss = 100.0 * call.lost / total if total else 0.0
    parts = [f"loss {loss:.1f} %"]
    if call.jitter_ms is not None:
        parts.append(f"jitter {call.jitter_ms:.0f} ms")
    if call.rtt_ms is not None:
        parts.append(f"RTT {call.rtt_ms:.0f} ms")
    return "  ·  ".join(parts)


class CallPanel(QFrame):
    """Shows one call and offers answer, hold and hang-up for it.

    Signals:
        answer_requested(str), decline_requested(str), hang_up_requested(str): call id.
        hold_requested(str, bool): call id and whether to hold (True) or resume.
        mute_requested(str, bool): call id and whether to mute (True) or unmute.
        dtmf_requested(str, str): call id and the digit pressed on the keypad.
        transfer_requested(str), complete_transfer_requested(str): call id (Transfer…,
            Complete transfer).
    """

    answer_requested = Signal(str)
    decline_requested = Signal(str)
    hang_up_requested = Signal(str)
    hold_requested = Signal(str, bool)
    mute_requested = Signal(str, bool)
    dtmf_requested = Signal(str, str)
    transfer_requested = Signal(str)
    complete_transfer_requested = Signal(str)

    def __init__(self, clock: Callable[[], float] = time.time, profile: Path | None = None) -> None:
        super().__init__()
        self.setObjectName("callPanel")
        self._clock = clock
        self.call: CallInfo | None = None
        self.caller = QLabel()  # the name, or the address when no name is known
        self.caller.setObjectName("callRemote")
        self.caller.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.remote = QLabel()  # the address, beneath a name
        self.remote.setObjectName("callAddress")
        self.remote.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state = QLabel()
        self.state.setObjectName("callState")
        self.timer_label = QLabel("0:00")
        self.timer_label.setObjectName("callTimer")
        self.path = QLabel("—")
        self.codec = QLabel("—")
        self.security = QLabel("—")
        self.security.setObjectName("callSecurity")
        self.quality = QLabel("—")
        self.transfer_line = QLabel()  # a transfer's progress, in words (transfer_flow.py)
        self.transfer_line.setObjectName("transferLine")
        self.transfer_line.setWordWrap(True)
        self.transfer_line.hide()
        self.input_meter = LevelMeter("Microphone")
        self.output_meter = LevelMeter("Speaker")
        self.devices = DevicePicker(profile)  # switches the call's devices, remembered
        meters = QWidget()
        meter_rows = QGridLayout(meters)
        meter_rows.setContentsMargins(0, 0, 0, 0)
        meter_rows.setVerticalSpacing(4)
        for row, (title, meter) in enumerate(
            (("mic", self.input_meter), ("out", self.output_meter))
        ):
            meter_rows.addWidget(QLabel(title), row, 0)
            meter_rows.addWidget(meter, row, 1)
        meter_rows.setColumnStretch(1, 1)
        details = QGridLayout()
        details.setHorizontalSpacing(16)
        for row, (title, value) in enumerate(
            (
                ("Path", self.path),
                ("Codec", self.codec),
                ("Security", self.security),
                ("Quality", self.quality),
                ("Levels", meters),
                ("Devices", self.devices),
            )
        ):
            label = QLabel(title)
            label.setObjectName("detailTitle")
            details.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
            if isinstance(value, QLabel):
                value.setWordWrap(True)
            details.addWidget(value, row, 1)
        details.setColumnStretch(1, 1)
        self.answer_button = QPushButton("Answer")
        self.answer_button.setObjectName("answerButton")
        self.decline_button = QPushButton("Decline")
        self.hold_button = QPushButton("Hold")
        self.hold_button.setCheckable(True)
        self.mute_button = QPushButton("Mute")
        self.mute_button.setCheckable(True)
        self.transfer_button = QPushButton("Transfer…")
        self.complete_transfer_button = QPushButton("Complete transfer")
        self.complete_transfer_button.setObjectName("answerButton")
        self.complete_transfer_button.hide()
        self.keypad_button = QPushButton("Keypad")
        self.keypad_button.setCheckable(True)
        self.keypad = QWidget()
        grid = QGridLayout(self.keypad)
        grid.setContentsMargins(0, 0, 0, 0)
        for position, key in enumerate(PAD_KEYS):
            button = QPushButton(key)
            button.setObjectName("padKey")
            button.clicked.connect(lambda _=False, k=key: self._dtmf(k))
            grid.addWidget(button, position // 3, position % 3)
        self.keypad.hide()
        self.hang_up_button = QPushButton("Hang up")
        self.hang_up_button.setObjectName("hangUpButton")
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for button in (
            self.answer_button,
            self.decline_button,
            self.mute_button,
            self.hold_button,
            self.keypad_button,
            self.transfer_button,
            self.complete_transfer_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.hang_up_button)
        head = QHBoxLayout()
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(self.caller)
        names.addWidget(self.remote)
        names.addWidget(self.state)
        head.addLayout(names, 1)
        head.addWidget(self.timer_label, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.transfer_line)
        layout.addLayout(details)
        layout.addLayout(buttons)
        layout.addWidget(self.keypad)
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._refresh_timer)
        self.answer_button.clicked.connect(lambda: self._request(self.answer_requested))
        self.decline_button.clicked.connect(lambda: self._request(self.decline_requested))
        self.hang_up_button.clicked.connect(lambda: self._request(self.hang_up_requested))
        self.hold_button.clicked.connect(self._hold_clicked)
        self.transfer_button.clicked.connect(lambda: self._request(self.transfer_requested))
        self.complete_transfer_button.clicked.connect(
            lambda: self._request(self.complete_transfer_requested)
        )
        self.mute_button.clicked.connect(self._mute_clicked)
        self.keypad_button.toggled.connect(self.keypad.setVisible)
        self.hide()

    def show_call(self, call: CallInfo) -> None:
        """Show ``call`` (the panel appears with the first call)."""
        self.call = call
        self.caller.setText(call.caller)
        self.remote.setText(call.remote)
        self.remote.setVisible(bool(call.name))
        self.state.setText(call.state_words())
        self.state.setProperty("ended", not call.active)
        self.path.setText(call.path_words or "—")
        local = f"{call.local_media} → {call.remote_media}" if call.remote_media else ""
        self.path.setToolTip(local)
        self.codec.setText(call.codec or "—")
        self.security.setText(call.security_words or "—")
        self.quality.setText(_quality(call))
        ringing_in = call.direction is Direction.IN and call.state is CallState.RINGING
        self.answer_button.setVisible(ringing_in)
        self.decline_button.setVisible(ringing_in)
        in_dialog = call.state in (CallState.CONFIRMED, CallState.HELD)
        self.hold_button.setVisible(in_dialog)
        self.mute_button.setVisible(in_dialog)
        self.keypad_button.setVisible(in_dialog)
        self.transfer_button.setVisible(in_dialog)
        self.keypad.setVisible(in_dialog and self.keypad_button.isChecked())
        if not call.active:
            self.mute_button.setChecked(False)
            self.input_meter.set_db(None)
            self.output_meter.set_db(None)
        self.hold_button.setChecked(call.state is CallState.HELD)
        self.hold_button.setText("Resume" if call.state is CallState.HELD else "Hold")
        self.hang_up_button.setEnabled(call.active)
        self.hang_up_button.setText("Hang up" if call.active else "Ended")
        if call.active and call.connected_at is not None:
            self._tick.start()
        else:
            self._tick.stop()
        self._refresh_timer()
        self.style().unpolish(self.state)
        self.style().polish(self.state)
        self.show()

    def show_transfer(self, words: str, can_complete: bool) -> None:
        """Show a transfer's progress in ``words`` (none: hidden) and whether it can complete."""
        self.transfer_line.setText(words)
        self.transfer_line.setVisible(bool(words))
        self.complete_transfer_button.setVisible(can_complete)

    def show_levels(self, call_id: str, input_db: float, output_db: float) -> None:
        """Move the meters to a call's latest ``audio.level`` (if it is the call shown)."""
        if self.call is not None and self.call.call_id == call_id and self.call.active:
            self.input_meter.set_db(input_db)
            self.output_meter.set_db(output_db)

    def answer(self) -> None:
        """Answer the call shown if it rings for us (the Answer button or its shortcut)."""
        if self.call is not None and self.answer_button.isVisibleTo(self):
            self._request(self.answer_requested)

    def hang_up(self) -> None:
        """Hang up (or decline) the call shown, if it is still going."""
        if self.call is not None and self.call.active:
            self._request(self.hang_up_requested)

    def toggle_mute(self) -> None:
        """Mute or unmute the call shown, as its Mute button would."""
        if self.call is not None and self.mute_button.isVisibleTo(self):
            self.mute_button.click()

    def toggle_hold(self) -> None:
        """Hold or resume the call shown, as its Hold button would."""
        if self.call is not None and self.hold_button.isVisibleTo(self):
            self.hold_button.click()

    def _refresh_timer(self) -> None:
        if self.call is not None:
            self.timer_label.setText(format_duration(self.call.elapsed(self._clock())) or "0:00")

    def _request(self, signal: SignalInstance) -> None:
        if self.call is not None:
            signal.emit(self.call.call_id)

    def _mute_clicked(self, checked: bool) -> None:
        self.mute_button.setText("Unmute" if checked else "Mute")
        if self.call is not None:
            self.mute_requested.emit(self.call.call_id, checked)

    def _dtmf(self, digit: str) -> None:
        if self.call is not None:
            self.dtmf_requested.emit(self.call.call_id, digit)

    def _hold_clicked(self, checked: bool) -> None:
        if self.call is not None:
            self.hold_requested.emit(self.call.call_id, checked)
