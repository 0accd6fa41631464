"""Best-effort error responses to requests that did not parse (RFC 3261 §8.2.6, §18.3).

A request that fails to parse still deserves an answer, so the sender stops retransmitting
and learns why.  The answer is built from the raw header lines: the Via, From, To, Call-ID
and CSeq fields are copied textually (RFC 3261 §8.2.6.2), whatever else is broken.  Without
a Via there is nowhere to route a response, so nothing is sent.
"""

from __future__ import annotations

import hashlib
import re

from alexphone.core.errors import ParseError
from alexphone.sip.message import response_reason
from alexphone.sip.parser import MAX_LINE, MAX_MESSAGE_BYTES

__all__ = ["error_reply", "sanitize_reason"]

_COPIED = {
    "via": "Via", "v": "Via", "from": "From", "f": "From", "to": "To", "t": "To",
    "call-id": "Call-ID", "i": "Call-ID", "cseq": "CSeq",
}  # fmt: skip
# RFC 3261 §25.1: Method SP Request-URI SP SIP-Version (loosely: we only need to tell it apart)
_REQUEST_LINE = re.compile(r"([A-Za-z0-9.!%*_+`'~\-]+)[ \t]+\S.*")
_TAG = re.compile(r";[ \t]*tag[ \t]*=", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_MAX_REASON = 200


def sanitize_reason(text: str, status: int) -> str:
    """Make ``text`` a one-line printable reason phrase (RFC 3261 §25.1 Reason-Phrase)."""
    printable = "".join(c if c.isprintable() else " " for c in text)
    phrase = " ".join(printable.split())[:_MAX_REASON].strip()
    return phrase or response_reason(status)


def _header_lines(raw: bytes) -> list[str]:
    """Return the unfolded lines of the first header section in ``raw``."""
    head = raw[: MAX_MESSAGE_BYTES + 4].lstrip(b"\r\n")
    end = head.find(b"\r\n\r\n")
    if end >= 0:
        head = head[:end]
    text = head.decode("utf-8", "surrogateescape")
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip(" \t")  # RFC 3261 §7.3.1 folding
        else:
            lines.append(line)
    return lines


def _copied_fields(lines: list[str]) -> list[tuple[str, str]]:
    """Pick the fields a response must echo, skipping any that would corrupt our output."""
    fields: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        canonical = _COPIED.get(name.strip(" \t").lower())
        value = value.strip(" \t")
        if not sep or canonical is None or not value:
            continue
        if len(line) > MAX_LINE or _CONTROL.search(value):
            continue
        fields.append((canonical, value))
    return fields


def error_reply(raw: bytes, error: ParseError) -> bytes | None:
    """Return the response to send for an unparseable request, None to drop it silently."""
    lines = _header_lines(raw)
    match = _REQUEST_LINE.fullmatch(lines[0]) if lines else None
    if match is None or lines[0].startswith("SIP/"):
        return None  # a response, or garbage: never answered (RFC 3261 §18.1.2)
    if match.group(1).upper() == "ACK":
        return None  # RFC 3261 §17.2.1: an ACK is never answered
    fields = _copied_fields(lines)
    if not any(name == "Via" for name, _value in fields):
        return None
    status = error.status if 400 <= error.status <= 699 else 400
    reason = sanitize_reason(str(error), status)
    out = [f"SIP/2.0 {status} {reason}"]
    for name, value in fields:
        if name == "To" and _TAG.search(value) is None:
            # RFC 3261 §8.2.6.2: add a To tag; derived from the request so that a
            # retransmission gets the very same response.
            tag = hashlib.sha256(raw[:MAX_MESSAGE_BYTES]).hexdigest()[:16]
            value = f"{value};tag={tag}"
        out.append(f"{name}: {value}")
    out.append("Content-Length: 0")
    out.append("\r\n")
    return "\r\n".join(out).encode("utf-8", "surrogateescape")
