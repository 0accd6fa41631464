"""Blind transfer (RFC 5589 §6) with our daemon as the transferee and SIPp as the transferor."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import Sipp
from sipp_scenarios import invite_with_sdp

# SIPp calls the daemon, REFERs it to the target, checks the 202 and both NOTIFYs, then BYEs.
# SIPp's 200 OK to each NOTIFY the transferee sends, echoing the request's dialog headers
ANSWER_OK = """  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
"""

OFFER = """m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
"""

TRANSFEROR = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="blind transferor">
"""
    + invite_with_sdp(OFFER)
    + """  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
  <send retrans="500"><![CDATA[
REFER [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 REFER
Contact: <sip:alice@[local_ip]:[local_port]>
Refer-To: <sip:carol@TARGET>
Referred-By: <sip:alice@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="202"/>
  <recv request="NOTIFY">
    <action>
      <ereg regexp="SIP/2.0 100 Trying" search_in="msg" check_it="true" assign_to="t"/>
      <ereg regexp="Event: refer" search_in="msg" check_it="true" assign_to="e"/>
    </action>
  </recv>
ANSWER_OK
  <recv request="NOTIFY" timeout="15000">
    <action>
      <ereg regexp="SIP/2.0 200 OK" search_in="msg" check_it="true" assign_to="o"/>
      <ereg regexp="terminated;reason=noresource" search_in="msg" check_it="true"
            assign_to="s"/>
    </action>
  </recv>
ANSWER_OK
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:bob@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
  <Reference variables="t,e,o,s"/>
</scenario>
"""
)


def _transferor(lab: Lab, host: Host, tmp_path: Path, transferee: str, target: str) -> Sipp:
    """SIPp running TRANSFEROR (its built-in uac swapped for the scenario file)."""
    xml = tmp_path / "transferor.xml"
    xml.write_text(TRANSFEROR.replace("ANSWER_OK\n", ANSWER_OK).replace("TARGET", target))
    sipp = Sipp(lab, host.ns, "uac", host.ipv4, 5080, target=transferee, run_timeout_s=40)
    at = sipp.argv.index("-sn")
    sipp.argv[at : at + 2] = ["-sf", str(xml)]
    return sipp


@pytest.mark.interop
@pytest.mark.needs("sipp")
def test_daemon_as_transferee_calls_the_refer_to_target_and_notifies(
    lab: Lab, flat_lan: list[Host], tmp_path: Path
) -> None:
    bob_host, alice_host, carol_host = flat_lan
    bob = Alexphone(lab, bob_host.ns, "bob", listen=[f"udp:{bob_host.ipv4}:5060"])
    carol = Alexphone(lab, carol_host.ns, "carol", listen=[f"udp:{carol_host.ipv4}:5060"])
    for phone in (bob, carol):
        phone.daemon("--auto-answer")
        phone.wait_event("ua.ready", timeout=15)

    alice = _transferor(lab, alice_host, tmp_path, f"{bob_host.ipv4}:5060", carol_host.ipv4)
    result = alice.start().wait(60)

    assert (result.successful, result.failed) == (1, 0), (result, bob.stderr_tail())
    carol.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=10)
    transfer = [e for e in bob.events.snapshot() if e["event"] == "call.transfer"]
    assert [e["state"] for e in transfer] == ["requested", "trying", "succeeded"]
    assert transfer[0]["target"] == f"sip:carol@{carol_host.ipv4}"
    original = transfer[0]["call_id"]
    bob.wait_event("call.state", lambda e: e["call_id"] == original and e["state"] == "ended")
    outgoing = [
        e for e in bob.events.snapshot() if e["event"] == "call.state" and e["direction"] == "out"
    ]
    assert outgoing and all(e["call_id"] != original for e in outgoing)
    bob.stop()
    carol.stop()
