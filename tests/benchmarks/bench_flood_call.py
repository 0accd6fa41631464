"""Flood throughput the daemon sustains before an active call loses packets.

Usage: python tests/benchmarks/bench_flood_call.py [--json] [--rates R,R,...] [--step-seconds S]

The lab of tests/interop/test_flood.py: h1 calls h2 (both ``alexphone daemon``, PCMU, 50
packets/s each way, answered by hand), then h3 floods the callee from a raw socket
(``flood_sender.py``: OPTIONS and INVITEs with SDP, alternately, from 1,000 spoofed addresses
whose answers die at h3), one step per rate, ``--step-seconds`` each, a calm pause between.
For each step: flood datagrams that reached the callee per second (an iptables counter in
h2), how many of those the kernel dropped on a full socket buffer (``RcvbufErrors`` in h2's
/proc/net/snmp: the daemon never saw them), the callee's CPU (% of one core) and its CPU per
datagram it did read beyond the calm call's (measured just before, same run), so datagrams/s
one core of the daemon rejects; and the share of the call's packets each side received
while it ran (``call.stats`` every 5 s, from the last report before the step to the first
after it). Reported: the highest rate at which both sides kept ≥ 99 % of their
packets (and ≥ 90 %, the acceptance test's bound). The flood sender, the two daemons and the
kernel share the machine's cores, as on a desktop. Needs root.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_media import _cpu_seconds, _leaf
from lab import LabError
from test_flood import SENDER, answer_by_hand, flood_datagrams_seen

SOURCES = 1000
PACKETS_PER_S = 50
CALM_SECONDS = 6.0


def _received(phone: Any, call_id: str, start: float, end: float) -> float:
    """Share of the 50/s the phone received from the last stats before ``start`` to the
    first after ``end`` (the step, and up to 5 s either side)."""
    stats = [e for e in phone.events.snapshot()
             if e["event"] == "call.stats" and e["call_id"] == call_id]  # fmt: skip
    before = [e for e in stats if e["ts"] <= start]
    after = [e for e in stats if e["ts"] >= end]
    if not before or not after:  # the call ended first: up to its last report
        after = stats[-1:] if stats and stats[-1]["ts"] > start + 5 else []
    if not before or not after:
        return float("nan")
    first, last = before[-1], after[0]
    expected = (last["ts"] - first["ts"]) * PACKETS_PER_S
    return round((last["received"] - first["received"]) / expected, 3)


def _buffer_drops(lab: Any, ns: str) -> int:
    """UDP datagrams the kernel in ``ns`` dropped because a socket's buffer was full."""
    lines = [ln.split() for ln in lab.run(ns, ["cat", "/proc/net/snmp"]).stdout.splitlines()
             if ln.startswith("Udp:")]  # fmt: skip
    return int(lines[1][lines[0].index("RcvbufErrors")])


def _step(lab: Any, hosts: Any, pid: int, rate: int, seconds: float) -> dict[str, float]:
    """One flood step: datagrams reached and dropped, the callee's CPU seconds, wall time."""
    h2, h3 = hosts[1], hosts[2]
    seen = flood_datagrams_seen(lab, h2.ns)
    drops = _buffer_drops(lab, h2.ns)
    argv = [sys.executable, str(SENDER), h2.ipv4, "5060", "10.99"]
    flood = lab.spawn(h3.ns, [*argv, str(SOURCES), str(rate), str(seconds)], timeout=seconds + 90)
    for _ in range(3000):  # the sender builds its packets first: start counting at the first
        if flood_datagrams_seen(lab, h2.ns) > seen or not flood.running():
            break
        time.sleep(0.01)
    cpu, wall = _cpu_seconds(pid), time.monotonic()
    started = time.time()
    assert flood.wait(seconds + 90) == 0, flood.log_text()
    cpu, wall = _cpu_seconds(pid) - cpu, time.monotonic() - wall
    reached = flood_datagrams_seen(lab, h2.ns) - seen
    dropped = _buffer_drops(lab, h2.ns) - drops
    return {"reached": reached, "dropped": dropped, "cpu": cpu, "wall": wall,
            "start": started, "end": time.time()}  # fmt: skip


def flood_steps(rates: list[int], seconds: float) -> dict[str, Any]:
    """Run the call, the calm measurement and one flood step per rate; the table."""
    from lab import Lab
    from lab_alexphone import Alexphone

    with tempfile.TemporaryDirectory(prefix="bench-flood-call-") as tmp:
        lab = Lab(Path(tmp))
        try:
            return _run(lab, lab.flat_lan(3), rates, seconds, Alexphone)
        finally:
            lab.close()


def _run(lab: Any, hosts: Any, rates: list[int], seconds: float, phone: Any) -> dict[str, Any]:
    h1, h2, h3 = hosts
    lab.run(h2.ns, ["ip", "route", "add", "10.99.0.0/16", "via", h3.ipv4])
    lab.run(h2.ns, ["iptables", "-I", "INPUT", "-s", "10.99.0.0/16", "-p", "udp",
                    "--dport", "5060"])  # fmt: skip
    callee = phone(lab, h2.ns, "callee", listen=[f"udp:{h2.ipv4}:5060"], audio_in="tone:440",
                   audio_out="null", args=["--codecs", "pcmu"], mdns=False)  # fmt: skip
    duration = 10 + CALM_SECONDS + len(rates) * (seconds + 25)
    callee.daemon(timeout=duration + 120)  # the lab's default bound (120 s) is shorter
    callee.wait_event("ua.ready", timeout=15)
    caller = phone(lab, h1.ns, "caller", listen=[f"udp:{h1.ipv4}:5060"], audio_in="tone:660",
                   audio_out="null", args=["--codecs", "pcmu"], mdns=False)  # fmt: skip
    caller.start("call", f"sip:bob@{h2.ipv4}:5060", "--duration", f"{duration:g}",
                 timeout=duration + 60)  # fmt: skip
    ringing = callee.wait_event("call.state", lambda e: e["state"] == "ringing", timeout=20)
    call_id = ringing["call_id"]
    answer_by_hand(callee, call_id)
    caller.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=20)
    callee.wait_event("call.stats", lambda e: e["call_id"] == call_id and e["received"] > 0)
    pid = _leaf(callee.process.pid)
    calm_cpu, calm_wall = _cpu_seconds(pid), time.monotonic()
    time.sleep(CALM_SECONDS)  # a measurement window, not a wait for an outcome
    calm = (_cpu_seconds(pid) - calm_cpu) / (time.monotonic() - calm_wall)
    table, spans = [], []
    for rate in rates:
        step = _step(lab, hosts, pid, rate, seconds)
        read = step["reached"] - step["dropped"]
        per_datagram = (step["cpu"] - calm * step["wall"]) / max(read, 1)
        table.append({
            "offered_per_s": rate,
            "reached_per_s": round(step["reached"] / step["wall"]),
            "buffer_dropped_per_s": round(step["dropped"] / step["wall"]),
            "callee_cpu_pct": round(100 * step["cpu"] / step["wall"], 1),
            "rejected_per_s_per_core": round(1 / per_datagram) if per_datagram > 0 else 0,
        })  # fmt: skip
        spans.append((step["start"], step["end"]))
        time.sleep(5)  # the call settles before the next step (a measurement pause)
    last = spans[-1][1]
    for side in (callee, caller):  # the first stats report after the last step, if any
        try:
            side.wait_event("call.stats", lambda e: e["call_id"] == call_id and e["ts"] >= last,
                            timeout=8)  # fmt: skip
        except LabError:
            print(f"{side.name}: no call.stats after the last step (the call ended?)")
    for row, (start, end) in zip(table, spans, strict=True):
        row["callee_received_share"] = _received(callee, call_id, start, end)
        row["caller_received_share"] = _received(caller, call_id, start, end)
    caller.stop()
    callee.stop()
    return {"calm_callee_cpu_pct": round(100 * calm, 2), "steps": table,
            "max_rate_no_loss": _highest(table, 0.99),
            "max_rate_90pct": _highest(table, 0.9)}  # fmt: skip


def _highest(table: list[dict[str, Any]], share: float) -> int:
    """The highest offered rate up to which every step kept ``share`` of the call's packets."""
    best = 0
    for row in table:
        if not (row["callee_received_share"] >= share and row["caller_received_share"] >= share):
            break
        best = row["offered_per_s"]
    return best


def main() -> None:
    """Run the steps and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1000,5000,10000")
    parser.add_argument("--step-seconds", type=float, default=8.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = flood_steps([int(r) for r in args.rates.split(",")], args.step_seconds)
    if args.json:
        print(json.dumps(result))
        return
    print(f"calm call: callee {result['calm_callee_cpu_pct']} % of one core")
    for row in result["steps"]:
        print("  ".join(f"{k} {v}" for k, v in row.items()))
    print(f"highest rate with >= 99 % of the call's packets: {result['max_rate_no_loss']}/s; "
          f">= 90 %: {result['max_rate_90pct']}/s")  # fmt: skip


if __name__ == "__main__":
    main()
