"""The phone's one microphone and speaker, shared by its calls through a ``media.mixer.Mixer``.

The endpoints (``--audio-in``/``--audio-out``, with echo cancellation on the capture path when
wanted) open when the first call's media starts, at that call's codec rate, and close when the
last call's stream stops. Each call joins as a leg; its mode (active, held, in the conference)
is kept here by call, so a mode set before the call's media has started applies when it does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from alexphone.engine.events import AudioDeviceChanged, DeviceKind, Event
from alexphone.engine.settings import PhoneSettings
from alexphone.media.audio_device import (
    DeviceSink,
    DeviceSource,
    PortAudio,
    open_sink,
    open_source,
)
from alexphone.media.audio_endpoint import AudioSink, AudioSource, BeepSource
from alexphone.media.audio_processing import (
    AudioProcessing,
    ProcessingOptions,
    ProcessingUnavailable,
)
from alexphone.media.audio_spec import AudioSpec
from alexphone.media.mixer import LegMode, LegSink, LegSource, Mixer
from alexphone.media.processed_source import ProcessedSource, with_processing

log = logging.getLogger(__name__)


class SharedAudio:
    """Opens the phone's audio endpoints once and hands each call a leg of the mixer."""

    def __init__(
        self, settings: PhoneSettings, audio: PortAudio, emit: Callable[[Event], None]
    ) -> None:
        self.settings = settings
        self.audio = audio
        self.emit = emit
        self.audio_in: AudioSpec = settings.audio_in  # may be switched
        self.audio_out: AudioSpec = settings.audio_out
        self.mixer: Mixer | None = None
        self.modes: dict[str, LegMode] = {}  # by call, whether or not its media runs yet
        self.muted: set[str] = set()  # calls sent no microphone
        self.processing_failed = False  # reported once; later calls go on without it
        self.waiting = False  # the call-waiting cue plays over the mix

    def join(self, call_id: str, rate: int) -> tuple[LegSource, LegSink]:
        """Return a leg of the shared endpoints for ``call_id`` at ``rate``; opens them if
        no call has them open (ConfigError, OSError if they cannot be opened)."""
        mixer = self.mixer
        if mixer is None:
            source = open_source(self.audio_in, rate, self.audio, self._report(DeviceKind.INPUT))
            try:
                sink = open_sink(self.audio_out, rate, self.audio, self._report(DeviceKind.OUTPUT))
            except BaseException:
                source.close()
                raise
            source, sink = self._processed(source, sink, rate)
            mixer = self.mixer = Mixer(source, sink, on_empty=self._closed)
            self._cue()
        legs = mixer.join(call_id, rate)
        mixer.set_mode(call_id, self.modes.get(call_id, LegMode.ACTIVE))
        mixer.set_muted(call_id, call_id in self.muted)
        return legs

    def _closed(self) -> None:
        self.mixer = None

    def set_mode(self, call_id: str, mode: LegMode) -> None:
        """Make call ``call_id`` active, held or part of the conference (now or when it joins)."""
        self.modes[call_id] = mode
        if self.mixer is not None:
            self.mixer.set_mode(call_id, mode)

    def mode(self, call_id: str) -> LegMode:
        """Return the mode call ``call_id`` has or will have."""
        return self.modes.get(call_id, LegMode.ACTIVE)

    def set_muted(self, call_id: str, on: bool) -> None:
        """Send call ``call_id`` no microphone (or send it again), now or when it joins."""
        if on:
            self.muted.add(call_id)
        else:
            self.muted.discard(call_id)
        if self.mixer is not None:
            self.mixer.set_muted(call_id, on)

    def forget(self, call_id: str) -> None:
        """Drop an ended call's mode and mute."""
        self.modes.pop(call_id, None)
        self.muted.discard(call_id)

    def set_waiting(self, on: bool) -> None:
        """Lay the call-waiting beeps over the speaker mix, or stop them."""
        self.waiting = on
        self._cue()

    def _cue(self) -> None:
        mixer = self.mixer
        if mixer is not None:
            if not self.waiting:
                mixer.cue = None
            elif mixer.cue is None:
                mixer.cue = BeepSource(mixer.rate)

    def switch(self, kind: DeviceKind, spec: AudioSpec) -> None:
        """Use ``spec`` from now on; a running sound card moves to it in place."""
        if kind is DeviceKind.INPUT:
            self.audio_in = spec
        else:
            self.audio_out = spec
        if self.mixer is None:
            return
        endpoint: object = self.mixer.source if kind is DeviceKind.INPUT else self.mixer.sink
        if isinstance(endpoint, ProcessedSource):
            endpoint = endpoint.source
        if isinstance(endpoint, DeviceSource | DeviceSink):
            endpoint.switch(spec.device)

    def _processed(
        self, source: AudioSource, sink: AudioSink, rate: int
    ) -> tuple[AudioSource, AudioSink]:
        """Put echo cancellation and noise suppression on the capture path, if it is wanted."""
        if self.processing_failed or not self.settings.echo_cancel.applies_to(self.audio_in):
            return source, sink
        try:
            processing = AudioProcessing(rate, ProcessingOptions())
        except ProcessingUnavailable as exc:
            log.warning("no echo cancellation: %s", exc)
            self._processing_lost(f"no echo cancellation: {exc}")
            return source, sink
        return with_processing(source, sink, processing, self._processing_lost)

    def _processing_lost(self, reason: str) -> None:
        """Say once that audio processing is gone (it is not tried again in this run)."""
        self.processing_failed = True
        self.emit(AudioDeviceChanged(DeviceKind.INPUT, str(self.audio_in), reason))

    def _report(self, direction: DeviceKind) -> Callable[[str, str], None]:
        def report(device: str, reason: str) -> None:
            """Announce that ``direction`` now uses ``device``."""
            self.emit(AudioDeviceChanged(direction, device, reason))

        return report
