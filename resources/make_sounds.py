"""Write the ringtone, ringback and busy tones as 16-bit mono WAVs with the stdlib only.

ringtone: a two-tone warble burst (what an incoming call sounds like here);
ringback: 440 + 480 Hz, 2 s on (the North American ringback, ITU-T E.180 style);
busy:     480 + 620 Hz, 0.5 s on / 0.5 s off, twice.
Each file ends in silence so a looping player leaves the usual gap.
"""

from __future__ import annotations

import math
import struct
import sys
import wave
from pathlib import Path

RATE = 16000
AMPLITUDE = 0.3 * 32767


def _tone(freqs: tuple[float, ...], seconds: float) -> list[float]:
    count = int(RATE * seconds)
    fade = int(RATE * 0.01)  # 10 ms ramps: no clicks
    samples = []
    for n in range(count):
        ramp = min(1.0, n / fade, (count - 1 - n) / fade)
        value = sum(math.sin(2 * math.pi * f * n / RATE) for f in freqs) / len(freqs)
        samples.append(value * ramp)
    return samples


def _silence(seconds: float) -> list[float]:
    return [0.0] * int(RATE * seconds)


def ringtone() -> list[float]:
    """Return two bursts of a 20 Hz warble between 880 and 1100 Hz, then a pause."""
    burst: list[float] = []
    for step in range(20):
        burst += _tone((880.0 if step % 2 == 0 else 1100.0,), 0.05)
    return burst + _silence(0.2) + burst + _silence(2.0)


def ringback() -> list[float]:
    """Return 2 s of 440 + 480 Hz and 4 s of silence."""
    return _tone((440.0, 480.0), 2.0) + _silence(4.0)


def busy() -> list[float]:
    """Return 480 + 620 Hz, 0.5 s on and 0.5 s off, twice."""
    cycle = _tone((480.0, 620.0), 0.5) + _silence(0.5)
    return cycle * 2


def write(path: Path, samples: list[float]) -> None:
    """Write ``samples`` (-1..1) as a 16 kHz 16-bit mono WAV."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", round(s * AMPLITUDE)) for s in samples))


def main(folder: Path) -> int:
    """Write the three sounds into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in (("ringtone", ringtone), ("ringback", ringback), ("busy", busy)):
        write(folder / f"{name}.wav", make())
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(__file__).resolve().parent / "sounds"))
