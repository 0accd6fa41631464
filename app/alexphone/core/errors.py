"""The exception tree every layer raises from (one root: AlexphoneError)."""

from __future__ import annotations


class AlexphoneError(Exception):
    """Root of every error Alexphone raises on purpose."""


class ConfigError(AlexphoneError):
    """A configuration value, option or URI given by the user is unusable."""


class ProtocolError(AlexphoneError):
    """A protocol rule was broken, by us or by the peer."""


class LocalProtocolError(ProtocolError):
    """Our own code misused a protocol object (a bug on this side)."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol does not allow."""


class ParseError(RemoteProtocolError, ValueError):
    """Bytes from the wire could not be parsed.

    ``status`` is the response code a server should answer with (400 unless
    the fault deserves a more specific one, e.g. 505 or 513).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class TransportError(AlexphoneError):
    """A message could not be handed to the network (RFC 3261 §18.4)."""
