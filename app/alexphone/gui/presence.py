"""The presence-like badge of a contact: seen on the LAN, or the path that last worked."""

from __future__ import annotations

from alexphone.engine.events import Flow
from alexphone.gui.alex_model import CacheModel
from alexphone.gui.peer_model import PeerModel, bare_host


def uri_host(uri: str) -> str:
    """Return the host of a sip:/sips: URI or user@host text, lower-case ("" if none)."""
    rest = uri.split(":", 1)[1] if uri.lower().startswith(("sip:", "sips:")) else uri
    rest = rest.split(";", 1)[0].split("?", 1)[0]
    return bare_host(rest.rsplit("@", 1)[-1]).lower()


class Presence:
    """Answers "where was this URI last seen" from the LAN peers and the ALEX cache."""

    def __init__(self, peers: PeerModel, cache: CacheModel) -> None:
        self._peers = peers
        self._cache = cache

    def badge(self, uri: str) -> str:
        """Return "on your LAN", "via ADDRESS" (from the cache) or ""."""
        host = uri_host(uri)
        for peer in self._peers.peers():
            if peer.uri == uri or (host and host in peer.hosts):
                return "on your LAN"
        for entry in self._cache.entries():
            if entry.peer == uri and entry.flow is Flow.AUDIO:
                return f"via {entry.remote}"
        return ""
