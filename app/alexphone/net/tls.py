"""TLS settings for SIP over TLS (RFC 3261 §26.3.1, RFC 5922): contexts built once, verified."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from alexphone.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """Where our certificate lives and whom we trust; verification is on unless turned off."""

    certificate: Path | None = None  # PEM chain presented by our TLS listeners
    private_key: Path | None = None
    ca_file: Path | None = None  # extra trust anchors (e.g. a private registrar's CA)
    verify: bool = True

    def server_context(self) -> ssl.SSLContext | None:
        """Return the context for TLS listeners, None when no certificate is configured."""
        if self.certificate is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(self.certificate, self.private_key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"--tls-cert {self.certificate}: cannot load it ({exc})") from None
        return context

    def client_context(self) -> ssl.SSLContext:
        """Return the context for outbound TLS: system trust plus ``ca_file``, TLS 1.2+."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.ca_file is not None:
            try:
                context.load_verify_locations(cafile=self.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"--tls-ca {self.ca_file}: cannot load it ({exc})") from None
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context
