"""Echo cancellation on the capture path, in a simulated room (issue acceptance, 48 kHz/Opus).

Far-end speech (espeak-ng) is played frame by frame through the phone's sink, reaches the
microphone through a room (acoustic delay 40–120 ms, RT60 300 ms, -6 dB, plus 20 ms of
speaker and of microphone buffering) and is read back through ``ProcessedSource``, the
object a call encodes from. With the near end silent, the attenuation of the echo in what
we would send is measured in windows; with a near-end talker starting at 10 s (double talk),
what we would send is scored with PESQ against the clean near-end speech. Goals of the issue's
acceptance: 25 dB after 2 s, 46 dB after 17 s, PESQ-WB 3.0 in double talk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from echo_room import SimulatedRoom, impulse_response
from media_tools import pesq_score, read_wav, speech_wav

from alexphone.media.audio_endpoint import WavSink
from alexphone.media.audio_processing import AudioProcessing, ProcessingOptions
from alexphone.media.processed_source import ProcessedSource
from alexphone.media.resampler import to_pcm, to_samples

pytestmark = [pytest.mark.slow, pytest.mark.needs("espeak-ng", "sox")]

RATE = 48000
FRAME = RATE // 50
SECONDS = 20
DOUBLE_TALK_AT = 10.0
FAR_TEXTS = (
    "The quick brown fox jumps over the lazy dog.",
    "Please call me back at seven thirty, the number is five five five, one two three four.",
    "We will meet at the station tomorrow morning, bring the tickets and the map.",
)
NEAR_TEXT = "I can hear you, but the line sounds a little bit hollow from here today."
ROOMS = [(0.04, 2), (0.08, 1), (0.12, 3)]  # (acoustic delay s, impulse response seed)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, Path]:
    """(far-end speech, 20 s at 48 kHz; the near-end talker's WAV at 48 kHz)."""
    work = tmp_path_factory.mktemp("speech")
    parts = []
    for i, text in enumerate(FAR_TEXTS * 2):
        parts.append(read_wav(speech_wav(work / f"far{i}.wav", RATE, text=text))[1])
        parts.append(np.zeros(RATE // 4))
    far = np.concatenate(parts)[: SECONDS * RATE]
    assert far.size == SECONDS * RATE, "espeak-ng gave less speech than the test needs"
    return far, speech_wav(work / "near.wav", RATE, text=NEAR_TEXT)


def run_call(
    far: np.ndarray, near: np.ndarray, delay: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Play ``far`` into the room for 20 s; return (what we send, the echo at the mic)."""
    room = SimulatedRoom(RATE, impulse_response(RATE, 0.3, -6.0, seed), near, acoustic_delay=delay)
    processing = AudioProcessing(RATE, ProcessingOptions())
    source = ProcessedSource(room, room, processing, lambda: room.input_latency)
    sent = []
    for i in range(far.size // FRAME):  # MediaStream.tick's order: capture, then play
        sent.append(to_samples(source.read(FRAME)))
        room.write(to_pcm(far[i * FRAME : (i + 1) * FRAME]))
    out = np.concatenate(sent)
    return out, room.echo_at(0, out.size)


def attenuation(echo: np.ndarray, sent: np.ndarray, start: float, end: float) -> float:
    """Echo energy at the microphone over what we send, in dB, for seconds start..end."""
    window = slice(int(start * RATE), int(end * RATE))
    return float(10 * np.log10(np.sum(echo[window] ** 2) / max(np.sum(sent[window] ** 2), 1.0)))


def echo_figures(far: np.ndarray, delay: float, seed: int) -> tuple[list[float], float]:
    """(attenuation in 2-4, 4-10, 10-17 s; attenuation in 17-20 s) with the near end silent."""
    sent, echo = run_call(far, np.zeros(far.size), delay, seed)
    after_2s = [attenuation(echo, sent, a, b) for a, b in ((2, 4), (4, 10), (10, 17))]
    after_17s = attenuation(echo, sent, 17, 20)
    print(f"room {delay * 1000:.0f} ms seed {seed}: 2-4/4-10/10-17 s", end=" ")
    print(" ".join(f"{v:.1f}" for v in after_2s), f"17-20 s {after_17s:.1f} dB")
    return after_2s, after_17s


@pytest.mark.parametrize(("delay", "seed"), ROOMS)
def test_echo_attenuation_reaches_terminal_echo_loss(
    speech: tuple[np.ndarray, Path], delay: float, seed: int
) -> None:
    # 3GPP TS 26.132's terminal echo loss after 17 s; measured 26.0-35.3 dB in 2-4 s,
    # 32.7-60.1 dB in 4-17 s and 53.0-66.8 dB in 17-20 s (AEC3 and the long linear filter)
    after_2s, after_17s = echo_figures(speech[0], delay, seed)
    assert min(after_2s) >= 25.0
    assert after_17s >= 46.0


def double_talk(
    speech: tuple[np.ndarray, Path], delay: float, seed: int, work: Path
) -> tuple[float, np.ndarray, np.ndarray]:
    """(PESQ-WB of what we send against the clean talker, what we send, the talker alone)."""
    far, near_wav = speech
    _, talker = read_wav(near_wav)
    start = int(DOUBLE_TALK_AT * RATE)
    near = np.zeros(far.size)
    near[start : start + talker.size] = talker[: far.size - start]
    sent, _ = run_call(far, near, delay, seed)
    out = WavSink(work / "sent.wav", RATE)
    out.write(to_pcm(sent[start:]))
    out.close()
    score = pesq_score(near_wav, work / "sent.wav", "wb", work)
    print(f"room {delay * 1000:.0f} ms seed {seed}: double talk PESQ-WB {score:.2f}")
    return score, sent[start : start + talker.size], near[start : start + talker.size]


@pytest.mark.parametrize(("delay", "seed"), ROOMS)
def test_near_end_talker_is_not_muted_during_double_talk(
    speech: tuple[np.ndarray, Path], delay: float, seed: int, tmp_path: Path
) -> None:
    _, sent, talker = double_talk(speech, delay, seed, tmp_path)
    level = 10 * np.log10(np.mean(sent**2) / np.mean(talker**2))
    print(f"room {delay * 1000:.0f} ms seed {seed}: talker sent at {level:.1f} dB")
    assert level > -3.0  # measured -0.2 to -0.3 dB (AEC3 alone ducked it by 3.5-4 dB)


@pytest.mark.parametrize(("delay", "seed"), ROOMS)
def test_near_end_speech_scores_pesq_3_in_double_talk(
    speech: tuple[np.ndarray, Path], delay: float, seed: int, tmp_path: Path
) -> None:
    # measured 3.41, 3.15 and 3.04; AEC3 alone gave 1.06 (the unprocessed mix scores 1.2)
    assert double_talk(speech, delay, seed, tmp_path)[0] >= 3.0
