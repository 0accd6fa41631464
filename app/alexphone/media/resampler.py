"""Streaming sample-rate conversion of 16-bit mono PCM (device rate ↔ codec rate).

Theory of operation: a windowed-sinc low-pass runs at the input rate first when the output
rate is lower (so nothing above the new Nyquist folds back), then linear interpolation reads
the signal at the output instants. The filter's tail and the fractional read position carry
over from one chunk to the next, so chunks of any size join without clicks. Speech needs no
better: the images linear interpolation leaves when upsampling sit above the input's Nyquist,
where a 8/16 kHz source has nothing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float64]
TAPS = 63


def lowpass(cutoff: float, taps: int = TAPS) -> Samples:
    """Return a Blackman-windowed sinc low-pass; ``cutoff`` is a fraction of the sample rate."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(taps)
    result: Samples = kernel / kernel.sum()
    return result


def to_samples(pcm: bytes) -> Samples:
    """Return 16-bit little-endian PCM as float samples."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def to_pcm(samples: Samples) -> bytes:
    """Return float samples as 16-bit little-endian PCM, clipped."""
    return bytes(np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes())


class Resampler:
    """Converts a stream of chunks from ``in_rate`` to ``out_rate``, keeping state between them."""

    def __init__(self, in_rate: int, out_rate: int) -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise ValueError(f"bad rates {in_rate} → {out_rate}")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self.step = in_rate / out_rate  # input samples per output sample
        self._filter = lowpass(0.45 / self.step) if out_rate < in_rate else None
        self._history = np.zeros(TAPS - 1 if self._filter is not None else 0)
        self._last = 0.0  # the input sample just before the current chunk
        self._position = 0.0  # next output instant, in input samples after _last

    @property
    def passthrough(self) -> bool:
        """Tell whether the rates are equal (chunks pass unchanged)."""
        return self.in_rate == self.out_rate

    def process(self, samples: Samples) -> Samples:
        """Return the output samples that ``samples`` (the next input chunk) completes."""
        if self.passthrough or samples.size == 0:
            return samples
        if self._filter is not None:
            padded = np.concatenate((self._history, samples))
            self._history = padded[-(TAPS - 1) :]
            samples = np.convolve(padded, self._filter, mode="valid")
        # the signal indexed from the previous chunk's last sample (index 0) onwards
        signal = np.concatenate(([self._last], samples))
        end = samples.size  # we may read up to index ``end`` (the chunk's last sample)
        count = int(np.floor((end - self._position) / self.step)) + 1
        if count <= 0:
            self._position -= samples.size
            self._last = float(samples[-1])
            return np.zeros(0)
        instants = self._position + self.step * np.arange(count)
        out: Samples = np.interp(instants, np.arange(signal.size), signal)
        self._position = instants[-1] + self.step - end
        self._last = float(samples[-1])
        return out

    def convert(self, pcm: bytes) -> bytes:
        """Return ``pcm`` (16-bit LE mono at ``in_rate``) converted to ``out_rate``."""
        if self.passthrough:
            return pcm
        return to_pcm(self.process(to_samples(pcm)))
