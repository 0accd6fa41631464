"""Echo cancellation, noise suppression and gain control of what we capture (WebRTC APM).

Theory of operation. The WebRTC audio processing module (through ``pywebrtc-audio``: AEC3,
NS, AGC2) works on 10 ms frames and takes each capture frame together with one frame of the
far-end signal, the *render* reference. ``analyze_render`` queues what the speaker actually
played; ``process_capture`` takes the same number of samples from the head of that queue for
every 10 ms of microphone signal, so the echo in a capture frame is always of render audio
fed earlier. How much earlier is the stream delay (speaker buffer + microphone buffer), given
to AEC3 as a hint through ``delay_ms``; its own delay estimator does the alignment (in the
simulated rooms of tests/interop/test_echo_room.py hints of 0 to 180 ms change nothing).
Rates the module does not run natively are resampled to 48 kHz and back.

With echo cancellation on, the stages are: AEC3 (with the high-pass filter) and, on the same
frames, our long linear filter (``media.echo_filter``); the choice between their outputs;
then noise suppression (and AGC2) in a second module instance, on what was chosen.

The binding is loaded when the first ``AudioProcessing`` is built; if it cannot be
(missing wheel, unsupported platform) ``ProcessingUnavailable`` says why, and the caller goes
on without processing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from alexphone.core.errors import AlexphoneError
from alexphone.media.echo_filter import EchoChoice, FilterConfig, LinearEchoFilter
from alexphone.media.resampler import Resampler

Pcm16 = npt.NDArray[np.int16]
NATIVE_RATES = (8000, 16000, 32000, 48000)
WORK_RATE = 48000  # where any other device rate is processed
MAX_RENDER_SECONDS = 0.2  # render queued beyond this is stale (a stalled capture): drop it
NS_LEVEL = 2  # 0..3 = 6, 12, 18, 21 dB of noise suppression


class ProcessingUnavailable(AlexphoneError):
    """The audio processing module cannot be loaded or cannot run at the asked rate."""


@dataclass(frozen=True, slots=True)
class ProcessingOptions:
    """Which stages run on the capture path."""

    echo_cancel: bool = True
    noise_suppression: bool = True
    gain_control: bool = False  # AGC2 also lifts residual echo (15 dB less attenuation)


class Processor(Protocol):
    """What we use of ``pywebrtc_audio.AudioProcessor``."""

    stream_delay_ms: int

    def process(self, near: Pcm16, far: Pcm16 | None = None) -> Pcm16:
        """Return ``near`` cleaned against ``far`` (10 ms multiples)."""
        ...


Loader = Callable[[int, ProcessingOptions], Processor]


def load_webrtc(rate: int, options: ProcessingOptions) -> Processor:
    """Build the WebRTC processor at ``rate``; ProcessingUnavailable if it cannot be."""
    try:
        from pywebrtc_audio import AudioProcessor
    except (ImportError, OSError) as exc:
        raise ProcessingUnavailable(f"pywebrtc-audio cannot be loaded: {exc}") from None
    try:
        processor: Processor = AudioProcessor(
            sample_rate=rate,
            echo_cancellation=options.echo_cancel,
            noise_suppression=options.noise_suppression,
            high_pass_filter=True,
            auto_gain_control=options.gain_control,
            ns_level=NS_LEVEL,
        )
    except (RuntimeError, ValueError) as exc:
        raise ProcessingUnavailable(f"audio processing at {rate} Hz: {exc}") from None
    return processor


def _int16(samples: npt.NDArray[np.float64]) -> Pcm16:
    return np.clip(np.rint(samples), -32768, 32767).astype(np.int16)


def _to_work(resampler: Resampler, pcm: bytes) -> Pcm16:
    """``pcm`` at the work rate; at a native rate its samples as they are (no float trip)."""
    if resampler.passthrough:
        return np.frombuffer(pcm, "<i2").astype(np.int16)
    return _int16(resampler.process(np.frombuffer(pcm, "<i2").astype(np.float64)))


class AudioProcessing:
    """Cleans one call's capture against its render, 10 ms at a time, at the capture's rate."""

    def __init__(
        self, rate: int, options: ProcessingOptions, *, loader: Loader = load_webrtc
    ) -> None:
        self.rate = rate
        self.options = options
        self.work_rate = rate if rate in NATIVE_RATES else WORK_RATE
        self.frame = self.work_rate // 100
        self._canceller: Processor | None = None
        self._cleanup: Processor | None = None
        if options.echo_cancel:
            stage = replace(options, noise_suppression=False, gain_control=False)
            self._canceller = loader(self.work_rate, stage)
            if options.noise_suppression or options.gain_control:
                self._cleanup = loader(self.work_rate, replace(options, echo_cancel=False))
        else:
            self._cleanup = loader(self.work_rate, options)
        self.linear = LinearEchoFilter(FilterConfig(self.frame))
        self._choice = EchoChoice(self.frame)
        self._to_work = Resampler(rate, self.work_rate)
        self._render_to_work = Resampler(rate, self.work_rate)
        self._from_work = Resampler(self.work_rate, rate)
        self._render: Pcm16 = np.zeros(0, np.int16)
        self._capture: Pcm16 = np.zeros(0, np.int16)
        # a resampled path delivers a few samples late: one frame of slack keeps reads whole
        slack = 0 if self._to_work.passthrough else rate // 100
        self._out: Pcm16 = np.zeros(slack, np.int16)
        self.render_dropped = 0  # samples of stale render thrown away
        self._delay_ms = 0

    @property
    def delay_ms(self) -> int:
        """Return the stream delay hint given to the echo canceller (ms)."""
        return self._delay_ms

    @delay_ms.setter
    def delay_ms(self, value: int) -> None:
        value = max(0, value)
        if value != self._delay_ms:
            self._delay_ms = value
            if self._canceller is not None:
                self._canceller.stream_delay_ms = value

    def analyze_render(self, pcm: bytes) -> None:
        """Queue ``pcm`` (16-bit LE mono at ``rate``), just played, as the far-end reference."""
        if not pcm or not self.options.echo_cancel:
            return
        samples = _to_work(self._render_to_work, pcm)
        self._render = np.concatenate((self._render, samples))
        limit = round(MAX_RENDER_SECONDS * self.work_rate)
        if self._render.size > limit:
            self.render_dropped += self._render.size - limit
            self._render = self._render[-limit:]

    def process_capture(self, pcm: bytes) -> bytes:
        """Return ``pcm`` (captured, 16-bit LE mono at ``rate``) cleaned, same length."""
        wanted = len(pcm) // 2
        near = _to_work(self._to_work, pcm)
        if self._capture.size:
            near = np.concatenate((self._capture, near))
        whole = near.size - near.size % self.frame
        self._capture = near[whole:]
        if whole:
            cleaned = self._clean(near[:whole], self._take_render(whole))
            if self._from_work.passthrough:
                back = np.asarray(cleaned, np.int16)  # already 16-bit samples
            else:
                back = _int16(self._from_work.process(cleaned.astype(np.float64)))
            self._out = np.concatenate((self._out, back)) if self._out.size else back
        chunk, self._out = self._out[:wanted], self._out[wanted:]
        if chunk.size < wanted:
            chunk = np.concatenate((chunk, np.zeros(wanted - chunk.size, np.int16)))
        return chunk.astype("<i2", copy=False).tobytes()

    def _clean(self, near: Pcm16, far: Pcm16 | None) -> Pcm16:
        """Run the stages on whole 10 ms frames of ``near`` and the render paired with it."""
        if self._canceller is not None and far is not None:
            aec3 = self._canceller.process(near, far).astype(np.float64)
            near_f, far_f = near.astype(np.float64), far.astype(np.float64)  # once, not per frame
            mixed = np.empty(near.size)
            linear, choice, size = self.linear, self._choice, self.frame
            for start in range(0, near.size, size):
                frame = slice(start, start + size)
                residual = linear.process(near_f[frame], far_f[frame])
                mixed[frame] = choice.mix(residual, aec3[frame], linear.near_talk)
            near = _int16(mixed)
        return self._cleanup.process(near) if self._cleanup is not None else near

    def _take_render(self, count: int) -> Pcm16 | None:
        if not self.options.echo_cancel:
            return None
        far, self._render = self._render[:count], self._render[count:]
        if far.size < count:  # nothing was played meanwhile: the speaker was silent
            far = np.concatenate((far, np.zeros(count - far.size, np.int16)))
        return far
