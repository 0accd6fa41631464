"""DTLS-SRTP against baresip's `dtls_srtp` module (`mediaenc=dtls_srtp`), both ways.

baresip offers UDP/TLS/RTP/SAVPF with a session-level a=setup:actpass and a=fingerprint; the
daemon answers it under the default policy (`--media-encryption optional`) as the active side
(DTLS client), and as caller with `--media-encryption dtls` it offers UDP/TLS/RTP/SAVP and is
the DTLS server. Speech is scored with PESQ against the SDES rows' threshold; the wire watch of
test_srtp_baresip.py (a raw socket in baresip's namespace) sees every datagram the daemon sends
and finds no cleartext payload: the daemon sends digital silence, 160 bytes of 0xFF in PCMU.
baresip runs with `rtcp_mux yes`: RTCP shares the RTP port and its one DTLS association
(RFC 5761, RFC 5764 §4.1), and SRTCP is checked both ways.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import Baresip, baresip_account
from media_tools import active_seconds, pesq_score, read_wav, silence_wav, speech_wav
from test_media_baresip import MIN_PESQ_NB_PCMU
from test_srtp_baresip import TAG_BYTES, WireWatch, assert_encrypted_speech

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,  # the sentence is played in real time
    pytest.mark.needs("baresip", "espeak-ng", "sox"),
]


def dtls_baresip(lab: Lab, host: Host, source: Path, answer: bool) -> Baresip:
    """baresip on host:5060, PCMU only, with DTLS-SRTP media encryption and RTP/RTCP
    multiplexing: without it baresip runs a second DTLS association on its RTCP port, which
    we do not take, and its SRTCP fails authentication here (RFC 5764 §4.1)."""
    account = baresip_account(
        "bob", domain=f"{host.ipv4}:5060", codecs="PCMU",
        answermode="auto" if answer else "manual",
    ) + ";mediaenc=dtls_srtp"  # fmt: skip
    return Baresip(lab, host.ns, account, listen=f"{host.ipv4}:5060",
                   audio_source=f"aufile,{source}", extra_modules=("dtls_srtp",),
                   config=("rtcp_mux yes",)).start()  # fmt: skip


def assert_srtcp_both_ways(stats: dict[str, object]) -> None:
    """Every SRTCP datagram authenticated here, and a round-trip time: the peer's report
    answers our SR, so our SRTCP reached it too (RFC 3550 §6.4.1)."""
    assert stats["auth_failed"] == 0 and stats["bad"] == 0, stats
    assert stats["rtt_ms"] is not None, stats


def test_baresip_dtls_srtp_calls_the_daemon(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    reference = speech_wav(lab.workdir / "speech.wav", 16000)
    source = speech_wav(lab.workdir / "speech-8000.wav", 8000, 1)
    got = lab.workdir / "got.wav"
    phone = Alexphone(lab, ours.ns, "daemon", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="silence", audio_out=f"file:{got}")  # fmt: skip
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    bob = dtls_baresip(lab, theirs, source, answer=False)
    wire = WireWatch(lab, theirs.ns, ours.ipv4)

    bob.dial(f"sip:alexphone@{ours.ipv4}:5060")
    media = phone.wait_event("call.media", lambda e: e.get("suite") is not None, timeout=15)
    bob.wait_for_log(r"DTLS-SRTP complete", timeout=10)
    time.sleep(read_wav(reference)[1].size / 16000 + 1.0)  # the sentence plays in real time
    bob.hangup()
    phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)
    stats = phone.wait_event("call.stats", lambda e: e["rtt_ms"] is not None, timeout=5)
    wire.stop()

    assert media["encryption"] == "dtls-srtp" and media["suite"] in TAG_BYTES, media
    assert_srtcp_both_ways(stats)
    assert_encrypted_speech(wire, media, got, reference, lab.workdir)
    bob.quit()
    phone.stop()


def test_the_daemon_offers_dtls_srtp_to_baresip(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    reference = speech_wav(lab.workdir / "speech.wav", 16000)
    silence = silence_wav(lab.workdir / "silence.wav", 8000, 1)  # aufile ends calls at EOF
    bob = dtls_baresip(lab, theirs, silence, answer=True)
    phone = Alexphone(lab, ours.ns, "caller", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in=f"file:{reference}", audio_out="null",
                      args=["--media-encryption", "dtls", "--codecs", "pcmu"])  # fmt: skip
    seconds = read_wav(reference)[1].size / 16000 + 1.0

    code, events = phone.run_call(f"sip:bob@{theirs.ipv4}:5060", duration=seconds, timeout=40)

    assert code == 0, phone.stderr_tail()
    media = [e for e in events if e["event"] == "call.media"][-1]
    assert media["encryption"] == "dtls-srtp" and media["suite"] in TAG_BYTES, media
    stats = [e for e in events if e["event"] == "call.stats"][-1]
    assert stats["sent"] >= 50 * (seconds - 1.5), stats
    assert_srtcp_both_ways(stats)
    assert "DTLS-SRTP complete" in bob.log_text()
    recordings = sorted(bob.config_dir.glob("dump/*-dec.wav"))
    assert recordings, list(bob.config_dir.glob("dump/*"))
    rate_got, samples = read_wav(recordings[-1])
    assert active_seconds(samples, rate_got) > 2.0
    score = pesq_score(reference, recordings[-1], "nb", lab.workdir)
    print(f"PESQ-NB alexphone→baresip PCMU over DTLS-SRTP ({media['suite']}): {score:.2f}")
    assert score >= MIN_PESQ_NB_PCMU, score
    bob.quit()


def test_a_dtls_daemon_refuses_cleartext_baresip_with_488(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    phone = Alexphone(lab, ours.ns, "daemon", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="silence", audio_out="null",
                      args=["--media-encryption", "dtls"])  # fmt: skip
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    account = baresip_account("bob", domain=f"{theirs.ipv4}:5060", codecs="PCMU")
    bob = Baresip(lab, theirs.ns, account, listen=f"{theirs.ipv4}:5060").start()
    mark = bob.ctrl.events.mark() if bob.ctrl is not None else 0

    bob.dial(f"sip:alexphone@{ours.ipv4}:5060")
    closed = bob.wait_event("CALL_CLOSED", timeout=15, since=mark)

    assert "488" in str(closed.get("param", "")), closed
    bob.quit()
    phone.stop()
