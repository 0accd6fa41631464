"""Checks every receiver makes before a message reaches a transaction (RFC 3261 §8.2, §18.3).

The typed values parsed here are cached in the Headers, so later accessors cost nothing.
"""

from __future__ import annotations

import re

from alexphone.core.errors import ParseError
from alexphone.sip.grammar import split_values
from alexphone.sip.headers import NAME_ADDR_FAST, VIA_FAST, CSeq, NameAddress, Via
from alexphone.sip.message import Headers

# RFC 3261 §8.1.1: a request without these cannot be answered properly
_MANDATORY = (("via", "Via"), ("from", "From"), ("to", "To"), ("call-id", "Call-ID"),
              ("cseq", "CSeq"))  # fmt: skip
_SINGLE = frozenset(
    {"call-id", "from", "to", "cseq", "max-forwards", "content-length", "content-type"}
)
# RFC 3261 §25.1: callid = word [ "@" word ]
_WORD = r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+"
_CALL_ID = re.compile(f"{_WORD}(?:@{_WORD})?")
# RFC 3261 §20.17 / §25.1: rfc1123-date, GMT only
_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)
_SMALL_NUMBER = re.compile(r"[0-9]{1,10}")


def check_fields(triples: list[tuple[str, str, str]], headers: Headers) -> int | None:
    """Validate the mandatory and scalar headers; return the Content-Length (None if absent)."""
    first: dict[str, str] = {}
    vias: list[str] = []
    contacts: list[str] = []
    date: str | None = None
    for key, name, value in triples:
        if key in _SINGLE:
            previous = first.get(key)
            if previous is None:
                first[key] = value
            elif previous != value:
                raise ParseError(f"{name} header repeated with conflicting values")
        elif key == "via":
            vias.append(value)
        elif key == "contact":
            contacts.append(value)
        elif key == "date":
            date = value
    missing = [name for key, name in _MANDATORY if key not in first and (key != "via" or not vias)]
    if missing:
        raise ParseError(f"Missing mandatory header(s): {', '.join(missing)}")
    # Fast checks: a value of the common shape is known to parse; only odd ones are parsed
    # now (and fail here if malformed).  Accessors parse on demand later.
    via_plain = VIA_FAST.fullmatch
    for field in vias:
        for value in split_values(field) if "," in field else (field,):
            if via_plain(value) is None:
                Via.parse(value)
    headers._typed["cseq"] = CSeq.parse(first["cseq"])
    name_addr_plain = NAME_ADDR_FAST.fullmatch
    for key in ("from", "to"):
        if name_addr_plain(first[key]) is None:
            NameAddress.parse(first[key])
    if _CALL_ID.fullmatch(first["call-id"]) is None:
        raise ParseError(f"Invalid Call-ID: {first['call-id'][:60]!r}")
    max_forwards = first.get("max-forwards")
    if max_forwards is not None and (
        _SMALL_NUMBER.fullmatch(max_forwards) is None or int(max_forwards) > 255
    ):
        raise ParseError(f"Max-Forwards {max_forwards[:20]} is out of range (0-255)")
    if contacts:
        _check_contacts(contacts)
    if date is not None and _DATE.fullmatch(date) is None:
        raise ParseError(f"Invalid Date: {date[:40]!r}")
    length = first.get("content-length")
    if length is None:
        return None
    if _SMALL_NUMBER.fullmatch(length) is None:
        raise ParseError(f"Invalid Content-Length: {length[:20]!r}")
    return int(length)


def _check_contacts(fields: list[str]) -> None:
    """Check Contact values; ``*`` must stand alone (RFC 3261 §10.2.2)."""
    if len(fields) == 1 and NAME_ADDR_FAST.fullmatch(fields[0]) is not None:
        return
    values = [v for field in fields for v in split_values(field)]
    if "*" in values:
        if len(values) != 1:
            raise ParseError("Contact * must be the only Contact value")
        return
    for value in values:
        NameAddress.parse(value)
