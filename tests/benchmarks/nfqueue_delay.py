"""Hold every packet of an NFQUEUE for a delay, then accept it (netem-less delay and jitter).

Run inside a lab namespace that sends packets to queue N (``-j NFQUEUE --queue-num N
--queue-bypass``: with this program gone, packets pass undelayed). Bounded by --duration.

--jitter-ms J adds a uniformly random 0..J ms to each packet's delay (seeded), so packets
also overtake each other, as on a jittery path. An RTP packet's draw is keyed on its place
in its stream, like the loss below, so every stream of one sender sees the same jitter.

--loss-percent P drops RTP packets by a seeded decision on the packet's place in its stream
(its sequence number minus the first one seen of that SSRC), not at random per packet: run on
the sender's way out, every stream of one sender loses the same packets of what it sends,
so two receivers of the same source are compared on the same losses. RTCP and non-RTP
datagrams pass. The decision is taken as the packet enters the queue, before any jitter.

Usage: python nfqueue_delay.py --queue 1 --delay-ms 10 [--jitter-ms 40] [--loss-percent 5]
       --duration 60
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import select
import time

from netfilterqueue import NetfilterQueue, Packet

RTCP_TYPES = range(72, 77)  # RTCP 200-204 with the marker bit masked off


def rtp_place(datagram: bytes) -> tuple[int, int] | None:
    """(SSRC, sequence number) of an IPv4/IPv6 UDP datagram carrying RTP, else None."""
    if not datagram:
        return None
    if datagram[0] >> 4 == 4:
        if datagram[9] != 17:  # not UDP
            return None
        start = (datagram[0] & 0x0F) * 4 + 8
    elif datagram[0] >> 4 == 6 and len(datagram) > 6 and datagram[6] == 17:
        start = 48
    else:
        return None
    rtp = datagram[start:]
    if len(rtp) < 12 or rtp[0] >> 6 != 2 or rtp[1] & 0x7F in RTCP_TYPES:
        return None
    return int.from_bytes(rtp[8:12], "big"), int.from_bytes(rtp[2:4], "big")


class SeededPath:
    """The same fate for the same place of every RTP stream: place k (sequence number minus
    the stream's first) is lost iff loss draw k < percent, and is held jitter draw k."""

    def __init__(self, percent: float, jitter: float, seed: int) -> None:
        rng = random.Random(f"loss-{seed}")
        self.lost = [rng.random() * 100 < percent for _ in range(65536)]
        rng = random.Random(f"jitter-{seed}")
        self.held = [rng.uniform(0.0, jitter) for _ in range(65536)]
        self.first: dict[int, int] = {}
        self.dropped = 0

    def place(self, datagram: bytes) -> int | None:
        """The datagram's place in its RTP stream, None if it is not RTP."""
        found = rtp_place(datagram)
        if found is None:
            return None
        ssrc, seq = found
        if ssrc not in self.first:
            self.first[ssrc] = seq
            print(f"DELAYER STREAM {ssrc:08x} from seq {seq}", flush=True)
        return (seq - self.first[ssrc]) % 65536

    def drops(self, place: int | None) -> bool:
        """True if an RTP packet at this place is lost."""
        if place is not None and self.lost[place]:
            self.dropped += 1
            return True
        return False


def main() -> None:
    """Delay the queue's packets until --duration runs out."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue", type=int, default=1)
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--loss-percent", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args()
    delay, jitter = args.delay_ms / 1000, args.jitter_ms / 1000
    rng = random.Random(args.seed)
    path = SeededPath(args.loss_percent, jitter, args.seed)
    held: list[tuple[float, int, Packet]] = []
    order = itertools.count()

    def hold(packet: Packet) -> None:
        place = path.place(packet.get_payload())
        if path.drops(place):
            packet.drop()
            return
        packet.retain()  # still valid after the callback returns
        draw = rng.uniform(0.0, jitter) if place is None else path.held[place]
        release = time.monotonic() + delay + draw
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
        if args.loss_percent > 0:
            print(f"DELAYER DROPPED {path.dropped}", flush=True)


if __name__ == "__main__":
    main()
