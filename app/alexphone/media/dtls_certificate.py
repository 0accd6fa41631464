"""The self-signed certificate a phone shows in DTLS-SRTP handshakes (RFC 5763 §5).

Nobody checks it against a CA: the peer compares its digest with the ``a=fingerprint`` we put
in the SDP, so one ECDSA P-256 key and certificate per phone, made at start, is enough (the
same choice as browsers). ``cryptography`` builds it; the wall clock is injected so tests can
make one that has expired.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alexphone.sdp.dtls import Fingerprint

__all__ = ["DtlsCertificate", "certificate_fingerprint"]

VALIDITY = datetime.timedelta(days=30)
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha-1": hashes.SHA1,
    "sha-224": hashes.SHA224,
    "sha-256": hashes.SHA256,
    "sha-384": hashes.SHA384,
    "sha-512": hashes.SHA512,
}


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def certificate_fingerprint(certificate: x509.Certificate, algorithm: str) -> Fingerprint | None:
    """The digest of ``certificate`` by an a=fingerprint hash name; None for an unknown hash."""
    make = _HASHES.get(algorithm.lower())
    if make is None:
        return None
    return Fingerprint(algorithm.lower(), certificate.fingerprint(make()))


@dataclass(frozen=True, slots=True)
class DtlsCertificate:
    """A private key and its self-signed certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def generate(cls, now: Callable[[], datetime.datetime] = _utcnow) -> DtlsCertificate:
        """Make a fresh P-256 key and a certificate valid from a day ago for ``VALIDITY``."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(8))])
        start = now() - datetime.timedelta(days=1)  # a peer's clock may be behind ours
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + VALIDITY)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @property
    def fingerprint(self) -> Fingerprint:
        """The sha-256 a=fingerprint of our certificate."""
        found = certificate_fingerprint(self.certificate, "sha-256")
        assert found is not None
        return found

    def __repr__(self) -> str:  # the key never reaches logs
        return f"DtlsCertificate({self.fingerprint})"
