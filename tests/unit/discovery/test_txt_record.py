"""TXT record encoding/decoding (RFC 6763 §6) for SIP DNS-SD services."""

from __future__ import annotations

import logging

import pytest

from alexphone.core.errors import ConfigError
from alexphone.discovery.txt_record import PeerRole, TxtRecord


def test_round_trip_keeps_every_key() -> None:
    record = TxtRecord(
        user="alice",
        name="Alice's laptop",
        contact="sip:alice@10.0.0.2:5060",
        instance="urn:uuid:5b6a3a0e-0000-4000-8000-000000000001",
        alex=True,
        role=PeerRole.PROXY,
    )
    properties = record.to_properties()
    assert properties["txtvers"] == "1"
    assert properties["alex"] == "1"
    assert properties["role"] == "proxy"
    wire = {k.encode(): v.encode() for k, v in properties.items()}
    assert TxtRecord.from_properties(wire) == record


def test_empty_fields_are_not_published() -> None:
    properties = TxtRecord(user="bob").to_properties()
    assert set(properties) == {"txtvers", "user", "role"}


def test_too_long_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="255"):
        TxtRecord(name="x" * 260).to_properties()


def test_foreign_record_with_few_keys_decodes() -> None:
    record = TxtRecord.from_properties({b"user": b"carol"})
    assert record.user == "carol"
    assert record.alex is False
    assert record.role is PeerRole.UA
    assert record.txtvers == ""


def test_keys_are_case_insensitive_and_first_occurrence_wins() -> None:
    record = TxtRecord.from_properties({b"USER": b"first", b"Alex": b"1"})
    assert record.user == "first"
    assert record.alex is True


def test_malformed_values_are_dropped_with_a_debug_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="alexphone.discovery.txt_record")
    record = TxtRecord.from_properties(
        {
            b"user": b"\xff\xfe",  # not UTF-8
            b"contact": b"not a uri",
            b"role": b"overlord",
            b"name": b"Dave",
            b"flag": None,  # a boolean attribute (RFC 6763 §6.4) is fine
        }
    )
    assert record == TxtRecord(name="Dave", txtvers="")
    assert "undecodable" in caplog.text
    assert "contact" in caplog.text
    assert "unknown role" in caplog.text


def test_alex_flag_needs_the_value_one() -> None:
    assert TxtRecord.from_properties({b"alex": b"0"}).alex is False
    assert TxtRecord.from_properties({b"alex": None}).alex is False
