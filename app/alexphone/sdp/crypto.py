"""SDES keys for SRTP: the ``a=crypto`` attribute (RFC 4568) and the choice of one suite.

``a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]`` (RFC 4568 §9.1), where each
key-param is ``inline:<base64 of master key || master salt>[|<lifetime>][|<MKI>:<length>]``.
An offer lists one line per suite with its own tag, in preference order; the answerer picks
one, answers with the same tag and suite and its own key (§5.1.2). Each side then sends with
its own key and receives with the peer's. Keys come from an injected ``Callable[[int], bytes]``
so tests are deterministic; production passes ``secrets.token_bytes``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from alexphone.core.errors import ParseError

__all__ = [
    "Crypto",
    "CryptoSuite",
    "KeyParam",
    "MediaEncryption",
    "SrtpKeys",
    "choose_crypto",
    "local_crypto",
    "match_answer",
    "parse_crypto_lines",
    "supported_suites_text",
]

_TAG = re.compile(r"[0-9]{1,9}")
_LIFETIME = re.compile(r"(?:2\^)?[0-9]{1,20}")
_MKI = re.compile(r"([0-9]{1,20}):([0-9]{1,3})")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class MediaEncryption(Enum):
    """Our SRTP policy (``--media-encryption``)."""

    OFF = "off"  # plain RTP; a=crypto in offers is ignored
    OPTIONAL = "optional"  # answer SDES with SRTP; offer it best-effort over TLS signaling
    MANDATORY = "mandatory"  # offer RTP/SAVP; refuse cleartext peers with 488
    DTLS = "dtls"  # offer UDP/TLS/RTP/SAVP (DTLS-SRTP); refuse anything else with 488


class CryptoSuite(Enum):
    """The SRTP crypto suites we implement (RFC 4568 §6.2, RFC 7714 §14.2)."""

    AES_CM_128_HMAC_SHA1_80 = "AES_CM_128_HMAC_SHA1_80"
    AES_CM_128_HMAC_SHA1_32 = "AES_CM_128_HMAC_SHA1_32"
    AEAD_AES_128_GCM = "AEAD_AES_128_GCM"

    @property
    def key_length(self) -> int:
        """Master key bytes."""
        return 16

    @property
    def salt_length(self) -> int:
        """Master salt bytes: 112 bits for AES-CM (RFC 3711 §8.2), 96 for GCM (RFC 7714 §12)."""
        return 12 if self is CryptoSuite.AEAD_AES_128_GCM else 14

    @property
    def master_length(self) -> int:
        """Bytes of the ``inline:`` key: master key followed by master salt."""
        return self.key_length + self.salt_length

    @classmethod
    def named(cls, name: str) -> CryptoSuite | None:
        """Return the suite called ``name`` (case-insensitive), None if we do not know it."""
        return next((s for s in cls if s.value == name.upper()), None)


def supported_suites_text() -> str:
    """Name the suites we support, for error messages and 488 reasons."""
    return ", ".join(s.value for s in CryptoSuite)


@dataclass(frozen=True, slots=True)
class KeyParam:
    """One ``inline:`` key-param: master key||salt, optional lifetime and MKI (RFC 4568 §6.1)."""

    master: bytes
    lifetime: str | None = None  # kept as written: "2^31" or decimal
    mki: tuple[int, int] | None = None  # (value, length in bytes)

    @classmethod
    def parse(cls, text: str) -> KeyParam:
        """Parse ``inline:...``; raises ParseError."""
        method, colon, info = text.partition(":")
        if not colon or method.lower() != "inline":
            raise ParseError(f"a=crypto key method {method[:20]!r} is not inline")
        parts = info.split("|")
        if len(parts) > 3 or _B64.fullmatch(parts[0]) is None:
            raise ParseError(f"bad a=crypto key {info[:60]!r}")
        try:
            master = base64.b64decode(parts[0] + "=" * (-len(parts[0]) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ParseError(f"bad base64 in a=crypto key {parts[0][:60]!r}") from None
        lifetime: str | None = None
        mki: tuple[int, int] | None = None
        for extra in parts[1:]:
            if (match := _MKI.fullmatch(extra)) is not None and mki is None:
                mki = (int(match[1]), int(match[2]))
            elif _LIFETIME.fullmatch(extra) is not None and lifetime is None and mki is None:
                lifetime = extra
            else:
                raise ParseError(f"bad a=crypto key parameter {extra[:30]!r}")
        return cls(master, lifetime, mki)

    def __str__(self) -> str:
        text = "inline:" + base64.b64encode(self.master).decode("ascii")
        if self.lifetime is not None:
            text += f"|{self.lifetime}"
        if self.mki is not None:
            text += f"|{self.mki[0]}:{self.mki[1]}"
        return text


@dataclass(frozen=True, slots=True)
class Crypto:
    """One ``a=crypto`` value (RFC 4568 §9.1); ``parse(str(c)) == c``."""

    tag: int
    suite: str  # as written; ``known_suite`` tells whether we implement it
    keys: tuple[KeyParam, ...]
    session_params: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.keys:
            raise ParseError("a=crypto needs a key")
        suite = self.known_suite
        if suite is not None and any(len(k.master) != suite.master_length for k in self.keys):
            raise ParseError(f"a=crypto {self.suite} key is not {suite.master_length} bytes")

    @classmethod
    def parse(cls, value: str) -> Crypto:
        """Parse the value after ``a=crypto:``; raises ParseError."""
        parts = value.split()
        if len(parts) < 3 or _TAG.fullmatch(parts[0]) is None:
            raise ParseError(f"bad a=crypto {value[:60]!r}")
        keys = tuple(KeyParam.parse(k) for k in parts[2].split(";"))
        return cls(int(parts[0]), parts[1], keys, tuple(parts[3:]))

    @property
    def known_suite(self) -> CryptoSuite | None:
        """The suite if we implement it, else None."""
        return CryptoSuite.named(self.suite)

    @property
    def master(self) -> bytes:
        """The first key's master key||salt."""
        return self.keys[0].master

    def __str__(self) -> str:
        keys = ";".join(str(k) for k in self.keys)
        return " ".join((str(self.tag), self.suite, keys, *self.session_params))


@dataclass(frozen=True, slots=True)
class SrtpKeys:
    """The agreed suite, the key we send with and the key the peer sends with."""

    suite: CryptoSuite
    local: bytes
    remote: bytes

    def __repr__(self) -> str:  # keys never reach logs
        return f"SrtpKeys({self.suite.value})"


def local_crypto(
    random: Callable[[int], bytes], suites: Iterable[CryptoSuite] = tuple(CryptoSuite)
) -> tuple[Crypto, ...]:
    """Return our a=crypto lines, one fresh key per suite, tags 1.. in preference order."""
    return tuple(
        Crypto(tag, suite.value, (KeyParam(random(suite.master_length)),))
        for tag, suite in enumerate(suites, start=1)
    )


def parse_crypto_lines(values: Iterable[str]) -> tuple[Crypto, ...]:
    """Parse a=crypto values, skipping malformed ones (RFC 4568 §5.1.2: ignore unusable lines)."""
    found: list[Crypto] = []
    for value in values:
        try:
            found.append(Crypto.parse(value))
        except ParseError:
            continue
    return tuple(found)


def _usable(crypto: Crypto) -> bool:
    # one key without MKI: libsrtp through pylibsrtp takes one master key per direction
    return crypto.known_suite is not None and len(crypto.keys) == 1 and crypto.keys[0].mki is None


def choose_crypto(
    offered: Iterable[Crypto], ours: tuple[Crypto, ...]
) -> tuple[Crypto, SrtpKeys] | None:
    """Pick the first offered line we can use (offer order, §5.1.2); our answer line and keys."""
    for theirs in offered:
        suite = theirs.known_suite
        mine = next((c for c in ours if c.known_suite is suite), None)
        if suite is None or mine is None or not _usable(theirs) or theirs.session_params:
            continue
        answer = Crypto(theirs.tag, theirs.suite, mine.keys)
        return answer, SrtpKeys(suite, mine.master, theirs.master)
    return None


def match_answer(offered: Iterable[Crypto], answered: Iterable[Crypto]) -> SrtpKeys | None:
    """Read the answer's a=crypto against our offer: same tag and suite (RFC 4568 §5.1.3)."""
    mine = {c.tag: c for c in offered}
    for theirs in answered:
        ours = mine.get(theirs.tag)
        suite = theirs.known_suite
        if ours is not None and suite is not None and ours.known_suite is suite and _usable(theirs):
            return SrtpKeys(suite, ours.master, theirs.master)
    return None
