"""Hold every packet of an NFQUEUE for a delay, then accept it (netem-less delay and jitter).

Run inside a lab namespace that sends packets to queue N (``-j NFQUEUE --queue-num N
--queue-bypass``: with this program gone, packets pass undelayed). Bounded by --duration.

--jitter-ms J adds a uniformly random 0..J ms to each packet's delay (seeded), so packets
also overtake each other, as on a jittery path.

Usage: python nfqueue_delay.py --queue 1 --delay-ms 10 [--jitter-ms 40] --duration 60
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import select
import time

from netfilterqueue import NetfilterQueue, Packet


def main() -> None:
    """Delay the queue's packets until --duration runs out."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", type=int, default=1)
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args()
    delay, jitter = args.delay_ms / 1000, args.jitter_ms / 1000
    rng = random.Random(args.seed)
    held: list[tuple[float, int, Packet]] = []
    order = itertools.count()

    def hold(packet: Packet) -> None:
        packet.retain()  # still valid after the callback returns
        release = time.monotonic() + delay + rng.uniform(0.0, jitter)
        heapq.heappush(held, (release, next(order), packet))

    queue = NetfilterQueue()
    queue.bind(args.queue, hold, max_len=8192)
    fd = queue.get_fd()
    end = time.monotonic() + args.duration
    print("DELAYER READY", flush=True)
    try:
        while time.monotonic() < end:
            now = time.monotonic()
            while held and held[0][0] <= now:
                heapq.heappop(held)[2].accept()
            wait = min(0.05, max(0.0, held[0][0] - now)) if held else 0.05
            if select.select([fd], [], [], wait)[0]:
                queue.run(block=False)
    finally:
        for _, _, packet in held:
            packet.accept()
        queue.unbind()


if __name__ == "__main__":
    main()
