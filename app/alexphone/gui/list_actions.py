"""What the sidebar's lists do: call a contact, peer or history entry; edit the contacts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject
from PySide6.QtWidgets import QWidget

from alexphone.gui.contact_dialog import ContactDialog
from alexphone.gui.dial_box import DialCheck
from alexphone.gui.side_tabs import SideTabs
from alexphone.gui.window_models import WindowModels
from alexphone.store.contacts import Contact


class ListActions(QObject):
    """Connects the sidebar's lists and buttons to calls and contact edits."""

    def __init__(
        self,
        tabs: SideTabs,
        models: WindowModels,
        check: DialCheck,
        place_call: Callable[[str], None],
        contacts_changed: Callable[[], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.tabs, self.models, self.check = tabs, models, check
        self.place_call, self.contacts_changed = place_call, contacts_changed
        self._window = parent  # the contact dialog's parent
        tabs.search.textChanged.connect(tabs.contact_filter.setFilterFixedString)
        tabs.contact_view.activated.connect(self._contact_activated)  # double-click and Enter
        tabs.add_contact.clicked.connect(lambda: self.edit_contact(None))
        tabs.edit_contact.clicked.connect(self._edit_selected_contact)
        tabs.delete_contact.clicked.connect(self._delete_selected_contact)
        tabs.peer_view.activated.connect(self._peer_activated)
        tabs.call_peer.clicked.connect(lambda: self._peer_activated(tabs.peer_view.currentIndex()))
        tabs.save_peer.clicked.connect(self._save_peer)
        tabs.history_view.activated.connect(self._history_activated)
        tabs.call_back.clicked.connect(
            lambda: self._history_activated(tabs.history_view.currentIndex())
        )

    def edit_contact(self, contact: Contact | None, new: bool = False) -> None:
        """Edit ``contact``; add the result when it is None or a ``new`` draft."""
        dialog = ContactDialog(self.check, contact, self._window)
        if dialog.exec() and dialog.result_contact is not None:
            if contact is None or new:
                self.models.contacts.add(dialog.result_contact)
            else:
                self.models.contacts.update(dialog.result_contact)
            self.contacts_changed()

    def _contact_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            contact = self.tabs.contact_filter.mapToSource(index)
            self.place_call(self.models.contacts.contact(contact.row()).uri)

    def _selected_contact_row(self) -> int | None:
        index = self.tabs.contact_view.currentIndex()
        return self.tabs.contact_filter.mapToSource(index).row() if index.isValid() else None

    def _edit_selected_contact(self) -> None:
        row = self._selected_contact_row()
        if row is not None:
            self.edit_contact(self.models.contacts.contact(row))

    def _delete_selected_contact(self) -> None:
        row = self._selected_contact_row()
        if row is not None:
            self.models.contacts.remove(row)

    def _peer_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.place_call(self.models.peers.peer(index.row()).uri)

    def _save_peer(self) -> None:
        index = self.tabs.peer_view.currentIndex()
        if index.isValid():
            peer = self.models.peers.peer(index.row())
            self.edit_contact(Contact(peer.name, peer.uri, "Found on the LAN"), new=True)

    def _history_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.place_call(self.models.history.entry(index.row()).remote)
