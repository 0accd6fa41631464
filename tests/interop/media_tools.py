"""Audio helpers for media tests and benchmarks: speech WAVs, alignment, PESQ, energy.

Speech comes from espeak-ng (22.05 kHz) and is converted with sox to what each peer needs
(baresip's aufile wants the codec's own format: 8 kHz mono for G.711, 48 kHz stereo for
Opus). Before scoring, the received signal is cut to the reference by cross-correlation
(the call adds a delay and the recording starts at an arbitrary moment); PESQ (ITU-T P.862,
the `pesq` package) then runs at 16 kHz (wideband) or 8 kHz (narrowband).
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
from pesq import pesq

SENTENCE = (
    "The quick brown fox jumps over the lazy dog. "
    "Please call me back at seven thirty, the number is five five five, one two three four."
)


def speech_wav(path: Path, rate: int, channels: int = 1, text: str = SENTENCE) -> Path:
    """Write `text` spoken by espeak-ng as a 16-bit WAV at `rate` Hz (normalised to -3 dBFS)."""
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(raw), text], check=True, timeout=30
    )
    convert(raw, path, rate, channels, ["gain", "-n", "-3"])
    return path


def silence_wav(path: Path, rate: int, channels: int = 1, seconds: float = 20.0) -> Path:
    """Write `seconds` of digital silence (a source for peers that stop the call at EOF)."""
    argv = ["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", str(path)]
    subprocess.run([*argv, "trim", "0", f"{seconds:g}"], check=True, timeout=30)
    return path


def convert(
    src: Path, dst: Path, rate: int, channels: int = 1, effects: list[str] | None = None
) -> Path:
    """Resample/remix `src` to a 16-bit WAV with sox."""
    argv = ["sox", str(src), "-r", str(rate), "-c", str(channels), "-b", "16", str(dst)]
    subprocess.run([*argv, *(effects or [])], check=True, timeout=30)
    return dst


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    """(rate, mono float samples) of a 16-bit WAV (stereo is mixed down)."""
    with wave.open(str(path), "rb") as wav:
        rate, channels = wav.getframerate(), wav.getnchannels()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return rate, data


def rms(samples: np.ndarray) -> float:
    """Root mean square level."""
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def active_seconds(samples: np.ndarray, rate: int, threshold: float = 300.0) -> float:
    """How many seconds of 20 ms windows carry more than `threshold` RMS (not silence)."""
    window = rate // 50
    frames = samples[: samples.size // window * window].reshape(-1, window)
    return float(np.sum(np.sqrt(np.mean(frames**2, axis=1)) > threshold)) * 0.02


def find_lag(reference: np.ndarray, received: np.ndarray) -> int:
    """Samples by which `reference` starts later in `received` (FFT cross-correlation)."""
    size = 1 << int(np.ceil(np.log2(reference.size + received.size)))
    spectrum = np.fft.rfft(received, size) * np.conj(np.fft.rfft(reference, size))
    correlation = np.fft.irfft(spectrum, size)
    lag = int(np.argmax(correlation))
    return lag - size if lag > size // 2 else lag


def aligned(reference: np.ndarray, received: np.ndarray) -> np.ndarray:
    """`received` shifted so it lines up with `reference`, cut or padded to its length."""
    lag = find_lag(reference, received)
    if lag >= 0:
        out = received[lag : lag + reference.size]
    else:
        out = np.concatenate((np.zeros(-lag), received[: reference.size + lag]))
    return np.concatenate((out, np.zeros(reference.size - out.size)))


def pesq_score(reference: Path, received: Path, mode: str, workdir: Path) -> float:
    """PESQ of `received` against `reference`: mode "wb" (16 kHz) or "nb" (8 kHz)."""
    rate = 16000 if mode == "wb" else 8000
    _, ref = read_wav(convert(reference, workdir / f"ref-{rate}.wav", rate))
    _, deg = read_wav(convert(received, workdir / f"deg-{received.stem}-{rate}.wav", rate))
    return float(pesq(rate, ref, aligned(ref, deg), mode))


def lag_seconds(reference: Path, received: Path, workdir: Path) -> float:
    """Where the reference starts in the received recording, in seconds (16 kHz resolution)."""
    _, ref = read_wav(convert(reference, workdir / "lag-ref.wav", 16000))
    _, deg = read_wav(convert(received, workdir / f"lag-{received.stem}.wav", 16000))
    return find_lag(ref, deg) / 16000


def delay_track(
    reference: np.ndarray, received: np.ndarray, rate: int, window: float = 0.5
) -> list[float]:
    """Playout delay (s) of each speech window of `reference` found in `received`.

    The whole recording is aligned first (`find_lag`); each `window`-second piece of the
    reference that carries speech is then looked up within ±60 ms of that lag by
    cross-correlation, so a frame dropped or inserted mid-call shows as a step.
    """
    base = find_lag(reference, received)
    size, reach = int(window * rate), int(0.06 * rate)
    delays: list[float] = []
    for start in range(0, reference.size - size, size):
        piece = reference[start : start + size]
        if rms(piece) < 300.0:
            continue
        lo = start + base - reach
        if lo < 0 or lo + size + 2 * reach > received.size:
            continue
        region = received[lo : lo + size + 2 * reach]
        scores = np.correlate(region, piece, mode="valid")
        delays.append((lo + int(np.argmax(scores))) / rate - start / rate)
    return delays


def speech_segments(
    reference: np.ndarray, rate: int, threshold: float = 300.0, min_pause: float = 0.06
) -> list[tuple[int, int]]:
    """(start, end) samples of each run of speech in `reference` between pauses.

    20 ms frames below `threshold` RMS are quiet; a pause is at least `min_pause` seconds
    of them. What lies between two pauses is one segment.
    """
    frame = rate // 50
    loud = [rms(reference[i : i + frame]) >= threshold for i in range(0, reference.size, frame)]
    segments: list[tuple[int, int]] = []
    start: int | None = None
    quiet_run = 0
    for index, is_loud in enumerate(loud):
        if is_loud:
            if start is None:
                start = index
            quiet_run = 0
            continue
        quiet_run += 1
        if start is not None and quiet_run * frame >= min_pause * rate:
            segments.append((start * frame, (index - quiet_run + 1) * frame))
            start = None
    if start is not None:
        segments.append((start * frame, min(len(loud) * frame, reference.size)))
    return segments


def delay_within_speech(
    reference: np.ndarray, received: np.ndarray, rate: int, edge: float = 0.15
) -> list[tuple[float, float]]:
    """(delay at its start, delay at its end), s, of each speech segment of `reference`.

    Every segment at least 2 × `edge` long is looked up in `received` twice, by its first
    and by its last `edge` seconds (cross-correlated within ±60 ms of the whole call's
    lag): a playout that moves its delay only in pauses gives the same value at both ends.
    """
    base = find_lag(reference, received)
    size, reach = int(edge * rate), int(0.06 * rate)

    def at(start: int) -> float | None:
        lo = max(0, start + base - reach)
        region = received[lo : start + base + reach + size]
        if region.size < size:
            return None
        scores = np.correlate(region, reference[start : start + size], mode="valid")
        return (lo + int(np.argmax(scores)) - start) / rate

    out: list[tuple[float, float]] = []
    for start, end in speech_segments(reference, rate):
        if end - start < 2 * size:
            continue
        first, last = at(start), at(end - size)
        if first is not None and last is not None:
            out.append((first, last))
    return out
