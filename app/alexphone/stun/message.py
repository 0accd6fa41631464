"""STUN messages for ICE/ALEX probes (RFC 8489, RFC 8445 §7.1), a thin layer over aioice.stun.

aioice.stun holds the codec (attribute packing, MESSAGE-INTEGRITY, FINGERPRINT); this module is
the only place in Alexphone that touches it. Importing it pulls in the aioice package (which
imports asyncio and socket at module level) but nothing here runs an event loop or opens a
socket: the codec functions are pure. Messages are exposed as frozen values with typed
attributes, transaction IDs always come from the caller (aioice would draw them from
os.urandom), and every codec failure becomes a ParseError.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

from aioice import stun as _codec

from alexphone.core.address import Address
from alexphone.core.errors import ParseError

__all__ = [
    "BINDING",
    "MAGIC_COOKIE",
    "StunClass",
    "StunMessage",
    "binding_error",
    "binding_request",
    "binding_success",
    "is_stun",
    "parse",
]

MAGIC_COOKIE = 0x2112A442  # RFC 8489 §5
BINDING = int(_codec.Method.BINDING)


class StunClass(Enum):
    """The message class bits of the STUN message type (RFC 8489 §5)."""

    REQUEST = _codec.Class.REQUEST
    INDICATION = _codec.Class.INDICATION
    SUCCESS = _codec.Class.RESPONSE
    ERROR = _codec.Class.ERROR


@dataclass(frozen=True, slots=True)
class StunMessage:
    """One parsed STUN message with the attributes connectivity checks use (RFC 8445 §7.1)."""

    method: int
    klass: StunClass
    transaction_id: bytes
    username: str | None = None
    priority: int | None = None
    use_candidate: bool = False
    ice_controlling: int | None = None
    ice_controlled: int | None = None
    xor_mapped_address: Address | None = None
    error_code: tuple[int, str] | None = None
    has_fingerprint: bool = False
    integrity: bytes | None = None  # the MESSAGE-INTEGRITY value, None when absent
    integrity_data: bytes = b""  # the octets the MESSAGE-INTEGRITY covers (RFC 8489 §14.5)

    def check_integrity(self, key: bytes) -> bool:
        """Tell whether MESSAGE-INTEGRITY is present and valid for ``key`` (short-term: pwd)."""
        if self.integrity is None:
            return False
        probe = _codec.Message(_codec.Method.BINDING, _codec.Class.REQUEST, b"\0" * 12)
        probe.attributes["MESSAGE-INTEGRITY"] = self.integrity
        probe._integrity_data = self.integrity_data
        return probe.check_message_integrity(key)

    @property
    def username_fragments(self) -> tuple[str, str] | None:
        """Split USERNAME "receiver:sender" into its ufrags (RFC 8445 §7.2.2), None if unusable."""
        if self.username is None:
            return None
        receiver, colon, sender = self.username.partition(":")
        return (receiver, sender) if colon and receiver and sender else None


def is_stun(data: bytes) -> bool:
    """Tell a STUN message from RTP/DTLS/SIP on a shared socket (RFC 7983 §7, RFC 8489 §6)."""
    return (
        len(data) >= 20
        and data[0] < 4
        and int.from_bytes(data[4:8], "big") == MAGIC_COOKIE
        and len(data) % 4 == 0
    )


def parse(data: bytes) -> StunMessage:
    """Parse one STUN message; a FINGERPRINT present must match (ParseError otherwise)."""
    if not is_stun(data):
        raise ParseError("not a STUN message")
    _check_layout(data)
    try:
        raw = _codec.parse_message(data)
    except (ValueError, struct.error, UnicodeDecodeError, IndexError) as exc:
        raise ParseError(f"bad STUN message: {exc}") from None
    attrs = raw.attributes
    error = attrs.get("ERROR-CODE")
    return StunMessage(
        method=int(raw.message_method),
        klass=StunClass(raw.message_class),
        transaction_id=raw.transaction_id,
        username=attrs.get("USERNAME"),
        priority=attrs.get("PRIORITY"),
        use_candidate="USE-CANDIDATE" in attrs,
        ice_controlling=attrs.get("ICE-CONTROLLING"),
        ice_controlled=attrs.get("ICE-CONTROLLED"),
        xor_mapped_address=attrs.get("XOR-MAPPED-ADDRESS"),
        error_code=(int(error[0]), str(error[1])) if error is not None else None,
        has_fingerprint="FINGERPRINT" in attrs,
        integrity=attrs.get("MESSAGE-INTEGRITY"),
        integrity_data=raw._integrity_data or b"",
    )


def _check_layout(data: bytes) -> None:
    """Every attribute must fit in the message (aioice would silently truncate it)."""
    pos = 20
    while pos < len(data):
        if pos + 4 > len(data):
            raise ParseError("truncated STUN attribute header")
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 4 + length
        if end > len(data):
            raise ParseError("STUN attribute overruns the message")
        pos = end + (-length % 4)  # RFC 8489 §14: padded to 4 octets


def _finish(message: _codec.Message, key: bytes | None) -> bytes:
    # RFC 8489 §14.5/§14.7: MESSAGE-INTEGRITY then FINGERPRINT, last
    if key is not None:
        message.add_message_integrity(key)
    else:
        message.add_fingerprint()
    return bytes(message)


def binding_request(
    transaction_id: bytes,
    *,
    username: str | None = None,
    key: bytes | None = None,
    priority: int | None = None,
    ice_controlling: int | None = None,
    ice_controlled: int | None = None,
    use_candidate: bool = False,
) -> bytes:
    """Encode a Binding request; with ``key``, sign it (RFC 8445 §7.2.2) and add FINGERPRINT."""
    message = _codec.Message(_codec.Method.BINDING, _codec.Class.REQUEST, transaction_id)
    if username is not None:
        message.attributes["USERNAME"] = username
    if priority is not None:
        message.attributes["PRIORITY"] = priority  # RFC 8445 §7.1.1
    if ice_controlling is not None:
        message.attributes["ICE-CONTROLLING"] = ice_controlling  # RFC 8445 §7.1.3
    if ice_controlled is not None:
        message.attributes["ICE-CONTROLLED"] = ice_controlled
    if use_candidate:
        message.attributes["USE-CANDIDATE"] = None  # RFC 8445 §7.1.2
    return _finish(message, key)


def binding_success(transaction_id: bytes, mapped: Address, key: bytes | None) -> bytes:
    """Encode a Binding success response carrying XOR-MAPPED-ADDRESS (RFC 8445 §7.3.1.1)."""
    message = _codec.Message(_codec.Method.BINDING, _codec.Class.RESPONSE, transaction_id)
    message.attributes["XOR-MAPPED-ADDRESS"] = mapped
    return _finish(message, key)


def binding_error(transaction_id: bytes, code: int, reason: str, key: bytes | None) -> bytes:
    """Encode a Binding error response, e.g. 487 Role Conflict (RFC 8445 §7.3.1.1)."""
    message = _codec.Message(_codec.Method.BINDING, _codec.Class.ERROR, transaction_id)
    message.attributes["ERROR-CODE"] = (code, reason)
    return _finish(message, key)
