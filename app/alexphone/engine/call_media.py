"""The media side of calls: start RTP when a call is confirmed, follow hold and re-INVITEs,
stop on end, and turn what the stream sees into ``call.media``/``call.stats``/``call.dtmf``.

Starting is asynchronous (the socket endpoints are created on the loop), so a call may end
while its media is still starting; the pending start then tears itself down at once.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from alexphone.core.errors import AlexphoneError, ConfigError
from alexphone.engine.call import Call
from alexphone.engine.call_dtls import MEDIA_ENCRYPTION_FAILED, DtlsLink
from alexphone.engine.events import (
    AudioDevicesListed,
    AudioLevel,
    CallMedia,
    CallState,
    CallStats,
    DeviceKind,
    DtmfReceived,
    Encryption,
    ErrorReported,
    ErrorSource,
    Event,
    MediaDirection,
    PathKind,
)
from alexphone.engine.settings import PhoneSettings
from alexphone.engine.shared_audio import SharedAudio
from alexphone.engine.sound import SoundController
from alexphone.engine.sound_recorder import SoundRecorder
from alexphone.media.audio_device import PortAudio
from alexphone.media.audio_spec import AudioSpec, parse_audio_in, parse_audio_out
from alexphone.media.codec import make_codec
from alexphone.media.dtls import DtlsEndpoint
from alexphone.media.dtls_certificate import DtlsCertificate
from alexphone.media.srtp import SrtpProtection
from alexphone.media.stream import MediaStream, StreamStats
from alexphone.media.stream_driver import StreamDriver
from alexphone.net.rtp_socket import RtpSocket
from alexphone.net.task_set import TaskSet
from alexphone.rtp.protection import CLEARTEXT, MediaProtection
from alexphone.sdp.dtls import Fingerprint
from alexphone.sdp.offer_answer import NegotiatedMedia

log = logging.getLogger(__name__)
MEDIA_TIMEOUT_REASON = "media timeout"
LEVEL_INTERVAL = 0.2  # audio.level at most 5 times a second


_Send = Callable[[bytes, tuple[str, int]], None]


def _protected(send: _Send, protect: Callable[[bytes], bytes | None]) -> _Send:
    """Return a sender that protects each datagram first and drops what cannot be protected."""

    def sender(data: bytes, addr: tuple[str, int]) -> None:
        if (datagram := protect(data)) is not None:
            send(datagram, addr)

    return sender


def _hostport(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(slots=True)
class _Running:
    call: Call
    driver: StreamDriver | None = None
    stopped: bool = False
    announced: tuple[str, int] | None = None
    pending_dtmf: list[str] = field(default_factory=list)
    path: PathKind = PathKind.HOST  # the ALEX path kind once one is selected
    moved_to: tuple[str, int] | None = None  # the ALEX-selected peer address
    local: tuple[str, int] | None = None  # our ALEX-selected address (e.g. the relayed one)
    srtp: SrtpProtection | None = None  # the call's SRTP stage, None for plain RTP
    dtls: DtlsLink | None = None  # the DTLS-SRTP handshake, if the SDP agreed on it


class MediaController:
    """Runs one MediaStream per confirmed call, all on the phone's one shared audio."""

    def __init__(
        self, settings: PhoneSettings, emit: Callable[[Event], None], rng: random.Random
    ) -> None:
        self.settings = settings
        self.emit = emit
        self.rng = rng
        self.running: dict[str, _Running] = {}
        self._tasks = TaskSet(log, "media start or device rescan")
        self.audio = PortAudio()
        self.shared = SharedAudio(settings, self.audio, emit)  # one microphone, one speaker
        self.sounds = SoundController(self.audio, emit)  # ringtone, ringback, test tone
        self.recorder = SoundRecorder(self.audio, emit)  # the set-up assistant's audio check
        self._certificate: DtlsCertificate | None = None  # made on first use, kept for the run

    async def prepare(self) -> None:
        """Start PortAudio and load the echo canceller on a worker thread if calls will use
        them, so the first call does not stall the loop (0.1 s, seconds on a loaded machine:
        long enough for a caller to retransmit its INVITE unanswered)."""
        settings = self.settings
        if not (settings.audio_in.is_device or settings.audio_out.is_device):
            return
        processing = settings.echo_cancel.applies_to(settings.audio_in)
        await asyncio.to_thread(_load_audio, self.audio, processing)

    def fingerprint(self) -> Fingerprint:
        """Our DTLS certificate's a=fingerprint (the certificate is made on first use)."""
        return self.certificate.fingerprint

    @property
    def certificate(self) -> DtlsCertificate:
        """The phone's DTLS-SRTP certificate."""
        if self._certificate is None:
            self._certificate = DtlsCertificate.generate()
        return self._certificate

    @property
    def audio_in(self) -> AudioSpec:
        """The microphone calls use (``--audio-in``, or the one switched to)."""
        return self.shared.audio_in

    @property
    def audio_out(self) -> AudioSpec:
        """The speaker calls use (``--audio-out``, or the one switched to)."""
        return self.shared.audio_out

    def on_call_changed(self, call: Call, state: CallState) -> None:
        """Follow a call's state: start on early media or confirmed, update on hold, stop on end."""
        entry = self.running.get(call.call_id)
        if state is CallState.ENDED:
            self.shared.forget(call.call_id)
            if entry is not None:
                self._stop(entry)
            return
        if state not in (CallState.CONFIRMED, CallState.HELD, CallState.EARLY):
            return  # EARLY: a 183 brought an answer, its media plays before the call is taken
        if entry is None:
            if call.sdp.negotiated is not None:
                entry = _Running(call)
                self.running[call.call_id] = entry
                self._tasks.spawn(self._start(entry))
            return
        self.media_changed(call)

    def media_changed(self, call: Call) -> None:
        """Apply a new offer/answer outcome (re-INVITE) to a running stream."""
        entry = self.running.get(call.call_id)
        negotiated = call.sdp.negotiated
        if entry is None or entry.driver is None or entry.driver.stream is None or not negotiated:
            return
        stream = entry.driver.stream
        if negotiated != stream.media:
            self._rekey(entry, negotiated)
            entry.driver.socket.rtcp_mux = negotiated.rtcp_mux
            stream.update(negotiated)
            if entry.moved_to is not None:  # the checked path outlives an SDP change
                stream.move_to(entry.moved_to)
            self._announce(entry, stream)

    @staticmethod
    def _rekey(entry: _Running, negotiated: NegotiatedMedia) -> None:
        """Follow new SDES keys of a re-INVITE; SRTP is not turned on or off mid-call."""
        if entry.dtls is not None:
            return  # the DTLS association and its keys outlive a re-INVITE (RFC 5763 §5)
        if entry.srtp is not None and negotiated.srtp is not None:
            entry.srtp.rekey(negotiated.srtp)
        elif (entry.srtp is None) != (negotiated.srtp is None):
            log.warning("call %s: a re-INVITE changed SRTP on/off; kept", entry.call.call_id)

    async def _start(self, entry: _Running) -> None:
        call, negotiated = entry.call, entry.call.sdp.negotiated
        assert negotiated is not None
        try:
            socket = RtpSocket(lambda d, a: None, lambda d, a: None)
            await socket.open(call.port)
            if call.alex is not None:
                call.alex.attach_media(socket)  # ALEX probes share the RTP port (RFC 7983)
            rate = make_codec(negotiated.codec).sample_rate
            source, sink = self.shared.join(call.call_id, rate)
        except (AlexphoneError, OSError) as exc:
            self.emit(ErrorReported(ErrorSource.MEDIA, f"call {call.call_id}: {exc}"))
            self.running.pop(call.call_id, None)
            call.hang_up(None, f"media failed: {exc}")
            return
        driver = StreamDriver(
            socket,
            on_stats=lambda stats: self._stats(entry, stats),
            on_dtmf=lambda digit: self.emit(DtmfReceived(call.call_id, digit)),
            on_timeout=lambda: self._timeout(entry),
            media_timeout=self.settings.media_timeout,
        )
        send_rtp, send_rtcp = self._senders(entry, socket, negotiated)
        stream = MediaStream(
            negotiated,
            source,
            sink,
            send_rtp,
            send_rtcp,
            rng=self.rng,
            ssrc=self.rng.getrandbits(32),
            cname=f"{self.settings.user}@{negotiated.local[0]}",
            complexity=self.settings.complexity,
        )
        entry.driver = driver
        stream.awaiting_keys = entry.dtls is not None and entry.srtp is None
        if entry.moved_to is not None:
            stream.move_to(entry.moved_to)
        driver.start(stream)
        if entry.dtls is not None:
            entry.dtls.move_to(stream.remote)
            entry.dtls.start()
            socket.set_dtls_handler(entry.dtls.receive)  # a flight that came early goes in now
        self._announce(entry, stream)
        if self.settings.audio_levels:  # the GUI's meters
            self._levels(entry)
        if entry.stopped:  # the call ended while we were starting
            self._stop(entry)
            return
        for digits in entry.pending_dtmf:
            self._send_dtmf(entry, digits)
        entry.pending_dtmf.clear()
        self.media_changed(call)  # a re-INVITE may have come in meanwhile

    def _senders(
        self, entry: _Running, socket: RtpSocket, negotiated: NegotiatedMedia
    ) -> tuple[_Send, _Send]:
        """The stream's RTP and RTCP senders: SRTP protection (if agreed), ALEX gate, socket."""
        call = entry.call
        send_rtp: _Send = socket.send_rtp
        send_rtcp: _Send = socket.send_rtcp
        if call.alex is not None and call.alex.active:  # docs/ALEX.md "Media gate"
            send_rtp, send_rtcp = call.alex.gate(send_rtp), call.alex.gate(send_rtcp, rtcp=True)
        protection: MediaProtection = CLEARTEXT
        if negotiated.srtp is not None:  # RFC 3711: between the packetizer and the socket
            entry.srtp = protection = SrtpProtection(negotiated.srtp)
        elif negotiated.dtls is not None:  # RFC 5764: keys from a handshake on this path
            entry.dtls = self._dtls_link(entry, send_rtp, negotiated)
            protection = entry.dtls.protection
        socket.protection = protection
        socket.rtcp_mux = negotiated.rtcp_mux  # RFC 5761: one port, one DTLS association
        return (
            _protected(send_rtp, protection.protect_rtp),
            _protected(send_rtcp, protection.protect_rtcp),
        )

    def _dtls_link(self, entry: _Running, send: _Send, negotiated: NegotiatedMedia) -> DtlsLink:
        """The call's DTLS-SRTP handshake; its keys turn SRTP on, its failure ends the call."""
        assert negotiated.dtls is not None

        def keys(srtp: SrtpProtection) -> None:
            entry.srtp = srtp
            stream = entry.driver.stream if entry.driver is not None else None
            if stream is not None:
                stream.awaiting_keys = False
                self._announce(entry, stream)

        def failed(reason: str) -> None:
            log.warning("call %s: %s", entry.call.call_id, reason)
            self.emit(ErrorReported(ErrorSource.MEDIA, f"call {entry.call.call_id}: {reason}"))
            entry.call.hang_up(None, MEDIA_ENCRYPTION_FAILED)

        endpoint = DtlsEndpoint(self.certificate, negotiated.dtls)
        rtcp = negotiated.remote_rtcp
        return DtlsLink(
            endpoint, send, remote=negotiated.remote, peer_rtcp=rtcp, on_keys=keys, on_failed=failed
        )

    def _announce(self, entry: _Running, stream: MediaStream) -> None:
        media: NegotiatedMedia = stream.media
        entry.announced = stream.remote
        self.emit(
            CallMedia(
                entry.call.call_id,
                f"{media.codec.name}/{media.codec.clock_rate}",
                _hostport(entry.local or media.local),
                _hostport(stream.remote),
                entry.path,
                MediaDirection(media.direction.value),
                *self._security(entry),
            )
        )

    @staticmethod
    def _security(entry: _Running) -> tuple[Encryption, str | None]:
        """What call.media says of the call's encryption: kind and SRTP suite."""
        suite = entry.srtp.suite.value if entry.srtp is not None else None
        if entry.dtls is not None:
            return Encryption.DTLS_SRTP, suite
        return (Encryption.SRTP if entry.srtp is not None else Encryption.NONE), suite

    def _stats(self, entry: _Running, stats: StreamStats) -> None:
        stream = entry.driver.stream if entry.driver is not None else None
        if stream is not None and stream.remote != entry.announced:  # latched to the peer
            self._announce(entry, stream)
        self.emit(
            CallStats(
                entry.call.call_id,
                stats.sent,
                stats.received,
                stats.lost,
                stats.jitter_ms,
                stats.rtt_ms,
                stats.late,
                stats.bad,
                stats.concealed,
                stats.stretched,
                stats.playout_delay_ms,
                entry.srtp.counters.auth_failed if entry.srtp is not None else 0,
            )
        )

    def _levels(self, entry: _Running) -> None:
        """Report the call's audio levels now, and again every LEVEL_INTERVAL while it runs."""
        stream = entry.driver.stream if entry.driver is not None else None
        if entry.stopped or stream is None:
            return
        level_in, level_out = stream.input_level.db, stream.output_level.db
        self.emit(AudioLevel(entry.call.call_id, round(level_in, 1), round(level_out, 1)))
        asyncio.get_running_loop().call_later(LEVEL_INTERVAL, self._levels, entry)

    def _timeout(self, entry: _Running) -> None:
        log.info("call %s: no media for %.0f s", entry.call.call_id, self.settings.media_timeout)
        self._stop(entry)
        entry.call.hang_up(None, MEDIA_TIMEOUT_REASON)

    def _stop(self, entry: _Running) -> None:
        entry.stopped = True
        if entry.dtls is not None:
            entry.dtls.close()
        if entry.driver is None:
            return  # still starting: _start finishes the job
        self.running.pop(entry.call.call_id, None)
        stats = entry.driver.stop()
        entry.driver = None
        if stats is not None:
            self._stats(entry, stats)

    def move_media(
        self,
        call_id: str,
        remote: tuple[str, int],
        path: PathKind,
        local: tuple[str, int] | None = None,
    ) -> None:
        """Send a call's media to the ALEX-selected ``remote`` (path kind ``path``)."""
        entry = self.running.get(call_id)
        if entry is None:
            return
        entry.path, entry.moved_to, entry.local = path, remote, local
        if entry.dtls is not None:
            entry.dtls.move_to(remote)
        stream = entry.driver.stream if entry.driver is not None else None
        if stream is not None:
            stream.move_to(remote)
            self._announce(entry, stream)

    def report_stats(self, call_id: str) -> None:
        """Emit ``call.stats`` for ``call_id`` now (nothing while its media is not running)."""
        entry = self.running.get(call_id)
        stream = entry.driver.stream if entry is not None and entry.driver is not None else None
        if entry is not None and stream is not None:
            self._stats(entry, stream.stats())

    def mute(self, call_id: str, on: bool) -> None:
        """Send the microphone (or no longer) in one call; a conference still reaches it."""
        self.shared.set_muted(call_id, on)

    def send_dtmf(self, call_id: str, digits: str) -> None:
        """Send DTMF digits in a call (queued if its media is still starting)."""
        entry = self.running.get(call_id)
        if entry is None:
            self.emit(ErrorReported(ErrorSource.DTMF, f"no active media in call {call_id}"))
        elif entry.driver is None:
            entry.pending_dtmf.append(digits)
        else:
            self._send_dtmf(entry, digits)

    def _send_dtmf(self, entry: _Running, digits: str) -> None:
        stream = entry.driver.stream if entry.driver is not None else None
        if stream is None:
            return
        try:
            stream.send_dtmf(digits)
        except ValueError as exc:
            self.emit(ErrorReported(ErrorSource.DTMF, str(exc)))

    def switch_device(self, kind: DeviceKind, name: str) -> None:
        """Move the microphone or speaker of running calls, and of later ones, to ``name``."""
        try:
            spec = parse_audio_in(name) if kind is DeviceKind.INPUT else parse_audio_out(name)
        except ConfigError as exc:
            self.emit(ErrorReported(ErrorSource.AUDIO, str(exc)))
            return
        if not spec.is_device:
            self.emit(ErrorReported(ErrorSource.AUDIO, f"{spec} is not a sound card"))
            return
        self.shared.switch(kind, spec)

    def list_devices(self) -> None:
        """Rescan the sound cards (only while no stream uses PortAudio) and announce them."""
        self._tasks.spawn(self._list_devices())

    async def _list_devices(self) -> None:
        # restarting PortAudio takes 0.1 s, a second on a loaded machine: not on the loop
        devices = await asyncio.to_thread(self.audio.refresh)
        self.emit(
            AudioDevicesListed(
                tuple(d.name for d in devices if d.inputs > 0),
                tuple(d.name for d in devices if d.outputs > 0),
            )
        )

    def stop_all(self) -> None:
        """Stop every stream and PortAudio (shutdown)."""
        for entry in list(self.running.values()):
            self._stop(entry)
        self.sounds.stop()
        self.recorder.stop()
        self.audio.close()


def _load_audio(audio: PortAudio, processing: bool) -> None:
    """Start PortAudio and import the echo canceller (and the FFT of our echo filter)."""
    try:
        audio.session()
    except (ImportError, OSError) as exc:  # said again (audio.device) when a call opens one
        log.info("PortAudio cannot start: %s", exc)
    if processing:
        for module in ("pywebrtc_audio", "numpy.fft"):
            try:
                importlib.import_module(module)
            except (ImportError, OSError) as exc:  # load_webrtc reports it at the first call
                log.info("cannot load %s: %s", module, exc)
