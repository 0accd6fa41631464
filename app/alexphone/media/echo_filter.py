"""A long linear echo canceller beside AEC3, and the choice between their outputs.

Theory of operation. AEC3's adaptive filter spans 52 ms (13 blocks of 4 ms). In a room whose
reverberation lasts 300 ms most of the echo lies beyond that span, so AEC3 leaves it to its
suppressor, which mutes the near-end talker whenever both ends talk, and which lets the
first 20 ms of far-end speech after a pause through. ``LinearEchoFilter`` models the whole
tail: a partitioned-block frequency-domain adaptive filter (overlap-save, FFTs of twice the
block) of ``parts`` blocks, ``parts × block`` samples in all.

Two copies run (the two-path scheme): the *background* filter adapts on every block with a
step normalised by the render power in each bin; the *foreground* filter, whose residual is
what we use, takes the background's coefficients only while the background leaves less
residual. Double talk throws the background off; it never reaches the foreground.

Each block also says whether the near end talks: the foreground's residual is compared with
what it leaves when only the far end talks (its echo return loss enhancement, ERLE, held at
its best and let down by 1 dB/s). ``EchoChoice`` then takes, block by block, the linear
residual while the near end talks (nothing suppressed), else whichever of AEC3's output and
the linear residual is quieter, with a 10 ms cross-fade at each change.

Cost. The filter state (ring, both weight sets, products) and its FFTs are single precision:
at 48 kHz a block multiplies 2 × 36 × 481 bins, and in single precision those products take
half the time (one block: ~180 → ~130 µs). Residuals and energies stay double precision.
Blocks stay 10 ms: 20 ms blocks (half the calls) cost the double-talk PESQ of the simulated
rooms (3.04 → 1.77), see tests/interop/test_echo_room.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float64]
Spectra = npt.NDArray[np.complex64]
REAL = np.float32  # the precision of the filter's state and FFTs (see Cost above)
COMPLEX = np.complex64
SMOOTH = 0.7  # per block, for the background/foreground error comparison
LEVEL_SMOOTH = 0.95  # per block, for the ERLE estimate (about 200 ms at 10 ms blocks)
ERLE_DECAY = 10 ** (-0.1 / 100)  # 1 dB per second at 10 ms blocks


@dataclass(frozen=True, slots=True)
class FilterConfig:
    """Sizes and thresholds of the linear filter."""

    block: int  # samples per block (10 ms)
    parts: int = 36  # blocks the filter spans: 360 ms of delay and reverberation
    step: float = 0.5  # normalised adaptation step of the background filter
    copy_margin: float = 0.7  # background residual below this share of the foreground's: copy
    double_talk: float = 30.0  # residual this far above the far-end-only level: near end talks
    floor: float = 1e4  # mean square below which a residual is silence, not a talker
    trust: float = 100.0  # ERLE (20 dB) below which the filter cannot tell a talker from echo
    hangover: int = 10  # blocks the near end counts as talking after it was last heard


class LinearEchoFilter:
    """Removes the echo of ``far`` from ``near``, one block at a time."""

    def __init__(self, config: FilterConfig) -> None:
        self.config = config
        n, parts = config.block, config.parts
        self._ring = np.zeros((2 * parts, n + 1), COMPLEX)  # render spectra, twice
        self._conj = np.zeros((2 * parts, n + 1), COMPLEX)  # and their conjugates
        self._head = 0
        self._weights = np.zeros((2, parts, n + 1), COMPLEX)  # foreground, background
        self._front, self._back = self._weights[0], self._weights[1]
        self._frame = np.zeros(2 * n, REAL)  # [previous block, this block] of the render
        self._padded = np.zeros(2 * n, REAL)  # [0…0, error] for the step's spectrum
        self._products = np.empty((2, parts, n + 1), COMPLEX)  # no large temporaries
        self._scratch = self._products[1]
        self._bin_power = np.zeros((parts, n + 1))  # |X|² of each ring block
        self._span_power = np.zeros(n + 1)  # their sum over the filter's span
        self._power = np.full(n + 1, 1e6)  # that sum, smoothed: the normaliser
        self._energy = {"front": 1.0, "back": 1.0, "near": 1.0}
        self._levels = [1.0, 1.0]  # smoothed energies: (near, residual)
        self._constrain = 0
        self.erle = 1.0
        self.copies = 0
        self.near_talk = False
        self._hold = 0  # blocks of hangover left

    def process(self, near: Samples, far: Samples) -> Samples:
        """Return ``near`` without the echo of ``far`` (both one block, in step)."""
        self._push(far)
        residuals = near - self._estimates()
        front: Samples = residuals[0]
        back: Samples = residuals[1]
        self._adapt(back)
        self._compare(near, front, back)
        self._detect(near, front)
        return front

    def _push(self, far: Samples) -> None:
        """Add the block's spectrum to the ring (newest first from ``_head``)."""
        parts, n = self.config.parts, self.config.block
        frame = self._frame
        frame[:n] = frame[n:]
        frame[n:] = far
        spectrum = np.fft.rfft(frame)
        self._head = head = (self._head - 1) % parts
        self._ring[head] = self._ring[head + parts] = spectrum
        self._conj[head] = self._conj[head + parts] = spectrum.conjugate()
        power = spectrum.real**2 + spectrum.imag**2
        self._span_power += power - self._bin_power[head]  # the oldest block leaves
        self._bin_power[head] = power
        if head == 0:  # now and then, the exact sum: no rounding drift
            self._span_power = self._bin_power.sum(0)
        # smoothed, the normaliser lags at onsets: larger steps while the far end starts
        self._power = 0.5 * self._power + 0.5 * self._span_power

    def _estimates(self) -> Samples:
        """The echo both filters expect in this block: rows (foreground, background)."""
        head, parts = self._head, self.config.parts
        np.multiply(self._weights, self._ring[head : head + parts], out=self._products)
        out: Samples = np.fft.irfft(self._products.sum(1))[:, self.config.block :]
        return out

    def _adapt(self, error: Samples) -> None:
        """One normalised step of the background; one partition constrained per block."""
        n, parts = self.config.block, self.config.parts
        gain = (self.config.step / (self._power + 1e6 * n)).astype(REAL)
        self._padded[n:] = error
        step = np.fft.rfft(self._padded) * gain
        np.multiply(self._conj[self._head : self._head + parts], step, out=self._scratch)
        self._back += self._scratch
        k = self._constrain  # keep each partition causal and n long (round robin, as MDF)
        self._constrain = (k + 1) % parts
        taps = np.fft.irfft(self._back[k])
        taps[n:] = 0.0
        self._back[k] = np.fft.rfft(taps)

    def _compare(self, near: Samples, front: Samples, back: Samples) -> None:
        """Copy the background into the foreground when it cancels better; reset on divergence."""
        energy = self._energy
        for name, signal in (("front", front), ("back", back), ("near", near)):
            energy[name] = SMOOTH * energy[name] + (1 - SMOOTH) * float(np.dot(signal, signal))
        if energy["back"] < self.config.copy_margin * energy["front"] and (
            energy["back"] < energy["near"]
        ):
            self._front[:] = self._back
            self.copies += 1
        elif energy["front"] > 2 * energy["near"]:
            self._front[:] = 0.0  # the foreground adds echo: start it again

    def _detect(self, near: Samples, residual: Samples) -> None:
        """Update ``near_talk`` and the ERLE held at its best."""
        size = near.size
        near_energy = float(np.dot(near, near)) + 1.0
        left = float(np.dot(residual, residual)) + 1.0
        levels = self._levels
        levels[0] = LEVEL_SMOOTH * levels[0] + (1 - LEVEL_SMOOTH) * near_energy
        levels[1] = LEVEL_SMOOTH * levels[1] + (1 - LEVEL_SMOOTH) * left
        self.erle = max(levels[0] / levels[1], self.erle * ERLE_DECAY)
        config = self.config
        heard = (
            left > config.double_talk * near_energy / self.erle
            and left > config.floor * size
            and self.erle >= config.trust
        )
        self._hold = config.hangover if heard else max(0, self._hold - 1)
        self.near_talk = self._hold > 0


class EchoChoice:
    """Picks, block by block, between the linear residual and AEC3's output (see the top)."""

    def __init__(self, block: int) -> None:
        self._weight = 0.0  # of the linear residual, at the end of the last block
        self._ramp = (np.arange(block) + 0.5) / block
        self.linear_blocks = 0

    def mix(self, linear: Samples, aec3: Samples, near_talk: bool) -> Samples:
        """Return the block to send: ``linear`` or ``aec3``, cross-faded from the last choice."""
        take_linear = near_talk or float(np.dot(linear, linear)) < float(np.dot(aec3, aec3))
        weight = 1.0 if take_linear else 0.0
        self.linear_blocks += take_linear
        start, self._weight = self._weight, weight
        if start == weight:
            return linear if take_linear else aec3
        ramp = start + (weight - start) * self._ramp
        out: Samples = ramp * linear + (1.0 - ramp) * aec3
        return out
