"""The sidebar's tabs: contacts (with search), phones on this network, and call history."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from alexphone.gui.contact_model import ContactFilter, ContactModel
from alexphone.gui.history_model import HistoryModel
from alexphone.gui.peer_model import PeerModel
from alexphone.gui.two_line_delegate import TwoLineDelegate


def _list(model: ContactFilter | PeerModel) -> QListView:
    view = QListView()
    view.setModel(model)
    view.setItemDelegate(TwoLineDelegate(view))
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setUniformItemSizes(True)
    return view


def _page(*widgets: QWidget, buttons: tuple[QPushButton, ...]) -> QWidget:
    """A tab page: ``widgets`` top to bottom (the last one stretches), buttons below."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 8, 0, 0)
    for widget in widgets[:-1]:
        layout.addWidget(widget)
    layout.addWidget(widgets[-1], 1)
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    layout.addLayout(row)
    return page


class SideTabs(QTabWidget):
    """Contacts, LAN peers and history: the lists and their buttons (the window connects them)."""

    def __init__(self, contacts: ContactModel, peers: PeerModel, history: HistoryModel) -> None:
        super().__init__()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search contacts")
        self.search.setClearButtonEnabled(True)
        self.contact_filter = ContactFilter(contacts)
        self.contact_view = _list(self.contact_filter)
        self.contact_view.setObjectName("contactView")
        self.add_contact = QPushButton("Add")
        self.edit_contact = QPushButton("Edit")
        self.delete_contact = QPushButton("Delete")
        edits = (self.add_contact, self.edit_contact, self.delete_contact)
        self.addTab(_page(self.search, self.contact_view, buttons=edits), "Contacts")
        self.peer_view = _list(peers)
        self.call_peer = QPushButton("Call")
        self.save_peer = QPushButton("Save as contact")
        lan_note = QLabel("Phones announcing themselves on this network (names unverified).")
        lan_note.setObjectName("hint")
        lan_note.setWordWrap(True)
        lan_buttons = (self.call_peer, self.save_peer)
        self.addTab(_page(lan_note, self.peer_view, buttons=lan_buttons), "On this network")
        self.history_view = QTableView()
        self.history_view.setModel(history)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_view.verticalHeader().hide()
        # the name, the address beneath it
        self.history_view.setItemDelegateForColumn(HistoryModel.WHO, TwoLineDelegate(self))
        self.history_view.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.history_view.setShowGrid(False)
        header = self.history_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.call_back = QPushButton("Call back")
        self.addTab(_page(self.history_view, buttons=(self.call_back,)), "History")
