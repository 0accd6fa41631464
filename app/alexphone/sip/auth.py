"""Digest access authentication for SIP (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760).

Theory of operation: a 401/407 carries one or more challenges (``WWW-Authenticate`` /
``Proxy-Authenticate``). ``parse_challenges`` turns a header value into ``Challenge``
values (unsupported schemes and algorithms are skipped), ``choose_challenge`` keeps the
strongest per realm, and ``build_authorization`` renders the credentials. ``DigestClient``
wraps this for one registration or dialog: it counts nonce uses, draws cnonces from an
injected ``IdFactory`` and refuses to answer a realm that already rejected its credentials,
so a wrong password ends in one failed retry instead of a loop.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Self

from alexphone.core.errors import LocalProtocolError, ParseError, RemoteProtocolError
from alexphone.core.ids import IdFactory
from alexphone.sip.grammar import TOKEN, quote_string, quoted_end, split_values, unquote_string
from alexphone.sip.headers import CSeq, Via
from alexphone.sip.message import Headers, Request, Response

__all__ = [
    "Algorithm",
    "Authorization",
    "Challenge",
    "DigestClient",
    "DigestCredentials",
    "UnsupportedChallengeError",
    "build_authorization",
    "choose_challenge",
    "compute_response",
    "hash_username",
    "parse_auth_params",
    "parse_challenges",
]

_WS = re.compile(r"[ \t\r\n]*")
_SEPARATORS = re.compile(r"[ \t\r\n,]*")
# RFC 7235 §2.1 token68 (used by non-Digest schemes): skipped, never interpreted
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(?:,|$))")
# Unquoted values: RFC 3261 §25.1 token; tolerate base64-ish nonces some servers leave bare
_BARE_VALUE = re.compile(r'[^\s,"]+')


class UnsupportedChallengeError(RemoteProtocolError):
    """A challenge uses a scheme, algorithm or qop this client cannot answer."""

    def __init__(self, message: str, scheme: str) -> None:
        super().__init__(message)
        self.scheme = scheme


class Algorithm(Enum):
    """Digest algorithms (RFC 7616 §3.3), strongest last in ``strength`` order."""

    MD5 = "MD5"
    MD5_SESS = "MD5-sess"
    SHA256 = "SHA-256"
    SHA256_SESS = "SHA-256-sess"

    @classmethod
    def from_text(cls, text: str) -> Algorithm:
        """Return the algorithm named ``text`` (any case); UnsupportedChallengeError if unknown."""
        for algorithm in cls:
            if algorithm.value.lower() == text.lower():
                return algorithm
        raise UnsupportedChallengeError(f"Unsupported digest algorithm {text[:40]!r}", "Digest")

    @property
    def session(self) -> bool:
        """Tell whether HA1 mixes in nonce and cnonce (the ``-sess`` variants)."""
        return self.value.endswith("-sess")

    @property
    def strength(self) -> int:
        """Preference rank: RFC 8760 §2.1 wants SHA-256 chosen over MD5."""
        return 2 if self in (Algorithm.SHA256, Algorithm.SHA256_SESS) else 1

    def hash(self, text: str) -> str:
        """Return the lower-case hex digest of ``text`` (UTF-8, RFC 7616 §3.4.1)."""
        return self.hash_bytes(text.encode("utf-8"))

    def hash_bytes(self, data: bytes) -> str:
        """Return the lower-case hex digest of ``data``."""
        name = "sha256" if self.strength == 2 else "md5"
        return hashlib.new(name, data).hexdigest()


@dataclass(frozen=True, slots=True)
class DigestCredentials:
    """A username and password, optionally bound to one realm."""

    username: str
    password: str = field(repr=False)  # never in logs (docs/ARCHITECTURE.md "Profile and data")
    realm: str | None = None


def _skip(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Return the index after what ``pattern`` (which may match empty) matches at ``pos``."""
    match = pattern.match(text, pos)
    return pos if match is None else match.end()


def parse_auth_params(value: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Split a challenge/credentials header value into (scheme, [(name, value)...]) items.

    Names are lower-cased; quoted values are unquoted. Several challenges may share one
    value (RFC 7235 §4.1); a token68 after a scheme is skipped. Raises ParseError.
    """
    items: list[tuple[str, list[tuple[str, str]]]] = []
    current: list[tuple[str, str]] | None = None
    pos, end = 0, len(value)
    while True:
        pos = _skip(_SEPARATORS, value, pos)
        if pos >= end:
            return items
        token = TOKEN.match(value, pos)
        if token is None:
            raise ParseError(f"Unexpected {value[pos]!r} in authentication header")
        after = _skip(_WS, value, token.end())
        if after < end and value[after] == "=":
            if current is None:
                raise ParseError("Authentication parameter before the scheme")
            pos = _skip(_WS, value, after + 1)
            if pos < end and value[pos] == '"':
                stop = quoted_end(value, pos)
                param_value = unquote_string(value[pos:stop])
            else:
                bare = _BARE_VALUE.match(value, pos)
                if bare is None:
                    raise ParseError(f"Missing value for {token.group()!r}")
                stop, param_value = bare.end(), bare.group()
            current.append((token.group().lower(), param_value))
            pos = _skip(_WS, value, stop)
            if pos < end and value[pos] != ",":
                raise ParseError(f"Expected ',' after {token.group()!r}")
        else:
            current = []
            items.append((token.group(), current))
            skipped = _TOKEN68.match(value, after)
            pos = skipped.end() if skipped is not None else after


def _lookup(params: list[tuple[str, str]], name: str) -> str | None:
    """Return the first value of ``name`` in parsed auth params."""
    return next((value for key, value in params if key == name), None)


@dataclass(frozen=True, slots=True)
class Challenge:
    """One Digest challenge (RFC 3261 §22.1, RFC 7616 §3.3)."""

    realm: str
    nonce: str
    algorithm: Algorithm = Algorithm.MD5
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False
    domain: str | None = None
    userhash: bool = False

    @classmethod
    def from_params(cls, scheme: str, params: list[tuple[str, str]]) -> Self:
        """Build a challenge from parsed params; UnsupportedChallengeError unless Digest."""
        if scheme.lower() != "digest":
            raise UnsupportedChallengeError(f"Unsupported authentication scheme {scheme!r}", scheme)
        realm, nonce = _lookup(params, "realm"), _lookup(params, "nonce")
        if realm is None or nonce is None:
            raise ParseError("Digest challenge without realm or nonce")
        algorithm = Algorithm.from_text(_lookup(params, "algorithm") or "MD5")
        qop_text = _lookup(params, "qop")
        qop = tuple(q.strip().lower() for q in (qop_text or "").split(",") if q.strip())
        if qop and not {"auth", "auth-int"} & set(qop):
            raise UnsupportedChallengeError(f"Unsupported qop {qop_text!r}", scheme)
        return cls(
            realm=realm,
            nonce=nonce,
            algorithm=algorithm,
            qop=qop,
            opaque=_lookup(params, "opaque"),
            stale=(_lookup(params, "stale") or "").lower() == "true",
            domain=_lookup(params, "domain"),
            userhash=(_lookup(params, "userhash") or "").lower() == "true",
        )

    @classmethod
    def parse(cls, value: str) -> Self:
        """Parse a value holding exactly one challenge; ParseError or UnsupportedChallengeError."""
        items = parse_auth_params(value)
        if len(items) != 1:
            raise ParseError(f"Expected one challenge, found {len(items)}")
        return cls.from_params(*items[0])


def parse_challenges(values: Iterable[str]) -> list[Challenge]:
    """Return every supported Digest challenge in header ``values``, skipping the others."""
    challenges: list[Challenge] = []
    for value in values:
        try:
            items = parse_auth_params(value)
        except ParseError:
            continue
        for scheme, params in items:
            try:
                challenges.append(Challenge.from_params(scheme, params))
            except (ParseError, UnsupportedChallengeError):
                continue
    return challenges


def choose_challenge(challenges: Iterable[Challenge], realm: str | None = None) -> Challenge | None:
    """Return the strongest challenge (first offered wins a tie), optionally for one realm."""
    best: Challenge | None = None
    for challenge in challenges:
        if realm is not None and challenge.realm != realm:
            continue
        if best is None or challenge.algorithm.strength > best.algorithm.strength:
            best = challenge
    return best


def _choose_qop(offered: tuple[str, ...]) -> str | None:
    """Prefer qop=auth (widest support), else auth-int, else RFC 2069 mode."""
    if not offered:
        return None
    return "auth" if "auth" in offered else "auth-int"


def hash_username(username: str, realm: str, algorithm: Algorithm) -> str:
    """The userhash form of a user name: H(username ":" realm) (RFC 7616 §3.4.4)."""
    return algorithm.hash(f"{username}:{realm}")


def compute_response(
    *,
    algorithm: Algorithm,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None = None,
    nc: str = "",
    cnonce: str = "",
    body: bytes = b"",
) -> str:
    """Return the request-digest hex string (RFC 2617 §3.2.2, RFC 7616 §3.4.1)."""
    ha1 = algorithm.hash(f"{username}:{realm}:{password}")
    if algorithm.session:  # RFC 7616 §3.4.2
        ha1 = algorithm.hash(f"{ha1}:{nonce}:{cnonce}")
    if qop == "auth-int":  # RFC 7616 §3.4.3: H(method:uri:H(entity-body))
        ha2 = algorithm.hash(f"{method}:{uri}:{algorithm.hash_bytes(body)}")
    else:
        ha2 = algorithm.hash(f"{method}:{uri}")
    if qop is None:  # RFC 2069 compatibility (RFC 2617 §3.2.2.1)
        return algorithm.hash(f"{ha1}:{nonce}:{ha2}")
    return algorithm.hash(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def build_authorization(
    method: str,
    uri: str,
    credentials: DigestCredentials,
    challenge: Challenge,
    *,
    nc: int = 1,
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """Return an Authorization/Proxy-Authorization value answering ``challenge``."""
    qop = _choose_qop(challenge.qop)
    if (qop is not None or challenge.algorithm.session) and not cnonce:
        raise LocalProtocolError("A cnonce is needed for qop or -sess algorithms")
    nc_text = f"{nc:08x}"
    response = compute_response(
        algorithm=challenge.algorithm,
        username=credentials.username,
        realm=challenge.realm,
        password=credentials.password,
        method=method,
        uri=uri,
        nonce=challenge.nonce,
        qop=qop,
        nc=nc_text,
        cnonce=cnonce or "",
        body=body,
    )
    username = credentials.username
    if challenge.userhash:
        username = hash_username(username, challenge.realm, challenge.algorithm)
    # RFC 3261 §25.1: username, realm, nonce, uri, response, cnonce, opaque quoted; rest tokens
    parts = [
        f"username={quote_string(username)}",
        f"realm={quote_string(challenge.realm)}",
        f"nonce={quote_string(challenge.nonce)}",
        f"uri={quote_string(uri)}",
        f"response={quote_string(response)}",
        f"algorithm={challenge.algorithm.value}",
    ]
    if cnonce and (qop is not None or challenge.algorithm.session):
        parts.append(f"cnonce={quote_string(cnonce)}")
    if challenge.opaque is not None:
        parts.append(f"opaque={quote_string(challenge.opaque)}")
    if qop is not None:
        parts += [f"qop={qop}", f"nc={nc_text}"]
    if challenge.userhash:
        parts.append("userhash=true")
    return "Digest " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Authorization:
    """Parsed Digest credentials from an Authorization header (RFC 3261 §22.2)."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: Algorithm = Algorithm.MD5
    qop: str | None = None
    nc: str = ""
    cnonce: str = ""
    opaque: str | None = None
    userhash: bool = False

    @classmethod
    def parse(cls, value: str) -> Self:
        """Parse one Digest credentials value; ParseError or UnsupportedChallengeError."""
        items = parse_auth_params(value)
        if len(items) != 1:
            raise ParseError(f"Expected one credentials value, found {len(items)}")
        scheme, params = items[0]
        if scheme.lower() != "digest":
            raise UnsupportedChallengeError(f"Unsupported authentication scheme {scheme!r}", scheme)
        required = {name: _lookup(params, name) for name in ("username", "realm", "nonce")}
        required |= {name: _lookup(params, name) for name in ("uri", "response")}
        missing = [name for name, found in required.items() if found is None]
        if missing:
            raise ParseError(f"Digest credentials without {', '.join(missing)}")
        qop = _lookup(params, "qop")
        return cls(
            username=required["username"] or "",
            realm=required["realm"] or "",
            nonce=required["nonce"] or "",
            uri=required["uri"] or "",
            response=required["response"] or "",
            algorithm=Algorithm.from_text(_lookup(params, "algorithm") or "MD5"),
            qop=qop.lower() if qop is not None else None,
            nc=_lookup(params, "nc") or "",
            cnonce=_lookup(params, "cnonce") or "",
            opaque=_lookup(params, "opaque"),
            userhash=(_lookup(params, "userhash") or "").lower() == "true",
        )


# RFC 3261 §22.2 / §22.3: header names for a 401 and a 407
_HEADER_NAMES = {
    401: ("WWW-Authenticate", "Authorization"),
    407: ("Proxy-Authenticate", "Proxy-Authorization"),
}


def _realm_of(value: str) -> str | None:
    """Return the realm of a credentials value we may have sent, None if unreadable."""
    try:
        return Authorization.parse(value).realm
    except (ParseError, UnsupportedChallengeError):
        return None


class DigestClient:
    """Answers 401/407 challenges for one registration or dialog (RFC 3261 §22.2, §22.3)."""

    def __init__(self, credentials: DigestCredentials, ids: IdFactory) -> None:
        self.credentials = credentials
        self._ids = ids
        self._nonce_counts: dict[str, int] = {}

    def answer(self, method: str, uri: str, challenge: Challenge, body: bytes = b"") -> str:
        """Return a credentials value for ``challenge``, counting this use of its nonce."""
        # RFC 7616 §3.4: nc counts the requests sent with one nonce, starting at 1
        count = self._nonce_counts.get(challenge.nonce, 0) + 1
        self._nonce_counts[challenge.nonce] = count
        return build_authorization(
            method,
            uri,
            self.credentials,
            challenge,
            nc=count,
            cnonce=self._ids.token(16),
            body=body,
        )

    def authorize(self, request: Request, response: Response) -> Request | None:
        """Return ``request`` resent with credentials, or None when it must not be retried.

        None means: no answerable challenge, or a realm rejected the credentials the request
        already carried and did not say ``stale=true`` (RFC 3261 §22.2: a wrong password).
        The copy gets a CSeq one higher and a new Via branch (RFC 3261 §8.1.3.5).
        """
        names = _HEADER_NAMES.get(response.status)
        if names is None:
            return None
        challenge_name, answer_name = names
        challenges = parse_challenges(response.headers.get_fields(challenge_name))
        realms = list(dict.fromkeys(challenge.realm for challenge in challenges))
        if self.credentials.realm is not None:
            realms = [realm for realm in realms if realm == self.credentials.realm]
        if not realms:
            return None
        sent = request.headers.get_fields(answer_name)
        already_answered = {_realm_of(value) for value in sent}
        chosen: list[Challenge] = []
        for realm in realms:
            challenge = choose_challenge(challenges, realm)
            if challenge is None:  # pragma: no cover - realms come from challenges
                continue
            if realm in already_answered and not challenge.stale:
                return None
            chosen.append(challenge)
        answered = {challenge.realm for challenge in chosen}
        uri = str(request.uri)
        values = [self.answer(request.method, uri, c, request.body) for c in chosen]
        return _resend(request, self._ids.branch(), answer_name, answered, values)


def _resend(
    request: Request, branch: str, answer_name: str, replaced_realms: set[str], values: list[str]
) -> Request:
    """Copy ``request`` with a new top-Via branch, CSeq + 1 and fresh credentials fields."""
    answer_key = answer_name.lower()
    cseq = request.cseq
    fields: list[tuple[str, str]] = []
    via_done = False
    for name, value in request.headers.fields():
        key = name.lower()
        if key == "via" and not via_done:
            parts = split_values(value)
            parts[0] = str(Via.parse(parts[0]).with_params(branch=branch))
            value, via_done = ", ".join(parts), True
        elif key == "cseq":
            value = str(CSeq(cseq.seq + 1, cseq.method))
        elif key == answer_key and _realm_of(value) in replaced_realms:
            continue
        fields.append((name, value))
    fields += [(answer_name, value) for value in values]
    return Request(request.method, request.uri, Headers(fields), request.body, request.version)
