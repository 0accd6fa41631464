"""DTLS-SRTP in SDP: ``a=fingerprint`` (RFC 8122), ``a=setup`` (RFC 4145) and the roles.

The offerer writes ``a=setup:actpass`` (RFC 5763 §5); the answerer picks ``active`` (it
starts the handshake as DTLS client, which lets the handshake run while the answer is on its
way, so RFC 5763 recommends it) unless the offer says ``active``, when it must be ``passive``.
Both sides write the fingerprint of their self-signed certificate and check the peer's
certificate against the peer's fingerprint once the handshake is done (RFC 5763 §6.2); only
``sha-256`` is written, and any hash the peer names is read. The profiles are
``UDP/TLS/RTP/SAVP`` and ``UDP/TLS/RTP/SAVPF`` (RFC 5764 §8); a best-effort offer carries the
same two attributes on ``RTP/AVP``, where a peer without DTLS ignores them (RFC 8866 §5.13).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from alexphone.core.errors import ParseError
from alexphone.sdp.attribute import Attribute
from alexphone.sdp.session import Media, SessionDescription

__all__ = [
    "DTLS_PROTOS",
    "DtlsParams",
    "DtlsRole",
    "Fingerprint",
    "Setup",
    "answer_dtls",
    "answer_setup",
    "applied_dtls",
    "dtls_attributes",
    "offers_dtls",
    "parse_fingerprints",
    "role_of",
]

DTLS_PROTOS = ("UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF")  # RFC 5764 §8
HASH_LENGTHS = {"sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64}
_HEX_PAIRS = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){0,63}")


class Setup(Enum):
    """The ``a=setup`` values (RFC 4145 §4)."""

    ACTPASS = "actpass"  # the offerer: either role
    ACTIVE = "active"  # starts the handshake (DTLS client)
    PASSIVE = "passive"  # waits for it (DTLS server)
    HOLDCONN = "holdconn"  # no connection for now

    @classmethod
    def parse(cls, text: str) -> Setup:
        """Read an ``a=setup`` value; raises ParseError."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ParseError(f"bad a=setup {text[:20]!r}") from None


class DtlsRole(Enum):
    """Our side of the DTLS handshake."""

    CLIENT = "client"  # a=setup:active
    SERVER = "server"  # a=setup:passive (or actpass, answered active)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One ``a=fingerprint`` value: hash function and certificate digest (RFC 8122 §5)."""

    algorithm: str  # lower case, e.g. "sha-256"
    digest: bytes

    def __post_init__(self) -> None:
        wanted = HASH_LENGTHS.get(self.algorithm)
        if wanted is not None and len(self.digest) != wanted:
            raise ParseError(f"a=fingerprint {self.algorithm} is not {wanted} bytes")

    @classmethod
    def parse(cls, value: str) -> Fingerprint:
        """Parse ``sha-256 AB:CD:...``; raises ParseError."""
        parts = value.split()
        if len(parts) != 2 or _HEX_PAIRS.fullmatch(parts[1]) is None:
            raise ParseError(f"bad a=fingerprint {value[:60]!r}")
        return cls(parts[0].lower(), bytes.fromhex(parts[1].replace(":", "")))

    def __str__(self) -> str:
        return f"{self.algorithm} {self.digest.hex(':').upper()}"


@dataclass(frozen=True, slots=True)
class DtlsParams:
    """What offer/answer agreed for DTLS-SRTP: our role and the peer's certificate digests."""

    role: DtlsRole
    fingerprints: tuple[Fingerprint, ...]


def parse_fingerprints(values: Iterable[str]) -> tuple[Fingerprint, ...]:
    """Parse a=fingerprint values, skipping malformed ones."""
    found: list[Fingerprint] = []
    for value in values:
        try:
            found.append(Fingerprint.parse(value))
        except ParseError:
            continue
    return tuple(found)


def answer_setup(offered: Setup) -> Setup | None:
    """Our a=setup in an answer to ``offered`` (RFC 5763 §5); None: no usable role."""
    if offered in (Setup.ACTPASS, Setup.PASSIVE):
        return Setup.ACTIVE
    if offered is Setup.ACTIVE:
        return Setup.PASSIVE
    return None


def role_of(ours: Setup) -> DtlsRole:
    """The handshake role our a=setup gives us (active is the client)."""
    return DtlsRole.CLIENT if ours is Setup.ACTIVE else DtlsRole.SERVER


def dtls_attributes(fingerprint: Fingerprint, setup: Setup) -> list[Attribute]:
    """Our two DTLS-SRTP attributes for one m= section."""
    return [Attribute("fingerprint", str(fingerprint)), Attribute("setup", setup.value)]


def _of(sd: SessionDescription, media: Media, name: str) -> tuple[str, ...]:
    """A stream's values of ``name``: media level, else session level (RFC 8122 §5)."""
    return media.attributes_named(name) or tuple(v for v in [sd.attribute(name)] if v is not None)


def offers_dtls(sd: SessionDescription, media: Media) -> bool:
    """Tell whether a stream carries DTLS-SRTP: a UDP/TLS profile or both attributes."""
    if media.proto.upper() in DTLS_PROTOS:
        return True
    return bool(_of(sd, media, "fingerprint")) and bool(_of(sd, media, "setup"))


def answer_dtls(
    offer: SessionDescription, media: Media, ours: Fingerprint
) -> tuple[list[Attribute], DtlsParams] | str:
    """Our attributes and the agreed DTLS for an offered stream, or why we cannot."""
    fingerprints = parse_fingerprints(_of(offer, media, "fingerprint"))
    if not fingerprints:
        return "DTLS-SRTP offered without a readable a=fingerprint"
    setups = _of(offer, media, "setup")
    try:
        offered = Setup.parse(setups[0]) if setups else Setup.ACTIVE  # RFC 4145 §4 default
    except ParseError as exc:
        return str(exc)
    setup = answer_setup(offered)
    if setup is None:
        return f"DTLS-SRTP offered with a=setup:{offered.value}"
    return dtls_attributes(ours, setup), DtlsParams(role_of(setup), fingerprints)


def applied_dtls(answer: SessionDescription, media: Media) -> DtlsParams | str | None:
    """The DTLS the answer agreed to our actpass offer; None if it took none, str if bad."""
    fingerprints = parse_fingerprints(_of(answer, media, "fingerprint"))
    setups = _of(answer, media, "setup")
    if not fingerprints and not setups:
        return None
    if not fingerprints:
        return "the answer's a=setup comes without a readable a=fingerprint"
    try:
        theirs = Setup.parse(setups[0]) if setups else Setup.ACTIVE  # RFC 4145 §4 default
    except ParseError as exc:
        return str(exc)
    if theirs not in (Setup.ACTIVE, Setup.PASSIVE):
        return f"the answer says a=setup:{theirs.value}, not active or passive"
    role = DtlsRole.SERVER if theirs is Setup.ACTIVE else DtlsRole.CLIENT
    return DtlsParams(role, fingerprints)
