"""The mixer: one microphone and one speaker shared by several calls' legs."""

from __future__ import annotations

import numpy as np
import pytest

from alexphone.media.audio_endpoint import NullSink, ToneSource
from alexphone.media.mixer import LAG_FRAMES, LegMode, Mixer
from alexphone.media.resampler import to_pcm, to_samples

RATE = 8000
FRAME = 160


class Constant:
    """A microphone that says one value; counts what was read."""

    def __init__(self, value: int, rate: int = RATE) -> None:
        self.rate = rate
        self.value = value
        self.reads = 0
        self.closed = False

    def read(self, samples: int) -> bytes:
        self.reads += 1
        return to_pcm(np.full(samples, float(self.value)))

    def close(self) -> None:
        self.closed = True


class Recorder:
    """A speaker that keeps every frame."""

    def __init__(self, rate: int = RATE) -> None:
        self.rate = rate
        self.frames: list[np.ndarray] = []
        self.closed = False

    def write(self, pcm: bytes) -> None:
        self.frames.append(to_samples(pcm))

    def close(self) -> None:
        self.closed = True


class Device(Recorder):
    """A sound card: reports what it has queued."""

    def __init__(self) -> None:
        super().__init__()
        self.consumed = 0

    def queued(self) -> int | None:
        return FRAME * len(self.frames) - self.consumed


def frame_of(value: int, samples: int = FRAME) -> bytes:
    return to_pcm(np.full(samples, float(value)))


def level(pcm: bytes) -> float:
    return float(to_samples(pcm).mean())


def test_one_leg_passes_audio_through_unchanged() -> None:
    mic, speaker = ToneSource(RATE, 440), Recorder()
    reference = ToneSource(RATE, 440)
    mixer = Mixer(mic, speaker)
    source, sink = mixer.join("a", RATE)
    for n in range(5):
        assert source.read(FRAME) == reference.read(FRAME)
        sink.write(frame_of(100 * n))
    assert [float(f.mean()) for f in speaker.frames] == [0.0, 100.0, 200.0, 300.0, 400.0]
    assert source.available() is None and sink.queued() is None  # no device clock


def test_two_active_legs_hear_the_microphone_once_and_are_heard_summed() -> None:
    mic, speaker = Constant(50), Recorder()
    mixer = Mixer(mic, speaker)
    (a_in, a_out), (b_in, b_out) = mixer.join("a", RATE), mixer.join("b", RATE)
    for _ in range(4):
        assert level(a_in.read(FRAME)) == 50
        assert level(b_in.read(FRAME)) == 50
        a_out.write(frame_of(1000))
        b_out.write(frame_of(2000))
    assert mic.reads == 4  # one microphone frame serves both legs
    assert [float(f.mean()) for f in speaker.frames] == [3000.0] * 4


def test_a_held_leg_hears_silence_and_is_not_heard() -> None:
    mic, speaker = Constant(50), Recorder()
    mixer = Mixer(mic, speaker)
    (a_in, a_out), (b_in, b_out) = mixer.join("a", RATE), mixer.join("b", RATE)
    mixer.set_mode("b", LegMode.HELD)
    for _ in range(3):
        assert level(a_in.read(FRAME)) == 50
        assert level(b_in.read(FRAME)) == 0
        a_out.write(frame_of(1000))
        b_out.write(frame_of(2000))
    assert [float(f.mean()) for f in speaker.frames] == [1000.0] * 3
    mixer.set_mode("b", LegMode.ACTIVE)  # resumed: heard again
    a_out.write(frame_of(1000))
    b_out.write(frame_of(2000))
    assert float(speaker.frames[-1].mean()) == 3000.0
    assert mixer.mode("b") is LegMode.ACTIVE and mixer.mode("zz") is None


def test_a_conference_sends_each_party_the_others_but_never_itself() -> None:
    mic, speaker = Constant(50), Recorder()
    mixer = Mixer(mic, speaker)
    legs = {key: mixer.join(key, RATE) for key in "abc"}
    for key in "abc":
        mixer.set_mode(key, LegMode.CONFERENCE)
    said = {"a": 1000, "b": 2000, "c": 4000}
    heard: dict[str, list[float]] = {key: [] for key in "abc"}
    for _ in range(4):
        for key, (source, sink) in legs.items():
            heard[key].append(level(source.read(FRAME)))
            sink.write(frame_of(said[key]))
    # from the second frame on, each leg gets the microphone and the other two, not itself
    assert heard["a"][1:] == [50 + 2000 + 4000] * 3
    assert heard["b"][1:] == [50 + 1000 + 4000] * 3
    assert heard["c"][1:] == [50 + 1000 + 2000] * 3
    assert [float(f.mean()) for f in speaker.frames] == [7000.0] * 4


def test_a_conference_leg_put_on_hold_leaves_the_mix_minus() -> None:
    mixer = Mixer(Constant(0), Recorder())
    legs = {key: mixer.join(key, RATE) for key in "ab"}
    for key in "ab":
        mixer.set_mode(key, LegMode.CONFERENCE)
    legs["b"][1].write(frame_of(2000))
    mixer.set_mode("b", LegMode.HELD)
    assert level(legs["a"][0].read(FRAME)) == 0  # b's queued audio went with it


def test_a_leg_at_another_rate_is_converted_both_ways() -> None:
    mic, speaker = ToneSource(48000, 440), Recorder(48000)
    mixer = Mixer(mic, speaker)
    source, sink = mixer.join("g711", 8000)
    captured = b"".join(source.read(160) for _ in range(25))
    tone = ToneSource(8000, 1000)
    for _ in range(25):
        sink.write(tone.read(160))
    assert len(captured) == 2 * 4000

    def peak(samples: np.ndarray, rate: int) -> float:
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
        return float(np.fft.rfftfreq(samples.size, 1 / rate)[np.argmax(spectrum)])

    assert peak(to_samples(captured)[800:], 8000) == pytest.approx(440, abs=5)
    played = np.concatenate(speaker.frames)
    assert peak(played[4800:], 48000) == pytest.approx(1000, abs=5)


def test_a_silent_leg_delays_the_mix_by_at_most_the_lag() -> None:
    speaker = Recorder()
    mixer = Mixer(Constant(0), speaker)
    _, a_out = mixer.join("a", RATE)
    mixer.join("b", RATE)  # never plays (its peer sends nothing)
    for n in range(1, 6):
        a_out.write(frame_of(1000))
        assert mixer.mixed == max(0, n - LAG_FRAMES + 1)
    assert all(float(f.mean()) == 1000.0 for f in speaker.frames)


def test_a_device_sink_sees_each_leg_queue_plus_the_card() -> None:
    speaker = Device()
    mixer = Mixer(Constant(0), speaker)
    (_, a_out), (_, b_out) = mixer.join("a", RATE), mixer.join("b", RATE)
    a_out.write(frame_of(1))  # the card is empty: mixed at once, b silent
    a_out.write(frame_of(1))  # the card holds a frame: a waits for b
    assert len(speaker.frames) == 1
    assert a_out.queued() == FRAME + FRAME and b_out.queued() == FRAME
    speaker.consumed = FRAME  # the card played it: about to run dry
    b_out.write(frame_of(2))
    assert [float(f.mean()) for f in speaker.frames] == [1.0, 3.0]


def test_the_last_leg_leaving_closes_the_endpoints_once() -> None:
    mic, speaker = Constant(0), NullSink(RATE)
    emptied: list[bool] = []
    mixer = Mixer(mic, speaker, on_empty=lambda: emptied.append(True))
    (a_in, a_out), (b_in, _) = mixer.join("a", RATE), mixer.join("b", RATE)
    with pytest.raises(ValueError):
        mixer.join("a", RATE)
    a_in.close()
    a_out.close()  # the stream closes both ends: one leave
    assert not mic.closed and emptied == []
    b_in.close()
    assert mic.closed and emptied == [True]


def test_a_cue_is_laid_over_the_speaker_only() -> None:
    speaker = Recorder()
    mixer = Mixer(Constant(0), speaker)
    a_in, a_out = mixer.join("a", RATE)
    mixer.cue = Constant(7)
    a_out.write(frame_of(100))
    assert float(speaker.frames[0].mean()) == 107.0
    assert level(a_in.read(FRAME)) == 0


def test_endpoints_at_different_rates_are_refused() -> None:
    with pytest.raises(ValueError):
        Mixer(Constant(0, 8000), Recorder(16000))


def test_a_muted_conference_leg_sends_the_others_but_not_the_microphone() -> None:
    mixer = Mixer(Constant(50), Recorder())
    legs = {key: mixer.join(key, RATE) for key in "ab"}
    for key in "ab":
        mixer.set_mode(key, LegMode.CONFERENCE)
    mixer.set_muted("a", True)
    mixer.set_muted("zz", True)  # no such leg: nothing happens
    for _ in range(2):
        heard_a = level(legs["a"][0].read(FRAME))
        heard_b = level(legs["b"][0].read(FRAME))
        legs["a"][1].write(frame_of(1000))
        legs["b"][1].write(frame_of(2000))
    assert heard_a == 2000  # b, and no microphone
    assert heard_b == 50 + 1000
    mixer.set_muted("a", False)
    assert level(legs["a"][0].read(FRAME)) == 50 + 2000


def test_a_lone_leg_at_the_mixers_rate_gets_the_microphone_bytes_and_plays_as_is() -> None:
    mic, speaker = ToneSource(RATE, 440), Recorder()
    reference = ToneSource(RATE, 440)
    mixer = Mixer(mic, speaker)
    source, sink = mixer.join("a", RATE)
    for i in range(3):
        assert source.read(FRAME) == reference.read(FRAME)  # no float round trip, no slip
        sink.write(frame_of(100 + i))
    assert [int(f[0]) for f in speaker.frames] == [100, 101, 102] and mixer.mixed == 3
    mixer.set_muted("a", True)
    assert source.read(FRAME) == bytes(2 * FRAME)  # muted: the microphone is still read
    mixer.set_muted("a", False)
    reference.read(FRAME)
    source_b, _ = mixer.join("b", RATE)  # a second leg: both read the same next frame
    expected = reference.read(FRAME)
    assert source.read(FRAME) == expected and source_b.read(FRAME) == expected
