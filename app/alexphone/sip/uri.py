"""SIP and SIPS URIs (RFC 3261 §19.1) and opaque absolute URIs (tel:, mailto:, ...)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import quote, unquote

from alexphone.core.errors import ParseError
from alexphone.sip.grammar import Params, drop_params, find_param, replace_params

__all__ = ["AbsoluteUri", "Params", "SipUri", "Uri", "parse_sip_uri", "parse_uri"]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
# RFC 3261 §25.1 character sets (``%`` stands for an escape, checked by _BAD_ESCAPE)
_USER = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+")
_PASSWORD = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,%]*")
_PARAM = re.compile(r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$%]+")
_HEADER = re.compile(r"[A-Za-z0-9\-_.!~*'()\[\]/?:+$%]*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# hostname / IPv4address; IPv6reference is checked apart
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9.])?")
_IPV6 = re.compile(r"[0-9A-Fa-f]*:[0-9A-Fa-f:.]*")
_PORT = re.compile(r"[0-9]{1,5}")
# RFC 3261 §25.1 absoluteURI: opaque text, no LWS, no <>" (those end a URI in headers)
_OPAQUE = re.compile(r"[^\s<>\"]+")

# what quote() keeps unescaped, beyond alphanumerics and "_.-~"
_USER_SAFE = "!*'()&=+$,;?/"
_PASSWORD_SAFE = "!*'()&=+$,"
_PARAM_SAFE = "!*'()[]/:&+$"
_HEADER_SAFE = "!*'()[]/?:+$"


def _decode(text: str, pattern: re.Pattern[str], what: str) -> str:
    """Check ``text`` against a character set and resolve its %-escapes (once, not recursively)."""
    if pattern.fullmatch(text) is None:
        raise ParseError(f"Invalid character in URI {what}: {text[:60]!r}")
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text):
        raise ParseError(f"Invalid %-escape in URI {what}: {text[:60]!r}")
    return unquote(text, errors="surrogateescape")


def _encode(text: str, safe: str) -> str:
    """Escape what the component's character set does not allow (RFC 3261 §19.1.2)."""
    return quote(text, safe=safe, errors="surrogateescape")


@dataclass(frozen=True, slots=True)
class SipUri:
    """A sip: or sips: URI; user, password, params and headers hold decoded text."""

    host: str
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: Params = ()
    headers: tuple[tuple[str, str], ...] = ()
    scheme: str = "sip"

    def param(self, name: str) -> str | None:
        """Return a URI parameter's value ("" for a flag), None if absent."""
        return find_param(self.params, name)

    def has_param(self, name: str) -> bool:
        """Tell whether the URI carries the parameter (case-insensitive name)."""
        return find_param(self.params, name) is not None

    def with_params(self, **values: str | None) -> SipUri:
        """Return a copy with parameters set or replaced (None makes a flag)."""
        return replace(self, params=replace_params(self.params, values))

    def without_params(self, *names: str) -> SipUri:
        """Return a copy without the named parameters."""
        return replace(self, params=drop_params(self.params, names))

    @property
    def transport(self) -> str | None:
        """The lower-case ``transport`` parameter, if any."""
        value = find_param(self.params, "transport")
        return value.lower() if value is not None else None

    @property
    def host_port(self) -> str:
        """``host:port``, with IPv6 hosts in brackets; the port only when given."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    def __str__(self) -> str:
        parts = [self.scheme, ":"]
        if self.user is not None:
            parts.append(_encode(self.user, _USER_SAFE))
            if self.password is not None:
                parts += [":", _encode(self.password, _PASSWORD_SAFE)]
            parts.append("@")
        parts.append(self.host_port)
        for name, value in self.params:
            parts += [";", _encode(name, _PARAM_SAFE)]
            if value is not None:
                parts += ["=", _encode(value, _PARAM_SAFE)]
        if self.headers:
            parts.append("?")
            parts.append(
                "&".join(
                    f"{_encode(name, _HEADER_SAFE)}={_encode(value, _HEADER_SAFE)}"
                    for name, value in self.headers
                )
            )
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class AbsoluteUri:
    """Any other URI (tel:, mailto:, unknown schemes), kept as opaque text."""

    scheme: str
    opaque: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.opaque}"


Uri = SipUri | AbsoluteUri


def _parse_host_port(text: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` (RFC 3261 §25.1 hostport), validating both."""
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or _IPV6.fullmatch(text[1:close]) is None:
            raise ParseError(f"Invalid IPv6 reference in URI: {text[:60]!r}")
        host, rest = text[1:close], text[close + 1 :]
        if rest and rest[0] != ":":
            raise ParseError(f"Invalid text after IPv6 reference: {text[:60]!r}")
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text_or_empty = text.partition(":")
        port_text = port_text_or_empty if sep else None
        if _HOSTNAME.fullmatch(host) is None:
            raise ParseError(f"Invalid host in URI: {host[:60]!r}")
    if port_text is None:
        return host, None
    if _PORT.fullmatch(port_text) is None or int(port_text) > 65535:
        raise ParseError(f"Invalid port in URI: {port_text[:20]!r}")
    return host, int(port_text)


def _parse_uri_params(text: str) -> Params:
    """Parse URI parameters (no LWS; names and values %-decoded)."""
    params: list[tuple[str, str | None]] = []
    for piece in text.split(";"):
        name, sep, value = piece.partition("=")
        name = _decode(name, _PARAM, "parameter")
        params.append((name, _decode(value, _PARAM, "parameter") if sep else None))
    return tuple(params)


def _parse_uri_headers(text: str) -> tuple[tuple[str, str], ...]:
    """Parse ``h=v&h=v`` (RFC 3261 §19.1.1 headers), decoding escapes."""
    headers: list[tuple[str, str]] = []
    for piece in text.split("&"):
        name, _sep, value = piece.partition("=")
        if not name:
            raise ParseError("Empty header name in URI")
        headers.append((_decode(name, _HEADER, "header"), _decode(value, _HEADER, "header")))
    return tuple(headers)


def _parse_sip(scheme: str, rest: str) -> SipUri:
    """Parse what follows ``sip:`` / ``sips:``."""
    user: str | None = None
    password: str | None = None
    at = rest.find("@")
    if at >= 0:  # RFC 3261 §25.1: "@" only ever ends the userinfo
        userinfo, rest = rest[:at], rest[at + 1 :]
        user_text, sep, password_text = userinfo.partition(":")
        user = _decode(user_text, _USER, "user")
        if sep:
            password = _decode(password_text, _PASSWORD, "password")
    rest, qmark, header_text = rest.partition("?")
    host_text, semi, param_text = rest.partition(";")
    host, port = _parse_host_port(host_text)
    params = _parse_uri_params(param_text) if semi else ()
    headers = _parse_uri_headers(header_text) if qmark else ()
    return SipUri(host, user, password, port, params, headers, scheme)


@lru_cache(maxsize=1024)
def parse_uri(text: str) -> Uri:
    """Parse any URI: sip:/sips: into SipUri, others into AbsoluteUri (ParseError if malformed)."""
    scheme, colon, rest = text.partition(":")
    if not colon or _SCHEME.fullmatch(scheme) is None:
        raise ParseError(f"Invalid URI: {text[:60]!r}")
    scheme = scheme.lower()
    if scheme in ("sip", "sips"):
        return _parse_sip(scheme, rest)
    if _OPAQUE.fullmatch(rest) is None:
        raise ParseError(f"Invalid URI: {text[:60]!r}")
    return AbsoluteUri(scheme, rest)


def parse_sip_uri(text: str) -> SipUri:
    """Parse a sip: or sips: URI; any other scheme is a ParseError."""
    uri = parse_uri(text)
    if not isinstance(uri, SipUri):
        raise ParseError(f"Not a SIP URI: {text[:60]!r}", 416)
    return uri
