"""Checking Digest credentials on the server side (RFC 3261 §22.4, RFC 7616 §3.4).

Used by a registrar or a phone that challenges its callers; the client side (answering
challenges) lives in ``auth.py``. Nonce freshness is the caller's business.
"""

from __future__ import annotations

import hmac
import re

from alexphone.core.errors import ParseError
from alexphone.sip.auth import (
    Authorization,
    UnsupportedChallengeError,
    compute_response,
    hash_username,
)

__all__ = ["verify"]

# RFC 7616 §3.4: nc is exactly eight hex digits
_NONCE_COUNT = re.compile(r"[0-9A-Fa-f]{8}")


def verify(
    authorization: str,
    method: str,
    password: str,
    *,
    username: str | None = None,
    body: bytes = b"",
) -> bool:
    """Tell whether an Authorization value is right for ``password`` (server side).

    With ``username`` the claimed user must match too (needed when ``userhash=true``).
    Nonce freshness is the caller's business.
    """
    try:
        creds = Authorization.parse(authorization)
    except (ParseError, UnsupportedChallengeError):
        return False
    if creds.qop is not None and (creds.qop not in ("auth", "auth-int") or not creds.cnonce):
        return False
    if creds.qop is not None and _NONCE_COUNT.fullmatch(creds.nc) is None:
        return False
    real_name = creds.username
    if creds.userhash:
        if username is None:
            return False
        expected_name = hash_username(username, creds.realm, creds.algorithm)
        if not hmac.compare_digest(creds.username, expected_name):
            return False
        real_name = username
    elif username is not None and username != creds.username:
        return False
    expected = compute_response(
        algorithm=creds.algorithm,
        username=real_name,
        realm=creds.realm,
        password=password,
        method=method,
        uri=creds.uri,
        nonce=creds.nonce,
        qop=creds.qop,
        nc=creds.nc,
        cnonce=creds.cnonce,
        body=body,
    )
    return hmac.compare_digest(expected, creds.response.lower())
