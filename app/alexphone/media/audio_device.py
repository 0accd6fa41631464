"""Sound cards through PyAudio (PortAudio): listing, opening by name, fallback to the default.

Threads (docs/ARCHITECTURE.md "Threads"): PortAudio calls our callbacks on its own thread. They only
append or pop whole chunks on a bounded ``collections.deque`` (atomic in CPython) and never
block; resampling between the device's native rate and the codec rate happens on the engine
loop in ``read``/``write``. A device that fails to open, or whose callbacks stop arriving
(unplugged), is replaced by the default device and reported through ``on_change``; if even the
default fails the endpoint goes on as silence, so a call never crashes or hangs on audio.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from alexphone.media.audio_endpoint import (
    AudioSink,
    AudioSource,
    open_synthetic_sink,
    open_synthetic_source,
)
from alexphone.media.audio_spec import AudioSpec
from alexphone.media.resampler import Resampler, to_samples

log = logging.getLogger(__name__)
CHUNKS_KEPT = 10  # 200 ms of 20 ms chunks between the callback thread and the loop
STALL_SECONDS = 3.0  # no callback for this long: the device is gone (PulseAudio can be slow)
Report = Callable[[str, str], None]  # (device now used, why)


@dataclass(frozen=True, slots=True)
class AudioDevice:
    """One PortAudio device as the user sees it."""

    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: int


def _pyaudio() -> Any:
    import pyaudio

    return pyaudio.PyAudio()


class PortAudio:
    """One PortAudio session shared by a phone's streams, started on first use.

    Starting PortAudio probes every ALSA/JACK backend (~0.1 s, a second or more on a loaded
    machine), so it is done once, not per call. PortAudio only rescans devices when
    restarted: ``refresh`` does that while no stream is open (hot-plug) and returns the new
    list. ``session`` and ``refresh`` may run on a worker thread: ``lock`` is held while
    PortAudio starts or stops and while a stream opens or closes, so neither can meet the other.
    """

    def __init__(self) -> None:
        self._pa: Any = None
        self.lock = threading.RLock()
        self.open_streams = 0

    def session(self) -> Any:
        """Return the PyAudio object, starting PortAudio if needed; OSError if it cannot."""
        with self.lock:
            if self._pa is None:
                self._pa = _pyaudio()
            return self._pa

    def devices(self) -> list[AudioDevice]:
        """Return the devices of the current scan (empty if PortAudio cannot start)."""
        try:
            pa = self.session()
        except OSError:
            return []
        return [_device(pa.get_device_info_by_index(i)) for i in range(pa.get_device_count())]

    def refresh(self) -> list[AudioDevice]:
        """Rescan (only while no stream is open) and return the device list."""
        with self.lock:
            if self.open_streams == 0:
                self.close()
            return self.devices()

    def close(self) -> None:
        """Stop PortAudio."""
        with self.lock:
            if self._pa is not None:
                self._pa.terminate()
                self._pa = None


def _device(info: dict[str, Any]) -> AudioDevice:
    return AudioDevice(
        int(info["index"]),
        str(info["name"]),
        int(info["maxInputChannels"]),
        int(info["maxOutputChannels"]),
        int(info["defaultSampleRate"]),
    )


def find_device(devices: list[AudioDevice], name: str, *, output: bool) -> AudioDevice | None:
    """Return the first device whose name contains ``name`` (case-insensitive) with channels."""
    wanted = name.lower()
    for device in devices:
        channels = device.outputs if output else device.inputs
        if channels > 0 and (device.name.lower() == wanted or wanted in device.name.lower()):
            return device
    return None


class _DeviceStream:
    """One PortAudio stream in one direction, with fallback and stall detection."""

    def __init__(
        self, system: PortAudio, name: str, rate: int, output: bool, on_change: Report
    ) -> None:
        self.system = system
        self.rate = rate
        self.output = output
        self.on_change = on_change
        self.chunks: collections.deque[bytes] = collections.deque(maxlen=CHUNKS_KEPT)
        self.last_callback = time.monotonic()
        self.device_name = ""
        self.latency = 0.0  # seconds of buffering the device reports (PortAudio)
        self._stream: Any = None
        self.native_rate = rate
        self._open(name)

    def _open(self, name: str) -> None:
        try:
            self._start(name)
        except (OSError, ValueError) as exc:
            if name:
                self.on_change("default", f"cannot open {name!r}: {exc}")
                self._open("")
                return
            self.on_change("none", f"no usable audio device: {exc}")
            self._stream = None

    def _start(self, name: str) -> None:
        with self.system.lock:  # a rescan on a worker thread must not restart PortAudio now
            self._start_stream(name)

    def _start_stream(self, name: str) -> None:
        pa = self.system.session()
        if name:
            count = pa.get_device_count()
            found = find_device(
                [_device(pa.get_device_info_by_index(i)) for i in range(count)],
                name,
                output=self.output,
            )
            if found is None:
                raise OSError(f"no {'output' if self.output else 'input'} device named {name!r}")
            info = pa.get_device_info_by_index(found.index)
        elif self.output:
            info = pa.get_default_output_device_info()
        else:
            info = pa.get_default_input_device_info()
        device = _device(info)
        self.native_rate = self._rate_for(pa, device)
        self.device_name = device.name
        self._stream = pa.open(
            format=8,  # paInt16
            channels=1,
            rate=self.native_rate,
            output=self.output,
            input=not self.output,
            input_device_index=None if self.output else device.index,
            output_device_index=device.index if self.output else None,
            frames_per_buffer=self.native_rate // 50,
            stream_callback=self._callback,
        )
        self.last_callback = time.monotonic()
        self.latency = float(
            self._stream.get_output_latency() if self.output else self._stream.get_input_latency()
        )
        self._stream.start_stream()
        self.system.open_streams += 1

    def _rate_for(self, pa: Any, device: AudioDevice) -> int:
        """The call's own rate if the device takes it (no resampling on our side, as baresip
        opens ALSA), else the device's default rate."""
        if device.default_rate == self.rate:
            return self.rate
        where = "output" if self.output else "input"
        asked = {f"{where}_device": device.index, f"{where}_channels": 1, f"{where}_format": 8}
        try:
            if pa.is_format_supported(self.rate, **asked):
                return self.rate
        except ValueError:  # PortAudio's "invalid sample rate" and kin
            pass
        return device.default_rate

    def _callback(self, in_data: bytes | None, frames: int, info: Any, status: int) -> Any:
        raise NotImplementedError

    def check(self) -> None:
        """Switch to the default device if callbacks stopped arriving (device unplugged)."""
        if self._stream is None:
            return
        if time.monotonic() - self.last_callback > STALL_SECONDS:
            old = self.device_name
            self._close_stream()
            self.on_change("default", f"device {old!r} stopped")
            self._open("")

    def switch(self, name: str) -> None:
        """Move to device ``name`` ("" = the default) now; this object, and the call, go on."""
        self._close_stream()
        self.chunks.clear()
        self._open(name)
        if self._stream is not None:
            self.on_change(self.device_name, f"switched to {name or 'the default device'}")

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with self.system.lock:
                self.system.open_streams -= 1
                try:
                    stream.stop_stream()
                    stream.close()
                except OSError as exc:
                    log.debug("closing audio stream: %s", exc)

    def close(self) -> None:
        """Stop the stream (PortAudio stays up for the next call)."""
        self._close_stream()


class DeviceSource(_DeviceStream):
    """Captures from a sound card; ``read`` returns what arrived, padded on underrun."""

    def __init__(self, system: PortAudio, name: str, rate: int, on_change: Report) -> None:
        self.captured = 0
        super().__init__(system, name, rate, False, on_change)
        self._to_codec = Resampler(self.native_rate, rate)
        self._pending = np.zeros(0)
        self.underruns = 0

    def _open(self, name: str) -> None:
        super()._open(name)
        self._to_codec = Resampler(self.native_rate, self.rate)
        self._pending = np.zeros(0)

    def _callback(self, in_data: bytes | None, frames: int, info: Any, status: int) -> Any:
        self.last_callback = time.monotonic()
        self.captured += frames
        if in_data:
            self.chunks.append(in_data)
        return (None, 0)  # paContinue

    def available(self) -> int | None:
        """Return the samples (codec rate) captured and not read yet; None without a device."""
        self.check()
        if self._stream is None:
            return None
        queued = sum(len(chunk) for chunk in list(self.chunks)) // 2
        return self._pending.size + queued * self.rate // self.native_rate

    def read(self, samples: int) -> bytes:
        """Return ``samples`` captured samples at the codec rate (silence fills gaps)."""
        self.check()
        while self.chunks:
            converted = self._to_codec.process(to_samples(self.chunks.popleft()))
            self._pending = np.concatenate((self._pending, converted))
        if self._pending.size > 4 * samples:  # clock drift or a stall: keep latency bounded
            self._pending = self._pending[-2 * samples :]
        chunk, self._pending = self._pending[:samples], self._pending[samples:]
        if chunk.size < samples:
            self.underruns += 1
            chunk = np.concatenate((chunk, np.zeros(samples - chunk.size)))
        return bytes(np.clip(np.rint(chunk), -32768, 32767).astype("<i2").tobytes())


class DeviceSink(_DeviceStream):
    """Plays to a sound card; the callback plays silence when nothing is queued."""

    def __init__(self, system: PortAudio, name: str, rate: int, on_change: Report) -> None:
        self._leftover = b""
        self.played = 0
        self.requested = 0
        self._handed: collections.deque[bytes] = collections.deque(maxlen=2 * CHUNKS_KEPT)
        super().__init__(system, name, rate, True, on_change)
        self._to_device = Resampler(rate, self.native_rate)
        self._from_device = Resampler(self.native_rate, rate)

    def _open(self, name: str) -> None:
        super()._open(name)
        self._to_device = Resampler(self.rate, self.native_rate)
        self._from_device = Resampler(self.native_rate, self.rate)
        self._handed.clear()

    def _callback(self, in_data: bytes | None, frames: int, info: Any, status: int) -> Any:
        self.last_callback = time.monotonic()
        want = 2 * frames
        data = self._leftover
        while len(data) < want and self.chunks:
            data += self.chunks.popleft()
        self._leftover = data[want:]
        self.played += min(len(data), want) // 2
        self.requested += frames  # what the device consumed, paced by its clock
        out = data[:want] + bytes(max(0, want - len(data)))
        self._handed.append(out)  # the echo canceller's reference: what really went out
        return (out, 0)  # paContinue

    def take_played(self) -> bytes:
        """Return what the device was handed since the last call (codec rate), silence included."""
        chunks = []
        while self._handed:
            chunks.append(self._handed.popleft())
        return self._from_device.convert(b"".join(chunks)) if chunks else b""

    def queued(self) -> int | None:
        """Return the samples (codec rate) written but not yet played; None without a device."""
        self.check()
        if self._stream is None:
            return None
        pending = len(self._leftover) + sum(len(chunk) for chunk in list(self.chunks))
        return pending // 2 * self.rate // self.native_rate

    def write(self, pcm: bytes) -> None:
        """Queue ``pcm`` (codec rate) for playback, converted to the device's rate."""
        self.check()
        self.chunks.append(self._to_device.convert(pcm))


def open_source(spec: AudioSpec, rate: int, system: PortAudio, on_change: Report) -> AudioSource:
    """Open what ``--audio-in`` names at ``rate``: a device (with fallback) or a synthetic one."""
    if spec.is_device:
        return DeviceSource(system, spec.device, rate, on_change)
    return open_synthetic_source(spec, rate)


def open_sink(spec: AudioSpec, rate: int, system: PortAudio, on_change: Report) -> AudioSink:
    """Open what ``--audio-out`` names at ``rate``: a device (with fallback) or a file/null."""
    if spec.is_device:
        return DeviceSink(system, spec.device, rate, on_change)
    return open_synthetic_sink(spec, rate)
