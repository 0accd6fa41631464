"""The audio processing wrapper: 10 ms framing, render pairing, delay hint, rates, failures."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from alexphone.core.errors import ConfigError
from alexphone.media.audio_endpoint import NullSink, SilenceSource, ToneSource
from alexphone.media.audio_processing import (
    AudioProcessing,
    Pcm16,
    ProcessingOptions,
    ProcessingUnavailable,
    load_webrtc,
)
from alexphone.media.audio_spec import (
    DEFAULT_DEVICE,
    AudioKind,
    AudioSpec,
    EchoControl,
    parse_echo_control,
)
from alexphone.media.processed_source import ProcessedSource, TappedSink, with_processing
from alexphone.media.resampler import to_pcm, to_samples


class FakeProcessor:
    """Records what it is given; returns the capture minus the render (a perfect canceller)."""

    def __init__(self, rate: int, options: ProcessingOptions) -> None:
        self.rate = rate
        self.options = options
        self.stream_delay_ms = 0
        self.delays: list[int] = []
        self.calls: list[tuple[Pcm16, Pcm16 | None]] = []

    def process(self, near: Pcm16, far: Pcm16 | None = None) -> Pcm16:
        self.delays.append(self.stream_delay_ms)
        self.calls.append((near.copy(), None if far is None else far.copy()))
        if far is None:
            return near
        return (near.astype(np.int32) - far).clip(-32768, 32767).astype(np.int16)


def make(rate: int = 16000, **options: bool) -> tuple[AudioProcessing, FakeProcessor]:
    """The processing and its first module instance (the canceller when echo is cancelled)."""
    processing, made = make_all(rate, **options)
    return processing, made[0]


def make_all(rate: int = 16000, **options: bool) -> tuple[AudioProcessing, list[FakeProcessor]]:
    made: list[FakeProcessor] = []

    def loader(work_rate: int, chosen: ProcessingOptions) -> FakeProcessor:
        made.append(FakeProcessor(work_rate, chosen))
        return made[-1]

    processing = AudioProcessing(rate, ProcessingOptions(**options), loader=loader)
    return processing, made


def test_noise_suppression_runs_after_the_cancellers_on_what_they_leave() -> None:
    processing, (canceller, cleanup) = make_all(16000)
    assert canceller.options.echo_cancel and not canceller.options.noise_suppression
    assert cleanup.options.noise_suppression and not cleanup.options.echo_cancel
    processing.analyze_render(ramp(0, 320))
    out = processing.process_capture(ramp(1000, 320))
    assert cleanup.calls[0][1] is None  # no render for the noise suppressor
    assert np.array_equal(to_samples(out), cleanup.calls[0][0].astype(np.float64))
    # the choice took the quieter output: the fake canceller's (capture minus render)
    assert np.all(cleanup.calls[0][0] == 1000)
    _, (only,) = make_all(16000, echo_cancel=False)
    assert only.options.noise_suppression


def ramp(start: int, count: int) -> bytes:
    return to_pcm(np.arange(start, start + count, dtype=np.float64))


def test_capture_is_paired_with_render_in_order_in_10ms_frames() -> None:
    processing, fake = make(16000)
    processing.analyze_render(ramp(0, 320))
    processing.analyze_render(ramp(320, 320))
    out = processing.process_capture(ramp(1000, 320))
    assert len(out) == 640
    assert [c[0].size for c in fake.calls] == [320]  # both 10 ms frames in one call
    far = fake.calls[0][1]
    assert far is not None
    assert list(far[:3]) == [0, 1, 2]  # the oldest render first
    assert np.all(to_samples(out) == 1000)  # capture ramp minus render ramp
    processing.process_capture(ramp(0, 320))
    far = fake.calls[1][1]
    assert far is not None
    assert far[0] == 320


def test_missing_render_is_silence_and_stale_render_is_dropped() -> None:
    processing, fake = make(16000)
    processing.analyze_render(ramp(0, 100))
    processing.process_capture(bytes(640))
    far = fake.calls[0][1]
    assert far is not None
    assert list(far[98:102]) == [98, 99, 0, 0]
    processing.analyze_render(bytes(2 * 16000))  # a second: more than the 200 ms kept
    assert processing.render_dropped == 16000 - 3200


def test_delay_hint_reaches_the_processor_only_when_it_changes() -> None:
    processing, fake = make(16000)
    processing.delay_ms = 60
    processing.process_capture(bytes(320))
    processing.delay_ms = -5  # clamped
    processing.process_capture(bytes(320))
    assert fake.delays == [60, 0]


def test_without_echo_cancellation_no_render_is_given() -> None:
    processing, fake = make(16000, echo_cancel=False)
    processing.analyze_render(ramp(0, 320))
    processing.process_capture(ramp(0, 320))
    assert fake.calls[0][1] is None


@pytest.mark.parametrize("rate", [8000, 16000, 32000, 48000])
def test_native_rates_run_unchanged(rate: int) -> None:
    processing, fake = make(rate)
    assert fake.rate == rate
    tone = ToneSource(rate, 440).read(rate // 50)
    assert processing.process_capture(tone) == tone  # the fake cancels a silent render


def test_other_rates_are_resampled_and_every_read_keeps_its_length() -> None:
    processing, fake = make(44100)
    assert fake.rate == 48000
    tone = ToneSource(44100, 440)
    outs = [processing.process_capture(tone.read(882)) for _ in range(50)]
    assert {len(o) for o in outs} == {1764}
    level = np.sqrt(np.mean(to_samples(b"".join(outs[10:])) ** 2))
    assert level == pytest.approx(0.25 * 32767 / np.sqrt(2), rel=0.05)  # tone got through


def test_a_missing_binding_is_reported_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pywebrtc_audio", None)  # import fails
    with pytest.raises(ProcessingUnavailable, match="cannot be loaded"):
        load_webrtc(16000, ProcessingOptions())


def test_the_real_canceller_removes_a_delayed_echo() -> None:
    rate, frame = 16000, 320
    processing = AudioProcessing(rate, ProcessingOptions())
    noise = np.random.default_rng(7).standard_normal(rate * 4) * 3000
    delay = 480  # 30 ms between what we hand to the device and its echo at the microphone
    echo = np.concatenate((np.zeros(delay), 0.5 * noise))[: noise.size]
    sent = []
    for i in range(noise.size // frame):
        part = slice(i * frame, (i + 1) * frame)
        processing.analyze_render(to_pcm(noise[part]))
        sent.append(to_samples(processing.process_capture(to_pcm(echo[part]))))
    last = np.concatenate(sent)[-rate:]
    assert 10 * np.log10(np.mean(echo[-rate:] ** 2) / np.mean(last**2)) > 20.0


def test_processed_source_feeds_what_was_played_and_the_latencies() -> None:
    processing, fake = make(16000)
    null = NullSink(16000)
    sink = TappedSink(null)
    source = ProcessedSource(SilenceSource(16000), sink, processing, lambda: 0.015)
    sink.latency = 0.025
    sink.write(ramp(5, 320))
    source.read(320)
    far = fake.calls[0][1]
    assert far is not None
    assert far[0] == 5
    assert fake.delays == [40]
    assert null.samples == 320  # the wrapped sink still got it


def test_with_processing_taps_a_plain_sink() -> None:
    processing, _ = make(16000)
    null = NullSink(16000)
    source, sink = with_processing(SilenceSource(16000), null, processing)
    assert isinstance(sink, TappedSink)
    assert source.tap is sink


def test_echo_control_applies_to_sound_cards_unless_switched() -> None:
    file_in = AudioSpec(AudioKind.SILENCE)
    assert EchoControl.AUTO.applies_to(DEFAULT_DEVICE)
    assert not EchoControl.AUTO.applies_to(file_in)
    assert EchoControl.ON.applies_to(file_in)
    assert not EchoControl.OFF.applies_to(DEFAULT_DEVICE)
    assert parse_echo_control(" On ") is EchoControl.ON
    with pytest.raises(ConfigError, match="--echo-cancel"):
        parse_echo_control("maybe")


class _Microphone(SilenceSource):
    """Silence captured on a clock of its own: 200 samples wait to be read."""

    def available(self) -> int | None:
        return 200


def test_processed_source_passes_on_what_its_microphone_has_waiting() -> None:
    processing, _ = make(16000)
    clocked = ProcessedSource(_Microphone(16000), None, processing)
    assert clocked.available() == 200  # the stream paces capture by the microphone's clock
    assert ProcessedSource(SilenceSource(16000), None, processing).available() is None


class _BrokenProcessor(FakeProcessor):
    """The binding refusing its input while the call runs."""

    def process(self, near: Pcm16, far: Pcm16 | None = None) -> Pcm16:
        raise RuntimeError("bad frame")


def test_a_processing_failure_during_a_call_is_reported_once_and_audio_goes_on() -> None:
    processing = AudioProcessing(16000, ProcessingOptions(), loader=_BrokenProcessor)
    reports: list[str] = []
    source, sink = with_processing(ToneSource(16000, 440), NullSink(16000), processing,
                                   reports.append)  # fmt: skip
    tone = ToneSource(16000, 440)
    for _ in range(3):
        sink.write(bytes(640))
        assert source.read(320) == tone.read(320)  # the microphone, unprocessed
    assert reports == ["no echo cancellation: bad frame"]
    assert isinstance(sink, TappedSink) and sink.take_played() == b""  # still drained
