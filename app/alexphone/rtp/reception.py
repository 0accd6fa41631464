"""Per-source reception statistics (RFC 3550 A.1, A.3, A.8) and RTT (§6.4.1).

Theory: every RTP packet from a source goes through ``update(packet, now)``,
which validates the sequence number (A.1: dropouts, misorder, restarts),
keeps the extended highest sequence number, counts packets and updates the
interarrival jitter (A.8). ``report_block(now)`` produces the §6.4.1 block and
starts a new interval for "fraction lost" (A.3). ``on_sender_report`` remembers
LSR and its arrival time so the block carries DLSR; the sender computes the
round-trip time from that block with ``round_trip_time``.
"""

from __future__ import annotations

from alexphone.rtp.packet import RtpPacket
from alexphone.rtp.rtcp_packet import ReportBlock, SenderReport

__all__ = [
    "NTP_UNIX_OFFSET",
    "ReceptionStats",
    "ntp_compact",
    "ntp_from_seconds",
    "round_trip_time",
]

NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
_SEQ_MOD = 1 << 16
MAX_DROPOUT = 3000  # RFC 3550 A.1
MAX_MISORDER = 100


def ntp_from_seconds(unix_seconds: float) -> int:
    """Return the 64-bit NTP timestamp (§4) of a Unix time in seconds."""
    return int((unix_seconds + NTP_UNIX_OFFSET) * (1 << 32)) & 0xFFFFFFFFFFFFFFFF


def ntp_compact(ntp: int) -> int:
    """Return the middle 32 bits of a 64-bit NTP timestamp (the LSR format, §6.4.1)."""
    return (ntp >> 16) & 0xFFFFFFFF


def round_trip_time(block: ReportBlock, arrival_ntp: int) -> float | None:
    """Return the RTT in seconds from a report block about our SR: A - LSR - DLSR (§6.4.1)."""
    if block.lsr == 0:
        return None
    rtt = (ntp_compact(arrival_ntp) - block.lsr - block.dlsr) & 0xFFFFFFFF
    if rtt >= 1 << 31:
        return None  # negative: clocks or the peer's report are inconsistent
    return rtt / 65536


class ReceptionStats:
    """What we know about one remote source's RTP stream; feeds RR/SR report blocks."""

    def __init__(self, ssrc: int, clock_rate: int) -> None:
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.received = 0
        self.duplicates = 0
        self.bad = 0  # packets rejected by the A.1 sequence checks
        self._base_seq = 0
        self._max_seq = 0
        self._cycles = 0
        self._bad_seq: int | None = None
        self._started = False
        self._jitter = 0.0  # timestamp units, A.8
        self._transit: float | None = None
        self._expected_prior = 0
        self._received_prior = 0
        self._lsr = 0
        self._lsr_time: float | None = None
        self.last_arrival: float | None = None

    @property
    def extended_max_sequence(self) -> int:
        """Return cycles << 16 | highest sequence number received."""
        return self._cycles + self._max_seq

    @property
    def expected(self) -> int:
        """Return how many packets should have arrived (A.3)."""
        return self.extended_max_sequence - self._base_seq + 1 if self._started else 0

    @property
    def lost(self) -> int:
        """Return the cumulative number of packets lost (A.3; negative with duplicates)."""
        return self.expected - self.received

    @property
    def jitter(self) -> float:
        """Return the interarrival jitter in seconds (A.8)."""
        return self._jitter / self.clock_rate

    def _init_seq(self, seq: int) -> None:
        self._base_seq = seq
        self._max_seq = seq
        self._cycles = 0
        self._bad_seq = None
        self._expected_prior = 0
        self._received_prior = 0
        self.received = 0
        self._transit = None

    def _update_seq(self, seq: int) -> bool:
        # RFC 3550 A.1 (probation skipped: the source was announced in SDP)
        if not self._started:
            self._started = True
            self._init_seq(seq)
            return True
        udelta = (seq - self._max_seq) % _SEQ_MOD
        if 0 < udelta < MAX_DROPOUT:
            if seq < self._max_seq:
                self._cycles += _SEQ_MOD  # wrapped
            self._max_seq = seq
        elif udelta == 0 or udelta > _SEQ_MOD - MAX_MISORDER:
            # duplicate or reordered: A.1 still counts it as received
            self.duplicates += udelta == 0
            return True
        else:
            if self._bad_seq is not None and seq == self._bad_seq:
                self._init_seq(seq)  # two sequential packets after a jump: the peer restarted
                return True
            self._bad_seq = (seq + 1) % _SEQ_MOD
            self.bad += 1
            return False
        return True

    def update(self, packet: RtpPacket, now: float) -> bool:
        """Account for one received packet; False if the A.1 checks rejected it."""
        if not self._update_seq(packet.sequence):
            return False
        self.received += 1
        self.last_arrival = now
        # RFC 3550 A.8: transit = arrival - timestamp, both in timestamp units
        transit = now * self.clock_rate - packet.timestamp
        if self._transit is not None:
            d = abs(transit - self._transit)
            if d > 1 << 31:
                d = abs(d - (1 << 32))  # the timestamp wrapped between the two packets
            self._jitter += (d - self._jitter) / 16
        self._transit = transit
        return True

    def on_sender_report(self, report: SenderReport, now: float) -> None:
        """Remember this source's SR for the LSR/DLSR fields of our next report (§6.4.1)."""
        self._lsr = ntp_compact(report.ntp_timestamp)
        self._lsr_time = now

    def report_block(self, now: float) -> ReportBlock:
        """Return the §6.4.1 block for this source and start a new loss interval (A.3)."""
        expected = self.expected
        expected_interval = expected - self._expected_prior
        received_interval = self.received - self._received_prior
        self._expected_prior = expected
        self._received_prior = self.received
        lost_interval = expected_interval - received_interval
        fraction = 0
        if expected_interval > 0 and lost_interval > 0:
            fraction = (lost_interval << 8) // expected_interval
        dlsr = 0
        if self._lsr_time is not None:
            dlsr = int((now - self._lsr_time) * 65536) & 0xFFFFFFFF
        return ReportBlock(
            ssrc=self.ssrc,
            fraction_lost=min(fraction, 255),
            cumulative_lost=self.lost,
            highest_sequence=self.extended_max_sequence & 0xFFFFFFFF,
            jitter=int(self._jitter),
            lsr=self._lsr,
            dlsr=dlsr,
        )
