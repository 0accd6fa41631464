"""STUN message encoding and parsing for connectivity checks (RFC 8489, RFC 8445 §7.1)."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ParseError
from alexphone.stun.message import (
    BINDING,
    StunClass,
    binding_error,
    binding_request,
    binding_success,
    is_stun,
    parse,
)

TID = bytes(range(12))
KEY = b"VOkJxbRl1RmTxUk/WvJxBt"


def test_request_round_trips_every_check_attribute() -> None:
    data = binding_request(
        TID,
        username="evtj:h6vY",
        key=KEY,
        priority=0x6E0001FF,
        ice_controlling=0x932FF9B151263B36,
        use_candidate=True,
    )
    message = parse(data)
    assert message.method == BINDING
    assert message.klass is StunClass.REQUEST
    assert message.transaction_id == TID
    assert message.username == "evtj:h6vY"
    assert message.username_fragments == ("evtj", "h6vY")
    assert message.priority == 0x6E0001FF
    assert message.ice_controlling == 0x932FF9B151263B36
    assert message.ice_controlled is None
    assert message.use_candidate
    assert message.has_fingerprint
    assert message.check_integrity(KEY)
    assert not message.check_integrity(b"wrong password")


def test_unsigned_request_has_fingerprint_but_fails_integrity() -> None:
    message = parse(binding_request(TID))
    assert message.has_fingerprint
    assert message.integrity is None
    assert not message.check_integrity(KEY)


@pytest.mark.parametrize("mapped", [("192.0.2.1", 32853), ("2001:db8:1234:5678::1", 32853)])
def test_success_carries_xor_mapped_address(mapped: tuple[str, int]) -> None:
    message = parse(binding_success(TID, mapped, KEY))
    assert message.klass is StunClass.SUCCESS
    assert message.xor_mapped_address == mapped
    assert message.check_integrity(KEY)


def test_error_response_carries_code() -> None:
    message = parse(binding_error(TID, 487, "Role Conflict", KEY))
    assert message.klass is StunClass.ERROR
    assert message.error_code == (487, "Role Conflict")


def test_tampered_message_fails_fingerprint() -> None:
    data = bytearray(binding_request(TID, username="a:b", key=KEY, priority=5))
    data[27] ^= 0x01  # inside USERNAME
    with pytest.raises(ParseError):
        parse(bytes(data))


def test_tampered_message_before_integrity_fails_integrity_without_fingerprint() -> None:
    data = binding_request(TID, username="abcd:efgh", key=KEY, priority=5)
    message = parse(data)
    assert message.check_integrity(KEY)
    # change a byte of the username and drop the (now wrong) FINGERPRINT
    tampered = bytearray(data[:-8])
    tampered[3] -= 8
    tampered[24] ^= 0x20
    forged = parse(bytes(tampered))
    assert not forged.has_fingerprint
    assert not forged.check_integrity(KEY)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"INVITE sip:bob@example.com SIP/2.0\r\n",
        bytes([0x80, 0x00]) + bytes(18),  # RTP (RFC 7983: first byte 128-191)
        bytes(20),  # no magic cookie
    ],
)
def test_non_stun_is_recognised(data: bytes) -> None:
    assert not is_stun(data)
    with pytest.raises(ParseError):
        parse(data)


def test_truncated_attribute_is_a_parse_error() -> None:
    data = binding_request(TID, username="abcd:efgh")
    header = bytearray(data[:20])
    body = data[20:28]  # USERNAME header + 4 of its octets: length field lies
    header[2:4] = len(body).to_bytes(2, "big")
    with pytest.raises(ParseError):
        parse(bytes(header) + body)
