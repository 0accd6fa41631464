"""An SDES offer with only crypto suites we do not know, sent by SIPp to the daemon.

SIPp calls with RTP/SAVP and two a=crypto lines (F8_128_HMAC_SHA1_80, a NULL cipher suite);
the daemon must answer 488 with a reason phrase naming the suites it does support, and
the scenario's regular expression fails the call otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import Sipp
from sipp_scenarios import invite_with_sdp

from alexphone.sdp.crypto import CryptoSuite

KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"  # 30 bytes of key||salt, base64

OFFER = f"""m=audio [media_port] RTP/SAVP 0
a=rtpmap:0 PCMU/8000
a=crypto:1 F8_128_HMAC_SHA1_80 inline:{KEY}
a=crypto:2 NULL_HMAC_SHA1_80 inline:{KEY}
"""

UNKNOWN_SUITES = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="unknown crypto suites">
"""
    + invite_with_sdp(OFFER)
    + """  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="488">
    <action>
      <ereg regexp="SIP/2.0 488 [^\\r\\n]*F8_128_HMAC_SHA1_80[^\\r\\n]*SUPPORTED"
            search_in="msg" check_it="true" assign_to="reason"/>
    </action>
  </recv>
  <send><![CDATA[
ACK sip:bob@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:alice@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
  <Reference variables="reason"/>
</scenario>
"""
)


@pytest.mark.interop
@pytest.mark.needs("sipp")
def test_an_offer_with_only_unknown_suites_gets_488_naming_ours(
    lab: Lab, flat_lan: list[Host], tmp_path: Path
) -> None:
    ours, theirs = flat_lan[0], flat_lan[1]
    phone = Alexphone(lab, ours.ns, "bob", listen=[f"udp:{ours.ipv4}:5060"],
                      audio_in="silence", audio_out="null")  # fmt: skip
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    xml = tmp_path / "unknown-suites.xml"
    supported = ".*".join(suite.value for suite in CryptoSuite)
    xml.write_text(UNKNOWN_SUITES.replace("SUPPORTED", supported))
    sipp = Sipp(lab, theirs.ns, "uac", theirs.ipv4, 5080, target=f"{ours.ipv4}:5060")
    at = sipp.argv.index("-sn")
    sipp.argv[at : at + 2] = ["-sf", str(xml)]

    result = sipp.start().wait(30)

    assert (result.successful, result.failed) == (1, 0), (result, (sipp.workdir / "sipp.log"))
    assert not [e for e in phone.events.snapshot() if e["event"] == "call.media"]
    phone.stop()
