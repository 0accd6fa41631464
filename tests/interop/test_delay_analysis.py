"""The playout-delay measures the interop tests rely on, on synthetic recordings (no lab).

Speech stand-in: seeded noise bursts of 0.6–1.2 s separated by 200 ms of silence. A
recording is the source delayed by 30 ms, with 10 ms of audio repeated either inside a
burst (a slip in speech) or inside a pause; the measures must tell the two apart.
"""

from __future__ import annotations

import numpy as np
from media_tools import delay_track, delay_within_speech, speech_segments

RATE = 16000


def _source() -> tuple[np.ndarray, list[tuple[int, int]]]:
    rng = np.random.default_rng(7)
    parts, bursts, at = [], [], 0
    for length in (0.8, 1.2, 0.6, 1.0, 0.9, 1.1):
        burst = rng.normal(0.0, 3000.0, int(length * RATE))
        parts += [burst, np.zeros(int(0.2 * RATE))]
        bursts.append((at, at + burst.size))
        at += burst.size + int(0.2 * RATE)
    return np.concatenate(parts), bursts


def _recording(source: np.ndarray, repeat_at: int) -> np.ndarray:
    ten_ms = RATE // 100
    return np.concatenate([np.zeros(3 * ten_ms), source[:repeat_at],
                           source[repeat_at - ten_ms : repeat_at], source[repeat_at:]])  # fmt: skip


def test_speech_runs_are_found_between_pauses() -> None:
    source, bursts = _source()
    assert speech_segments(source, RATE) == bursts


def test_a_repeat_inside_speech_shows_in_that_run_only() -> None:
    source, bursts = _source()
    start, end = bursts[2]
    runs = delay_within_speech(source, _recording(source, (start + end) // 2), RATE)
    moved = [round(1000 * (last - first), 1) for first, last in runs]
    assert moved == [0.0, 0.0, 10.0, 0.0, 0.0, 0.0]
    assert round(1000 * runs[0][0], 1) == 30.0


def test_a_repeat_in_a_pause_moves_no_run() -> None:
    source, bursts = _source()
    runs = delay_within_speech(source, _recording(source, bursts[2][1] + RATE // 10), RATE)
    assert [round(1000 * (last - first), 1) for first, last in runs] == [0.0] * 6
    windows = delay_track(source, _recording(source, bursts[2][1] + RATE // 10), RATE)
    assert round(1000 * (max(windows) - min(windows)), 1) == 10.0  # yet the delay did move
