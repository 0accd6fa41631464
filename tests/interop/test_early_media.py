"""Early media: the audio a 183 Session Progress announces is played before any answer.

SIPp answers the phone's INVITE with 183 and SDP, streams an espeak-ng sentence (raw
μ-law, `rtp_stream`) and then declines the call with 486 without ever sending a 200.
`alexphone call` records what it plays (`--audio-out file:`): the sentence, scored with
PESQ, although the call never reached the confirmed state. (baresip's `answermode=early`
sends the 183 but not its audio, so it cannot serve here.)
"""

from __future__ import annotations

import subprocess

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from media_tools import active_seconds, pesq_score, read_wav, speech_wav

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,  # the sentence plays in real time (~11 s)
    pytest.mark.needs("sipp", "espeak-ng", "sox"),
]

SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="183 with early media, then 486">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[

SIP/2.0 183 Session Progress
[last_Via:]
[last_From:]
[last_To:];tag=[pid]early[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=early media
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]></send>
  <nop><action><exec rtp_stream="speech.ul,1,0"/></action></nop>
  <pause milliseconds="{pause_ms}"/>
  <send><![CDATA[

SIP/2.0 486 Busy Here
[last_Via:]
[last_From:]
[last_To:];tag=[pid]early[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <recv request="ACK"/>
</scenario>
"""


def test_a_183_with_sdp_is_heard_before_any_answer(lab: Lab, flat_lan: list[Host]) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    reference = speech_wav(lab.workdir / "speech.wav", 16000)
    seconds = read_wav(reference)[1].size / 16000
    sipp_dir = lab.workdir / "sipp"
    sipp_dir.mkdir()
    subprocess.run(["sox", str(reference), "-r", "8000", "-c", "1", "-t", "ul",
                    str(sipp_dir / "speech.ul")], check=True, timeout=30)  # fmt: skip
    scenario = sipp_dir / "early.xml"
    scenario.write_text(SCENARIO.replace("{pause_ms}", str(round(1000 * seconds) + 1000)))
    argv = ["sipp", "-sf", str(scenario), "-i", theirs.ipv4, "-p", "5060", "-m", "1", "-mp",
            "17000", "-nostdin", "-timeout", "60s", "-timeout_error", "-trace_err"]  # fmt: skip
    lab.spawn(theirs.ns, argv, sipp_dir / "sipp.log", timeout=90, cwd=sipp_dir)
    lab.wait_listening(theirs.ns, "udp", theirs.ipv4, 5060, timeout=10)
    got = lab.workdir / "got.wav"
    phone = Alexphone(lab, ours.ns, "caller", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="silence", audio_out=f"file:{got}")  # fmt: skip

    phone.start_call(f"sip:bob@{theirs.ipv4}:5060", duration=1.0)
    phone.wait_event("call.state", lambda e: e["state"] == "early", timeout=15)
    media = phone.wait_event("call.media", timeout=10)
    ended = phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=seconds + 20)
    phone.wait_exit(10)

    states = [e["state"] for e in phone.events.snapshot() if e["event"] == "call.state"]
    assert "confirmed" not in states, states  # all of it was early media
    assert media["codec"].lower().startswith("pcmu")
    assert ended["code"] == 486, ended
    rate, samples = read_wav(got)
    assert active_seconds(samples, rate) > 3.0
    score = pesq_score(reference, got, "nb", lab.workdir)
    print(f"early media PESQ-NB: {score:.2f}, states {states}")
    assert score >= 3.5, score
