"""SIP requests and responses (RFC 3261 §7): raw header fields plus typed accessors.

Header values are stored as received (unfolded, trimmed); typed views (Via, CSeq, ...) are
parsed on first use and cached until the headers change, so parsing a message costs
little more than splitting its lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from alexphone.core.errors import ParseError
from alexphone.sip.grammar import split_values
from alexphone.sip.headers import CSeq, NameAddress, Via
from alexphone.sip.names import LIST_HEADERS, canonical_name, reason_phrase
from alexphone.sip.uri import Uri

__all__ = [
    "Headers",
    "Message",
    "Request",
    "Response",
    "canonical_name",
    "make_response",
    "next_attempt",
    "response_reason",
    "split_values",
]

T = TypeVar("T")


def response_reason(status: int) -> str:
    """Return the default reason phrase for ``status`` (RFC 3261 §21)."""
    return reason_phrase(status)


class Headers:
    """Ordered multimap of (canonical name, raw value) fields with case-insensitive lookup."""

    __slots__ = ("_fields", "_typed")

    def __init__(self, fields: list[tuple[str, str]] | None = None) -> None:
        self._fields: list[tuple[str, str, str]] = []
        self._typed: dict[str, object] = {}
        for name, value in fields or ():
            self.add(name, value)

    @classmethod
    def _from_triples(cls, triples: list[tuple[str, str, str]]) -> Headers:
        """Build from (lower-case key, canonical name, value) triples without re-checking."""
        headers = cls.__new__(cls)
        headers._fields = triples
        headers._typed = {}
        return headers

    def add(self, name: str, value: str) -> None:
        """Append a field."""
        canonical = canonical_name(name)
        self._fields.append((canonical.lower(), canonical, value))
        self._typed.clear()

    def prepend(self, name: str, value: str) -> None:
        """Insert a field before every other (e.g. a new top Via)."""
        canonical = canonical_name(name)
        self._fields.insert(0, (canonical.lower(), canonical, value))
        self._typed.clear()

    def set(self, name: str, value: str) -> None:
        """Replace every field of this name by one, at the place of the first (else appended)."""
        canonical = canonical_name(name)
        key = canonical.lower()
        triple = (key, canonical, value)
        for index, existing in enumerate(self._fields):
            if existing[0] == key:
                self._fields[index] = triple
                self._fields[index + 1 :] = [f for f in self._fields[index + 1 :] if f[0] != key]
                break
        else:
            self._fields.append(triple)
        self._typed.clear()

    def remove(self, name: str) -> None:
        """Remove every field of this name."""
        key = canonical_name(name).lower()
        self._fields = [f for f in self._fields if f[0] != key]
        self._typed.clear()

    def get(self, name: str) -> str | None:
        """Return the first field's raw value, None if absent."""
        key = canonical_name(name).lower()
        for field_key, _name, value in self._fields:
            if field_key == key:
                return value
        return None

    def get_fields(self, name: str) -> list[str]:
        """Return the raw value of every field of this name, unsplit."""
        key = canonical_name(name).lower()
        return [value for field_key, _name, value in self._fields if field_key == key]

    def get_all(self, name: str) -> list[str]:
        """Return every comma-separated value of every field (single-value headers unsplit)."""
        key = canonical_name(name).lower()
        values = [value for field_key, _name, value in self._fields if field_key == key]
        if key not in LIST_HEADERS:
            return values
        return [part for value in values for part in split_values(value)]

    def fields(self) -> list[tuple[str, str]]:
        """Return (name, value) for every field, in order."""
        return [(name, value) for _key, name, value in self._fields]

    def typed(self, key: str, build: Callable[[], T]) -> T:
        """Return ``build()``, computed once per key until the headers change."""
        try:
            return self._typed[key]  # type: ignore[return-value]
        except KeyError:
            value = build()
            self._typed[key] = value
            return value

    def copy(self) -> Headers:
        """Return an independent copy."""
        return Headers._from_triples(list(self._fields))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = canonical_name(name).lower()
        return any(f[0] == key for f in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((name, value) for _key, name, value in self._fields)

    def __eq__(self, other: object) -> bool:
        # Content-Length is framing derived from the body, which messages compare anyway.
        if not isinstance(other, Headers):
            return NotImplemented
        return [f for f in self._fields if f[0] != "content-length"] == [
            f for f in other._fields if f[0] != "content-length"
        ]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self.fields()!r})"

    def _serialize(self, lines: list[str], body_length: int) -> None:
        """Append ``Name: value`` lines, with one Content-Length matching the body."""
        wrote_length = False
        for key, name, value in self._fields:
            if key == "content-length":
                if wrote_length:
                    continue
                value = str(body_length)
                wrote_length = True
            lines.append(f"{name}: {value}")
        if not wrote_length:
            lines.append(f"Content-Length: {body_length}")


class _Accessors:
    """Typed views shared by requests and responses; each parses on first use."""

    __slots__ = ()
    headers: Headers

    def _required(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise ParseError(f"Missing {name} header")
        return value

    @property
    def vias(self) -> list[Via]:
        """Every Via value, top first (RFC 3261 §20.42)."""
        return self.headers.typed(
            "via", lambda: [Via.parse(v) for v in self.headers.get_all("Via")]
        )

    @property
    def top_via(self) -> Via:
        """The first Via value; ParseError if there is none."""
        vias = self.vias
        if not vias:
            raise ParseError("Missing Via header")
        return vias[0]

    @property
    def call_id(self) -> str:
        """The Call-ID (RFC 3261 §20.8)."""
        return self._required("Call-ID")

    @property
    def cseq(self) -> CSeq:
        """The CSeq (RFC 3261 §20.16)."""
        return self.headers.typed("cseq", lambda: CSeq.parse(self._required("CSeq")))

    @property
    def from_(self) -> NameAddress:
        """The From address (RFC 3261 §20.20)."""
        return self.headers.typed("from", lambda: NameAddress.parse(self._required("From")))

    @property
    def to(self) -> NameAddress:
        """The To address (RFC 3261 §20.39)."""
        return self.headers.typed("to", lambda: NameAddress.parse(self._required("To")))

    @property
    def contacts(self) -> list[NameAddress]:
        """Every Contact address; a ``*`` value (RFC 3261 §10.2.2) is left out."""
        return self.headers.typed(
            "contact",
            lambda: [
                NameAddress.parse(v) for v in self.headers.get_all("Contact") if v.strip() != "*"
            ],
        )

    @property
    def max_forwards(self) -> int | None:
        """The Max-Forwards value, None if absent (RFC 3261 §20.22)."""
        value = self.headers.get("Max-Forwards")
        if value is None:
            return None
        value = value.strip()
        if not value.isdigit() or not value.isascii() or len(value) > 10:
            raise ParseError(f"Invalid Max-Forwards: {value[:20]!r}")
        return int(value)

    @property
    def content_type(self) -> str | None:
        """The media type of the body, lower-cased, without parameters."""
        value = self.headers.get("Content-Type")
        return None if value is None else value.partition(";")[0].strip().lower()

    def _routes(self, name: str) -> list[NameAddress]:
        return [NameAddress.parse(v) for v in self.headers.get_all(name)]

    @property
    def routes(self) -> list[NameAddress]:
        """Every Route value, in order (RFC 3261 §20.34)."""
        return self.headers.typed("route", lambda: self._routes("Route"))

    @property
    def record_routes(self) -> list[NameAddress]:
        """Every Record-Route value, in order (RFC 3261 §20.30)."""
        return self.headers.typed("record-route", lambda: self._routes("Record-Route"))


@dataclass(slots=True, eq=True)
class Request(_Accessors):
    """A SIP request (RFC 3261 §7.1)."""

    method: str
    uri: Uri
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = "SIP/2.0"

    def __bytes__(self) -> bytes:
        lines = [f"{self.method} {self.uri} {self.version}"]
        self.headers._serialize(lines, len(self.body))
        lines.append("\r\n")
        return "\r\n".join(lines).encode("utf-8", "surrogateescape") + self.body


@dataclass(slots=True, eq=True)
class Response(_Accessors):
    """A SIP response (RFC 3261 §7.2)."""

    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = "SIP/2.0"

    def __bytes__(self) -> bytes:
        lines = [f"{self.version} {self.status} {self.reason}"]
        self.headers._serialize(lines, len(self.body))
        lines.append("\r\n")
        return "\r\n".join(lines).encode("utf-8", "surrogateescape") + self.body


Message = Request | Response
_DIALOG_CREATING = frozenset({"INVITE", "SUBSCRIBE", "REFER", "NOTIFY"})


def make_response(
    request: Request, status: int, reason: str | None = None, to_tag: str | None = None
) -> Response:
    """Build a response to ``request`` as RFC 3261 §8.2.6.2 says (Via, From, To, Call-ID, CSeq)."""
    headers = Headers()
    fields = headers._fields
    for key, name, value in request.headers._fields:
        if key in ("via", "from", "call-id", "cseq"):
            fields.append((key, name, value))
        elif key == "to":
            # RFC 3261 §8.2.6.2: add a tag unless the request's To already has one
            if to_tag is not None and request.to.tag is None:
                value = f"{value};tag={to_tag}"
            fields.append((key, name, value))
        elif key == "record-route" and 100 < status < 300 and request.method in _DIALOG_CREATING:
            fields.append((key, name, value))  # RFC 3261 §12.1.1: copied in order
        elif key == "timestamp" and status == 100:
            fields.append((key, name, value))  # RFC 3261 §8.2.6.1
    return Response(status, reason if reason is not None else response_reason(status), headers)


def next_attempt(request: Request) -> Request:
    """Copy ``request`` for a new try after a failure: CSeq + 1, no Via (the sender adds one
    with a new branch), no body (RFC 3261 §8.1.3.5: a new transaction, same Call-ID)."""
    headers = request.headers.copy()
    headers.remove("Via")
    headers.set("CSeq", str(CSeq(request.cseq.seq + 1, request.cseq.method)))
    headers.remove("Content-Type")
    return Request(request.method, request.uri, headers, b"", request.version)
