"""Bytes → Request/Response (RFC 3261 §7, §18.3) and stream framing by Content-Length.

Theory of operation: ``parse`` splits the header section once (C-speed string methods),
unfolds continuation lines, maps names to canonical spellings through one dict lookup and
keeps values raw.  It then checks what every receiver must check before a transaction
sees the message (mandatory headers, scalar ranges, CSeq method, framing) and caches the
typed values it had to parse anyway.  Limits bound the work: every step is linear in the
message size and the size is capped at MAX_MESSAGE_BYTES.
"""

from __future__ import annotations

import re
from dataclasses import replace

from alexphone.core.errors import ParseError
from alexphone.sip.grammar import TOKEN
from alexphone.sip.mandatory import check_fields
from alexphone.sip.message import Headers, Message, Request, Response
from alexphone.sip.names import CANONICAL_BY_LOWER
from alexphone.sip.uri import SipUri, Uri, parse_uri

__all__ = ["MAX_HEADERS", "MAX_LINE", "MAX_MESSAGE_BYTES", "StreamFramer", "parse"]

MAX_MESSAGE_BYTES = 65536
MAX_HEADERS = 256
MAX_LINE = 8192

_KEYS: dict[str, tuple[str, str]] = {
    lower: (canonical.lower(), canonical) for lower, canonical in CANONICAL_BY_LOWER.items()
}
_VERSION = re.compile(r"SIP/[0-9]+\.[0-9]+", re.IGNORECASE)


def _split_head(data: bytes) -> tuple[list[str], int]:
    """Return the header-section lines (unfolded) and the offset where the body starts."""
    size = len(data)
    if size > MAX_MESSAGE_BYTES:
        raise ParseError(f"Message of {size} bytes exceeds {MAX_MESSAGE_BYTES} bytes", 513)
    start = 0
    if data.startswith(b"\r\n"):  # RFC 3261 §7.5: ignore CRLFs before the start-line
        start = size - len(data.lstrip(b"\r\n"))
    end = data.find(b"\r\n\r\n", start)
    if end >= 0:
        head_end, body_start = end, end + 4
    elif data.endswith(b"\r\n") and size - start > 2:
        head_end, body_start = size - 2, size  # datagram without the empty line
    else:
        raise ParseError("Message has no end of header section")
    head = data[start:head_end].decode("utf-8", "surrogateescape")
    lines = head.split("\r\n")
    if head.count("\n") != len(lines) - 1 or head.count("\r") != len(lines) - 1:
        raise ParseError("Bare CR or LF in header section")
    if max(map(len, lines)) > MAX_LINE:
        raise ParseError(f"Header line longer than {MAX_LINE} characters")
    if "\r\n " in head or "\r\n\t" in head:
        lines = _unfold(lines)
    if len(lines) > MAX_HEADERS + 1:
        raise ParseError(f"More than {MAX_HEADERS} header fields")
    return lines, body_start


def _unfold(lines: list[str]) -> list[str]:
    """Join continuation lines to their field (RFC 3261 §7.3.1: LWS folding)."""
    if len(lines) > 1 and lines[1][:1] in (" ", "\t"):
        raise ParseError("Start line is followed by a continuation line")
    result: list[str] = []
    pieces: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            pieces.append(line.strip(" \t"))
            continue
        if pieces:
            result.append(" ".join(pieces))
        pieces = [line.rstrip(" \t")]
    result.append(" ".join(pieces))
    return result


def _header_triples(lines: list[str]) -> list[tuple[str, str, str]]:
    """Turn ``Name: value`` lines into (key, canonical name, trimmed value) triples."""
    triples: list[tuple[str, str, str]] = []
    append = triples.append
    keys = _KEYS
    for index in range(1, len(lines)):
        line = lines[index]
        name, sep, value = line.partition(":")
        if not sep:
            raise ParseError(f"Header line without a colon: {line[:40]!r}")
        known = keys.get(name.lower())
        if known is None:
            name = name.rstrip(" \t")
            lower = name.lower()
            known = keys.get(lower)
            if known is None:
                if TOKEN.fullmatch(name) is None:
                    raise ParseError(f"Invalid header name: {name[:40]!r}")
                known = (lower, name)
        append((known[0], known[1], value.strip(" \t")))
    return triples


def _check_version(version: str) -> None:
    """Accept only SIP/2.0 (RFC 3261 §7.1); other versions get 505, garbage 400."""
    if version != "SIP/2.0" and version.upper() != "SIP/2.0":
        status = 505 if _VERSION.fullmatch(version) else 400
        raise ParseError(f"SIP version {version[:20]} is not supported", status)


def _request_line(line: str) -> tuple[str, Uri, str, str | None]:
    """Split and check a Request-Line (RFC 3261 §7.1): exactly single SPs, no LWS in the URI.

    Returns the method, the Request-URI, the version and the value of a Replaces the URI
    carried (an INVITE only; see below), else None.
    """
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise ParseError("Malformed Request-Line (must be Method SP Request-URI SP SIP-Version)")
    method, uri_text, version = parts
    _check_version(version)
    if TOKEN.fullmatch(method) is None:
        raise ParseError(f"Invalid method: {method[:40]!r}")
    uri = parse_uri(uri_text)
    if not isinstance(uri, SipUri) or not uri.headers:
        return method, uri, version, None
    # RFC 3261 §19.1.5: a URI's headers belong in the request made from it. A transferee that
    # leaves a Refer-To's Replaces in the Request-URI of its INVITE (baresip 1.0) has it
    # applied as that header; any other header there is an error (§19.1.1 table 1).
    names = [name.lower() for name, _ in uri.headers]
    if method != "INVITE" or names != ["replaces"]:
        raise ParseError("Request-URI must not carry headers")
    return method, replace(uri, headers=()), version, uri.headers[0][1]


def _status_line(line: str) -> tuple[str, int, str]:
    """Split and check a Status-Line (RFC 3261 §7.2); the reason phrase may be empty."""
    version, _sp, rest = line.partition(" ")
    code, _sp, reason = rest.partition(" ")
    if not code.isdigit() or not code.isascii() or len(code) != 3 or code[0] not in "123456":
        raise ParseError(f"Status code {code[:20]!r} is out of range")
    _check_version(version)
    return version, int(code), reason


def _headers_and_body(lines: list[str], data: bytes, body_start: int) -> tuple[Headers, bytes]:
    """Build the checked Headers and cut the body by Content-Length (RFC 3261 §18.3)."""
    triples = _header_triples(lines)
    headers = Headers._from_triples(triples)
    length = check_fields(triples, headers)
    available = len(data) - body_start
    if length is None:
        return headers, data[body_start:]  # a datagram's body runs to its end
    if length > available:
        raise ParseError(f"Content-Length {length} exceeds the {available} octets of body")
    return headers, data[body_start : body_start + length]


def parse(data: bytes) -> Message:
    """Parse one datagram; octets after Content-Length are ignored (RFC 3261 §18.3)."""
    lines, body_start = _split_head(data)
    first_line = lines[0]
    if first_line.startswith("SIP/"):
        version, status, reason = _status_line(first_line)
        headers, body = _headers_and_body(lines, data, body_start)
        return Response(status, reason, headers, body, version)
    method, uri, version, replaces = _request_line(first_line)
    headers, body = _headers_and_body(lines, data, body_start)
    if replaces is not None and "Replaces" not in headers:
        headers.add("Replaces", replaces)
    request = Request(method, uri, headers, body, version)
    cseq_method = request.cseq.method  # cached by check_fields
    if cseq_method != method:
        raise ParseError(f"CSeq method {cseq_method} does not match request method {method}")
    return request


def _content_length(head: bytes) -> int | None:
    """Find the Content-Length value in a raw header section (None if absent)."""
    value: int | None = None
    for line in head.split(b"\r\n")[1:]:
        name, sep, raw = line.partition(b":")
        if sep and name.rstrip(b" \t").lower() in (b"content-length", b"l"):
            text = raw.strip(b" \t")
            if not text.isdigit() or len(text) > 10:
                raise ParseError(f"Invalid Content-Length: {text[:20]!r}")
            if value is not None and value != int(text):
                raise ParseError("Conflicting Content-Length values")
            value = int(text)
    return value


class StreamFramer:
    """Cuts a TCP/TLS byte stream into messages by Content-Length (RFC 3261 §18.3).

    A message whose framing is sound but whose content is malformed does not end the
    stream: it is set aside for ``take_rejected`` (the transport answers it with a 400)
    and framing goes on. A framing error does end it: ``feed`` raises at once when it has
    nothing to return, else returns what came before and leaves the error in ``failed``.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0  # how far the search for the end of headers has looked
        self._rejected: list[tuple[bytes, ParseError]] = []
        self.failed: ParseError | None = None

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return the complete messages (ParseError: close the stream)."""
        if self.failed is not None:
            raise self.failed
        messages: list[Message] = []
        try:
            self._frame(data, messages)
        except ParseError as error:
            if not messages:
                raise
            self.failed = error
        return messages

    def take_rejected(self) -> list[tuple[bytes, ParseError]]:
        """Return and forget the well-framed messages that failed to parse."""
        rejected, self._rejected = self._rejected, []
        return rejected

    def _frame(self, data: bytes, messages: list[Message]) -> None:
        self._buffer += data
        while True:
            buffer = self._buffer
            if buffer[:2] == b"\r\n":  # RFC 5626 §3.5.1 keep-alives, RFC 3261 §7.5
                stripped = len(buffer) - len(buffer.lstrip(b"\r\n"))
                del buffer[:stripped]
                self._scanned = 0
            end = buffer.find(b"\r\n\r\n", max(0, self._scanned - 3))
            if end < 0:
                self._scanned = len(buffer)
                if len(buffer) > MAX_MESSAGE_BYTES:
                    raise ParseError("Header section exceeds the message size limit", 513)
                return
            length = _content_length(bytes(buffer[:end]))
            if length is None:
                raise ParseError("Content-Length is mandatory on a stream transport")
            total = end + 4 + length
            if total > MAX_MESSAGE_BYTES:
                raise ParseError(f"Message of {total} bytes exceeds {MAX_MESSAGE_BYTES}", 513)
            if len(buffer) < total:
                self._scanned = end
                return
            raw = bytes(buffer[:total])
            del buffer[:total]
            self._scanned = 0
            try:
                messages.append(parse(raw))
            except ParseError as error:
                self._rejected.append((raw, error))

    @property
    def pending(self) -> int:
        """How many buffered octets are not yet part of a complete message."""
        return len(self._buffer)
