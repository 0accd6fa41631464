"""tel: URIs (RFC 3966) and their SIP form (RFC 3261 §19.1.6).

A telephone number is either global (``+`` and the full E.164 digits) or local; a local
number means nothing without its ``phone-context`` (RFC 3966 §5.1.5), a domain name or the
global digits of the area it is valid in. Visual separators (``-.()``) are only for human
eyes (§5.1.1): parsing drops them, so ``tel:+1-555-123-4567`` and ``tel:+15551234567`` are
the same number. A SIP phone calls a tel: URI through a SIP domain by putting the
telephone-subscriber part in the user part and adding ``user=phone`` (RFC 3261 §19.1.6):
``sip:+15551234567@example.com;user=phone``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alexphone.core.errors import ParseError
from alexphone.sip.grammar import Params
from alexphone.sip.uri import SipUri

__all__ = [
    "TelUri",
    "number_from_dial_text",
    "parse_tel_uri",
    "tel_from_sip_uri",
    "tel_to_sip_uri",
]

_SEPARATORS = re.compile(r"[\-.()]")  # RFC 3966 §3 visual-separator
_GLOBAL_DIGITS = re.compile(r"\+[0-9\-.()]*[0-9][0-9\-.()]*")
_LOCAL_DIGITS = re.compile(r"[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*")
_PNAME = re.compile(r"[A-Za-z0-9\-]+")
# paramchar: param-unreserved / unreserved / pct-encoded
_PVALUE = re.compile(r"(?:[\[\]/:&+$A-Za-z0-9\-_.!~*'()]|%[0-9A-Fa-f]{2})+")
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.?"
)
_EXT_DIGITS = re.compile(r"[0-9\-.()]*[0-9][0-9\-.()]*")
# what a person types into a dial box: digits with separators and spaces, maybe a leading +
_DIAL_TEXT = re.compile(r"\+?[0-9*#\-.()\s]*[0-9][0-9*#\-.()\s]*")


@dataclass(frozen=True, slots=True)
class TelUri:
    """A telephone number: ``number`` without separators, its context, other parameters.

    ``params`` hold ``ext``/``isub`` and any other parameter with lower-case names, in the
    order RFC 3966 §3 prints them; ``context`` is set exactly when the number is local.
    """

    number: str  # "+15551234567" (global) or "7042" (local; hex digits upper-case)
    context: str | None = None  # phone-context: "example.com" or "+1212" (local numbers)
    params: Params = ()

    @property
    def is_global(self) -> bool:
        """Tell whether the number is a global (E.164) one."""
        return self.number.startswith("+")

    @property
    def subscriber(self) -> str:
        """The telephone-subscriber text: number, then ext/isub, context, other parameters."""
        parts = [self.number]
        parts += [f";{n}={v}" for n, v in self.params if n in ("ext", "isub") and v is not None]
        if self.context is not None:
            parts.append(f";phone-context={self.context}")
        for name, value in self.params:
            if name not in ("ext", "isub"):
                parts.append(f";{name}" if value is None else f";{name}={value}")
        return "".join(parts)

    def __str__(self) -> str:
        return "tel:" + self.subscriber


def parse_tel_uri(text: str) -> TelUri:
    """Parse ``tel:...`` (RFC 3966 §3), dropping visual separators; ParseError if malformed."""
    scheme, colon, rest = text.strip().partition(":")
    if not colon or scheme.lower() != "tel":
        raise ParseError(f"Not a tel: URI: {text[:60]!r}")
    return _parse_subscriber(rest, text)


def _parse_subscriber(rest: str, text: str) -> TelUri:
    digits, *pieces = rest.split(";")
    if _GLOBAL_DIGITS.fullmatch(digits):
        number = _strip(digits)
    elif _LOCAL_DIGITS.fullmatch(digits):
        number = _strip(digits).upper()
    else:
        raise ParseError(f"Invalid telephone number in {text[:60]!r}")
    context: str | None = None
    params: dict[str, str | None] = {}
    for piece in pieces:
        name, sep, value = piece.partition("=")
        name = name.lower()
        if _PNAME.fullmatch(name) is None or (sep and _PVALUE.fullmatch(value) is None):
            raise ParseError(f"Invalid parameter {piece[:40]!r} in {text[:60]!r}")
        if name in params or (name == "phone-context" and context is not None):
            raise ParseError(f"Parameter {name!r} twice in {text[:60]!r}")
        if name == "phone-context":
            context = _descriptor(value, text)
        elif name == "ext":
            if _EXT_DIGITS.fullmatch(value) is None:
                raise ParseError(f"Invalid extension {value[:20]!r} in {text[:60]!r}")
            params[name] = _strip(value)
        else:
            params[name] = value if sep else None
    if number.startswith("+") and context is not None:
        raise ParseError(f"A global number takes no phone-context: {text[:60]!r}")
    if not number.startswith("+") and context is None:
        raise ParseError(f"A local number needs ;phone-context= (RFC 3966 §5.1.5): {text[:60]!r}")
    return TelUri(number, context, _ordered(params))


def _descriptor(value: str, text: str) -> str:
    """A phone-context: global digits without separators, or a lower-case domain name."""
    if _GLOBAL_DIGITS.fullmatch(value):
        return _strip(value)
    if _DOMAIN.fullmatch(value):
        return value.lower()
    raise ParseError(f"Invalid phone-context {value[:40]!r} in {text[:60]!r}")


def _ordered(params: dict[str, str | None]) -> Params:
    """ext/isub first, the others by name (RFC 3966 §3)."""
    first = [(n, params[n]) for n in ("isub", "ext") if n in params]
    rest = sorted((n, v) for n, v in params.items() if n not in ("isub", "ext"))
    return (*first, *rest)


def _strip(digits: str) -> str:
    return _SEPARATORS.sub("", digits)


def tel_to_sip_uri(tel: TelUri, host: str, port: int | None = None, scheme: str = "sip") -> SipUri:
    """The SIP URI that calls ``tel`` through the domain ``host`` (RFC 3261 §19.1.6)."""
    user_phone = (("user", "phone"),)
    return SipUri(host=host, user=tel.subscriber, port=port, params=user_phone, scheme=scheme)


def tel_from_sip_uri(uri: SipUri) -> TelUri | None:
    """The telephone number a ``user=phone`` SIP URI carries; None if it carries none."""
    if (uri.param("user") or "").lower() != "phone" or not uri.user:
        return None
    try:
        return _parse_subscriber(uri.user, str(uri))
    except ParseError:
        return None


def number_from_dial_text(text: str) -> str | None:
    """Digits a person typed (``+1 (555) 123-4567``) without separators; None if not a number."""
    if _DIAL_TEXT.fullmatch(text.strip()) is None:
        return None
    return re.sub(r"[\-.()\s]", "", text)
