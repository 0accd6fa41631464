"""baresip → phone through 40 ms of random jitter, the phone's CPU shared with a busy loop.

The sender's RTP is held a random 0–40 ms per packet (nfqueue_delay.py, packets overtake
each other) while a spinning process is pinned to the CPU of the receiving phone. The
playout may move its delay, but only in pauses: each run of speech between two pauses of
the source (found by energy) is cross-correlated at its start and at its end, and the two
delays agree within 1 ms. PESQ stays within 0.3 of the codec-only score (the source
encoded and decoded at the bitrate baresip sent, no network).
"""

from __future__ import annotations

import pytest
from lab import Host, Lab
from lab_playout import Received, codec_only, receive_speech

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,  # an 11 s call in real time per codec
    pytest.mark.needs("baresip", "espeak-ng", "sox", "taskset", "iptables"),
]


@pytest.mark.parametrize("codec", ["pcmu", "opus"])
def test_jitter_and_a_busy_cpu_move_the_delay_only_in_pauses(
    lab: Lab, flat_lan: list[Host], codec: str
) -> None:
    # the codec-only score is the yardstick here, so no second call to baresip
    result = receive_speech(lab, flat_lan, codec, busy=True, jitter_ms=40.0, with_reference=False)
    ceiling = codec_only(lab.workdir / "speech.wav", codec, lab.workdir, result.sent_kbps or 32)
    moved = Received.moved_in_speech_ms(result.phone_segments)
    print(f"{codec}: phone PESQ {result.phone_pesq:.2f} (codec only {ceiling:.2f}), "
          f"delay moved {moved} ms inside speech over {len(result.phone_segments)} runs, "
          f"overall variation {result.variation_ms(result.phone_delays)} ms, "
          f"stats {result.phone_stats}")  # fmt: skip
    assert len(result.phone_segments) >= 5  # the source's speech runs were found
    assert moved <= 1.0, result.phone_segments
    assert result.phone_pesq >= ceiling - 0.3
