"""DTLS-SRTP between two of our phones, with ALEX on both: the handshake goes through the
media gate on the checked pair, and audio is decrypted at the far end.

The caller insists (`--media-encryption dtls`), the callee runs the default policy and
answers as the DTLS client. Speech is scored with PESQ against the SDES rows' threshold.
"""

from __future__ import annotations

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from media_tools import active_seconds, pesq_score, read_wav, speech_wav
from test_media_baresip import MIN_PESQ_NB_PCMU
from test_srtp_baresip import TAG_BYTES

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,  # the sentence is played in real time
    pytest.mark.needs("espeak-ng", "sox"),
]


def test_two_phones_talk_dtls_srtp_over_the_alex_pair(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    reference = speech_wav(lab.workdir / "speech.wav", 16000)
    got = lab.workdir / "got.wav"
    callee = Alexphone(lab, theirs.ns, "callee", listen=[f"udp:{theirs.ipv4}:5060"],
                       audio_in="silence", audio_out=f"file:{got}",
                       args=["--codecs", "pcmu"])  # fmt: skip
    callee.daemon("--auto-answer")
    callee.wait_event("ua.ready", timeout=15)
    caller = Alexphone(lab, ours.ns, "caller", listen=[f"udp:{ours.ipv4}:5060"],
                       audio_in=f"file:{reference}", audio_out="null",
                       args=["--media-encryption", "dtls", "--codecs", "pcmu"])  # fmt: skip
    seconds = read_wav(reference)[1].size / 16000 + 1.0

    code, events = caller.run_call(f"sip:callee@{theirs.ipv4}:5060", duration=seconds, timeout=40)
    theirs_media = callee.wait_event("call.media", lambda e: e.get("suite") is not None)
    callee.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)

    assert code == 0, caller.stderr_tail()
    media = [e for e in events if e["event"] == "call.media"][-1]
    confirmed = next(e for e in events if e["event"] == "call.state" and e["state"] == "confirmed")
    keyed = next(e for e in events if e["event"] == "call.media" and e.get("suite"))
    print(f"DTLS-SRTP keys {1000 * (keyed['ts'] - confirmed['ts']):.0f} ms after the 2xx")
    assert media["encryption"] == theirs_media["encryption"] == "dtls-srtp", (media, theirs_media)
    assert media["suite"] == theirs_media["suite"] and media["suite"] in TAG_BYTES
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["auth_failed"] == 0, stats
    rate_got, samples = read_wav(got)
    assert active_seconds(samples, rate_got) > 2.0
    score = pesq_score(reference, got, "nb", lab.workdir)
    print(f"PESQ-NB alexphone→alexphone PCMU over DTLS-SRTP ({media['suite']}): {score:.2f}")
    assert score >= MIN_PESQ_NB_PCMU, score
    callee.stop()
