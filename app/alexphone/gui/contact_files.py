"""Contacts → Import/Export vCard: the file dialogs and what they did, said in the status bar.

The codec is ``store/vcard.py``; importing adds every contact not already there (same name
and address), so importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow

from alexphone.core.errors import ConfigError
from alexphone.gui.contact_model import ContactModel
from alexphone.store.contacts import ContactStore
from alexphone.store.vcard import (
    cards_from_contacts,
    contacts_from_cards,
    format_vcards,
    parse_vcards,
)

FILTER = "vCard files (*.vcf *.vcard);;All files (*)"


class ContactFiles(QObject):
    """Imports and exports the window's contacts as vCard files.

    Signals:
        contacts_imported(int): how many contacts an import added.
        said(str): one line for the status bar (what was done, or what went wrong).
    """

    contacts_imported = Signal(int)
    said = Signal(str)

    def __init__(self, window: QMainWindow, model: ContactModel, store: ContactStore) -> None:
        super().__init__(window)
        self._window = window
        self._model = model
        self._store = store
        menu = window.menuBar().addMenu("C&ontacts")
        self.import_action = QAction("Import vCard…", window)
        self.export_action = QAction("Export vCard…", window)
        self.import_action.triggered.connect(self._ask_import)
        self.export_action.triggered.connect(self._ask_export)
        menu.addAction(self.import_action)
        menu.addAction(self.export_action)

    def import_file(self, path: Path) -> int:
        """Add the contacts of the vCard file at ``path`` not already there; return how many."""
        try:
            cards = parse_vcards(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, ConfigError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            self.said.emit(f"Nothing imported from {path}: {reason}")
            return 0
        known = {(c.name, c.uri) for c in self._store.all()}
        added = 0
        for contact in contacts_from_cards(cards):
            if (contact.name, contact.uri) not in known:
                self._model.add(contact)
                known.add((contact.name, contact.uri))
                added += 1
        self.said.emit(f"Imported {added} contacts from {path.name} ({len(cards)} cards)")
        self.contacts_imported.emit(added)
        return added

    def export_file(self, path: Path) -> int:
        """Write every contact to ``path`` as vCard 4.0; return how many cards were written."""
        cards = cards_from_contacts(self._store.all())
        try:
            path.write_text(format_vcards(cards), encoding="utf-8", newline="")
        except OSError as exc:
            self.said.emit(f"Nothing exported to {path}: {exc.strerror}")
            return 0
        self.said.emit(f"Exported {len(cards)} cards to {path.name}")
        return len(cards)

    def _ask_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self._window, "Import contacts", "", FILTER)
        if name:
            self.import_file(Path(name))

    def _ask_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self._window, "Export contacts", "contacts.vcf", FILTER
        )
        if name:
            self.export_file(Path(name))
