"""Outbound-proxy discovery: the local domain's ``_sip._udp`` SRV proposes a proxy.

The local domain is the configured one, else the ``domain`` or first
``search`` entry of resolv.conf (what DHCP handed out). Callers look it up
again when the network changes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alexphone.discovery.resolver import SipResolver
from alexphone.sip.uri import SipUri

log = logging.getLogger(__name__)

RESOLV_CONF = Path("/etc/resolv.conf")


def local_domain(resolv_conf: str) -> str | None:
    """Return the local domain named by resolv.conf text (last domain/search line wins)."""
    domain: str | None = None
    for line in resolv_conf.splitlines():
        words = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(words) >= 2 and words[0] in ("domain", "search"):
            candidate = words[1].rstrip(".").lower()
            if candidate and candidate != "local":  # .local is mDNS, never unicast DNS
                domain = candidate
    return domain


def system_domain(path: Path = RESOLV_CONF) -> str | None:
    """Return the local domain of this machine, None if resolv.conf names none."""
    try:
        return local_domain(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        log.debug("cannot read %s: %s", path, exc)
        return None


async def discover_outbound_proxy(resolver: SipResolver, domain: str) -> SipUri | None:
    """Return the proxy proposed by ``_sip._udp.<domain>`` SRV, None if there is none."""
    targets = await resolver.lookup_srv(f"_sip._udp.{domain}")
    if not targets:
        return None
    host, port = targets[0]
    return SipUri(host=host, port=port).with_params(lr=None)
