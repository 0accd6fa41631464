"""Pieces of SIPp scenarios the interop tests share: an SDP body and the INVITE that carries one.

SIPp fills the bracketed keywords ([local_ip], [media_port], [len], …) when it sends.
"""

from __future__ import annotations


def sdp_body(user: str, media: str) -> str:
    """An SDP body from ``user`` at SIPp's media address; ``media`` is the m= line and after."""
    return (
        "v=0\n"
        f"o={user} 1 1 IN IP[local_ip_type] [local_ip]\n"
        "s=-\n"
        "c=IN IP[media_ip_type] [media_ip]\n"
        "t=0 0\n"
        f"{media.strip()}\n"
    )


def invite_with_sdp(media: str) -> str:
    """The scenario's first step: alice's INVITE to bob (retransmitted) offering ``media``."""
    return (
        '  <send retrans="500"><![CDATA[\n'
        "INVITE sip:bob@[remote_ip]:[remote_port] SIP/2.0\n"
        "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
        "From: <sip:alice@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]\n"
        "To: <sip:bob@[remote_ip]:[remote_port]>\n"
        "Call-ID: [call_id]\n"
        "CSeq: 1 INVITE\n"
        "Contact: <sip:alice@[local_ip]:[local_port]>\n"
        "Max-Forwards: 70\n"
        "Content-Type: application/sdp\n"
        "Content-Length: [len]\n"
        "\n"
        f"{sdp_body('alice', media)}"
        "]]></send>\n"
    )
