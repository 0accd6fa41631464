"""ALEX negotiation and fallback (docs/ALEX.md "Negotiation", "ICE peers and plain peers")."""

from __future__ import annotations

from alexphone.alex.negotiation import (
    Mode,
    add_supported,
    advertises_feature,
    decide,
    remove_alex_requirement,
    supports,
    with_feature_tag,
)
from alexphone.sip.headers import NameAddress
from alexphone.sip.message import Headers

SESSION = ("ALEX-session", "v=1;ufrag=abcd;pwd=abcdefghijklmnopqrstuv;tb=0123456789abcdef")
ITEM = ("ALEX-item", "m0.1 udp 192.0.2.1:4000;typ=host;pri=2130706431;fnd=h1")


def test_supported_is_added_once_beside_other_tags() -> None:
    headers = Headers([("Supported", "outbound, replaces")])
    add_supported(headers)
    add_supported(headers)
    assert headers.get_all("Supported") == ["outbound", "replaces", "alex"]
    assert supports(headers)


def test_never_require_alex() -> None:
    headers = Headers([("Require", "alex, 100rel"), ("Proxy-Require", "alex")])
    remove_alex_requirement(headers)
    assert headers.get_all("Require") == ["100rel"]
    assert "Proxy-Require" not in headers


def test_contact_feature_tag() -> None:
    contact = NameAddress.parse("<sip:alice@10.0.1.10:5060>;expires=600")
    tagged = with_feature_tag(contact)
    assert advertises_feature(tagged) and not advertises_feature(contact)
    assert str(tagged).endswith(";+sip.alex")
    assert with_feature_tag(tagged) == tagged
    assert NameAddress.parse(str(tagged)) == tagged


def test_alex_runs_only_when_the_peer_announced_it_well_formed() -> None:
    good = decide(Headers([("Supported", "alex"), SESSION, ITEM]))
    assert good.mode is Mode.ALEX and good.announcement is not None
    assert decide(Headers([SESSION, ITEM])).mode is Mode.PLAIN  # no Supported: alex
    assert decide(Headers([("Supported", "alex")])).mode is Mode.PLAIN
    assert decide(Headers([("Supported", "alex"), SESSION, ITEM]), enabled=False).mode is Mode.PLAIN


def test_malformed_alex_falls_back_to_ice_or_plain_never_fails() -> None:
    broken = Headers([("Supported", "alex"), ("ALEX-session", "v=1;ufrag=a"), ITEM])
    plain = decide(broken)
    assert plain.mode is Mode.PLAIN and "malformed" in plain.reason
    assert decide(broken, sdp_has_candidates=True).mode is Mode.ICE
