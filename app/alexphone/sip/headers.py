"""Typed header values: Via, name-addr (From/To/Contact/Route), CSeq (RFC 3261 §20, §25.1).

Header parameter values are kept as written (a quoted-string keeps its quotes), so that
rendering a value gives back what was parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Self

from alexphone.core.errors import ParseError
from alexphone.sip.grammar import (
    TOKEN_CHARS,
    Params,
    find_param,
    format_params,
    parse_params,
    quote_string,
    quoted_end,
    replace_params,
    unquote_string,
)
from alexphone.sip.uri import SipUri, Uri, parse_uri

__all__ = ["CSeq", "NameAddress", "Params", "Via", "format_params", "parse_params"]

MAX_CSEQ = 2**31 - 1  # RFC 3261 §8.1.1.5: the sequence number MUST be less than 2**31
# RFC 3261 §20.42: sent-protocol LWS sent-by *( SEMI via-params ); LWS around "/" allowed
_VIA = re.compile(
    r"[Ss][Ii][Pp][ \t]*/[ \t]*2\.0[ \t]*/[ \t]*"
    f"([{TOKEN_CHARS}]+)"
    r"[ \t]+(\[[^\]]*\]|[^ \t;:\[]+)(?:[ \t]*:[ \t]*([0-9]{1,5}))?[ \t]*(;.*)?",
    re.DOTALL,
)
_DISPLAY_TOKENS = re.compile(f"[{TOKEN_CHARS}]+(?:[ \\t]+[{TOKEN_CHARS}]+)*")
_CSEQ = re.compile(f"([0-9]+)[ \\t]+([{TOKEN_CHARS}]+)")
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9.])?")
_IPV6 = re.compile(r"[0-9A-Fa-f]*:[0-9A-Fa-f:.]*")
_DIGITS = re.compile(r"[0-9]{1,10}")

# Fast paths: the common wire shapes, without LWS or escapes.  Everything they match the
# general parsers accept with the same result (tests/unit/sip/test_headers.py checks this);
# anything else falls through to the general parsers.
_HOST_FAST = r"([A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9.])?|\[[0-9A-Fa-f]*:[0-9A-Fa-f:.]*\])"
_HPARAMS_FAST = f"((?:;[{TOKEN_CHARS}]+(?:=[{TOKEN_CHARS}:\\[\\]]+)?)*)"
_UPARAM = r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$]+"
_PORT_FAST = (
    r"(?::(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
)
VIA_FAST = re.compile(f"SIP/2\\.0/([A-Z]+) {_HOST_FAST}{_PORT_FAST}{_HPARAMS_FAST}")
NAME_ADDR_FAST = re.compile(
    f'(?:"([^"\\\\\r\n]*)" ?|([{TOKEN_CHARS}]+) )?'
    r"<(sips?):(?:([A-Za-z0-9\-_.!~*'()&=+$,/]+)@)?"
    f"{_HOST_FAST}{_PORT_FAST}((?:;{_UPARAM}(?:={_UPARAM})?)*)>{_HPARAMS_FAST}"
)


def _split_fast_params(text: str) -> Params:
    """Split ``;a=b;c`` already matched by a fast pattern (no LWS, no quotes)."""
    params: list[tuple[str, str | None]] = []
    for piece in text[1:].split(";"):
        name, sep, value = piece.partition("=")
        params.append((name, value if sep else None))
    return tuple(params)


def _int_param(params: Params, name: str) -> int | None:
    """Return a numeric parameter's value, None if absent, a flag or not a number."""
    value = find_param(params, name)
    if value is None or _DIGITS.fullmatch(value) is None:
        return None
    return int(value)


@dataclass(frozen=True, slots=True)
class Via:
    """One Via value: transport, sent-by host and port, and parameters (RFC 3261 §20.42)."""

    transport: str
    host: str
    port: int | None = None
    params: Params = ()

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse one Via value (no commas) with LWS anywhere LWS is allowed."""
        fast = VIA_FAST.fullmatch(text)
        if fast is not None:
            transport, host, port, param_text = fast.groups()
            return cls(
                transport,
                host[1:-1] if host[0] == "[" else host,
                int(port) if port is not None else None,
                _split_fast_params(param_text) if param_text else (),
            )
        return cls._parse_general(text)

    @classmethod
    def _parse_general(cls, text: str) -> Self:
        """Parse any Via value the grammar allows (LWS, IPv6, quoted params)."""
        match = _VIA.fullmatch(text.strip())
        if match is None:
            raise ParseError(f"Malformed Via: {text[:60]!r}")
        transport, host, port, param_text = match.groups()
        if host.startswith("["):
            host = host[1:-1]
            if _IPV6.fullmatch(host) is None:
                raise ParseError(f"Invalid IPv6 address in Via: {host[:60]!r}")
        elif _HOSTNAME.fullmatch(host) is None:
            raise ParseError(f"Invalid host in Via: {host[:60]!r}")
        number = int(port) if port is not None else None
        if number is not None and number > 65535:
            raise ParseError(f"Via port {number} is out of range")
        params = parse_params(param_text) if param_text else ()
        return cls(transport.upper(), host, number, params)

    @property
    def branch(self) -> str | None:
        """The branch parameter (RFC 3261 §8.1.1.7)."""
        return find_param(self.params, "branch")

    @property
    def received(self) -> str | None:
        """The received parameter (RFC 3261 §18.2.1)."""
        return find_param(self.params, "received")

    @property
    def rport(self) -> int | None:
        """The rport value filled in by a server (RFC 3581), None if empty or absent."""
        return _int_param(self.params, "rport")

    @property
    def has_rport(self) -> bool:
        """Tell whether rport is present, even as a bare flag (RFC 3581 §3)."""
        return find_param(self.params, "rport") is not None

    @property
    def sent_by(self) -> str:
        """``host[:port]`` as in the sent-by field, IPv6 in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    def with_params(self, **values: str | None) -> Via:
        """Return a copy with parameters set or replaced (None makes a flag)."""
        return replace(self, params=replace_params(self.params, values))

    def __str__(self) -> str:
        return f"SIP/2.0/{self.transport} {self.sent_by}{format_params(self.params)}"


@dataclass(frozen=True, slots=True)
class NameAddress:
    """A name-addr or addr-spec with header parameters (From, To, Contact, Route, ...)."""

    uri: Uri
    display_name: str | None = None
    params: Params = ()

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse ``[display] <uri> *(;param)`` or ``addr-spec *(;param)`` (RFC 3261 §20.10)."""
        fast = NAME_ADDR_FAST.fullmatch(text)
        if fast is not None:
            quoted, token, scheme, user, host, port, uri_params, params = fast.groups()
            fast_uri = SipUri(
                host[1:-1] if host[0] == "[" else host,
                user,
                None,
                int(port) if port is not None else None,
                _split_fast_params(uri_params) if uri_params else (),
                (),
                scheme,
            )
            fast_display = quoted if quoted is not None else token
            return cls(fast_uri, fast_display, _split_fast_params(params) if params else ())
        return cls._parse_general(text)

    @classmethod
    def _parse_general(cls, text: str) -> Self:
        """Parse any name-addr or addr-spec the grammar allows."""
        text = text.strip()
        if not text:
            raise ParseError("Empty address")
        display: str | None = None
        if text[0] == '"':
            end = quoted_end(text, 0)
            display = unquote_string(text[:end])
            rest = text[end:].lstrip(" \t")
            if not rest.startswith("<"):
                raise ParseError(f"Expected <URI> after display name: {text[:60]!r}")
        else:
            angle = text.find("<")
            semi = text.find(";")
            if angle >= 0 and (semi < 0 or angle < semi):
                words = text[:angle].strip(" \t")
                if words:
                    # RFC 3261 §25.1 display-name = *(token LWS) / quoted-string
                    if _DISPLAY_TOKENS.fullmatch(words) is None:
                        raise ParseError(f"Invalid display name: {words[:60]!r}")
                    display = " ".join(words.split())
                rest = text[angle:]
            else:
                # RFC 3261 §20: an addr-spec holding "," "?" or ";" must be in <>
                uri_text, _semi, _params = text.partition(";")
                uri_text = uri_text.rstrip(" \t")
                if "?" in uri_text or "," in uri_text:
                    raise ParseError(f"URI with '?' or ',' must be enclosed in <>: {text[:60]!r}")
                params = parse_params(text[len(uri_text) :]) if _semi else ()
                return cls(parse_uri(uri_text), None, params)
        close = rest.find(">")
        if close < 0:
            raise ParseError(f"Unterminated <URI>: {text[:60]!r}")
        uri = parse_uri(rest[1:close])
        tail = rest[close + 1 :]
        return cls(uri, display, parse_params(tail) if tail else ())

    @property
    def tag(self) -> str | None:
        """The tag parameter (RFC 3261 §19.3)."""
        return find_param(self.params, "tag")

    def with_tag(self, tag: str) -> NameAddress:
        """Return a copy carrying ``tag``."""
        return replace(self, params=replace_params(self.params, {"tag": tag}))

    def param(self, name: str) -> str | None:
        """Return a header parameter's value ("" for a flag), None if absent."""
        return find_param(self.params, name)

    @property
    def expires(self) -> int | None:
        """The expires parameter of a Contact (RFC 3261 §20.10), None if absent or not a number."""
        return _int_param(self.params, "expires")

    def __str__(self) -> str:
        head = f"<{self.uri}>"
        if self.display_name:
            head = f"{quote_string(self.display_name)} {head}"
        return head + format_params(self.params)


@dataclass(frozen=True, slots=True)
class CSeq:
    """The CSeq value: sequence number and method (RFC 3261 §20.16)."""

    seq: int
    method: str

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse ``number method``; numbers of 2**31 and above are a ParseError."""
        match = _CSEQ.fullmatch(text.strip())
        if match is None:
            raise ParseError(f"Malformed CSeq: {text[:60]!r}")
        digits = match.group(1)
        if len(digits) > 10 or int(digits) > MAX_CSEQ:
            raise ParseError(f"CSeq number {digits[:40]} is out of range (must be below 2**31)")
        return cls(int(digits), match.group(2))

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"
