"""Fixtures for the interop lab: namespaces, topologies and a Kamailio registrar.

Every fixture tears down through `Lab.close()` (processes stopped by PID, then
namespaces deleted), also when the test fails. A failing test's report gets the
tail of every process log the lab started.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pluggy
import pytest
from lab import Host, Lab, NatNet, sweep_stale
from lab_peers import USERS, Baresip, Kamailio, baresip_account
from lab_uplinks import Uplinks, uplinks_topology


@pytest.fixture(scope="session")
def _stale_swept() -> None:
    """Once per session, delete namespaces left by lab runs that were killed."""
    sweep_stale()


@pytest.fixture
def lab(tmp_path: Path, _stale_swept: None) -> Iterator[Lab]:
    """An empty lab for one test; everything it made is removed afterwards."""
    the_lab = Lab(tmp_path)
    try:
        yield the_lab
    finally:
        the_lab.close()


@pytest.fixture
def flat_lan(lab: Lab) -> list[Host]:
    """Three hosts on one bridge: 10.77.0.11-13 and fd42:77::11-13."""
    return lab.flat_lan(3)


@pytest.fixture
def nat_net(lab: Lab) -> NatNet:
    """Cone NATs: a1/a2 behind nat1, b behind nat2, servers in pub (198.51.100.1)."""
    return lab.nat_topology()


@pytest.fixture
def kamailio(lab: Lab, nat_net: NatNet) -> Kamailio:
    """Registrar/proxy for lab.test in pub on 198.51.100.1 and fd42:99::1, UDP+TCP 5060."""
    return Kamailio(lab, nat_net.pub.ns, [nat_net.pub.ipv4, nat_net.pub.ipv6]).start()


@pytest.fixture
def uplinks(lab: Lab) -> Iterator[tuple[Uplinks, Kamailio, Baresip]]:
    """The routed lab of lab_uplinks, Kamailio, and bob's baresip registered through it."""
    net = uplinks_topology(lab)
    kamailio = Kamailio(lab, net.server.ns, [net.server.ipv4]).start()
    outbound = f"sip:{net.server.ipv4}:5060;transport=udp"
    account = baresip_account("bob", password=USERS["bob"], outbound=outbound, regint=60)
    bob = Baresip(lab, net.peer.ns, account).start()
    kamailio.wait_registered("bob", timeout=60)
    yield net, kamailio, bob
    bob.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    """Attach the lab's process logs to the report of a failed test."""
    del call
    outcome = yield
    report = outcome.get_result()
    the_lab = getattr(item, "funcargs", {}).get("lab")
    if report.failed and isinstance(the_lab, Lab):
        report.sections.append(("lab process logs", the_lab.log_tails()))
