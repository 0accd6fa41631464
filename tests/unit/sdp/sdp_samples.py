"""Real-world style SDP bodies shared by the SDP tests (CRLF lines, RFC 8866 order)."""

from __future__ import annotations


def crlf(*lines: str) -> str:
    """Join lines into an SDP body with CRLF endings."""
    return "".join(line + "\r\n" for line in lines)


BARESIP_OFFER = crlf(
    "v=0",
    "o=- 1826512713 3215414561 IN IP4 192.168.1.20",
    "s=-",
    "c=IN IP4 192.168.1.20",
    "t=0 0",
    "a=tool:baresip 3.10.1",
    "m=audio 10922 RTP/AVP 111 0 8 101",
    "b=AS:96",
    "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 stereo=1;sprop-stereo=1",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=rtcp:10923",
    "a=sendrecv",
    "a=label:1",
    "a=ssrc:1409839497 cname:sip:alice@example.com",
    "a=rtcp-rsize",
    "a=ptime:20",
)

SIPP_OFFER = crlf(
    "v=0",
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    "m=audio 6000 RTP/AVP 0",
    "a=rtpmap:0 PCMU/8000",
)

# a static payload type alone, no rtpmap at all (RFC 3551 §6)
BARE_PCMU_OFFER = crlf(
    "v=0",
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    "m=audio 6000 RTP/AVP 0",
)

LINPHONE_ICE_OFFER = crlf(
    "v=0",
    "o=bob 2870 1443 IN IP4 192.168.1.30",
    "s=Talk",
    "c=IN IP4 203.0.113.7",
    "t=0 0",
    "a=ice-pwd:31ec21eb38b2ec6d36e8dc7b",
    "a=ice-ufrag:7a2e0c3b",
    "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics",
    "a=record:off",
    "m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100",
    "c=IN IP4 203.0.113.7",
    "a=rtpmap:96 opus/48000/2",
    "a=fmtp:96 useinbandfec=1",
    "a=rtpmap:97 speex/16000",
    "a=fmtp:97 vbr=on",
    "a=rtpmap:98 speex/8000",
    "a=fmtp:98 vbr=on",
    "a=fmtp:18 annexb=yes",
    "a=rtpmap:101 telephone-event/48000",
    "a=rtpmap:99 telephone-event/16000",
    "a=rtpmap:100 telephone-event/8000",
    "a=rtcp:7079",
    "a=candidate:1 1 UDP 2130706303 192.168.1.30 7078 typ host",
    "a=candidate:1 2 UDP 2130706302 192.168.1.30 7079 typ host",
    "a=candidate:2 1 UDP 1694498687 203.0.113.7 7078 typ srflx raddr 192.168.1.30 rport 7078",
    "a=candidate:2 2 UDP 1694498686 203.0.113.7 7079 typ srflx raddr 192.168.1.30 rport 7079",
    "a=rtcp-fb:* trr-int 1000",
    "a=rtcp-fb:* ccm tmmbr",
    "m=video 9078 RTP/AVP 96 97",
    "c=IN IP4 203.0.113.7",
    "a=rtpmap:96 VP8/90000",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42801F",
    "a=ice-ufrag:v1de0",
    "a=candidate:1 1 UDP 2130706303 192.168.1.30 9078 typ host",
)

IPV6_OFFER = crlf(
    "v=0",
    "o=- 4711 1 IN IP6 2001:db8::10",
    "s=-",
    "c=IN IP6 2001:db8::10",
    "t=0 0",
    "m=audio 40000 RTP/AVP 0 8 101",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=ptime:30",
)

HOLD_SENDONLY_OFFER = crlf(
    "v=0",
    "o=- 1826512713 3215414562 IN IP4 192.168.1.20",
    "s=-",
    "c=IN IP4 192.168.1.20",
    "t=0 0",
    "m=audio 10922 RTP/AVP 0 101",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=sendonly",
)

# RFC 2543 hold: connection address 0.0.0.0, no direction attribute (RFC 3264 §8.4)
HOLD_ZERO_ADDRESS_OFFER = crlf(
    "v=0",
    "o=- 1826512713 3215414563 IN IP4 192.168.1.20",
    "s=-",
    "c=IN IP4 0.0.0.0",
    "t=0 0",
    "m=audio 10922 RTP/AVP 0",
    "a=rtpmap:0 PCMU/8000",
)

ALL_SAMPLES = {
    "baresip": BARESIP_OFFER,
    "sipp": SIPP_OFFER,
    "bare_pcmu": BARE_PCMU_OFFER,
    "linphone_ice": LINPHONE_ICE_OFFER,
    "ipv6": IPV6_OFFER,
    "hold_sendonly": HOLD_SENDONLY_OFFER,
    "hold_zero": HOLD_ZERO_ADDRESS_OFFER,
}
