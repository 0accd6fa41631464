"""The RTCP side of one call's stream: reports at the RFC 3550 interval, RTT, peer's loss.

Time comes in as ``now`` (loop monotonic seconds) and ``wall`` (Unix seconds, for the NTP
fields of SR); randomness through ``rng``. The stream tells this object what it sent and
received; ``report(now, wall)`` builds the compound packet (SR or RR, then SDES CNAME as
RFC 3550 §6.1 requires) and ``receive`` reads the peer's, yielding our round-trip time
(§6.4.1: A - LSR - DLSR) and the loss fraction the peer sees (to tune Opus FEC).
"""

from __future__ import annotations

from alexphone.core.errors import ParseError
from alexphone.rtp.packet import RtpPacket
from alexphone.rtp.rtcp import (
    SDES_CNAME,
    Bye,
    RandomSource,
    ReceiverReport,
    ReceptionStats,
    ReportBlock,
    RtcpPacket,
    SdesChunk,
    SenderReport,
    SourceDescription,
    average_rtcp_size,
    ntp_from_seconds,
    parse_compound,
    round_trip_time,
    rtcp_bandwidth,
    rtcp_interval,
    serialize_compound,
)

UDP_IP_OVERHEAD = 28  # RFC 3550 §6.3.3: the average size includes lower-layer headers


class RtcpSession:
    """Builds our reports and reads the peer's for one RTP session (RFC 3550 §6)."""

    def __init__(
        self, ssrc: int, cname: str, clock_rate: int, session_bps: float, rng: RandomSource
    ) -> None:
        self.ssrc = ssrc
        self.cname = cname
        self.clock_rate = clock_rate
        self.rng = rng
        self.rtcp_bw = rtcp_bandwidth(session_bps)
        self.avg_size = 100.0
        self.initial = True
        self.source: ReceptionStats | None = None
        self.packets_sent = 0
        self.octets_sent = 0
        self._sent_since_report = False
        self._last_rtp: tuple[float, int] | None = None  # (now, timestamp) of our last RTP
        self.rtt: float | None = None
        self.peer_fraction_lost = 0.0  # what the peer's last report said about our stream
        self.bad = 0
        self.received = 0
        self.peer_left = False

    # -- what the stream tells us ------------------------------------------------------------
    def sent(self, packet: RtpPacket, now: float) -> None:
        """Count one RTP packet we sent (SR sender info)."""
        self.packets_sent += 1
        self.octets_sent += len(packet.payload)
        self._sent_since_report = True
        self._last_rtp = (now, packet.timestamp)

    def received_rtp(self, packet: RtpPacket, now: float) -> bool:
        """Account for one RTP packet from the peer; False if RFC 3550 A.1 rejects it."""
        if self.source is None or self.source.ssrc != packet.ssrc:
            self.source = ReceptionStats(packet.ssrc, self.clock_rate)
        return self.source.update(packet, now)

    # -- timing -----------------------------------------------------------------------------
    def interval(self) -> float:
        """Return the seconds until our next report (RFC 3550 §6.3, A.7; 2 members)."""
        senders = int(self._sent_since_report) + int(self.source is not None)
        value = rtcp_interval(
            2, senders, self.rtcp_bw, self._sent_since_report, self.avg_size, self.initial, self.rng
        )
        self.initial = False
        return value

    # -- building ---------------------------------------------------------------------------
    def report(self, now: float, wall: float, bye: bool = False) -> bytes:
        """Return our compound RTCP packet: SR or RR, SDES CNAME, and BYE when leaving."""
        blocks: tuple[ReportBlock, ...] = ()
        if self.source is not None:
            blocks = (self.source.report_block(now),)
        first: RtcpPacket
        if self._sent_since_report and self._last_rtp is not None:
            sent_at, timestamp = self._last_rtp
            # §6.4.1: the RTP timestamp of the same instant as the NTP timestamp
            rtp_now = (timestamp + round((now - sent_at) * self.clock_rate)) & 0xFFFFFFFF
            first = SenderReport(
                self.ssrc,
                ntp_from_seconds(wall),
                rtp_now,
                self.packets_sent,
                self.octets_sent,
                blocks,
            )
        else:
            first = ReceiverReport(self.ssrc, blocks)
        packets: list[RtcpPacket] = [
            first,
            SourceDescription((SdesChunk(self.ssrc, ((SDES_CNAME, self.cname.encode()),)),)),
        ]
        if bye:
            packets.append(Bye((self.ssrc,)))
        data = serialize_compound(packets)
        self.avg_size = average_rtcp_size(self.avg_size, len(data) + UDP_IP_OVERHEAD)
        self._sent_since_report = False
        return data

    # -- reading ----------------------------------------------------------------------------
    def receive(self, data: bytes, now: float, wall: float) -> bool:
        """Read a compound RTCP packet from the peer; False (and counted) if it is garbage."""
        try:
            packets = parse_compound(data)
        except ParseError:
            self.bad += 1
            return False
        self.received += 1
        self.avg_size = average_rtcp_size(self.avg_size, len(data) + UDP_IP_OVERHEAD)
        for packet in packets:
            if isinstance(packet, SenderReport | ReceiverReport):
                source = self.source
                if isinstance(packet, SenderReport) and source and packet.ssrc == source.ssrc:
                    source.on_sender_report(packet, now)
                for block in packet.reports:
                    if block.ssrc == self.ssrc:
                        self._about_us(block, wall)
            elif isinstance(packet, Bye):
                self.peer_left = True
        return True

    def _about_us(self, block: ReportBlock, wall: float) -> None:
        self.peer_fraction_lost = block.fraction_lost / 256
        rtt = round_trip_time(block, ntp_from_seconds(wall))
        if rtt is not None:
            self.rtt = rtt
