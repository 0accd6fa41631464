"""The lab harness proves itself with third-party software only (no alexphone code)."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest
from lab import Host, Lab, LabError, NatNet
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, Baresip, Kamailio, Sipp, baresip_account


def ping_loss(lab: Lab, ns: str, target: str, count: int = 60) -> int:
    """Packet loss in percent of a quick ping burst."""
    done = lab.run(
        ns,
        ["ping", "-q", "-n", "-c", str(count), "-i", "0.01", "-W", "1", target],
        timeout=15,
        check=False,
    )
    if "Network is unreachable" in done.stderr:
        return 100
    found = re.search(r"(\d+(?:\.\d+)?)% packet loss", done.stdout)
    assert found is not None, done.stdout + done.stderr
    return round(float(found.group(1)))


@pytest.mark.interop
@pytest.mark.needs("sipp")
def test_sipp_uac_calls_sipp_uas_on_flat_lan(lab: Lab, flat_lan: list[Host]) -> None:
    caller, callee = flat_lan[0], flat_lan[1]
    uas = Sipp(lab, callee.ns, "uas", callee.ipv4, 5060, calls=5).start()
    uac = Sipp(
        lab,
        caller.ns,
        "uac",
        caller.ipv4,
        5080,
        target=f"{callee.ipv4}:5060",
        calls=5,
        rate=20,
        limit=5,
    ).start()

    result = uac.wait(30)

    assert result.ok, result
    assert (result.successful, result.failed) == (5, 0)
    assert uas.wait(10).successful == 5


@pytest.mark.interop
@pytest.mark.needs("kamailio", "baresip")
def test_kamailio_challenges_then_registers_baresip_behind_nat(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio
) -> None:
    outbound = f"sip:{nat_net.pub.ipv4}:5060;transport=udp"
    account = baresip_account("alice", password="alicepw", outbound=outbound, regint=60)
    alice = Baresip(lab, nat_net.a1.ns, account).start()

    kamailio.wait_registered("alice", timeout=10)
    alice.wait_for_log(r"\{0/UDP/v4\} 200 OK", timeout=5)

    lines = kamailio.events()
    challenge = next(i for i, s in enumerate(lines) if s.startswith("LAB-CHALLENGE alice REGISTER"))
    registered = next(
        i for i, s in enumerate(lines) if s.startswith(f"LAB-REGISTERED sip:alice@{DOMAIN}")
    )
    assert challenge < registered
    # The source seen by the registrar is nat1's public address: the NAT is in the path.
    assert f"{nat_net.nat1.ipv4}:" in lines[registered]
    assert not kamailio.registered("bob")


@pytest.mark.interop
@pytest.mark.needs("ping")
def test_nat_topology_isolates_the_lans(lab: Lab, nat_net: NatNet) -> None:
    assert ping_loss(lab, nat_net.a1.ns, nat_net.pub.ipv4, count=3) == 0
    assert ping_loss(lab, nat_net.b.ns, nat_net.pub.ipv4, count=3) == 0
    assert ping_loss(lab, nat_net.pub.ns, nat_net.a1.ipv4, count=3) == 100
    # Even with a route to the private LAN, the router drops unsolicited inbound packets.
    lab.ip(nat_net.pub.ns, "route", "add", "10.0.1.0/24", "via", nat_net.nat1.ipv4)
    assert ping_loss(lab, nat_net.pub.ns, nat_net.a1.ipv4, count=3) == 100
    assert ping_loss(lab, nat_net.a1.ns, nat_net.b.ipv4, count=3) == 100
    # IPv6 is routed without NAT between the LANs.
    assert ping_loss(lab, nat_net.a1.ns, nat_net.b.ipv6, count=3) == 0


@pytest.mark.interop
@pytest.mark.needs("ping")
def test_add_loss_drops_a_share_of_packets_until_cleared(lab: Lab, flat_lan: list[Host]) -> None:
    sender, receiver = flat_lan[0], flat_lan[1]
    lab.add_loss(receiver.ns, 30, chains=("INPUT",))

    lossy = ping_loss(lab, sender.ns, receiver.ipv4, count=100)
    lab.clear_loss(receiver.ns)
    clean = ping_loss(lab, sender.ns, receiver.ipv4, count=20)

    assert 10 <= lossy <= 55  # 30 % of the echo requests, binomial spread
    assert clean == 0


@pytest.mark.interop
def test_close_stops_processes_and_deletes_namespaces(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    host = lab.flat_lan(1)[0]
    sleeper = lab.spawn(host.ns, ["sleep", "60"])
    names = list(lab.namespaces)

    lab.close()

    assert not sleeper.running()
    listed = lab.run(None, ["ip", "netns", "list"]).stdout
    assert not [name for name in names if name in listed]


@pytest.mark.interop
@pytest.mark.slow
@pytest.mark.needs("kamailio", "baresip")
def test_baresip_calls_through_kamailio_on_one_lan(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio
) -> None:
    outbound = f"sip:{nat_net.pub.ipv4}:5060;transport=udp"
    peers = {}
    for user, host in (("alice", nat_net.a1), ("bob", nat_net.a2)):
        account = baresip_account(user, password=f"{user}pw", outbound=outbound, regint=60)
        peers[user] = Baresip(lab, host.ns, account).start()
        kamailio.wait_registered(user, timeout=10)

    peers["alice"].dial(f"sip:bob@{DOMAIN}")
    peers["alice"].wait_event("CALL_ESTABLISHED", timeout=10)
    peers["bob"].wait_event("CALL_ESTABLISHED", timeout=5)
    peers["alice"].hangup()

    assert peers["bob"].wait_event("CALL_CLOSED", timeout=5)["class"] == "call"


FAKE_CLI = textwrap.dedent(
    """
    import json, signal, sys, time
    def emit(name, **fields):
        print(json.dumps({"ts": time.time(), "event": name, **fields}), flush=True)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "daemon":
        emit("ua.ready", listen=[args[args.index("--listen") + 1]], profile="p")
        print("not json", flush=True)
        emit("registration.state", account="sip:a@lab.test", state="registered",
             code=200, expires=60)
        signal.sigwait({signal.SIGINT})
        sys.exit(0)
    emit("call.state", call_id="c1", direction="out", remote=args[0], state="confirmed",
         code=200, reason="OK")
    emit("call.state", call_id="c1", direction="out", remote=args[0], state="ended",
         code=0, reason="bye")
    sys.exit(3)
    """
)


def test_alexphone_peer_reads_json_events_from_the_cli(lab: Lab) -> None:
    program = [
        sys.executable,
        "-c",
        "import signal; signal.pthread_sigmask("
        "signal.SIG_BLOCK, {signal.SIGINT}); exec(" + repr(FAKE_CLI) + ")",
    ]
    phone = Alexphone(lab, None, "fake", listen=["udp:127.0.0.1:5099"], program=program)

    phone.daemon()
    ready = phone.wait_event("ua.ready", timeout=10)
    registered = phone.wait_event("registration.state", lambda e: e["state"] == "registered")
    with pytest.raises(LabError):
        phone.wait_event("call.state", timeout=0.2)
    code = phone.stop()

    assert ready["listen"] == ["udp:127.0.0.1:5099"]
    assert registered["code"] == 200
    assert phone.noise == ["not json"]
    assert code == 0
    rc, events = phone.run_call("sip:bob@lab.test", duration=1)
    assert rc == 3
    assert [e["state"] for e in events] == ["confirmed", "ended"]
