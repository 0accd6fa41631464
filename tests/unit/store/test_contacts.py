"""Contacts in SQLite: add, search, update, delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.core.errors import ConfigError
from alexphone.store.contacts import Contact, ContactStore
from alexphone.store.database import open_database


@pytest.fixture
def store(tmp_path: Path) -> ContactStore:
    return ContactStore(open_database(tmp_path / "a.db"))


def test_add_returns_id_and_lists_sorted_by_name(store: ContactStore) -> None:
    bob = store.add(Contact("bob", "sip:bob@example.com"))
    alice = store.add(Contact("Alice", " sip:alice@example.com ", "work"))
    assert bob.id is not None and alice.id is not None
    assert [c.name for c in store.all()] == ["Alice", "bob"]
    assert store.get(alice.id) == Contact("Alice", "sip:alice@example.com", "work", alice.id)


def test_search_matches_name_uri_and_notes_literally(store: ContactStore) -> None:
    store.add(Contact("Alice", "sip:alice@example.com", "100% reliable"))
    store.add(Contact("Bob", "sip:bob@lan.test"))
    assert [c.name for c in store.search("LAN")] == ["Bob"]
    assert [c.name for c in store.search("100%")] == ["Alice"]
    assert store.search("_") == []


def test_update_and_delete(store: ContactStore) -> None:
    carol = store.add(Contact("Carol", "sip:carol@x"))
    assert carol.id is not None
    store.update(Contact("Caroline", "sip:caroline@x", "", carol.id))
    assert store.get(carol.id) == Contact("Caroline", "sip:caroline@x", "", carol.id)
    store.delete(carol.id)
    assert store.get(carol.id) is None
    with pytest.raises(ConfigError, match="no contact"):
        store.update(Contact("Ghost", "sip:g@x", "", carol.id))


def test_contact_needs_name_and_uri() -> None:
    with pytest.raises(ConfigError, match="name"):
        Contact(" ", "sip:a@b")
    with pytest.raises(ConfigError, match="SIP address"):
        Contact("a", "")
