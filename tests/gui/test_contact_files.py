"""Contacts → Import/Export vCard in the window: an address book with UTF-8 names and several
numbers per card comes in, goes out, and comes back into a new profile unchanged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from alexphone.gui.main_window import MainWindow

WindowFactory = Callable[..., MainWindow]
BOOK = Path(__file__).resolve().parents[1] / "data" / "vcard" / "address_book.vcf"


def _shown(window: MainWindow) -> list[tuple[str, str, str]]:
    model = window.contacts
    return sorted(
        (c.name, c.uri, c.notes) for c in (model.contact(r) for r in range(model.rowCount()))
    )


def test_an_address_book_round_trips_through_two_profiles(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    first = make_window(name="first")
    with qtbot.waitSignal(first.contact_files.contacts_imported, timeout=1000) as imported:
        first.contact_files.import_file(BOOK)
    assert imported.args == [6]  # 3 + 2 + 1 addresses; the card with only e-mail is left out
    names = {name for name, _uri, _notes in _shown(first)}
    assert names >= {"Jürgen Müller", "李小龍"}
    assert "Imported 6 contacts" in first.statusBar().currentMessage()

    exported = tmp_path / "out.vcf"
    assert first.contact_files.export_file(exported) == 3  # one card per person
    second = make_window(name="second")
    second.contact_files.import_file(exported)

    assert _shown(second) == _shown(first)
    assert first.contact_files.import_file(BOOK) == 0  # all there already: nothing doubled
    assert len(_shown(first)) == 6


def test_a_file_that_is_not_a_vcard_adds_nothing_and_says_why(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    bad = tmp_path / "contacts.csv"
    bad.write_text("name,number\nBob,+1555\n", encoding="utf-8")

    assert window.contact_files.import_file(bad) == 0
    assert window.contact_files.import_file(tmp_path / "missing.vcf") == 0

    assert window.contacts.rowCount() == 0
    assert "missing.vcf" in window.statusBar().currentMessage()
    window.contact_files.import_file(bad)
    assert "BEGIN:VCARD" in window.statusBar().currentMessage()
