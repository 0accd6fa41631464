"""Our Contact per transport, and the SIPS form a secure request asks for."""

from __future__ import annotations

import pytest

from alexphone.engine.sip_stack import contact_address
from alexphone.net.transport import TransportKind


@pytest.mark.parametrize(
    ("kind", "secure", "expected"),
    [
        (TransportKind.UDP, False, "<sip:alice@192.0.2.1:5060>"),
        (TransportKind.TCP, False, "<sip:alice@192.0.2.1:5060;transport=tcp>"),
        (TransportKind.TLS, False, "<sip:alice@192.0.2.1:5060;transport=tls>"),
        (TransportKind.TLS, True, "<sips:alice@192.0.2.1:5060>"),  # RFC 5630 §3.2
    ],
)
def test_contact_names_the_transport_or_is_sips(
    kind: TransportKind, secure: bool, expected: str
) -> None:
    assert str(contact_address("alice", ("192.0.2.1", 5060), kind, secure)) == expected
