"""Transfers from the call panel (RFC 5589 §6 blind, §7 attended), and their progress in words.

Transfer… opens the picker (``transfer_dialog.py``). A blind transfer is one
``Transfer(call, target)``: the engine holds the call, REFERs it, and resumes it if the
transfer fails. "Consult first" places a call to the target instead (the switchboard holds
the call being transferred) and remembers it as the consultation; once the target answers,
Complete transfer on either call sends ``Transfer(call, consult=consultation)``. Each
``call.transfer`` event becomes one line on the call panel, in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from alexphone.engine.commands import Command, PlaceCall, Transfer
from alexphone.engine.events import (
    CallState,
    CallTransferred,
    Direction,
    ErrorSource,
    TransferRole,
    TransferState,
)
from alexphone.gui.call_model import CallInfo, CallModel
from alexphone.gui.call_panel import CallPanel
from alexphone.gui.contact_model import ContactModel
from alexphone.gui.dial_box import DialCheck
from alexphone.gui.dispatcher import EventDispatcher
from alexphone.gui.peer_model import PeerModel
from alexphone.gui.transfer_dialog import Destination, TransferChoice, TransferDialog

_SENT = {  # our REFER (the transferor's side)
    TransferState.REQUESTED: "Transfer to {target}: asking the other side to take it…",
    TransferState.ACCEPTED: "Transfer to {target}: accepted, they are calling there…",
    TransferState.TRYING: "Transfer to {target}: trying, it is ringing there…",
    TransferState.SUCCEEDED: "Transferred to {target}.",
    TransferState.FAILED: "Transfer to {target} failed; the call is back with you.",
}
_RECEIVED = {  # a REFER to us (the transferee's side)
    TransferState.REQUESTED: "The other side transfers this call to {target}…",
    TransferState.ACCEPTED: "The other side transfers this call to {target}…",
    TransferState.TRYING: "Transfer: calling {target}…",
    TransferState.SUCCEEDED: "Transferred to {target}.",
    TransferState.FAILED: "Transfer to {target} failed; this call goes on.",
}
_FINAL = (TransferState.SUCCEEDED, TransferState.FAILED)


def transfer_words(event: CallTransferred, attended: bool = False) -> str:
    """Return a ``call.transfer`` event as one line for people."""
    if event.state is TransferState.REPLACED:
        return "A transferred call took this call's place."
    if event.role is TransferRole.TRANSFEROR:
        if attended and event.state is TransferState.FAILED:
            return f"Transfer to {event.target} failed; both calls are still yours."
        return _SENT[event.state].format(target=event.target)
    return _RECEIVED[event.state].format(target=event.target)


def destinations(contacts: ContactModel, peers: PeerModel) -> list[Destination]:
    """Return the picker's entries: the contacts, then the phones on this network."""
    listed = [Destination(f"{c.name} — {c.uri}", c.uri) for c in contacts.contacts()]
    return listed + [Destination(f"{p.name} (on this network)", p.uri) for p in peers.peers()]


@dataclass(frozen=True, slots=True)
class FlowParts:
    """What the flow reads and drives; the window owns them."""

    panel: CallPanel
    calls: CallModel
    dispatcher: EventDispatcher
    destinations: Callable[[], Sequence[Destination]]
    check: DialCheck


class TransferFlow(QObject):
    """Follows the transfers of the calls on the panel and sends the user's through ``submit``."""

    def __init__(self, parts: FlowParts, submit: Callable[[Command], None], parent: QWidget):
        super().__init__(parent)
        self.parts = parts
        self.submit = submit
        self._window = parent  # the picker's parent
        self.dialog: TransferDialog | None = None
        self.consults: dict[str, str] = {}  # consultation call id -> the call it transfers
        self._dialling: tuple[str, frozenset[str]] | None = None  # call, ids known then
        self._lines: dict[str, str] = {}  # the call being transferred -> its latest words
        self._busy: set[str] = set()  # calls with our REFER out
        self._consulting: set[str] = set()  # calls whose line says the consultation is on
        parts.panel.transfer_requested.connect(self.open_picker)
        parts.panel.complete_transfer_requested.connect(self.complete)
        parts.dispatcher.call_updated.connect(self._call_updated)  # after the panel's
        parts.dispatcher.transfer_changed.connect(self._transfer_changed)
        parts.dispatcher.error_reported.connect(self._error_reported)

    def open_picker(self, call_id: str) -> TransferDialog | None:
        """Ask where to transfer ``call_id`` (a window-modal picker)."""
        call = self.parts.calls.find(call_id)
        if call is None or not call.active:
            return None
        dialog = TransferDialog(
            call_id, call.caller, self.parts.destinations(), self.parts.check, self._window
        )
        dialog.chosen.connect(self.transfer)
        self.dialog = dialog
        dialog.open()
        return dialog

    def transfer(self, choice: TransferChoice) -> None:
        """Transfer blind, or call the target first (the consultation) when asked to."""
        if not choice.consult:
            self.submit(Transfer(choice.call_id, choice.target))
            return
        known = frozenset(c.call_id for c in self.parts.calls.active_calls())
        self._dialling = (choice.call_id, known)
        self._lines[choice.call_id] = (
            f"Calling {choice.target} first; complete the transfer once they answer."
        )
        self._consulting.add(choice.call_id)
        self.submit(PlaceCall(choice.target))
        self._refresh()

    def complete(self, call_id: str) -> None:
        """Hand the call being transferred over to the consultation's party (RFC 5589 §7)."""
        pair = self._pair(call_id)
        if pair is not None:
            original, consult = pair
            self.submit(Transfer(original, consult=consult))

    def _pair(self, call_id: str) -> tuple[str, str] | None:
        """Return (call being transferred, consultation) for either call, if there is one."""
        if call_id in self.consults:
            return self.consults[call_id], call_id
        for consult, original in self.consults.items():
            if original == call_id:
                return original, consult
        return None

    def _call_updated(self, call: CallInfo) -> None:
        dialling = self._dialling
        if dialling is not None and call.direction is Direction.OUT:
            original, known = dialling
            if call.call_id not in known and call.call_id != original:
                self._dialling = None
                if call.active:
                    self.consults[call.call_id] = original
                else:  # the consultation failed at once (bad address, no route)
                    self._consult_over(original)
        if not call.active:
            pair = self._pair(call.call_id)
            if pair is not None:
                original, consult = pair
                del self.consults[consult]
                if call.call_id == consult:
                    self._consult_over(original)
                if original in self._lines:  # the last words stay with both calls
                    self._lines.setdefault(consult, self._lines[original])
        self._refresh()

    def _consult_over(self, original: str) -> None:
        """The consultation ended untransferred: its "calling first" line goes."""
        if original in self._consulting:
            self._consulting.discard(original)
            self._lines.pop(original, None)

    def _transfer_changed(self, event: CallTransferred) -> None:
        attended = self._pair(event.call_id) is not None
        self._lines[event.call_id] = transfer_words(event, attended)
        self._consulting.discard(event.call_id)
        if event.role is TransferRole.TRANSFEROR:
            if event.state in _FINAL:
                self._busy.discard(event.call_id)
            else:
                self._busy.add(event.call_id)
        self._refresh()

    def _error_reported(self, where: ErrorSource, message: str) -> None:
        shown = self.parts.panel.call
        if where is ErrorSource.TRANSFER and shown is not None:
            pair = self._pair(shown.call_id)
            self._lines[pair[0] if pair else shown.call_id] = f"Cannot transfer: {message}"
            self._refresh()

    def _refresh(self) -> None:
        """Show the transfer line and Complete transfer for the call on the panel."""
        calls = self.parts.calls
        for call_id in [c for c in self._lines if calls.find(c) is None]:
            del self._lines[call_id]  # the call list let the call go
        shown = self.parts.panel.call
        if shown is None:
            return
        pair = self._pair(shown.call_id)
        original = pair[0] if pair is not None else shown.call_id
        can_complete = False
        if pair is not None and original not in self._busy:
            consult = calls.find(pair[1])
            kept = calls.find(original)
            can_complete = (
                consult is not None
                and consult.state is CallState.CONFIRMED
                and kept is not None
                and kept.active
            )
        self.parts.panel.show_transfer(self._lines.get(original, ""), can_complete)
