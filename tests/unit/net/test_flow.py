"""ListenSpec parsing/formatting and Flow rendering."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ConfigError
from alexphone.net.flow import address_key, format_address, is_wildcard
from alexphone.net.transport import Flow, ListenSpec, TransportKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("udp:127.0.0.1:5060", ListenSpec(TransportKind.UDP, "127.0.0.1", 5060)),
        ("tcp:[::1]:0", ListenSpec(TransportKind.TCP, "::1", 0)),
        ("udp:0.0.0.0:5060", ListenSpec(TransportKind.UDP, "0.0.0.0", 5060)),
        ("UDP:10.0.0.1", ListenSpec(TransportKind.UDP, "10.0.0.1", 5060)),
        ("tls:[2001:db8::1]", ListenSpec(TransportKind.TLS, "2001:db8::1", 5061)),
        (" tcp:[::]:65535 ", ListenSpec(TransportKind.TCP, "::", 65535)),
    ],
)
def test_parse_valid(text: str, expected: ListenSpec) -> None:
    assert ListenSpec.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["udp:127.0.0.1:5060", "tcp:[::1]:0", "tls:[2001:db8::1]:5061", "udp:0.0.0.0:0"]
)
def test_str_round_trips(text: str) -> None:
    assert str(ListenSpec.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("127.0.0.1:5060", "unknown transport"),
        ("localhost", "must look like udp:HOST:PORT"),
        ("sctp:127.0.0.1:5060", "unknown transport 'sctp'"),
        ("udp:::1:5060", "brackets"),
        ("udp:[::1:5060", "missing ']'"),
        ("udp:[::1]5060", "expected ':PORT'"),
        ("udp:[127.0.0.1]:5060", "only for IPv6"),
        ("udp::5060", "has no host"),
        ("udp:example.com:5060", "'example.com' is not an IP address"),
        ("udp:127.0.0.1:65536", "not in 0-65535"),
        ("udp:127.0.0.1:", "not in 0-65535"),
        ("udp:127.0.0.1:50a", "'50a' is not in 0-65535"),
        ("udp:127.0.0.1:-1", "not in 0-65535"),
    ],
)
def test_parse_errors_are_config_errors(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        ListenSpec.parse(text)
    assert fragment in str(info.value)
    assert repr(text.strip()) in str(info.value) or text in str(info.value)


def test_flow_str_brackets_ipv6() -> None:
    flow = Flow(TransportKind.TCP, ("::1", 5060), ("127.0.0.1", 40000))
    assert str(flow) == "tcp [::1]:5060 <-> 127.0.0.1:40000"


def test_address_helpers() -> None:
    assert format_address(("fe80::1", 5)) == "[fe80::1]:5"
    assert address_key(("0:0::1", 5060)) == ("::1", 5060)
    assert address_key(("Example.COM", 1)) == ("example.com", 1)
    assert is_wildcard("0.0.0.0") and is_wildcard("::")
    assert not is_wildcard("127.0.0.1") and not is_wildcard("host")


def test_kind_properties() -> None:
    assert not TransportKind.UDP.reliable and TransportKind.TCP.reliable
    assert TransportKind.TLS.default_port == 5061 and TransportKind.TCP.default_port == 5060
