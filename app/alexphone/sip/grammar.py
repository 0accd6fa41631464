"""Shared RFC 3261 §25 lexical rules: tokens, quoted strings, parameters, comma lists.

Every pattern here is linear: character classes are disjoint where they repeat, so a
hostile 60 KiB value fails in one pass instead of backtracking.
"""

from __future__ import annotations

import re

from alexphone.core.errors import ParseError

Params = tuple[tuple[str, str | None], ...]

# RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN_CHARS = r"A-Za-z0-9.!%*_+`'~\-"
TOKEN = re.compile(f"[{TOKEN_CHARS}]+")
# RFC 3261 §25.1: quoted-string with quoted-pair (any octet but CR/LF after a backslash)
QUOTED = r'"(?:[^"\\\r\n]|\\[^\r\n])*"'
_QUOTED_AT = re.compile(QUOTED)
# RFC 3261 §25.1: gen-value = token / host / quoted-string (host adds ":" "[" "]")
_GEN_VALUE = re.compile(f"[{TOKEN_CHARS}:\\[\\]]+|{QUOTED}")
_SPECIAL = re.compile(r'[,"<]')
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_NEEDS_QUOTE_ESCAPE = re.compile(r'(["\\])')


def unquote_string(text: str) -> str:
    """Return the contents of a quoted-string (without quotes), quoted-pairs resolved."""
    inner = text[1:-1]
    return _QUOTED_PAIR.sub(r"\1", inner) if "\\" in inner else inner


def quote_string(text: str) -> str:
    """Return ``text`` as a quoted-string, escaping ``"`` and ``\\``."""
    return '"' + _NEEDS_QUOTE_ESCAPE.sub(r"\\\1", text) + '"'


def quoted_end(text: str, start: int) -> int:
    """Return the index just past the quoted-string starting at ``start`` (ParseError if open)."""
    match = _QUOTED_AT.match(text, start)
    if match is None:
        raise ParseError("Unterminated quoted string")
    return match.end()


def split_values(value: str) -> list[str]:
    """Split a header value on commas outside quoted strings and <...>; values stripped."""
    if '"' not in value and "<" not in value:
        return [part.strip() for part in value.split(",")]
    parts: list[str] = []
    start = pos = 0
    end = len(value)
    while pos < end:
        match = _SPECIAL.search(value, pos)
        if match is None:
            break
        pos = match.start()
        char = value[pos]
        if char == ",":
            parts.append(value[start:pos].strip())
            start = pos = pos + 1
        elif char == '"':
            quoted = _QUOTED_AT.match(value, pos)
            if quoted is None:  # unterminated: the rest is one (bad) value for the typed parser
                break
            pos = quoted.end()
        else:
            close = value.find(">", pos)
            if close < 0:
                break
            pos = close + 1
    parts.append(value[start:].strip())
    return parts


def _split_semicolons(text: str) -> list[str]:
    """Split on ``;`` outside quoted strings."""
    if '"' not in text:
        return text.split(";")
    parts: list[str] = []
    start = pos = 0
    while True:
        semi = text.find(";", pos)
        quote = text.find('"', pos)
        if quote >= 0 and (semi < 0 or quote < semi):
            pos = quoted_end(text, quote)
            continue
        if semi < 0:
            parts.append(text[start:])
            return parts
        parts.append(text[start:semi])
        start = pos = semi + 1


def parse_params(text: str) -> Params:
    """Parse header parameters ``;a=b;c`` (LWS allowed around ``;`` and ``=``) in order."""
    text = text.strip()
    if not text:
        return ()
    if text[0] != ";":
        raise ParseError(f"Parameters must start with ';': {text[:40]!r}")
    params: list[tuple[str, str | None]] = []
    token_match = TOKEN.fullmatch
    value_match = _GEN_VALUE.fullmatch
    for piece in _split_semicolons(text[1:]):
        name, sep, value = piece.partition("=")
        name = name.strip()
        if not name:
            raise ParseError("Empty parameter (stray ';')")
        if token_match(name) is None:
            raise ParseError(f"Invalid parameter name {name[:40]!r}")
        if not sep:
            params.append((name, None))
            continue
        value = value.strip()
        if value_match(value) is None:
            raise ParseError(f"Invalid value for parameter {name[:40]!r}")
        params.append((name, value))
    return tuple(params)


def format_params(params: Params) -> str:
    """Render parameters as ``;a=b;c``."""
    return "".join(f";{name}" if value is None else f";{name}={value}" for name, value in params)


def find_param(params: Params, name: str) -> str | None:
    """Return a parameter's value ("" for a flag), None if absent; names case-insensitive."""
    lowered = name.lower()
    for key, value in params:
        if key.lower() == lowered:
            return "" if value is None else value
    return None


def replace_params(params: Params, values: dict[str, str | None]) -> Params:
    """Return ``params`` with each of ``values`` set (replaced in place or appended)."""
    result = list(params)
    for name, value in values.items():
        lowered = name.lower()
        for index, (key, _old) in enumerate(result):
            if key.lower() == lowered:
                result[index] = (key, value)
                break
        else:
            result.append((name, value))
    return tuple(result)


def drop_params(params: Params, names: tuple[str, ...]) -> Params:
    """Return ``params`` without the named ones (case-insensitive)."""
    lowered = {name.lower() for name in names}
    return tuple(item for item in params if item[0].lower() not in lowered)
