"""The outcome of one client transaction, as the user agent hands it to whoever sent it."""

from __future__ import annotations

from typing import Protocol

from alexphone.sip.message import Response


class ResponseHandler(Protocol):
    """Receives the outcome of one client transaction."""

    def on_response(self, response: Response) -> None:
        """Handle a provisional or final response."""

    def on_failure(self, status: int, reason: str) -> None:
        """Handle a timeout (408) or transport error (503) of the transaction."""
