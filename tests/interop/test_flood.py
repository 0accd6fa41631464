"""A call between two daemons holds while the callee takes a spoofed SIP flood.

h1 calls h2 (both `alexphone`, PCMU, 50 packets/s each way). Once the call is up, h3 sends
2,000 SIP datagrams/s for 15 s to the callee from a raw socket (`flood_sender.py`): OPTIONS
and INVITEs with SDP, alternately, from 1,000 spoofed addresses in 10.99.0.0/16. The callee
routes 10.99.0.0/16 to h3, which does not forward, so whatever it answers dies there, as
answers to a spoofed source do. An iptables rule in h2 counts the flood datagrams that
reached it. Acceptance (issue "flood and abuse limits"): in every 5 s `call.stats` window
overlapping the flood, each side receives at least 90 % of the packets the other sends at
50/s; the callee's resident memory grows by less than 60 MB; a legitimate OPTIONS from h1
is answered within 1 s after the flood. The limits shedding the flood are
`net/rate_limit.py` (per source and overall buckets, before parsing).
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import Event

pytestmark = [pytest.mark.interop, pytest.mark.slow]  # 15 s of flood in real time

SENDER = Path(__file__).with_name("flood_sender.py")
RATE, SECONDS, SOURCES = 2000, 15, 1000
PACKETS_PER_S = 50  # 20 ms PCMU frames
MIN_SHARE = 0.9
MAX_RSS_GROWTH_KB = 60 * 1024
OPTIONS = (
    "OPTIONS sip:bob@{target}:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP {src}:{port};branch=z9hG4bKlegit1\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:probe@{src}>;tag=legit\r\nTo: <sip:bob@{target}>\r\n"
    "Call-ID: legit-probe@{src}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


def python_rss_kb(pid: int) -> int:
    """Resident memory (kB) of the Python processes under ``pid`` (the lab wraps ours)."""
    total, todo = 0, [pid]
    for _ in range(64):  # the wrapper chain is short; bounded walk
        if not todo:
            break
        current = todo.pop()
        proc = Path(f"/proc/{current}")
        try:
            if proc.joinpath("comm").read_text().startswith("python"):
                status = proc.joinpath("status").read_text()
                total += int(
                    next(ln for ln in status.splitlines() if ln.startswith("VmRSS:")).split()[1]
                )
            for task in proc.joinpath("task").iterdir():
                todo += [int(c) for c in task.joinpath("children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    assert total > 0, f"no python process under {pid}"
    return total


def flood_datagrams_seen(lab: Lab, ns: str) -> int:
    """Packets the counting rule in ``ns`` matched (flood datagrams that reached the callee)."""
    listing = lab.run(ns, ["iptables", "-L", "INPUT", "-v", "-x", "-n"]).stdout
    line = next(ln for ln in listing.splitlines() if "10.99.0.0/16" in ln)
    return int(line.split()[0])


def windows(stats: list[Event], start: float, end: float) -> list[tuple[float, int, int]]:
    """(start, packets received, packets expected) of each stats window touching the flood."""
    out = []
    for before, after in itertools.pairwise(stats):
        if after["ts"] < start or before["ts"] > end:
            continue
        expected = round((after["ts"] - before["ts"]) * PACKETS_PER_S)
        out.append((before["ts"] - start, after["received"] - before["received"], expected))
    return out


def legit_options_answer(lab: Lab, host: Host, target: str) -> tuple[bytes, float]:
    """Send one OPTIONS from ``host`` to the callee; its answer and how long it took (≤ 1 s)."""
    sock = lab.socket(host.ns, socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host.ipv4, 0))
        port = sock.getsockname()[1]
        sock.settimeout(1.0)  # the acceptance bound itself
        sent = time.monotonic()
        sock.sendto(
            OPTIONS.format(target=target, src=host.ipv4, port=port).encode(), (target, 5060)
        )
        answer = sock.recv(65535)
        return answer, time.monotonic() - sent
    finally:
        sock.close()


def answer_by_hand(phone: Alexphone, call_id: str) -> None:
    """``alexphone ctl answer CALL`` on the daemon's control socket (a file: any namespace)."""
    argv = [sys.executable, "-m", "alexphone", "ctl", "--profile", str(phone.profile)]
    done = subprocess.run([*argv, "answer", call_id], env={**os.environ, **phone.env()},
                          capture_output=True, text=True, timeout=20, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_call_keeps_its_audio_through_a_spoofed_flood(lab: Lab, flat_lan: list[Host]) -> None:
    h1, h2, h3 = flat_lan
    lab.run(h2.ns, ["ip", "route", "add", "10.99.0.0/16", "via", h3.ipv4])
    lab.run(
        h2.ns, ["iptables", "-I", "INPUT", "-s", "10.99.0.0/16", "-p", "udp", "--dport", "5060"]
    )
    callee = Alexphone(lab, h2.ns, "callee", listen=[f"udp:{h2.ipv4}:5060"], audio_in="tone:440",
                       audio_out="null", args=["--codecs", "pcmu"], mdns=False)  # fmt: skip
    callee.daemon()  # answered by hand: --auto-answer would also answer the flood's INVITEs
    callee.wait_event("ua.ready", timeout=15)
    caller = Alexphone(lab, h1.ns, "caller", listen=[f"udp:{h1.ipv4}:5060"], audio_in="tone:660",
                       audio_out="null", args=["--codecs", "pcmu"], mdns=False)  # fmt: skip
    caller.start_call(f"sip:bob@{h2.ipv4}:5060", duration=SECONDS + 14)
    ringing = callee.wait_event("call.state", lambda e: e["state"] == "ringing", timeout=20)
    call_id = ringing["call_id"]
    answer_by_hand(callee, call_id)
    caller.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=20)
    callee.wait_event("call.stats", lambda e: e["call_id"] == call_id and e["received"] > 0)
    assert callee.process is not None
    rss_before = python_rss_kb(callee.process.pid)

    start = time.time()
    argv = [sys.executable, str(SENDER), h2.ipv4, "5060", "10.99"]
    argv += [str(SOURCES), str(RATE), str(SECONDS)]
    flood = lab.spawn(h3.ns, argv, timeout=SECONDS + 60)
    assert flood.wait(SECONDS + 60) == 0, flood.log_text()
    end = time.time()
    rss_after = python_rss_kb(callee.process.pid)
    answer, took = legit_options_answer(lab, h1, h2.ipv4)
    code = caller.wait_exit(timeout=40)
    callee.wait_event(
        "call.state", lambda e: e["call_id"] == call_id and e["state"] == "ended", timeout=10
    )

    reached = flood_datagrams_seen(lab, h2.ns)
    print(f"flood: {flood.log_text().strip()}; {reached} reached the callee in {end - start:.1f} s")
    assert reached >= 0.95 * RATE * SECONDS, reached
    assert code == 0, caller.stderr_tail()
    report = {}
    for name, phone in (("callee hears", callee), ("caller hears", caller)):
        stats = [
            e
            for e in phone.events.snapshot()
            if e["event"] == "call.stats" and e["call_id"] == call_id
        ]
        report[name] = windows(stats, start, end)
        print(name, [(round(t, 1), got, want) for t, got, want in report[name]])
    growth = rss_after - rss_before
    print(
        f"callee RSS {rss_before} → {rss_after} kB (+{growth} kB); "
        f"legit OPTIONS answered in {took * 1000:.0f} ms"
    )
    for name, rows in report.items():
        assert len(rows) >= SECONDS // 5, (name, rows)
        assert all(got >= MIN_SHARE * want for _, got, want in rows), (name, rows)
    assert growth < MAX_RSS_GROWTH_KB, growth
    assert answer.startswith(b"SIP/2.0 200"), answer[:200]
    callee.stop()
