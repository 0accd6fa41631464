"""The call desk: connects the call panel, the call list and incoming-call dialogs to the calls.

It turns the panel's buttons into engine commands, follows every ``CallChanged`` the
dispatcher reports (which call the panel shows, ringback, the tray's call line) and opens
one incoming-call dialog per ringing call (call waiting during another call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from alexphone.engine.commands import (
    Answer,
    Command,
    Decline,
    HangUp,
    Hold,
    Mute,
    OtherCalls,
    SendDtmf,
    SwitchAudioDevice,
)
from alexphone.engine.events import CallState, Direction
from alexphone.gui.alex_panel import AlexPanel
from alexphone.gui.call_model import CallInfo, CallModel
from alexphone.gui.call_panel import CallPanel
from alexphone.gui.call_switcher import CallSwitcher, keeps_focus
from alexphone.gui.dispatcher import EventDispatcher
from alexphone.gui.incoming_dialog import IncomingDialog
from alexphone.gui.ringer import Ringer
from alexphone.gui.tray import PhoneTray


@dataclass(frozen=True, slots=True)
class DeskParts:
    """The widgets the desk drives; the window lays them out."""

    calls: CallModel
    panel: CallPanel
    switcher: CallSwitcher
    alex_panel: AlexPanel
    tray: PhoneTray
    ringer: Ringer
    idle: QFrame
    idle_text: QLabel


class CallDesk(QObject):
    """Follows the calls and sends what the user does with them through ``submit``."""

    def __init__(
        self,
        parts: DeskParts,
        dispatcher: EventDispatcher,
        submit: Callable[[Command], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.parts = parts
        self.submit = submit
        self._window = parent  # the incoming-call dialogs' parent
        self.incoming_dialogs: dict[str, IncomingDialog] = {}
        panel = parts.panel
        panel.answer_requested.connect(lambda cid: submit(Answer(cid)))
        panel.decline_requested.connect(lambda cid: submit(Decline(cid)))
        panel.hang_up_requested.connect(lambda cid: submit(HangUp(cid)))
        panel.hold_requested.connect(lambda cid, on: submit(Hold(cid, on)))
        panel.mute_requested.connect(lambda cid, on: submit(Mute(cid, on)))
        panel.dtmf_requested.connect(lambda cid, d: submit(SendDtmf(cid, d)))
        panel.devices.device_chosen.connect(
            lambda kind, name: submit(SwitchAudioDevice(kind, name))
        )
        parts.switcher.command_requested.connect(submit)
        dispatcher.devices_listed.connect(panel.devices.set_devices)
        dispatcher.levels_changed.connect(panel.show_levels)
        dispatcher.call_updated.connect(self.call_updated)
        dispatcher.incoming_call.connect(self.incoming_call)

    def call_updated(self, call: CallInfo) -> None:
        """Show what changed about ``call``: panel, call list, ringback, dialogs."""
        parts = self.parts
        parts.idle.hide()
        parts.switcher.show_calls(parts.calls.active_calls())
        if not keeps_focus(parts.panel.call, call):
            parts.panel.show_call(call)
        parts.tray.set_call(call.caller if call.active else "", call.state_words())
        parts.alex_panel.show_call(call.call_id if call.active else "", call.remote)
        if call.state is CallState.RINGING and call.direction is Direction.OUT:
            parts.ringer.start("ringback")
        elif call.state is not CallState.RINGING or not call.active:
            parts.ringer.stop()
        dialog = self.incoming_dialogs.get(call.call_id)
        if dialog is not None and call.state is not CallState.RINGING:
            del self.incoming_dialogs[call.call_id]
            dialog.caller_gave_up()
        if not call.active:
            parts.idle_text.setText(f"Last call: {call.caller} — {call.state_words()}")

    def incoming_call(self, call: CallInfo) -> None:
        """Ask about a new incoming call (softly, with End & answer, during another call)."""
        parts, submit = self.parts, self.submit
        if parts.tray.do_not_disturb:  # RFC 3261 §21.4.7: 486 Busy Here, without ringing
            submit(Decline(call.call_id, busy=True))
            parts.tray.notify("Call declined (do not disturb)", call.caller)
            return
        others = [c for c in parts.calls.active_calls() if c.call_id != call.call_id]
        waiting = any(c.state in (CallState.CONFIRMED, CallState.HELD) for c in others)
        dialog = IncomingDialog(call, self._window, waiting)  # waiting: the engine beeps
        dialog.answered.connect(lambda cid: submit(Answer(cid)))
        dialog.answered_ending.connect(lambda cid: submit(Answer(cid, OtherCalls.END)))
        dialog.declined.connect(lambda cid: submit(Decline(cid)))
        dialog.finished.connect(lambda _r, cid=call.call_id: self.incoming_dialogs.pop(cid, None))
        dialog.finished.connect(parts.ringer.stop)
        self.incoming_dialogs[call.call_id] = dialog
        if not waiting:
            parts.ringer.start("ringtone")
        parts.tray.notify_incoming(call.caller, call.remote)
        dialog.show()
        dialog.raise_()

    def close_dialogs(self) -> None:
        """Close every incoming-call dialog without declining (the window is closing)."""
        for dialog in list(self.incoming_dialogs.values()):
            dialog.caller_gave_up()
