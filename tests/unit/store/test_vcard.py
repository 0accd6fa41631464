"""vCard files: an address book with UTF-8 names and several numbers per card is read;
contacts written and read back are the same contacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alexphone.core.errors import ConfigError
from alexphone.store.contacts import Contact
from alexphone.store.vcard import (
    FOLD_OCTETS,
    cards_from_contacts,
    contacts_from_cards,
    format_vcards,
    parse_vcards,
)

BOOK = Path(__file__).resolve().parents[2] / "data" / "vcard" / "address_book.vcf"


def _pairs(contacts: list[Contact]) -> list[tuple[str, str, str]]:
    return [(c.name, c.uri, c.notes) for c in contacts]


def test_an_address_book_gives_one_contact_per_number() -> None:
    contacts = contacts_from_cards(parse_vcards(BOOK.read_text(encoding="utf-8")))

    juergen_notes = "Fußball, dienstags\nab 19 Uhr"
    long_name = "Zoë Ångström-Ødegård with a rather long name that needs folding over two lines"
    assert _pairs(contacts) == [
        ("Jürgen Müller", "tel:+491701234567", juergen_notes),
        ("Jürgen Müller", "tel:+49-30-9876543", juergen_notes),
        ("Jürgen Müller", "juergen@example.de", juergen_notes),
        ("李小龍", "tel:+852-2345-6789", ""),
        ("李小龍", "sip:lee@example.hk", ""),  # the xmpp: address is no phone's
        (long_name, "tel:+47-22-123456", ""),
    ]  # "Nobody to call" has only an e-mail address: left out


def test_the_name_comes_from_n_when_fn_is_missing() -> None:
    text = "BEGIN:VCARD\nVERSION:3.0\nN:Doe;Jane;;;\nTEL:+1 555 0100\nEND:VCARD\n"
    assert _pairs(contacts_from_cards(parse_vcards(text))) == [("Jane Doe", "tel:+15550100", "")]


def test_a_file_that_is_not_a_vcard_is_refused() -> None:
    with pytest.raises(ConfigError, match="BEGIN:VCARD"):
        parse_vcards("name,number\nBob,+1555\n")


def test_written_lines_are_folded_at_75_octets_without_splitting_a_character() -> None:
    card = cards_from_contacts([Contact("Ж" * 100, "sip:zh@example.com")])
    text = format_vcards(card)

    lines = text.split("\r\n")
    assert max(len(line.encode("utf-8")) for line in lines) <= FOLD_OCTETS
    assert all(line.startswith(" ") for line in lines[3:5])
    assert parse_vcards(text)[0].name == "Ж" * 100


letters = st.characters(
    min_codepoint=0x20, max_codepoint=0x9FFF, blacklist_categories=("Cc", "Cs", "Zl", "Zp")
)
names = st.text(letters, min_size=1, max_size=90).map(str.strip).filter(bool)
notes = st.text(st.one_of(letters, st.sampled_from("\n\\,;:\t")), max_size=120)
uris = st.one_of(
    st.from_regex(r"sip:[a-z0-9.+-]{1,12}@[a-z0-9.-]{1,20}(;user=phone)?", fullmatch=True),
    st.from_regex(r"tel:\+[0-9][0-9.()-]{2,14}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True),  # a LAN peer's name
)


@given(
    st.lists(
        st.tuples(names, st.lists(uris, min_size=1, max_size=3, unique=True), notes),
        max_size=5,
    )
)
def test_contacts_round_trip_through_a_file(
    people: list[tuple[str, list[str], str]],
) -> None:
    contacts = [Contact(name, uri, note) for name, addresses, note in people for uri in addresses]
    text = format_vcards(cards_from_contacts(contacts))
    back = contacts_from_cards(parse_vcards(text))

    assert sorted(_pairs(back)) == sorted(set(_pairs(contacts)))
