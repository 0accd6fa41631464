"""Reserve RTP/RTCP port pairs so an SDP answer never announces a port someone else holds."""

from __future__ import annotations

import socket

from alexphone.core.errors import TransportError

_FIRST_PORT = 16384
_PAIRS_TRIED = 512


class MediaPort:
    """An even RTP port and the odd RTCP port above it, both bound until ``close``."""

    def __init__(self, host: str, start: int = _FIRST_PORT) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.sockets: tuple[socket.socket, socket.socket] | None = None
        self.v6: MediaPort | None = None  # the call's IPv6 pair, if any (media_family.py)
        for port in range(start - start % 2, start + 2 * _PAIRS_TRIED, 2):
            pair = self._try_pair(family, host, port)
            if pair is not None:
                self.sockets = pair
                self.port = port
                return
        raise TransportError(f"no free RTP port pair on {host} from {start}")

    @staticmethod
    def _try_pair(family: int, host: str, port: int) -> tuple[socket.socket, socket.socket] | None:
        rtp = socket.socket(family, socket.SOCK_DGRAM)
        rtcp = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_INET6:  # "::" must not take the IPv4 pair's port as well
            for sock in (rtp, rtcp):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            rtp.bind((host, port))
            rtcp.bind((host, port + 1))
        except OSError:
            rtp.close()
            rtcp.close()
            return None
        return rtp, rtcp

    def take(self) -> tuple[socket.socket, socket.socket]:
        """Hand both bound sockets to their new owner; ``close`` no longer touches them."""
        if self.sockets is None:
            raise TransportError(f"RTP port {self.port} on {self.host} is already released")
        sockets, self.sockets = self.sockets, None
        return sockets

    def close(self) -> None:
        """Release both ports (and the IPv6 pair's)."""
        if self.v6 is not None:
            self.v6.close()
        if self.sockets is not None:
            for sock in self.sockets:
                sock.close()
            self.sockets = None
