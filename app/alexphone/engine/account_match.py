"""Which of our accounts a request belongs to: the one it came to, or the one it comes from.

An incoming INVITE names its account by where the proxy sent it (RFC 3261 §16.5: the
Request-URI is our AoR, or the Contact we registered for it, §10.3 step 8), and by the AoR
in To (§8.2.2.1 leaves To alone on the way). Our own requests name theirs in From.
These are pure functions of URIs: unit tests feed them addresses, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alexphone.engine.settings import AccountSettings
from alexphone.sip.uri import SipUri, Uri


def _same_address(uri: Uri, aor: SipUri) -> bool:
    """Tell whether ``uri`` is ``aor``'s user at ``aor``'s host (schemes and params aside)."""
    if not isinstance(uri, SipUri) or uri.user is None or aor.user is None:
        return False
    return uri.user == aor.user and uri.host.lower().rstrip(".") == aor.host.lower().rstrip(".")


def _same_contact(uri: Uri, contact: SipUri) -> bool:
    """Tell whether ``uri`` is the Contact we registered: user, host and port (§19.1.4)."""
    if not isinstance(uri, SipUri):
        return False
    ports = (uri.port or 5060, contact.port or 5060)
    return (
        uri.user == contact.user
        and uri.host.lower() == contact.host.lower()
        and ports[0] == ports[1]
    )


def account_of_address(uri: Uri, accounts: Sequence[AccountSettings]) -> AccountSettings | None:
    """Return the account whose AoR ``uri`` is (user and domain), None if none is."""
    return next((a for a in accounts if _same_address(uri, a.aor)), None)


def account_called(
    request_uri: Uri,
    to: Uri,
    accounts: Sequence[AccountSettings],
    contacts: Mapping[str, SipUri],
) -> AccountSettings | None:
    """Return the account an incoming request came to, None when it came to none of them.

    In order: the Request-URI is an AoR; it is the Contact an account registered
    (``contacts`` by account key); To is an AoR; the Request-URI's user is one account's.
    """
    found = account_of_address(request_uri, accounts)
    if found is not None:
        return found
    for account in accounts:
        contact = contacts.get(account.key)
        if contact is not None and _same_contact(request_uri, contact):
            return account
    found = account_of_address(to, accounts)
    if found is not None:
        return found
    user = request_uri.user if isinstance(request_uri, SipUri) else None
    same_user = [a for a in accounts if user is not None and a.aor.user == user]
    return same_user[0] if len(same_user) == 1 else None


def account_calling(from_: Uri, accounts: Sequence[AccountSettings]) -> AccountSettings | None:
    """Return the account one of our requests goes out for (its From), else the first one."""
    found = account_of_address(from_, accounts)
    if found is not None or not accounts:
        return found
    return accounts[0]
