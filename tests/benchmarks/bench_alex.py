"""ALEX across the NAT lab: time to two-way audio, probes, and what the proxy still sees.

Alice (a1, behind nat1) calls bob (b, behind nat2) through Kamailio, with coturn for
STUN/TURN, as tests/interop/test_alex_nat.py does. A user-space delayer
(nfqueue_delay.py, NFQUEUE in nat1's mangle POSTROUTING, after the NAT's filter rules)
holds every UDP packet crossing nat1 for RTT/2, so each round trip of alice's gains RTT.
Per NAT mode, added RTT and Record-Route consent (``;alex-bypass``) it places a cold call
then a warm one (ALEX cache) and reports:
- ``sel``: 200 OK (alice's call.state confirmed) → alice's alex.selected for audio, ms;
- ``2way``: 200 OK → first RTP packet received by both phones (tcpdump in a1 and b), ms;
- ``probes``: probes alice sent by the audio selection;
- ``proxy``: requests Kamailio handled for the call (its LAB-REQUEST lines, no REGISTER);
- ``ok``: the call worked with audio both ways.
Needs root, kamailio, turnserver, tcpdump and NetfilterQueue (PyPI).

Usage: python tests/benchmarks/bench_alex.py [--rtt 20 100] [--modes cone symmetric] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from lab import Lab, NatMode, NatNet, Process
from lab_coturn import Coturn
from lab_peers import DOMAIN, Event, Kamailio
from test_alex_nat import _nat_phone

DELAYER = Path(__file__).with_name("nfqueue_delay.py")
RTP = (  # RTP, or RTP inside TURN ChannelData (RFC 8656 §12.4) from coturn's port 3478
    "udp and not port 5060 and ((udp[8] & 0xc0 == 0x80 and not port 3478)"
    " or (src port 3478 and udp[8] & 0xc0 == 0x40 and udp[12] & 0xc0 == 0x80))"
)


def _delay(lab: Lab, net: NatNet, rtt_ms: float) -> None:
    if rtt_ms <= 0:
        return
    process = lab.spawn(
        net.nat1.ns,
        [sys.executable, str(DELAYER), "--delay-ms", f"{rtt_ms / 2:g}", "--duration", "120"],
        timeout=125,
    )
    process.wait_for_log("DELAYER READY", 10)
    rule = ["POSTROUTING", "-p", "udp", "-j", "NFQUEUE", "--queue-num", "1", "--queue-bypass"]
    lab.run(net.nat1.ns, ["iptables", "-t", "mangle", "-I", *rule])


def _dead_end(lab: Lab, net: NatNet) -> None:
    """pub's default route leads nowhere (as test_alex_nat._nat_servers: coturn keeps its
    allocations when relaying to a private address fails silently, as on the Internet)."""
    lab.ip(net.pub.ns, "link", "add", "void0", "type", "veth", "peer", "name", "void1")
    for link in ("void0", "void1"):
        lab.ip(net.pub.ns, "link", "set", link, "up")
    lab.address(net.pub.ns, "void0", "192.0.2.1/24")
    lab.ip(net.pub.ns, "neigh", "add", "192.0.2.254", "lladdr", "02:00:5e:00:00:fe", "dev", "void0")
    lab.ip(net.pub.ns, "route", "add", "default", "via", "192.0.2.254", "dev", "void0")


def _capture(lab: Lab, ns: str, ip: str, name: str) -> tuple[Process, Path]:
    pcap = lab.workdir / f"{name}.txt"
    argv = ["tcpdump", "-i", "any", "-n", "-tt", "-l", f"dst host {ip} and {RTP}"]
    process = lab.spawn(ns, argv, pcap, timeout=60)
    time.sleep(0.5)  # tcpdump has no readiness signal in its output file
    return process, pcap


def _first_packet(pcap: Path, after: float) -> float | None:
    for line in pcap.read_text(errors="replace").splitlines():
        head = line.split(" ", 1)[0]
        try:
            stamp = float(head)
        except ValueError:
            continue
        if stamp >= after:
            return stamp
    return None


def _proxied(kamailio: Kamailio) -> list[str]:
    return [m for m in re.findall(r"LAB-REQUEST (\S+) ", kamailio.log_text()) if m != "REGISTER"]


def _one_call(lab: Lab, net: NatNet, alice_phone: Any, kamailio: Kamailio) -> dict[str, Any]:
    before = len(_proxied(kamailio))
    a_cap, a_pcap = _capture(lab, net.a1.ns, net.a1.ipv4, f"a1-{time.monotonic_ns()}")
    b_cap, b_pcap = _capture(lab, net.b.ns, net.b.ipv4, f"b-{time.monotonic_ns()}")
    code, events = alice_phone.run_call(f"sip:bob@{DOMAIN}", "--timeout", "20", duration=2)
    time.sleep(0.5)
    for capture in (a_cap, b_cap):
        capture.stop()
    confirmed = [e for e in events if e.get("event") == "call.state" and e["state"] == "confirmed"]
    selected: dict[str, Event] = {
        str(e["flow"]): e for e in events if e.get("event") == "alex.selected"
    }
    stats = [int(e["received"]) for e in events if e.get("event") == "call.stats"]
    result: dict[str, Any] = {"ok": code == 0 and bool(stats) and max(stats) > 20}
    audio = selected.get("audio")
    result["kind"] = audio["kind"] if audio else None
    result["sel_ms"] = audio["after_ms"] if audio else None
    result["probes"] = audio["probes"] if audio else None
    result["from_cache"] = audio["from_cache"] if audio else None
    result["proxy"] = _proxied(kamailio)[before:]
    if confirmed:
        start = float(confirmed[0]["ts"])
        firsts = [_first_packet(p, start - 0.001) for p in (a_pcap, b_pcap)]
        ok = all(f is not None for f in firsts)
        result["two_way_ms"] = round((max(firsts) - start) * 1000, 1) if ok else None  # type: ignore[type-var,operator]
    return result


def _scenario(mode: NatMode, rtt: float, bypass: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-alex-") as tmp:
        lab = Lab(Path(tmp))
        try:
            net = lab.nat_topology(mode)
            _dead_end(lab, net)
            kamailio = Kamailio(lab, net.pub.ns, [net.pub.ipv4], alex_bypass=bypass).start()
            coturn = Coturn(lab, net.pub.ns, net.pub.ipv4).start()
            _delay(lab, net, rtt)
            bob = _nat_phone(lab, net.b, "bob", net, coturn).daemon("--auto-answer")
            bob.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
            alice = _nat_phone(lab, net.a1, "alice", net, coturn)
            cold = _one_call(lab, net, alice, kamailio)
            warm = _one_call(lab, net, alice, kamailio)
            bob.stop()
            return {"mode": mode.value, "rtt": rtt, "bypass": bypass, "cold": cold, "warm": warm}
        finally:
            lab.close()


def main() -> None:
    """Run the scenarios and print one row per call (or JSON lines)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=float, nargs="+", default=[20.0, 100.0])
    parser.add_argument("--modes", nargs="+", default=["cone", "symmetric"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for name in args.modes:
        for rtt in args.rtt:
            for bypass in (True, False):
                rows.append(_scenario(NatMode(name), rtt, bypass))
                row = rows[-1]
                if args.json:
                    print(json.dumps(row), flush=True)
                    continue
                for which in ("cold", "warm"):
                    r = row[which]
                    print(
                        f"{row['mode']:9} rtt+{rtt:>5g}ms bypass={'y' if bypass else 'n'} {which}: "
                        f"ok={r['ok']} kind={r['kind']} sel={r['sel_ms']}ms "
                        f"2way={r.get('two_way_ms')}ms probes={r['probes']} "
                        f"cache={r['from_cache']} proxy={len(r['proxy'])} {r['proxy']}",
                        flush=True,
                    )
    if not args.json:
        print("NAT matrix (all calls):")
        for name in args.modes:
            calls = [r[w] for r in rows if r["mode"] == name for w in ("cold", "warm")]
            good = sum(1 for c in calls if c["ok"])
            kinds = sorted({str(c["kind"]) for c in calls})
            print(f"  {name:9} {good}/{len(calls)} calls with two-way audio, audio path {kinds}")


if __name__ == "__main__":
    main()
