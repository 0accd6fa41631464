"""A simulated room for echo tests: a speaker, a reverberant path and a microphone.

The room is a sink (what the phone plays) and a source (what its microphone hears) at one
rate. Played audio reaches the microphone after the speaker's buffer, the acoustic delay and
the microphone's buffer, through an exponentially decaying random impulse response
(RT60 given, energy scaled to ``gain_db``), added to the near-end talker's signal. Audio is
convolved block by block with FFTs, as it is played, so the echo is of what was really played.
"""

from __future__ import annotations

import numpy as np

from alexphone.media.resampler import to_pcm, to_samples


def impulse_response(rate: int, rt60: float, gain_db: float, seed: int) -> np.ndarray:
    """A random impulse response decaying 60 dB in ``rt60`` s, total energy ``gain_db``."""
    length = int(1.4 * rt60 * rate)  # down to -84 dB
    t = np.arange(length) / rate
    rng = np.random.default_rng(seed)
    ir = rng.standard_normal(length) * np.exp(-6.91 * t / rt60)
    return ir / np.sqrt(np.sum(ir**2)) * 10 ** (gain_db / 20)


class SimulatedRoom:
    """Sink and source of one simulated sound card in a room."""

    def __init__(
        self,
        rate: int,
        ir: np.ndarray,
        near: np.ndarray,
        *,
        acoustic_delay: float,
        output_latency: float = 0.02,
        input_latency: float = 0.02,
    ) -> None:
        self.rate = rate
        self.ir = ir
        self.near = near
        self.latency = output_latency
        self.input_latency = input_latency
        self.delay = round((output_latency + acoustic_delay + input_latency) * rate)
        self.echo = np.zeros(self.delay + near.size + ir.size + rate)  # at the microphone
        self._played_at = 0
        self._captured_at = 0
        self._handed: list[bytes] = []

    # the speaker
    def write(self, pcm: bytes) -> None:
        """Play ``pcm``: its echo is added to what the microphone will capture."""
        self._handed.append(pcm)
        block = to_samples(pcm)
        size = 1 << int(np.ceil(np.log2(block.size + self.ir.size)))
        echo = np.fft.irfft(np.fft.rfft(block, size) * np.fft.rfft(self.ir, size), size)
        start = self.delay + self._played_at
        end = min(start + block.size + self.ir.size - 1, self.echo.size)
        self.echo[start:end] += echo[: end - start]
        self._played_at += block.size

    def take_played(self) -> bytes:
        """Return what was played since the last call."""
        played, self._handed = b"".join(self._handed), []
        return played

    # the microphone
    def read(self, samples: int) -> bytes:
        """Return what the microphone captured next: the near talker plus the echo."""
        start = self._captured_at
        self._captured_at += samples
        near = self.near[start : start + samples]
        near = np.concatenate((near, np.zeros(samples - near.size)))
        return to_pcm(near + self.echo[start : start + samples])

    def echo_at(self, start: int, end: int) -> np.ndarray:
        """Return the echo part of captured samples ``start:end``."""
        return self.echo[start:end]

    def close(self) -> None:
        """Nothing to release."""
