"""Contacts as a Qt list model over the SQLite store, with a presence badge per row."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from alexphone.gui.roles import ItemRole
from alexphone.store.contacts import Contact, ContactStore

Index = QModelIndex | QPersistentModelIndex


def _no_presence(uri: str) -> str:
    del uri
    return ""


class ContactModel(QAbstractListModel):
    """One row per contact; edits go to the store first, then to the rows."""

    def __init__(self, store: ContactStore, presence: Callable[[str], str] = _no_presence) -> None:
        super().__init__()
        self._store = store
        self._presence = presence
        self._rows: list[Contact] = store.all()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Return the number of contacts (0 under any parent: this is a flat list)."""
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return name, URI, badge, the Contact itself or search text for ``index``."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        contact = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return contact.name
        if role == ItemRole.SUBTITLE:
            return contact.uri
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{contact.uri}\n{contact.notes}".strip()
        if role == ItemRole.BADGE:
            return self._presence(contact.uri)
        if role == ItemRole.VALUE:
            return contact
        if role == ItemRole.SEARCH:
            return f"{contact.name} {contact.uri} {contact.notes}"
        return None

    def contact(self, row: int) -> Contact:
        """Return the contact shown in ``row``."""
        return self._rows[row]

    def contacts(self) -> tuple[Contact, ...]:
        """Return every contact listed."""
        return tuple(self._rows)

    def add(self, contact: Contact) -> Contact:
        """Store ``contact`` and show it in name order; return it with its id."""
        stored = self._store.add(contact)
        row = sum(1 for c in self._rows if c.name.casefold() <= stored.name.casefold())
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, stored)
        self.endInsertRows()
        return stored

    def update(self, contact: Contact) -> None:
        """Store the edited ``contact`` and refresh the list."""
        self._store.update(contact)
        self.reload()

    def remove(self, row: int) -> None:
        """Delete the contact in ``row``."""
        contact = self._rows[row]
        if contact.id is not None:
            self._store.delete(contact.id)
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()

    def reload(self) -> None:
        """Re-read every contact from the store."""
        self.beginResetModel()
        self._rows = self._store.all()
        self.endResetModel()

    def presence_changed(self) -> None:
        """Repaint the badges (the LAN peer table or the ALEX cache changed)."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0), self.index(len(self._rows) - 1), [int(ItemRole.BADGE)]
            )


class ContactFilter(QSortFilterProxyModel):
    """Filters contacts by a search text over name, URI and notes."""

    def __init__(self, source: ContactModel) -> None:
        super().__init__()
        self.setSourceModel(source)
        self.setFilterRole(ItemRole.SEARCH)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
