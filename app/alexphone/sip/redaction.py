"""Secrets taken out of SIP message text before it is shown or logged.

What a message carries that must not reach a log, an event or the SIP log view: the digest
``response`` (and ``cnonce``) of Authorization / Proxy-Authorization (RFC 3261 §22.4: an
offline dictionary attack recovers the password from it), the ALEX ``pwd`` (docs/ALEX.md
"Headers": it authenticates the checks), ICE's ``a=ice-pwd`` (RFC 8839 §5.4) and the SDES
master keys of ``a=crypto`` (RFC 4568 §6.1). Everything else of the message stays, so the
log still explains a failure. Works on text, so a message that does not parse is redacted
all the same.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "redact_secrets"]

REDACTED = "<redacted>"

_FOLDED = r"(.*(?:\r?\n[ \t].*)*)"  # the value and its continuation lines (RFC 3261 §7.3.1)
_AUTH_LINE = re.compile(r"(?im)^((?:proxy-)?authorization[ \t]*:)" + _FOLDED)
_AUTH_PARAM = re.compile(r'(?i)\b(response|cnonce)([ \t]*=[ \t]*)("[^"]*"|[^\s,]+)')
_ALEX_LINE = re.compile(r"(?im)^(alex-session[ \t]*:)" + _FOLDED)
_ALEX_PWD = re.compile(r"(?i)(\bpwd[ \t]*=[ \t]*)[^\s;,]+")
_ICE_PWD = re.compile(r"(?im)^(a=ice-pwd:)[^\r\n]*")
_CRYPTO_KEY = re.compile(r"(?i)(\binline:)[^|\s;]+")  # the key||salt, lifetime and MKI stay


def redact_secrets(text: str) -> str:
    """Return ``text`` with digest responses, ALEX/ICE passwords and SDES keys replaced."""
    text = _AUTH_LINE.sub(lambda m: m[1] + _AUTH_PARAM.sub(rf"\1\2{REDACTED}", m[2]), text)
    text = _ALEX_LINE.sub(lambda m: m[1] + _ALEX_PWD.sub(rf"\1{REDACTED}", m[2]), text)
    text = _ICE_PWD.sub(rf"\1{REDACTED}", text)
    return _CRYPTO_KEY.sub(rf"\1{REDACTED}", text)
