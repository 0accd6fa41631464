"""The TXT record of a SIP DNS-SD service (RFC 6763 §6, keys per docs/ARCHITECTURE.md "Discovery").

Encoding is strict (we only publish what we can parse back); decoding is
lenient: a foreign phone's TXT may hold anything, so a malformed key or value
is dropped with a debug log and the rest of the record is still used.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from alexphone.core.errors import ConfigError, ParseError
from alexphone.sip.uri import parse_sip_uri

log = logging.getLogger(__name__)

TXT_VERSION = "1"
MAX_STRING = 255  # RFC 6763 §6.1: each string is length-prefixed by one octet


class PeerRole(Enum):
    """What a DNS-SD peer offers."""

    UA = "ua"
    PROXY = "proxy"
    REGISTRAR = "registrar"


@dataclass(frozen=True, slots=True)
class TxtRecord:
    """The keys a SIP service publishes; every field may be empty in a foreign record."""

    user: str = ""
    name: str = ""
    contact: str = ""  # a sip:/sips: URI
    instance: str = ""  # urn:uuid:...
    alex: bool = False
    role: PeerRole = PeerRole.UA
    txtvers: str = TXT_VERSION

    def to_properties(self) -> dict[str, str]:
        """Return the key/value pairs to publish; ConfigError if one would not fit."""
        properties = {"txtvers": self.txtvers}
        for key, value in (
            ("user", self.user),
            ("name", self.name),
            ("contact", self.contact),
            ("instance", self.instance),
        ):
            if value:
                properties[key] = value
        if self.alex:
            properties["alex"] = "1"
        properties["role"] = self.role.value
        for key, value in properties.items():
            if len(key.encode()) + 1 + len(value.encode()) > MAX_STRING:
                raise ConfigError(f"TXT {key}= is longer than {MAX_STRING} bytes")
        return properties

    @classmethod
    def from_properties(cls, properties: Mapping[bytes, bytes | None]) -> TxtRecord:
        """Decode a received TXT record, dropping malformed keys and values (debug log)."""
        fields: dict[str, str] = {}
        for raw_key, raw_value in properties.items():
            try:
                key = raw_key.decode("ascii").lower()  # RFC 6763 §6.4: keys are ASCII, no case
                value = "" if raw_value is None else raw_value.decode("utf-8")
            except UnicodeDecodeError:
                log.debug("TXT: dropped undecodable pair %r=%r", raw_key, raw_value)
                continue
            if key and key not in fields:  # RFC 6763 §6.4: only the first occurrence counts
                fields[key] = value
        return cls(
            user=fields.get("user", ""),
            name=fields.get("name", ""),
            contact=_checked_contact(fields.get("contact", "")),
            instance=fields.get("instance", ""),
            alex=fields.get("alex", "") == "1",
            role=_role(fields.get("role", "")),
            txtvers=fields.get("txtvers", ""),
        )


def _checked_contact(text: str) -> str:
    if not text:
        return ""
    try:
        parse_sip_uri(text)
    except ParseError as exc:
        log.debug("TXT: dropped contact %r: %s", text, exc)
        return ""
    return text


def _role(text: str) -> PeerRole:
    if not text:
        return PeerRole.UA
    try:
        return PeerRole(text.lower())
    except ValueError:
        log.debug("TXT: unknown role %r, taken as ua", text)
        return PeerRole.UA
