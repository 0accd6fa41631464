"""What dialled text calls: a SIP URI, a tel: URI (RFC 3966) or a number at the account's domain.

The dial box, ``alexphone call`` and a link handed over by a second launch all reach the
engine as text; this is the one place that turns it into a Request-URI. A telephone number
is called through the account's domain as ``sip:NUMBER@DOMAIN;user=phone`` (RFC 3261
§19.1.6); without an account there is nowhere to send it, which the error says.
"""

from __future__ import annotations

from alexphone.core.errors import ConfigError, ParseError
from alexphone.engine.settings import AccountSettings, sip_uri_option
from alexphone.sip.tel_uri import TelUri, number_from_dial_text, parse_tel_uri, tel_to_sip_uri
from alexphone.sip.uri import SipUri

__all__ = ["dial_target", "is_telephone_number"]


def is_telephone_number(text: str) -> bool:
    """Tell whether ``text`` is a tel: URI or a global number, never a LAN peer's name."""
    stripped = text.strip()
    if stripped.lower().startswith("tel:"):
        return True
    number = number_from_dial_text(stripped)
    return number is not None and number.startswith("+")


def dial_target(text: str, account: AccountSettings | None) -> SipUri:
    """Return the Request-URI that calls ``text``; ConfigError (one line) if nothing can."""
    text = text.strip()
    if text.lower().startswith("tel:"):
        try:
            tel = parse_tel_uri(text)
        except ParseError as exc:
            raise ConfigError(f"{text}: not a telephone number ({exc})") from None
        return _through_account(tel, text, account)
    if "@" not in text and ":" not in text:
        number = number_from_dial_text(text)
        if number is not None and number.startswith("+"):
            return _through_account(TelUri(number), text, account)
        if account is not None:  # a local number or a name at the account's domain
            return SipUri(host=account.aor.host, user=number or text, port=account.aor.port)
    return sip_uri_option(text, "call")


def _through_account(tel: TelUri, text: str, account: AccountSettings | None) -> SipUri:
    if account is None:
        raise ConfigError(
            f"{text}: a telephone number is called through a SIP account; add one"
            " (--account sip:user@domain, or Phone → Accounts & settings)"
        )
    aor = account.aor
    return tel_to_sip_uri(tel, aor.host, aor.port, aor.scheme)
