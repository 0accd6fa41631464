"""Both directions on a clean path: the playout delay never moves and nothing is lost.

The phone records what it plays (`--audio-out file:`, whose clock is the driver's 20 ms
schedule, see lab_playout); a second baresip decodes the same sender's packets in the same
test, giving the codec's ceiling for this source and this encoder. Across the call the
playout delay measured in 0.5 s windows by cross-correlation with the source varies by at
most 1 ms (a slipped frame is 20 ms), and PESQ sits within 0.05 of baresip's own decode.

phone → baresip: baresip records what it decodes of the phone's speech; its delay varies by
at most 1 ms and PESQ sits within 0.05 of our encoder's codec-only score (the source
encoded and decoded with no network in between).
"""

from __future__ import annotations

import pytest
from lab import Host, Lab
from lab_playout import Received, codec_only, receive_speech, send_speech

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,  # 11 s calls in real time
    pytest.mark.needs("baresip", "espeak-ng", "sox", "taskset"),
]


@pytest.mark.parametrize("codec", ["pcmu", "opus"])
def test_baresip_speech_plays_at_a_constant_delay(
    lab: Lab, flat_lan: list[Host], codec: str
) -> None:
    result = receive_speech(lab, flat_lan, codec)
    variation = result.variation_ms(result.phone_delays)
    print(f"{codec}: phone PESQ {result.phone_pesq:.2f} (baresip {result.baresip_pesq:.2f}), "
          f"delay variation {variation} ms over {len(result.phone_delays)} windows, "
          f"stats {result.phone_stats}")  # fmt: skip
    assert len(result.phone_delays) >= 10  # speech all along the call was found
    assert variation <= 1.0, result.phone_delays
    assert result.phone_stats["lost"] == 0 and result.phone_stats["concealed"] == 0
    assert result.phone_pesq >= result.baresip_pesq - 0.05


@pytest.mark.parametrize("codec", ["pcmu", "opus"])
def test_phone_speech_reaches_baresip_at_a_constant_delay(
    lab: Lab, flat_lan: list[Host], codec: str
) -> None:
    sent = send_speech(lab, flat_lan, codec)
    ceiling = codec_only(lab.workdir / "speech.wav", codec, lab.workdir)
    variation = Received.variation_ms(sent.baresip_delays)
    print(f"{codec}: baresip PESQ {sent.baresip_pesq:.2f} (codec only {ceiling:.2f}), "
          f"delay variation {variation} ms over {len(sent.baresip_delays)} windows")  # fmt: skip
    assert len(sent.baresip_delays) >= 10
    assert variation <= 1.0, sent.baresip_delays
    assert sent.baresip_pesq >= ceiling - 0.05
