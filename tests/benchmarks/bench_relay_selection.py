"""Relayed selection across two symmetric NATs: 200 OK → audio selection, cold, by added RTT.

The NAT lab of tests/interop/test_alex_nat.py with both NATs symmetric (a new mapping per
destination): only the pairs through coturn's allocations answer. alice (a1, behind nat1)
calls bob (b, behind nat2) through Kamailio; the delayer of bench_alex.py (nfqueue_delay.py in
nat1's mangle POSTROUTING, no netem) adds RTT to every round trip of alice's. Both ALEX caches
are cleared before each call, so every call is cold. Per added RTT it reports, over N calls:
- ``sel``: 200 OK → alice's alex.selected for audio (its ``after_ms``), median and worst;
- ``relay rtt``: the selected relay pair's round trip as the check measured it (median);
- ``bound``: calls within the goal, 200 OK → selection <= relay RTT + 150 ms;
- ``probes``: probes alice had sent by then (median); ``kind``: the selected kinds.
Needs root, kamailio, turnserver and NetfilterQueue (PyPI).

Usage: python tests/benchmarks/bench_relay_selection.py [--rtt 20 100] [--calls 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_alex import _dead_end, _delay
from lab import Lab, NatMode
from lab_alexphone import Alexphone
from lab_coturn import Coturn
from lab_peers import DOMAIN, Kamailio
from test_alex_nat import _nat_phone

SLACK_MS = 150.0  # the goal: 200 OK -> relayed audio selection <= 1 RTT + 150 ms


def _clear_cache(phone: Alexphone) -> None:
    """``alexphone cache --clear`` on the phone's profile (a daemon may be running on it)."""
    clearing = Alexphone(phone.lab, phone.ns, phone.name)
    clearing.start("cache", "--clear")
    if clearing.wait_exit(20) != 0:
        raise RuntimeError(f"cache --clear failed: {clearing.stderr_tail()}")


def _one_call(alice: Alexphone, bob: Alexphone) -> dict[str, Any]:
    for phone in (alice, bob):
        _clear_cache(phone)
    code, events = alice.run_call(f"sip:bob@{DOMAIN}", "--timeout", "20", duration=1.5)
    audio = next(
        (e for e in events if e.get("event") == "alex.selected" and e["flow"] == "audio"), None
    )
    stats = [int(e["received"]) for e in events if e.get("event") == "call.stats"]
    return {
        "ok": code == 0 and bool(stats) and max(stats) > 20,
        "kind": audio["kind"] if audio else None,
        "sel_ms": float(audio["after_ms"]) if audio else None,
        "rtt_ms": float(audio["rtt_ms"]) if audio and audio["rtt_ms"] is not None else None,
        "probes": int(audio["probes"]) if audio else None,
        "from_cache": audio["from_cache"] if audio else None,
    }


def _scenario(rtt: float, calls: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp:
        lab = Lab(Path(tmp))
        try:
            net = lab.nat_topology(NatMode.SYMMETRIC)
            _dead_end(lab, net)
            Kamailio(lab, net.pub.ns, [net.pub.ipv4]).start()
            coturn = Coturn(lab, net.pub.ns, net.pub.ipv4).start()
            _delay(lab, net, rtt)
            bob = _nat_phone(lab, net.b, "bob", net, coturn).daemon("--auto-answer")
            bob.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
            alice = _nat_phone(lab, net.a1, "alice", net, coturn)
            results = [_one_call(alice, bob) for _ in range(calls)]
            bob.stop()
            return {"rtt": rtt, "calls": results}
        finally:
            lab.close()


def _summary(row: dict[str, Any]) -> str:
    calls = row["calls"]
    timed = [c for c in calls if c["sel_ms"] is not None and c["rtt_ms"] is not None]
    sel = [c["sel_ms"] for c in timed]
    within = sum(1 for c in timed if c["sel_ms"] <= c["rtt_ms"] + SLACK_MS)
    kinds = sorted({str(c["kind"]) for c in calls})
    if not timed:
        return f"rtt+{row['rtt']:>5g}ms: no selection in {len(calls)} calls"
    return (
        f"rtt+{row['rtt']:>5g}ms: sel median {statistics.median(sel):.1f} ms, worst {max(sel):.1f}"
        f" ms; relay rtt median {statistics.median(c['rtt_ms'] for c in timed):.1f} ms;"
        f" within rtt+{SLACK_MS:g} ms: {within}/{len(calls)}; probes median"
        f" {statistics.median(c['probes'] for c in timed):g}; kind {kinds};"
        f" ok {sum(1 for c in calls if c['ok'])}/{len(calls)};"
        f" cached {sum(1 for c in calls if c['from_cache'])}"
    )


def main() -> None:
    """Run one lab per added RTT and print its summary (or JSON lines)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=float, nargs="+", default=[20.0, 100.0])
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for rtt in args.rtt:
        row = _scenario(rtt, max(1, min(args.calls, 20)))
        print(json.dumps(row) if args.json else _summary(row), flush=True)


if __name__ == "__main__":
    main()
