"""SIP dialogs (RFC 3261 §12): identity, route set, CSeq spaces, in-dialog requests.

A dialog is the peer-to-peer relationship an INVITE sets up. It is created
from the INVITE and its 101–299 response (UAC side, §12.1.2) or from the
INVITE we answered (UAS side, §12.1.1), and from then on builds every
in-dialog request (§12.2.1.1) and checks every one it receives (§12.2.2).
Pure data plus small functions: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from alexphone.core.errors import LocalProtocolError, RemoteProtocolError
from alexphone.sip.headers import CSeq, NameAddress, Via
from alexphone.sip.message import Headers, Request, Response
from alexphone.sip.uri import SipUri, Uri


class DialogState(Enum):
    """RFC 3261 §12: a dialog is early after a 1xx with a tag, confirmed after a 2xx."""

    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class DialogId:
    """RFC 3261 §12: Call-ID plus the local and remote tags."""

    call_id: str
    local_tag: str
    remote_tag: str


@dataclass(slots=True)
class Dialog:
    """The state RFC 3261 §12.1 asks each side of a dialog to keep."""

    id: DialogId
    local_uri: NameAddress
    remote_uri: NameAddress
    remote_target: Uri
    route_set: list[NameAddress] = field(default_factory=list)
    local_seq: int = 0
    remote_seq: int | None = None
    secure: bool = False
    state: DialogState = DialogState.EARLY

    @classmethod
    def for_uac(cls, request: Request, response: Response) -> Dialog:
        """Create the UAC's dialog from our INVITE and a 101–299 response (§12.1.2)."""
        to = response.to
        if to.tag is None:
            raise RemoteProtocolError("response that would create a dialog has no To tag")
        contacts = response.contacts
        # §12.1.2: route set = Record-Route of the response, in reverse order.
        routes = [NameAddress.parse(v) for v in response.headers.get_all("Record-Route")]
        routes.reverse()
        local = request.from_
        if local.tag is None:
            raise LocalProtocolError("our own request has no From tag")
        return cls(
            id=DialogId(request.call_id, local.tag, to.tag),
            local_uri=local,
            remote_uri=to,
            remote_target=contacts[0].uri if contacts else request.uri,
            route_set=routes,
            local_seq=request.cseq.seq,
            secure=isinstance(request.uri, SipUri) and request.uri.scheme == "sips",
            state=DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY,
        )

    @classmethod
    def for_uas(cls, request: Request, local_tag: str) -> Dialog:
        """Create the UAS's dialog from an INVITE we answer with ``local_tag`` (§12.1.1)."""
        remote = request.from_
        contacts = request.contacts
        # RFC 2543 peers may leave Contact out; their From is then the only target known.
        target = contacts[0].uri if contacts else remote.uri
        routes = [NameAddress.parse(v) for v in request.headers.get_all("Record-Route")]
        return cls(
            id=DialogId(request.call_id, local_tag, remote.tag or ""),
            local_uri=request.to.with_tag(local_tag),
            remote_uri=remote,
            remote_target=target,
            route_set=routes,
            local_seq=0,
            remote_seq=request.cseq.seq,
            secure=isinstance(request.uri, SipUri) and request.uri.scheme == "sips",
            state=DialogState.EARLY,
        )

    def confirm(self, response: Response) -> None:
        """Move an early dialog to confirmed on a 2xx, refreshing target and route set."""
        if self.state is DialogState.EARLY and self.remote_seq is None:
            routes = [NameAddress.parse(v) for v in response.headers.get_all("Record-Route")]
            self.route_set = list(reversed(routes))
        self.refresh_target(response.contacts)
        self.state = DialogState.CONFIRMED

    def refresh_target(self, contacts: list[NameAddress]) -> None:
        """Apply a target refresh (§12.2.1.2, §12.2.2): the new Contact is the remote target."""
        if contacts:
            self.remote_target = contacts[0].uri

    def matches(self, message: Request | Response) -> bool:
        """Tell whether an incoming message belongs to this dialog (§12.2.2)."""
        if message.call_id != self.id.call_id:
            return False
        if isinstance(message, Request):
            return message.to.tag == self.id.local_tag and message.from_.tag == self.id.remote_tag
        return message.from_.tag == self.id.local_tag and message.to.tag == self.id.remote_tag

    def create_request(
        self, method: str, via: Via | None = None, *, cseq: int | None = None
    ) -> Request:
        """Build an in-dialog request (§12.2.1.1); ACK and CANCEL reuse a given ``cseq``.

        Without ``via`` the transport user adds one once it knows the next hop.
        """
        if cseq is None:
            self.local_seq += 1
            cseq = self.local_seq
        headers = Headers()
        if via is not None:
            headers.add("Via", str(via))
        headers.add("Max-Forwards", "70")
        headers.add("From", str(self.local_uri))
        headers.add("To", str(self.remote_uri))
        headers.add("Call-ID", self.id.call_id)
        headers.add("CSeq", str(CSeq(cseq, method)))
        uri, routes = self.request_target()
        for route in routes:
            headers.add("Route", str(route))
        return Request(method, uri, headers)

    def request_target(self) -> tuple[Uri, list[NameAddress]]:
        """Return the Request-URI and Route list per loose/strict routing (§12.2.1.1)."""
        if not self.route_set:
            return self.remote_target, []
        first = self.route_set[0].uri
        if isinstance(first, SipUri) and first.has_param("lr"):
            return self.remote_target, list(self.route_set)
        # Strict router: it becomes the Request-URI, the remote target goes last.
        return first, [*self.route_set[1:], NameAddress(self.remote_target)]

    def receive_request(self, request: Request) -> int | None:
        """Check an in-dialog request's CSeq (§12.2.2); return an error status or None."""
        seq = request.cseq.seq
        if request.method in ("ACK", "CANCEL"):
            return None
        if self.remote_seq is not None and seq <= self.remote_seq:
            return 500  # §12.2.2: lower than the remote sequence number
        self.remote_seq = seq
        if request.method in ("INVITE", "UPDATE"):
            self.refresh_target(request.contacts)
        return None


def next_hop(request: Request) -> Uri:
    """Return the URI whose host the request is sent to: the first Route or the Request-URI."""
    routes = request.headers.get_all("Route")
    if routes:
        return NameAddress.parse(routes[0]).uri
    return request.uri


def needs_sips_contact(request: Request) -> bool:
    """Tell whether our Contact for ``request`` (or for answering it) must be a SIPS URI.

    RFC 3261 §8.1.1.8 (the Request-URI or top Route is SIPS) and §12.1.1 (the UAS side:
    the Request-URI or top Record-Route is SIPS).
    """
    uris: list[Uri] = [request.uri]
    for name in ("Route", "Record-Route"):
        values = request.headers.get_all(name)
        if values:
            uris.append(NameAddress.parse(values[0]).uri)
    return any(isinstance(uri, SipUri) and uri.scheme.lower() == "sips" for uri in uris)
