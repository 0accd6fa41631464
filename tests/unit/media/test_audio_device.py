"""Sound-card endpoints against a fake PortAudio: selection by name, fallback, stalls."""

from __future__ import annotations

from typing import Any

import pytest

from alexphone.media import audio_device
from alexphone.media.audio_device import (
    AudioDevice,
    DeviceSink,
    DeviceSource,
    PortAudio,
    find_device,
    open_sink,
)
from alexphone.media.audio_endpoint import NullSink
from alexphone.media.audio_spec import parse_audio_out
from alexphone.media.resampler import to_samples

DEVICES = [
    {"index": 0, "name": "HDA Intel: ALC892 Analog", "maxInputChannels": 2,
     "maxOutputChannels": 2, "defaultSampleRate": 44100.0},
    {"index": 1, "name": "USB Headset", "maxInputChannels": 1,
     "maxOutputChannels": 2, "defaultSampleRate": 48000.0},
]  # fmt: skip


class FakeStream:
    def __init__(self, callback: Any) -> None:
        self.callback = callback
        self.started = self.closed = False

    def start_stream(self) -> None:
        self.started = True

    def stop_stream(self) -> None:
        return

    def close(self) -> None:
        self.closed = True

    def get_input_latency(self) -> float:
        return 0.0087

    def get_output_latency(self) -> float:
        return 0.0313


class FakePyAudio:
    def __init__(self, broken: set[int], any_rate: set[int]) -> None:
        self.broken = broken
        self.any_rate = any_rate  # devices that take any rate (ALSA's pulse/default plugins)
        self.opened: list[tuple[int, FakeStream]] = []
        self.rates: list[int] = []  # the rate of each stream opened

    def get_device_count(self) -> int:
        return len(DEVICES)

    def get_device_info_by_index(self, index: int) -> dict[str, Any]:
        return DEVICES[index]

    def get_default_output_device_info(self) -> dict[str, Any]:
        return DEVICES[0]

    def get_default_input_device_info(self) -> dict[str, Any]:
        return DEVICES[0]

    def is_format_supported(self, rate: int, **kw: Any) -> bool:
        index = kw.get("output_device", kw.get("input_device"))
        if index not in self.any_rate and rate != DEVICES[index]["defaultSampleRate"]:
            raise ValueError("Invalid sample rate", -9997)
        return True

    def open(self, **kw: Any) -> FakeStream:
        index = kw["output_device_index"] if kw["output"] else kw["input_device_index"]
        self.rates.append(kw["rate"])
        if index in self.broken:
            raise OSError(-9996, "Invalid device")
        stream = FakeStream(kw["stream_callback"])
        self.opened.append((index, stream))
        return stream

    def terminate(self) -> None:
        return


class FakePortAudio(PortAudio):
    def __init__(self, broken: set[int] | None = None, any_rate: set[int] | None = None) -> None:
        super().__init__()
        self.fake = FakePyAudio(broken or set(), any_rate or set())

    def session(self) -> Any:
        return self.fake


def test_find_device_by_name_part_and_direction() -> None:
    devices = [audio_device._device(d) for d in DEVICES]
    assert find_device(devices, "usb", output=False) == AudioDevice(1, "USB Headset", 1, 2, 48000)
    assert find_device(devices, "analog", output=True) is not None
    assert find_device(devices, "bluetooth", output=True) is None


def test_sink_reports_what_it_handed_the_device_and_its_latency() -> None:
    system = FakePortAudio()
    sink = DeviceSink(system, "USB", 16000, lambda d, w: None)
    assert sink.latency == pytest.approx(0.0313)
    sink.write(b"\x20\x00" * 320)  # 20 ms at 16 kHz, played as 960 samples at 48 kHz
    callback = system.fake.opened[0][1].callback
    callback(None, 960, None, 0)
    callback(None, 960, None, 0)  # nothing queued: the device gets silence
    played = to_samples(sink.take_played())
    assert abs(played.size - 640) <= 2  # the resampler's fractional phase
    assert played[100] == pytest.approx(32, abs=1) and played[-1] == 0
    assert sink.take_played() == b""
    sink.close()


def test_named_device_opens_at_its_native_rate_and_resamples() -> None:
    system, changes = FakePortAudio(), []
    source = DeviceSource(system, "USB", 8000, lambda d, w: changes.append(d))
    assert (source.native_rate, source.device_name, changes) == (48000, "USB Headset", [])
    assert source.latency == pytest.approx(0.0087)
    callback = system.fake.opened[0][1].callback
    for _ in range(3):  # the PortAudio thread delivers three 20 ms chunks at 48 kHz
        callback(b"\x10\x00" * 960, 960, None, 0)
    frame = to_samples(source.read(160))
    assert frame.size == 160 and frame[-1] == pytest.approx(16, abs=1)
    assert system.open_streams == 1
    source.close()
    assert system.open_streams == 0


def test_a_device_that_takes_the_calls_rate_opens_at_it_and_nothing_is_resampled() -> None:
    system = FakePortAudio(any_rate={0})
    sink = DeviceSink(system, "HDA", 16000, lambda d, w: None)
    source = DeviceSource(system, "USB", 16000, lambda d, w: None)  # 48 kHz only: resampled
    assert (sink.native_rate, source.native_rate, system.fake.rates) == (
        16000,
        48000,
        [16000, 48000],
    )
    pcm = bytes(range(256)) * 5  # 640 samples, 40 ms at 16 kHz
    sink.write(pcm)
    system.fake.opened[0][1].callback(None, 640, None, 0)
    assert sink.take_played() == pcm  # what the device was handed, byte for byte


def test_a_broken_device_falls_back_to_the_default_with_an_event() -> None:
    system, changes = FakePortAudio(broken={1}), []
    sink = DeviceSink(system, "USB Headset", 48000, lambda d, w: changes.append((d, w)))
    assert sink.device_name.startswith("HDA")
    assert changes and changes[0][0] == "default" and "USB Headset" in changes[0][1]


def test_no_device_at_all_becomes_silence_not_a_crash() -> None:
    system, changes = FakePortAudio(broken={0, 1}), []
    source = DeviceSource(system, "", 8000, lambda d, w: changes.append(d))
    assert changes == ["none"]
    assert source.read(160) == bytes(320)


def test_a_stalled_device_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    system, changes = FakePortAudio(), []
    sink = DeviceSink(system, "USB", 48000, lambda d, w: changes.append((d, w)))
    callback = system.fake.opened[0][1].callback
    sink.write(b"\x01\x00" * 960)
    data, flag = callback(None, 480, None, 0)
    assert data == b"\x01\x00" * 480 and flag == 0
    clock = [sink.last_callback + audio_device.STALL_SECONDS + 0.1]
    monkeypatch.setattr(audio_device.time, "monotonic", lambda: clock[0])
    sink.write(bytes(1920))  # the loop notices no callback came for too long
    assert changes == [("default", "device 'USB Headset' stopped")]
    assert sink.device_name.startswith("HDA") and system.fake.opened[0][1].closed


def test_open_sink_uses_synthetic_endpoints_without_portaudio() -> None:
    assert isinstance(open_sink(parse_audio_out("null"), 8000, FakePortAudio(), print), NullSink)


def test_the_fifo_levels_the_stream_paces_itself_by() -> None:
    system = FakePortAudio()
    sink = DeviceSink(system, "USB", 8000, print)  # 48 kHz device, 8 kHz codec
    source = DeviceSource(system, "USB", 8000, print)
    sink.write(bytes(320))
    sink.write(bytes(320))
    assert sink.queued() == 320
    system.fake.opened[0][1].callback(None, 960, None, 0)  # the device played 20 ms
    assert sink.queued() == 160
    system.fake.opened[1][1].callback(b"\x00\x00" * 960, 960, None, 0)
    assert 160 <= (source.available() or 0) <= 161  # 20 ms, give or take the resampler's phase
    source.read(160)
    assert (source.available() or 0) <= 1


def test_without_a_device_nothing_claims_a_clock_of_its_own() -> None:
    system = FakePortAudio(broken={0, 1})
    assert DeviceSink(system, "", 8000, print).queued() is None
    assert DeviceSource(system, "", 8000, print).available() is None


def test_switching_moves_the_same_source_to_another_device() -> None:
    system, changes = FakePortAudio(), []
    source = DeviceSource(system, "", 16000, lambda d, w: changes.append(d))
    first = system.fake.opened[0][1]
    source.switch("USB")
    assert source.device_name == "USB Headset" and changes == ["USB Headset"]
    assert first.closed and system.open_streams == 1  # the old stream is gone, one is open
    callback = system.fake.opened[-1][1].callback
    callback(b"\x10\x00" * 960, 960, None, 0)
    assert to_samples(source.read(320))[-1] == pytest.approx(16, abs=1)  # reads go on
    source.close()
