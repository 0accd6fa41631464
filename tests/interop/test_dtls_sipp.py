"""A DTLS-SRTP handshake that never completes ends the call after a bounded time.

SIPp answers the daemon's UDP/TLS/RTP/SAVP offer with a=setup:passive and a fingerprint, then
speaks no DTLS: the daemon, the active side, sends its ClientHello into silence. The call must
end with the reason "media encryption failed" once the handshake deadline has passed, and the
daemon must never have reported keys (a call.media with a suite).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import Sipp
from sipp_scenarios import sdp_body

from alexphone.media.dtls import HANDSHAKE_TIMEOUT

FINGERPRINT = ":".join(["5A"] * 32)  # SHA-256 of no certificate anyone will show

ANSWER = f"""m=audio [media_port] UDP/TLS/RTP/SAVP 0
a=rtpmap:0 PCMU/8000
a=setup:passive
a=fingerprint:sha-256 {FINGERPRINT}
"""

SILENT_DTLS_PEER = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="DTLS-SRTP answer, no DTLS">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:bob@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

{sdp_body("bob", ANSWER)}]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
</scenario>
"""


@pytest.mark.interop
@pytest.mark.needs("sipp")
def test_a_handshake_that_never_completes_ends_the_call(
    lab: Lab, flat_lan: list[Host], tmp_path: Path
) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    xml = tmp_path / "silent-dtls.xml"
    xml.write_text(SILENT_DTLS_PEER)
    sipp = Sipp(lab, theirs.ns, "uas", theirs.ipv4, 5060, run_timeout_s=40)
    at = sipp.argv.index("-sn")
    sipp.argv[at : at + 2] = ["-sf", str(xml)]
    sipp.start()
    phone = Alexphone(lab, ours.ns, "alice", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="silence", audio_out="null",
                      args=["--media-encryption", "dtls"])  # fmt: skip

    code, events = phone.run_call(f"sip:bob@{theirs.ipv4}:5060", duration=40, timeout=40)

    states = {e["state"]: e for e in events if e["event"] == "call.state"}
    assert "confirmed" in states and "ended" in states, (code, events)
    assert states["ended"]["reason"] == "media encryption failed", states["ended"]
    assert code == 1, code  # `alexphone call` says the call failed
    took = states["ended"]["ts"] - states["confirmed"]["ts"]
    assert HANDSHAKE_TIMEOUT - 0.5 <= took <= HANDSHAKE_TIMEOUT + 3.0, took
    media = [e for e in events if e["event"] == "call.media"]
    assert media and all(e["encryption"] == "dtls-srtp" and e["suite"] is None for e in media)
    result = sipp.wait(30)
    assert (result.successful, result.failed) == (1, 0), result  # the daemon sent its BYE
