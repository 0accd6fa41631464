"""SIP over TLS to Kamailio: verified registration, and refusal of an unknown certificate."""

from __future__ import annotations

import pytest
from lab import Lab, NatNet
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Kamailio

pytestmark = [pytest.mark.interop, pytest.mark.needs("kamailio", "openssl")]
ALICE = f"sip:alice@{DOMAIN}"


@pytest.fixture
def tls_kamailio(lab: Lab, nat_net: NatNet) -> Kamailio:
    """Kamailio on the public segment with UDP 5060 and TLS 5061 (self-signed lab.test)."""
    return Kamailio(
        lab, nat_net.pub.ns, [nat_net.pub.ipv4], transports=("udp",), tls_port=5061
    ).start()


def tls_phone(lab: Lab, nat_net: NatNet, kamailio: Kamailio, *trust: str) -> Alexphone:
    phone = Alexphone(lab, nat_net.a1.ns, "tls-alice", listen=[f"udp:{nat_net.a1.ipv4}:5060"])
    password = phone.password_file(USERS["alice"])
    phone.daemon(
        "--account",
        ALICE,
        "--password-file",
        str(password),
        "--proxy",
        f"sip:{nat_net.pub.ipv4}:5061;transport=tls",
        *trust,
    )
    return phone


def test_registers_over_verified_tls(lab: Lab, nat_net: NatNet, tls_kamailio: Kamailio) -> None:
    phone = tls_phone(lab, nat_net, tls_kamailio, "--tls-ca", str(tls_kamailio.certificate))

    event = phone.wait_event(
        "registration.state", lambda e: e["state"] in ("registered", "failed"), timeout=20
    )

    assert (event["state"], event["code"]) == ("registered", 200), event
    tls_kamailio.wait_registered("alice")
    assert "transport=tls" in tls_kamailio.log_text()
    phone.stop()


def test_unknown_certificate_fails_registration_with_503(
    lab: Lab, nat_net: NatNet, tls_kamailio: Kamailio
) -> None:
    phone = tls_phone(lab, nat_net, tls_kamailio)

    event = phone.wait_event("registration.state", lambda e: e["state"] == "failed", timeout=20)

    assert event["code"] == 503
    assert not tls_kamailio.registered("alice")
    phone.stop()
