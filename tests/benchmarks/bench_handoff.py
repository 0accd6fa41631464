"""Handoff gap of a call whose phone changes uplink, measured at the far end, over N moves.

The routed lab of tests/interop/lab_uplinks.py: alice (alexphone on the wildcard address)
calls bob through Kamailio and, during one long call, moves N times between eth0
(10.0.1.2) and eth1 (10.0.2.2):
- ``mbb`` make-before-break: the other uplink comes up (a worse default route), 1 s later
  the current one goes down;
- ``bbm`` break-before-make: the current uplink goes down, the other comes up 1 s later.
bob is ``baresip`` (a plain SIP peer: alice runs --no-alex and re-INVITEs it) or
``alexphone`` (both ALEX: the move restarts the checks). tcpdump runs in both namespaces
(RTP only). Per move:
- ``gap at bob``: the longest silence in alice's RTP as bob's namespace receives it, from
  1 s before the link went down to 3 s after (bbm: after the new uplink came up) — the
  issue's "last packet on the old path to the first on the new one" when paths switch once;
- ``gap at alice``: the same for bob's RTP arriving at alice;
- ``lost``: RTP bob sent to alice's old address after the link went down.
Median and worst over the moves. Needs root, kamailio, baresip, tcpdump.

Usage: python tests/benchmarks/bench_handoff.py [--moves 10] [--rows plain-mbb plain-bbm
       alex-mbb alex-bbm] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from lab import Lab
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Baresip, Kamailio, baresip_account
from lab_uplinks import (
    Capture,
    Uplinks,
    drop_uplink,
    longest_silence,
    raise_uplink,
    sent_after,
    uplinks_topology,
)

LINKS = (("eth0", 1), ("eth1", 2))  # (interface, LAN): alice alternates between them
SETTLED = 1.0  # s: the new uplink is up this long before the old one goes (mbb)
LINK_DELAY = 1.0  # s: the new uplink comes up this long after the old one went (bbm)
AFTER = 3.0  # s of audio watched after each move


def _bob(lab: Lab, net: Uplinks, peer: str) -> Baresip | Alexphone:
    if peer == "baresip":
        outbound = f"sip:{net.server.ipv4}:5060;transport=udp"
        account = baresip_account("bob", password=USERS["bob"], outbound=outbound, regint=60)
        return Baresip(lab, net.peer.ns, account).start()
    bob = Alexphone(
        lab, net.peer.ns, "bob", listen=[f"udp:{net.peer.ipv4}:5060"], audio_in="tone:330",
        audio_out="null",
    )  # fmt: skip
    password = bob.password_file(USERS["bob"])
    bob.common += ["--account", f"sip:bob@{DOMAIN}", "--password-file", str(password)]
    bob.common += ["--proxy", f"sip:{net.server.ipv4}:5060"]
    bob.daemon("--auto-answer")
    return bob


def _alice(lab: Lab, net: Uplinks, plain: bool) -> Alexphone:
    args = ["-v", "--no-alex"] if plain else ["-v"]
    alice = Alexphone(
        lab, net.mover.ns, "alice", listen=["udp:0.0.0.0:5060"], audio_in="tone:440",
        audio_out="null", args=args,
    )  # fmt: skip
    password = alice.password_file(USERS["alice"])
    alice.common += ["--account", f"sip:alice@{DOMAIN}", "--password-file", str(password)]
    alice.common += ["--proxy", f"sip:{net.server.ipv4}:5060"]
    return alice


def _moves(lab: Lab, net: Uplinks, moves: int, make_first: bool) -> list[tuple[float, str]]:
    """Move alice ``moves`` times; (when the audio could resume, old address) per move."""
    done: list[tuple[float, str]] = []
    for i in range(moves):  # bounded by --moves
        (old, old_lan), (new, new_lan) = LINKS[i % 2], LINKS[(i + 1) % 2]
        metric = 100 * (i + 1)  # worse than the route in use: make-before-break keeps it
        if make_first:
            raise_uplink(lab, net, new, new_lan, metric)
            time.sleep(SETTLED)
        moved_at = time.time()
        drop_uplink(lab, net, old)
        if not make_first:
            time.sleep(LINK_DELAY)
            raise_uplink(lab, net, new, new_lan, metric)
        done.append((moved_at, f"10.0.{old_lan}.2"))
        time.sleep(AFTER)
    return done


def _row(peer: str, make_first: bool, moves: int, keep: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-handoff-") as tmp:
        lab = Lab(Path(tmp))
        try:
            net = uplinks_topology(lab)
            kamailio = Kamailio(lab, net.server.ns, [net.server.ipv4]).start()
            _bob(lab, net, peer)
            kamailio.wait_registered("bob", timeout=60)
            alice = _alice(lab, net, plain=peer == "baresip")
            seconds = moves * (SETTLED + LINK_DELAY + AFTER) + 10
            at_bob = Capture(lab, net.peer.ns, "at-bob", seconds + 30)
            at_alice = Capture(lab, net.mover.ns, "at-alice", seconds + 30)
            alice.start_call(
                f"sip:bob@{DOMAIN}", "--timeout", f"{seconds + 20:g}", duration=seconds
            )
            alice.wait_event("call.media", timeout=30)
            time.sleep(2.0)
            done = _moves(lab, net, moves, make_first)
            to_bob, to_alice = at_bob.stop(), at_alice.stop()
            alice.stop()
        finally:
            lab.close()
            if keep is not None:  # the processes' logs and captures, for a closer look
                shutil.copytree(tmp, keep / f"{peer}-{'mbb' if make_first else 'bbm'}")
    peer_ip = net.peer.ipv4
    gaps_bob, gaps_alice, lost = [], [], []
    for moved_at, old in done:
        start, end = moved_at - 1.0, moved_at + AFTER
        gaps_bob.append(longest_silence(to_bob, peer_ip, start, end, to_peer=True))
        gaps_alice.append(longest_silence(to_alice, peer_ip, start, end, to_peer=False))
        lost.append(sent_after([p for p in to_bob if p[0] < end], peer_ip, old, moved_at))
    return {
        "row": f"{'plain' if peer == 'baresip' else 'alex'}-{'mbb' if make_first else 'bbm'}",
        "moves": moves,
        **_summary("gap_at_bob_ms", gaps_bob),
        **_summary("gap_at_alice_ms", gaps_alice),
        **_summary("lost", [float(n) for n in lost]),
        "per_move": [
            {"at": round(m, 3), "gap_at_bob_ms": round(b), "gap_at_alice_ms": round(a), "lost": n}
            for (m, _), b, a, n in zip(done, gaps_bob, gaps_alice, lost, strict=True)
        ],
    }


def _summary(name: str, values: list[float]) -> dict[str, float]:
    return {f"{name}_median": round(statistics.median(values), 1), f"{name}_worst": max(values)}


ROWS = {
    "plain-mbb": ("baresip", True),
    "plain-bbm": ("baresip", False),
    "alex-mbb": ("alexphone", True),
    "alex-bbm": ("alexphone", False),
}


def main() -> None:
    """Run the rows and print one line each (or JSON lines)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, help="copy the lab's logs and captures here")
    args = parser.parse_args()
    for name in args.rows:
        result = _row(*ROWS[name], args.moves, args.keep)
        if args.json:
            print(json.dumps(result), flush=True)
            continue
        print(
            f"{result['row']:9} {result['moves']} moves: gap at bob median "
            f"{result['gap_at_bob_ms_median']} ms worst {result['gap_at_bob_ms_worst']:.0f} ms; "
            f"at alice median {result['gap_at_alice_ms_median']} ms worst "
            f"{result['gap_at_alice_ms_worst']:.0f} ms; lost per move median "
            f"{result['lost_median']} worst {result['lost_worst']:.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
