"""Time-scale modification of decoded audio: take out or put in one pitch period.

Theory of operation. A jitter buffer that must change its delay can drop or repeat a whole
20 ms frame (audible as a skip or a stutter in speech) or stretch the audio by a little. In a
voiced segment the waveform repeats every pitch period (2.5–15 ms for voices from 400 Hz down
to 67 Hz), so one period can be removed or repeated with a cross-fade and the ear hears the
same vowel, a few milliseconds shorter or longer. Below the hearing threshold (a pause) any
splice is inaudible. Everywhere else (plosives, noise-like consonants) we refuse, and the
caller tries again on a later frame.

- ``accelerate(future)`` shortens the not-yet-played audio: ``future[:P]`` fades into
  ``future[P:2P]`` and the rest follows, ``P`` samples shorter.
- ``expand(history, future)`` lengthens it at the join with what was just played: the
  period after the join fades into the period before it (``history[-P:]``), which then
  flows into ``future`` again, ``P`` samples longer. Only unplayed samples change.

The period is the lag with the highest normalised correlation between one period and the
next, searched on a 4 kHz decimation and refined at the full rate (WSOLA-like).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float64]

__all__ = ["Samples", "Stretch", "StretchConfig", "accelerate", "expand", "find_period"]


@dataclass(frozen=True, slots=True)
class StretchConfig:
    """When a segment may be stretched."""

    min_period: float = 0.0025
    max_period: float = 0.015
    min_correlation: float = 0.9  # "strongly periodic"
    quiet_rms: float = 130.0  # about -48 dBFS: a pause, stretched whatever its shape


@dataclass(frozen=True, slots=True)
class Stretch:
    """The stretched unplayed audio and the change in samples (+ longer, - shorter)."""

    samples: Samples
    change: int
    quiet: bool  # spliced in a pause rather than on a pitch period


def _rms(x: Samples) -> float:
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def _correlation(a: Samples, b: Samples) -> float:
    energy = float(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b)) / np.sqrt(energy) if energy > 0 else 0.0


def find_period(x: Samples, rate: int, lo: int, hi: int) -> tuple[int, float]:
    """Return the lag in [lo, hi] where ``x[:lag]`` best matches ``x[lag:2*lag]``, and its score.

    ``x`` must hold at least ``2 * hi`` samples.
    """
    step = max(1, rate // 4000)
    coarse = x[: x.size // step * step].reshape(-1, step).mean(axis=1)
    best, score = lo, -1.0
    for lag in range(max(1, lo // step), hi // step + 1):
        c = _correlation(coarse[:lag], coarse[lag : 2 * lag])
        if c > score:
            best, score = lag * step, c
    lags = range(max(lo, best - step), min(hi, best + step) + 1)
    scores = [_correlation(x[:lag], x[lag : 2 * lag]) for lag in lags]
    index = int(np.argmax(scores))
    return lags[index], scores[index]


def _fade(out: Samples, into: Samples) -> Samples:
    ramp = (np.arange(out.size) + 0.5) / out.size
    result: Samples = out * (1.0 - ramp) + into * ramp
    return result


def _bounds(rate: int, available: int, config: StretchConfig) -> tuple[int, int] | None:
    lo = max(1, round(config.min_period * rate))
    hi = min(round(config.max_period * rate), available)
    return (lo, hi) if hi >= lo else None


def accelerate(
    future: Samples, rate: int, config: StretchConfig | None = None, *, voiced: bool = True
) -> Stretch | None:
    """Return ``future`` one period shorter, or None where a splice would be heard.

    ``voiced=False`` splices only in a pause.
    """
    config = config or StretchConfig()
    bounds = _bounds(rate, future.size // 2, config)
    if bounds is None:
        return None
    lo, hi = bounds
    if _rms(future[: 2 * hi]) < config.quiet_rms:
        period, quiet = hi, True
    elif not voiced:
        return None
    else:
        period, score = find_period(future, rate, lo, hi)
        if score < config.min_correlation:
            return None
        quiet = False
    joined = _fade(future[:period], future[period : 2 * period])
    return Stretch(np.concatenate((joined, future[2 * period :])), -period, quiet)


def expand(
    history: Samples,
    future: Samples,
    rate: int,
    config: StretchConfig | None = None,
    *,
    voiced: bool = True,
) -> Stretch | None:
    """Return ``future`` one period longer (repeating the one just played), or None.

    ``voiced=False`` splices only in a pause.
    """
    config = config or StretchConfig()
    bounds = _bounds(rate, min(history.size, future.size), config)
    if bounds is None:
        return None
    lo, hi = bounds
    around = np.concatenate((history[-hi:], future[:hi]))
    if _rms(around) < config.quiet_rms:
        period, quiet = hi, True
    elif not voiced:
        return None
    else:
        # the period that best continues across the join: compare backwards from it
        reversed_past = history[::-1]
        period, score = find_period(reversed_past, rate, lo, min(hi, history.size // 2))
        if score < config.min_correlation:
            return None
        if _correlation(history[-period:], future[:period]) < config.min_correlation:
            return None
        quiet = False
    joined = _fade(future[:period], history[-period:])
    return Stretch(np.concatenate((joined, future)), period, quiet)
