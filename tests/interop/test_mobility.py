"""Mobility: when the machine's address changes, the daemon re-registers from the new one."""

from __future__ import annotations

import re

import pytest
from lab import Lab, NatNet
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Kamailio

pytestmark = [pytest.mark.interop, pytest.mark.needs("kamailio")]
ALICE = f"sip:alice@{DOMAIN}"
NEW_ADDRESS = "10.0.1.9"


def test_address_change_triggers_an_immediate_reregister(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio
) -> None:
    host = nat_net.a1
    phone = Alexphone(lab, host.ns, "mobile", listen=["udp:0.0.0.0:5060"])
    password = phone.password_file(USERS["alice"])
    phone.daemon(
        "--account",
        ALICE,
        "--password-file",
        str(password),
        "--proxy",
        f"sip:{nat_net.pub.ipv4}:5060",
    )
    phone.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=15)
    kamailio.wait_registered("alice")  # its log line can follow the 200 OK we already have
    assert f"alice@{host.ipv4}" in kamailio.log_text()
    before = phone.mark()

    # Renumber the host (deleting the primary address would take secondaries along, so the
    # old one goes first; its default route goes with it and is put back).
    lab.run(host.ns, ["ip", "addr", "del", f"{host.ipv4}/24", "dev", "eth0"])
    lab.run(host.ns, ["ip", "addr", "add", f"{NEW_ADDRESS}/24", "dev", "eth0"])
    lab.run(host.ns, ["ip", "route", "replace", "default", "via", "10.0.1.1"])

    again = phone.wait_event(
        "registration.state", lambda e: e["state"] == "registered", timeout=20, since=before
    )

    assert again["code"] == 200
    contacts = re.findall(r"LAB-REGISTERED \S+ <?sip:alice@([0-9.]+)", kamailio.log_text())
    assert contacts and contacts[-1] == NEW_ADDRESS, contacts
    phone.stop()
