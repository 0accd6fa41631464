"""One call's audio pipeline: capture → encode → RTP out, RTP in → jitter buffer → playout.

Theory of operation. The stream is driven from outside with the time passed in, so tests
run it on a fake clock and the asyncio driver (``media.stream_driver``) only arms timers:
- ``tick(now)`` runs once per 20 ms frame (``now`` is the frame's scheduled time): reads one
  frame from the source, encodes it and sends it (or a DTMF event packet, RFC 4733) when we
  send (a microphone running on its own clock gets a frame more or less now and then, so
  its drift never piles up); then, when we receive, feeds the sink from the playout
  (``media.playout``): one frame for a sink written on the tick's schedule (a file), or as
  many as keep a device's FIFO ``DEVICE_LEAD`` ahead of what its callback pulls
  (``BufferedSink``), so a late tick never starves the sound card. The playout decodes (or
  conceals: Opus FEC from the next packet, else PLC) and stretches on the audio clock,
  never on when the tick ran.
- ``receive_rtp``/``receive_rtcp`` take datagrams; garbage is counted and dropped, unknown
  payload types are ignored. The first valid RTP from an address other than the one the
  SDP named moves our sending there (latching: the peer's real, post-NAT address).
- ``report(now, wall)`` returns the next compound RTCP packet; ``rtcp_interval()`` says when.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from alexphone.core.address import Address
from alexphone.core.errors import ParseError, RemoteProtocolError
from alexphone.media.audio_endpoint import (
    AudioSink,
    AudioSource,
    BufferedSink,
    CapturingSource,
)
from alexphone.media.codec import AudioCodec, make_codec
from alexphone.media.opus_codec import OpusCodec, parse_opus_fmtp
from alexphone.media.playout import Playout
from alexphone.media.resampler import Resampler
from alexphone.media.rtcp_session import RtcpSession
from alexphone.rtp.dtmf import DtmfReceiver, DtmfSender
from alexphone.rtp.jitter_buffer import JitterBuffer
from alexphone.rtp.packet import RtpPacket
from alexphone.rtp.rtcp import RandomSource
from alexphone.sdp.codec import Codec
from alexphone.sdp.offer_answer import NegotiatedMedia

log = logging.getLogger(__name__)
FRAME_SECONDS = 0.020
DTMF_GAP_FRAMES = 3  # 60 ms of audio between two digits
# Measured with PESQ-WB on speech (tests/benchmarks/bench_media.py): at 32 kb/s, complexity 5
# Opus scores 3.6 clean; 48 kb/s at complexity 10 scores 4.2, and with in-band FEC armed
# (expected loss 1 %) keeps 3.9 under 5 % random loss where plain PLC falls to 2.7.
OPUS_BITRATE = 48000
LEVEL_FRAMES = 5  # a level reading spans 100 ms of audio
# A device's callback pulls on its own thread: keep this much decoded audio queued for it,
# enough for the event loop to be a tick late (20 ms frames, 20 ms device periods).
DEVICE_LEAD = 0.060
MAX_REFILL = 10  # frames written to a device in one tick at most (after a long stall)
ADJUST_TICKS = 25  # a microphone's drift is followed by one frame more or less at most this often
SILENCE_DB = -100.0
_Reading = Callable[[], int | None]  # a device's count of samples waiting


class RmsLevel:
    """RMS level (dBFS) of the last ``LEVEL_FRAMES`` frames of 16-bit PCM fed to it."""

    def __init__(self) -> None:
        self.db = SILENCE_DB
        self._energy = 0.0
        self._samples = 0
        self._frames = 0

    def feed(self, pcm: bytes) -> None:
        """Add one frame; every ``LEVEL_FRAMES`` frames ``db`` takes the new reading."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        self._energy += float(np.dot(samples, samples))
        self._samples += len(samples)
        self._frames += 1
        if self._frames >= LEVEL_FRAMES:
            rms = math.sqrt(self._energy / self._samples) / 32768 if self._samples else 0.0
            self.db = max(SILENCE_DB, 20 * math.log10(rms)) if rms > 0 else SILENCE_DB
            self._energy, self._samples, self._frames = 0.0, 0, 0


@dataclass(frozen=True, slots=True)
class StreamStats:
    """Counters of one stream, for ``call.stats``."""

    sent: int
    received: int
    lost: int
    jitter_ms: float
    rtt_ms: float | None
    late: int
    bad: int
    concealed: int
    fec_recovered: int
    stretched: int = 0  # time-scale modifications (accelerate + expand) of the playout
    playout_delay_ms: float = 0.0  # how long after the typical packet's arrival we play it


class _Decoder:
    """A decoder for one payload type, converting to the sink's rate if it differs."""

    def __init__(self, codec: AudioCodec, sink_rate: int) -> None:
        self.codec = codec
        self.resampler = Resampler(codec.sample_rate, sink_rate)

    def decode(self, payload: bytes) -> bytes:
        """Decode one payload to PCM at the sink's rate."""
        return self.resampler.convert(self.codec.decode(payload))

    def conceal(self, next_payload: bytes | None) -> bytes:
        """Conceal a lost frame (FEC from ``next_payload`` when given) at the sink's rate."""
        return self.resampler.convert(self.codec.conceal(next_payload))


class MediaStream:
    """Sends and receives the audio of one call (one RTP session, RFC 3550)."""

    def __init__(
        self,
        media: NegotiatedMedia,
        source: AudioSource,
        sink: AudioSink,
        send_rtp: _Send,
        send_rtcp: _Send,
        *,
        rng: RandomSource,
        ssrc: int,
        cname: str,
        complexity: int = 10,
        loss_floor: int = 1,
        opus_bitrate: int = OPUS_BITRATE,
    ) -> None:
        self.media = media
        self.source = source
        self.sink = sink
        self._send_rtp = send_rtp
        self._send_rtcp = send_rtcp
        self.complexity = complexity
        # Opus codes in-band FEC only for an expected loss > 0: start (and stay) at a floor
        self.loss_floor = loss_floor
        self.opus_bitrate = opus_bitrate
        self.encoder = self._make_encoder(media.codec)
        self.ssrc = ssrc
        self.sequence = int(rng.random() * 65536)
        self.timestamp = int(rng.random() * (1 << 32))
        self.clock_rate = media.codec.clock_rate
        self.rtcp = RtcpSession(ssrc, cname, self.clock_rate, 64000, rng)
        self.remote: Address = media.remote
        self.remote_rtcp: Address = media.remote_rtcp or (media.remote[0], media.remote[1] + 1)
        self.latched = False
        self.muted = False
        # DTLS-SRTP before its handshake ends: nothing can be sent, so a file or tone source
        # waits (its first words are not lost) and a microphone's frames are read and dropped
        self.awaiting_keys = False
        self.last_received: float | None = None
        self.dtmf_received: deque[str] = deque()
        self._decoders: dict[int, _Decoder] = {}
        self.playout = self._new_playout()
        self._origin: float | None = None  # loop time at which the playout clock read 0
        self._since_adjust = 0  # ticks since the capture drift was last followed
        self._dtmf_in = DtmfReceiver(media.telephone_event or -1)
        self._dtmf_out: deque[str] = deque()
        self._dtmf_packets: deque[bytes] = deque()
        self._dtmf_gap = 0
        self._dtmf_start = 0
        self._dtmf_index = 0
        self._first = True
        self.bad = self.ignored = self.concealed = self.fec_recovered = 0  # packet counters
        self.input_level = RmsLevel()  # what the microphone captured (even when muted)
        self.output_level = RmsLevel()  # what we played
        # what the endpoints can tell, looked up when they change: an isinstance check against
        # a runtime Protocol costs about 18 µs, too much for every frame
        self._endpoints: tuple[AudioSource, AudioSink] | None = None
        self._backlog: _Reading | None = None
        self._queued: _Reading | None = None

    def _make_encoder(self, codec: Codec) -> AudioCodec:
        encoder: AudioCodec
        if codec.name.lower() == "opus":  # make_codec has no bitrate knob
            params = parse_opus_fmtp(codec.fmtp)
            bitrate = self.opus_bitrate
            encoder = OpusCodec(complexity=self.complexity, bitrate=bitrate, params=params)
        else:
            encoder = make_codec(codec, complexity=self.complexity)
        encoder.set_packet_loss(self.loss_floor)
        return encoder

    def _new_playout(self) -> Playout:
        buffer = JitterBuffer(self.clock_rate, round(self.clock_rate * FRAME_SECONDS))
        return Playout(self.sink.rate, buffer, self._decode, self._conceal)

    # -- control ----------------------------------------------------------------------------
    def move_to(self, remote: Address) -> None:
        """Send to ``remote`` from now on (a checked path, ALEX); no latching elsewhere."""
        muxed = self.remote_rtcp == self.remote  # RFC 5761: RTCP on the RTP port
        self.remote_rtcp = remote if muxed else (remote[0], remote[1] + 1)
        self.remote, self.latched = remote, True

    def update(self, media: NegotiatedMedia) -> None:
        """Apply a new offer/answer outcome (re-INVITE: hold, new address or codec)."""
        if not media.codec.matches(self.media.codec) or media.codec.payload_type != (
            self.media.codec.payload_type
        ):
            self.encoder = self._make_encoder(media.codec)
            self.clock_rate = media.codec.clock_rate
            self._decoders.clear()
            self.playout = self._new_playout()
        if media.remote != self.media.remote:
            self.remote, self.latched = media.remote, False
            self.remote_rtcp = media.remote_rtcp or (media.remote[0], media.remote[1] + 1)
        elif media.rtcp_mux != self.media.rtcp_mux:  # RFC 5761 §5.1.3: a re-offer changed it
            rtcp = media.remote_rtcp or (media.remote[0], media.remote[1] + 1)
            self.remote_rtcp = self.remote if media.rtcp_mux else rtcp
        self.media = media

    @property
    def sending(self) -> bool:
        """Tell whether we send RTP now (not on hold, peer has an address)."""
        return self.media.direction.sends and not self.media.remote_on_hold_address

    @property
    def receiving(self) -> bool:
        """Tell whether we expect RTP from the peer now."""
        return self.media.direction.receives

    def send_dtmf(self, digits: str) -> None:
        """Queue DTMF digits to send as RFC 4733 events; ValueError if one is not a digit."""
        if self.media.telephone_event is None:
            raise ValueError("the peer did not agree to telephone-event (RFC 4733)")
        sender = DtmfSender(self.media.telephone_event, self.ssrc)
        for digit in digits:
            sender.events(digit)  # validates
        self._dtmf_out.extend(digits)

    # -- the 20 ms tick ---------------------------------------------------------------------
    def tick(self, now: float) -> None:
        """Run one frame period: capture and send, then play out."""
        waits = self.awaiting_keys and self._clocks()[0] is None  # not a microphone
        for _ in range(0 if waits else self._frames_captured()):
            samples = self.encoder.frame_samples
            pcm = self.source.read(samples)
            self.input_level.feed(pcm)
            sends = self.sending and not self.awaiting_keys
            if sends and not self._send_dtmf_packet(now):
                self._send_audio(bytes(len(pcm)) if self.muted else pcm, now)
            self.timestamp = (self.timestamp + round(self.clock_rate * FRAME_SECONDS)) % (1 << 32)
        if self.receiving:
            self._play(now)

    def _frames_captured(self) -> int:
        """Frames to send this tick: one, or (a microphone on its own clock) 0 or 2 now and
        then, so a whole frame is always there to read and the backlog stays under 3."""
        self._since_adjust += 1
        backlog = self._clocks()[0]
        if backlog is None or self._since_adjust < ADJUST_TICKS:
            return 1
        available = backlog()
        if available is None:
            return 1
        ready = available / self.encoder.frame_samples
        if 1.0 <= ready <= 3.0:
            return 1
        self._since_adjust = 0
        return 0 if ready < 1.0 else 2

    def _send_audio(self, pcm: bytes, now: float) -> None:
        payload = self.encoder.encode(pcm)
        self._emit(self.media.codec.payload_type, payload, self._first, now)
        self._first = False

    def _emit(self, payload_type: int, payload: bytes, marker: bool, now: float) -> None:
        packet = RtpPacket(payload_type, self.sequence, self.timestamp, self.ssrc, payload, marker)
        self.sequence = (self.sequence + 1) % 65536
        self.rtcp.sent(packet, now)
        self._send_rtp(bytes(packet), self.remote)

    def _send_dtmf_packet(self, now: float) -> bool:
        """Send the next telephone-event packet if a digit is under way (RFC 4733 §2.5)."""
        if self._dtmf_gap > 0:
            self._dtmf_gap -= 1
            return False
        if not self._dtmf_packets and self._dtmf_out and self.media.telephone_event is not None:
            rate = self.media.telephone_event_rate or 8000
            sender = DtmfSender(self.media.telephone_event, self.ssrc, clock_rate=rate)
            self._dtmf_packets.extend(bytes(e) for e in sender.events(self._dtmf_out.popleft()))
            self._dtmf_start = self.timestamp
            self._dtmf_index = 0
        if not self._dtmf_packets or self.media.telephone_event is None:
            return False
        payload = self._dtmf_packets.popleft()
        # every packet of one event carries the event's start timestamp (§2.5.1.2)
        packet = RtpPacket(
            self.media.telephone_event,
            self.sequence,
            self._dtmf_start,
            self.ssrc,
            payload,
            self._dtmf_index == 0,
        )
        self._dtmf_index += 1
        self.sequence = (self.sequence + 1) % 65536
        self.rtcp.sent(packet, now)
        self._send_rtp(bytes(packet), self.remote)
        if not self._dtmf_packets:
            self._dtmf_gap = DTMF_GAP_FRAMES
        return True

    def _clocks(self) -> tuple[_Reading | None, _Reading | None]:
        """(the microphone's backlog, the device FIFO's fill) where the endpoints have them."""
        source, sink = self.source, self.sink
        known = self._endpoints
        if known is None or known[0] is not source or known[1] is not sink:
            self._endpoints = (source, sink)
            self._backlog = source.available if isinstance(source, CapturingSource) else None
            self._queued = sink.queued if isinstance(sink, BufferedSink) else None
        return self._backlog, self._queued

    def _sink_queued(self) -> int | None:
        queued = self._clocks()[1]
        return queued() if queued is not None else None

    def _play(self, now: float) -> None:
        frame = round(self.sink.rate * FRAME_SECONDS)
        queued = self._sink_queued()
        if queued is not None:
            self._origin = None
            for _ in range(MAX_REFILL):
                if queued >= DEVICE_LEAD * self.sink.rate:
                    break
                self._write(self.playout.read(frame))
                queued += frame
            return
        # a file is written on the tick's schedule: arrivals are placed on that schedule
        self._origin = now - self.playout.now
        self._write(self.playout.read(frame))

    def _arrival_clock(self, now: float) -> float | None:
        """Where the playout clock ideally stands at loop time ``now`` (see ``_play``)."""
        queued = self._sink_queued()
        if queued is not None:
            # what the device has consumed, plus the lead we refill to: independent of
            # when the loop last ran its tick
            return self.playout.now - queued / self.sink.rate + DEVICE_LEAD
        if self._origin is None:
            return None
        # on the tick's schedule; but a loop that has fallen a frame behind that schedule
        # read this packet late, before catching up: when it really came is unknown
        at = now - self._origin
        return at if at < self.playout.now + FRAME_SECONDS else None

    def _write(self, pcm: bytes) -> None:
        self.output_level.feed(pcm)
        self.sink.write(pcm)

    def _decode(self, packet: RtpPacket) -> bytes | None:
        decoder = self._decoder(packet.payload_type)
        if decoder is None:
            return None
        try:
            return decoder.decode(packet.payload)
        except RemoteProtocolError:
            self.bad += 1  # undecodable: concealed instead
            return None

    def _conceal(self, following: RtpPacket | None) -> bytes:
        self.concealed += 1
        if following is not None:
            decoder = self._decoder(following.payload_type)
            if decoder is not None:
                self.fec_recovered += 1
                return decoder.conceal(following.payload)
        decoder = self._decoder(self.media.codec.payload_type)
        assert decoder is not None
        return decoder.conceal(None)

    def _decoder(self, payload_type: int) -> _Decoder | None:
        decoder = self._decoders.get(payload_type)
        if decoder is None:
            codec = self._codec_for(payload_type)
            if codec is None:
                return None
            decoder = _Decoder(make_codec(codec, complexity=self.complexity), self.sink.rate)
            self._decoders[payload_type] = decoder
        return decoder

    def _codec_for(self, payload_type: int) -> Codec | None:
        for codec in (self.media.codec, *self.media.codecs):
            if codec.payload_type == payload_type:
                return codec
        return None

    # -- receiving --------------------------------------------------------------------------
    def receive_rtp(self, data: bytes, addr: Address, now: float) -> None:
        """Take one RTP datagram from ``addr``."""
        try:
            packet = RtpPacket.parse(data)
        except ParseError:
            self.bad += 1
            return
        is_event = packet.payload_type == self.media.telephone_event
        if not is_event and self._codec_for(packet.payload_type) is None:
            self.ignored += 1  # an unknown payload type is ignored (RFC 3550 §5.1)
            return
        self.last_received = now
        if addr != self.remote and not self.latched:
            log.info("RTP latched to %s:%d (SDP said %s:%d)", *addr, *self.remote)
            muxed = self.remote_rtcp == self.remote  # RFC 5761: RTCP on the RTP port
            self.remote_rtcp = addr if muxed else (addr[0], addr[1] + 1)
            self.remote = addr
        self.latched = True
        self.rtcp.received_rtp(packet, now)
        if is_event:
            digit = self._dtmf_in.receive(packet)
            if digit is not None:
                self.dtmf_received.append(digit.digit)
            return
        if self.receiving:
            self.playout.put(packet, self._arrival_clock(now))

    def receive_rtcp(self, data: bytes, addr: Address, now: float, wall: float) -> None:
        """Take one RTCP datagram; tune Opus FEC to the loss the peer reports."""
        if not self.rtcp.receive(data, now, wall):
            return
        self.last_received = now
        self.remote_rtcp = addr  # symmetric RTCP: answer where it came from
        reported = round(100 * self.rtcp.peer_fraction_lost)
        self.encoder.set_packet_loss(max(reported, self.loss_floor))

    # -- RTCP and stats ---------------------------------------------------------------------
    def rtcp_interval(self) -> float:
        """Return the seconds until the next RTCP report (RFC 3550 §6.3)."""
        return self.rtcp.interval()

    def send_report(self, now: float, wall: float, bye: bool = False) -> None:
        """Send our compound RTCP report (with BYE when the call ends)."""
        if self.media.remote_on_hold_address:
            return
        self._send_rtcp(self.rtcp.report(now, wall, bye), self.remote_rtcp)

    def stats(self) -> StreamStats:
        """Return the counters for a ``call.stats`` event."""
        source = self.rtcp.source
        buffer = self.playout.buffer.stats()
        playout = self.playout.stats()
        return StreamStats(
            sent=self.rtcp.packets_sent,
            received=source.received if source is not None else 0,
            lost=max(0, source.lost) if source is not None else 0,
            jitter_ms=round(1000 * source.jitter, 2) if source else 0.0,
            rtt_ms=round(1000 * self.rtcp.rtt, 1) if self.rtcp.rtt is not None else None,
            late=buffer.late,
            bad=self.bad + self.rtcp.bad,
            concealed=self.concealed,
            fec_recovered=self.fec_recovered,
            stretched=playout.accelerated + playout.expanded,
            playout_delay_ms=playout.delay_ms,
        )


class _Send(Protocol):
    def __call__(self, data: bytes, addr: Address, /) -> None: ...
