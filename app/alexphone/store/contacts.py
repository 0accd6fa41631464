"""Contacts: name, SIP URI and notes, kept in the profile database."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from alexphone.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Contact:
    """One saved contact; ``id`` is None until it is stored."""

    name: str
    uri: str
    notes: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ConfigError("a contact needs a name")
        if not self.uri.strip():
            raise ConfigError("a contact needs a SIP address")


def _contact(row: tuple[int, str, str, str]) -> Contact:
    return Contact(id=row[0], name=row[1], uri=row[2], notes=row[3])


class ContactStore:
    """Reads and writes contacts; every change is committed at once."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def all(self) -> list[Contact]:
        """Return every contact, sorted by name (case-insensitive)."""
        rows = self._db.execute(
            "SELECT id, name, uri, notes FROM contacts ORDER BY name COLLATE NOCASE, id"
        ).fetchall()
        return [_contact(row) for row in rows]

    def search(self, text: str) -> list[Contact]:
        """Return the contacts whose name, URI or notes contain ``text`` (case-insensitive)."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.execute(
            "SELECT id, name, uri, notes FROM contacts"
            " WHERE name LIKE ?1 ESCAPE '\\' OR uri LIKE ?1 ESCAPE '\\'"
            " OR notes LIKE ?1 ESCAPE '\\'"
            " ORDER BY name COLLATE NOCASE, id",
            (pattern,),
        ).fetchall()
        return [_contact(row) for row in rows]

    def get(self, contact_id: int) -> Contact | None:
        """Return the contact with ``contact_id``, or None."""
        row = self._db.execute(
            "SELECT id, name, uri, notes FROM contacts WHERE id = ?", (contact_id,)
        ).fetchone()
        return None if row is None else _contact(row)

    def add(self, contact: Contact) -> Contact:
        """Store a new contact and return it with its id."""
        cursor = self._db.execute(
            "INSERT INTO contacts (name, uri, notes) VALUES (?, ?, ?)",
            (contact.name.strip(), contact.uri.strip(), contact.notes),
        )
        assert cursor.lastrowid is not None
        return Contact(contact.name.strip(), contact.uri.strip(), contact.notes, cursor.lastrowid)

    def update(self, contact: Contact) -> None:
        """Overwrite the stored contact with the same id; ConfigError if there is none."""
        cursor = self._db.execute(
            "UPDATE contacts SET name = ?, uri = ?, notes = ? WHERE id = ?",
            (contact.name.strip(), contact.uri.strip(), contact.notes, contact.id),
        )
        if cursor.rowcount != 1:
            raise ConfigError(f"no contact with id {contact.id}")

    def delete(self, contact_id: int) -> None:
        """Remove the contact with ``contact_id`` (no error if it is already gone)."""
        self._db.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
