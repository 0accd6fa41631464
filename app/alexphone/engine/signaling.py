"""What a call needs from the user agent: requests and responses built, addressed and sent."""

from __future__ import annotations

from typing import Protocol

from alexphone.engine.response_handler import ResponseHandler
from alexphone.net.media_port import MediaPort
from alexphone.sdp.negotiation import SdpSession
from alexphone.sip.dialog import Dialog
from alexphone.sip.headers import NameAddress
from alexphone.sip.message import Request, Response
from alexphone.sip.transaction import TransactionId
from alexphone.sip.uri import SipUri


class Signaling(Protocol):
    """What a call needs from the user agent."""

    def send_request(self, request: Request, handler: ResponseHandler) -> None:
        """Send an out-of-dialog or in-dialog request in a client transaction."""

    def send_ack(self, ack: Request) -> None:
        """Send an ACK for a 2xx (no transaction; RFC 3261 §13.2.2.4)."""

    def respond(self, transaction_id: TransactionId, response: Response) -> None:
        """Answer a server transaction."""

    def send_2xx_reliably(self, response: Response, transaction_id: TransactionId) -> None:
        """Send a 2xx to an INVITE and retransmit it until ACK (RFC 3261 §13.3.1.4)."""

    def new_request(self, method: str, request_uri: SipUri, to: NameAddress) -> Request:
        """Build an out-of-dialog request with our From (tagged), Contact, Via and Call-ID."""

    def prepare_in_dialog(self, dialog: Dialog, method: str, cseq: int | None = None) -> Request:
        """Build an in-dialog request with our Via and Contact."""

    def authorize(self, request: Request, response: Response) -> Request | None:
        """Return ``request`` with credentials answering the challenge, None if we have none."""

    def finish_response(self, response: Response) -> Response:
        """Add our Contact, Allow, Supported and User-Agent to a response."""

    def media_port(self) -> MediaPort:
        """Reserve an RTP port pair for a new call."""

    def new_sdp_session(self, port: MediaPort) -> SdpSession:
        """Make the SDP side of a new call on that port."""

    def call_ended(self, call_id: str) -> None:
        """Forget the call that ended."""
