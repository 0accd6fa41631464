"""Contacts to and from vCard files (RFC 6350 vCard 4.0 written; 3.0 and 4.0 read).

None of the project's dependencies reads vCard, so this is a small codec of its own, for
the properties a phone needs: ``FN`` (or ``N``), ``TEL``, ``IMPP`` with a ``sip:``/``sips:``
URI, ``X-SIP`` (what some address books write, and where addresses without a scheme go),
and ``NOTE``. A card with several numbers
becomes several contacts with the same name (the store keeps one address per contact);
writing groups contacts with the same name and notes back into one card, so a file
round-trips. Lines are unfolded and folded at 75 octets (§3.2), text values escaped (§3.4).
vCard 2.1's quoted-printable values are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from alexphone.core.errors import ConfigError
from alexphone.store.contacts import Contact

FOLD_OCTETS = 75  # RFC 6350 §3.2: lines SHOULD NOT be longer than 75 octets
_SIP_SCHEMES = ("sip:", "sips:")
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Card:
    """One vCard as the phone sees it: a name, its addresses in order, and notes."""

    name: str
    addresses: tuple[str, ...]
    notes: str = ""


def parse_vcards(text: str) -> list[Card]:
    """Read every card of a vCard file; ConfigError if text there holds no BEGIN:VCARD."""
    cards: list[Card] = []
    current: list[tuple[str, dict[str, str], str]] | None = None
    seen_begin = False
    for line in _unfold(text):
        name, params, value = _split(line)
        if name == "BEGIN" and value.upper() == "VCARD":
            current, seen_begin = [], True
        elif name == "END" and value.upper() == "VCARD" and current is not None:
            card = _card(current)
            if card is not None:
                cards.append(card)
            current = None
        elif current is not None and name:
            current.append((name, params, value))
    if not seen_begin and text.strip():  # an empty file is an empty address book
        raise ConfigError("not a vCard file (no BEGIN:VCARD)")
    return cards


def contacts_from_cards(cards: Iterable[Card]) -> list[Contact]:
    """One contact per address of each card, in file order."""
    return [Contact(card.name, address, card.notes) for card in cards for address in card.addresses]


def cards_from_contacts(contacts: Iterable[Contact]) -> list[Card]:
    """Group contacts with the same name and notes into one card, keeping the first's order."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for contact in contacts:
        grouped.setdefault((contact.name, contact.notes), []).append(contact.uri)
    return [Card(name, tuple(uris), notes) for (name, notes), uris in grouped.items()]


def format_vcards(cards: Iterable[Card]) -> str:
    """Write ``cards`` as vCard 4.0 text with CRLF line ends."""
    lines: list[str] = []
    for card in cards:
        lines += ["BEGIN:VCARD", "VERSION:4.0", f"FN:{_escape(card.name)}"]
        for address in card.addresses:
            if address.lower().startswith("tel:"):
                lines.append(f"TEL;VALUE=uri:{address}")
            elif address.lower().startswith(_SIP_SCHEMES):
                lines.append(f"IMPP:{address}")
            else:  # user@host or a LAN name, as the dial box takes them
                lines.append(f"X-SIP:{address}")
        if card.notes:
            lines.append(f"NOTE:{_escape(card.notes)}")
        lines.append("END:VCARD")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))


def _unfold(text: str) -> Iterator[str]:
    """Join continuation lines (a line starting with a space or tab continues the last)."""
    logical = ""
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t"):
            logical += raw[1:]
            continue
        if logical:
            yield logical
        logical = raw
    if logical:
        yield logical


def _split(line: str) -> tuple[str, dict[str, str], str]:
    """``group.NAME;PARAM=value:value`` -> (NAME, params, value); ("", {}, "") if no colon."""
    head, colon, value = _split_outside_quotes(line)
    if not colon:
        return "", {}, ""
    name, *params = head.split(";")
    parameters: dict[str, str] = {}
    for param in params:
        key, _, val = param.partition("=")
        parameters[key.strip().upper()] = val.strip().strip('"')
    return name.rpartition(".")[2].strip().upper(), parameters, value


def _split_outside_quotes(line: str) -> tuple[str, str, str]:
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:index], ":", line[index + 1 :]
    return line, "", ""


def _card(properties: list[tuple[str, dict[str, str], str]]) -> Card | None:
    name, structured, notes = "", "", []
    addresses: list[str] = []
    for prop, params, value in properties:
        if prop == "FN" and not name:
            name = _unescape(value).strip()
        elif prop == "N" and not structured:
            family, given = [*value.split(";"), "", ""][:2]
            structured = " ".join(p for p in (_unescape(given), _unescape(family)) if p.strip())
        elif prop == "TEL":
            addresses.append(_tel_uri(value, params))
        elif prop == "IMPP" and value.strip().lower().startswith(_SIP_SCHEMES):
            addresses.append(value.strip())  # other messaging schemes are no phone's
        elif prop == "X-SIP" and value.strip():  # user@host, a LAN name or a URI: dialable
            addresses.append(value.strip())
        elif prop == "NOTE":
            notes.append(_unescape(value))
    name = name or structured.strip()
    addresses = [a for a in dict.fromkeys(addresses) if a]
    if not name or not addresses:
        return None  # nothing a phone can call, or no one to call
    return Card(name, tuple(addresses), "\n".join(notes))


def _tel_uri(value: str, params: dict[str, str]) -> str:
    """A TEL value as a tel: URI; visual separators kept, spaces dropped (RFC 3966 §5.1.1)."""
    number = value.strip()
    if number.lower().startswith("tel:"):
        number = number[4:]
    number = "".join(number.split())
    return f"tel:{number}" if number else ""


def _escape(text: str) -> str:
    """RFC 6350 §3.4: backslash, comma, semicolon and newline in a text value."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _fold(line: str) -> list[str]:
    """Split ``line`` into pieces of at most 75 octets, never inside a UTF-8 character."""
    pieces: list[str] = []
    current, size, limit = "", 0, FOLD_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, FOLD_OCTETS - 1  # the leading space counts
        current += char
        size += width
    pieces.append(current)
    return [pieces[0], *(" " + piece for piece in pieces[1:])]
