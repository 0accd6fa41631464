"""Our side of every message: who we are (From, Contact) and the headers we add (§8.1.1)."""

from __future__ import annotations

from collections.abc import Callable

from alexphone.core.ids import IdFactory
from alexphone.engine.account_match import account_calling
from alexphone.engine.settings import AccountSettings, PhoneSettings
from alexphone.engine.sip_stack import Destination, SipStack, contact_address
from alexphone.net.transport import Flow
from alexphone.sip.dialog import Dialog, needs_sips_contact
from alexphone.sip.headers import CSeq, NameAddress
from alexphone.sip.message import Headers, Request, Response
from alexphone.sip.uri import SipUri

_CORE_METHODS = ("INVITE", "ACK", "CANCEL", "BYE", "OPTIONS")  # RFC 3261
# UPDATE (RFC 3311), INFO (6086), REFER and the NOTIFYs of its subscription (3515)
ALLOWED_METHODS = frozenset((*_CORE_METHODS, "UPDATE", "INFO", "REFER", "NOTIFY"))
# Only what we implement (RFC 3261 §20.37): Replaces (RFC 3891), no "timer" (RFC 4028).
SUPPORTED: frozenset[str] = frozenset({"replaces"})
ACCEPTED_TYPES = frozenset({"application/sdp"})
NOTIFY_TYPES = frozenset({"message/sipfrag"})  # a refer subscription's bodies (RFC 3420)


class MessageFactory:
    """Builds our requests and completes our responses; sends nothing."""

    def __init__(
        self,
        settings: PhoneSettings,
        stack: SipStack,
        ids: IdFactory,
        supported: frozenset[str],
        flow_of_call: Callable[[str], Flow | None],
    ) -> None:
        self.settings = settings
        self.stack = stack
        self.ids = ids
        self.supported = supported
        self._flow_of_call = flow_of_call  # where a call's INVITE came from: our Contact toward it

    def account_for(self, request: Request) -> AccountSettings | None:
        """Return the account ``request`` (one of ours) goes out for: its From, else the first."""
        return account_calling(request.from_.uri, self.settings.accounts)

    def local_aor(self, account: AccountSettings | None = None) -> NameAddress:
        """Return our From: ``account``'s (default: the first) AoR, else user@our address."""
        account = account or self.settings.account
        if account is not None:
            uri: SipUri = SipUri(
                host=account.aor.host,
                user=account.aor.user,
                port=account.aor.port,
                scheme=account.aor.scheme,
            )
        else:
            spec = (self.stack.transport.listeners or list(self.settings.listen))[0]
            host = spec.host if spec.host not in ("0.0.0.0", "::") else "localhost"
            uri = SipUri(host=host, user=self.settings.user, port=spec.port)
        return NameAddress(uri, display_name=self.settings.display_name)

    def contact_for(
        self,
        destination: Destination,
        secure: bool = False,
        account: AccountSettings | None = None,
    ) -> NameAddress:
        """Return our Contact toward ``destination`` for ``account`` (sips: if ``secure``)."""
        sent_by = self.stack.transport.sent_by(destination.kind, destination.address[0])
        account = account or self.settings.account
        user = account.aor.user if account is not None else self.settings.user
        return contact_address(user, sent_by, destination.kind, secure)

    def new_request(
        self,
        method: str,
        request_uri: SipUri,
        to: NameAddress,
        account: AccountSettings | None = None,
    ) -> Request:
        """Build an out-of-dialog request for ``account`` (default: the first); Via and
        Contact are added when sent (§8.1.1)."""
        account = account or self.settings.account
        headers = Headers()
        headers.add("Max-Forwards", "70")
        headers.add("From", str(self.local_aor(account).with_tag(self.ids.tag())))
        headers.add("To", str(to))
        headers.add("Call-ID", self.ids.call_id("alexphone"))
        headers.add("CSeq", str(CSeq(self.ids.cseq(), method)))
        proxy = self.settings.proxy if account is None else account.route(self.settings.proxy)
        if proxy is not None:  # §8.1.2: a pre-loaded route to the outbound proxy
            headers.add("Route", f"<{proxy.with_params(lr=None)}>")
        headers.add("Allow", ", ".join(sorted(ALLOWED_METHODS)))
        if self.supported:
            headers.add("Supported", ", ".join(sorted(self.supported)))
        headers.add("User-Agent", self.settings.user_agent)
        return Request(method, request_uri, headers)

    def prepare_in_dialog(self, dialog: Dialog, method: str, cseq: int | None = None) -> Request:
        """Build an in-dialog request (Via comes when sent); ACK carries the INVITE's CSeq."""
        request = dialog.create_request(method, cseq=cseq)
        if method in ("INVITE", "UPDATE"):
            request.headers.add("Allow", ", ".join(sorted(ALLOWED_METHODS)))
        return request

    def finish_response(
        self,
        response: Response,
        invite: Request | None = None,
        account: AccountSettings | None = None,
    ) -> Response:
        """Add Contact (for 2xx/1xx to dialog-creating requests), Allow, Supported, Server.

        ``invite`` is the call's INVITE: a sips: one gets a sips: Contact (RFC 3261 §12.1.1);
        ``account`` the account the call came to (the Contact's user).
        """
        if response.cseq.method in ("INVITE", "UPDATE") and 100 < response.status < 300:
            flow = self._flow_of_call(response.call_id)
            if flow is not None:
                secure = invite is not None and needs_sips_contact(invite)
                where = Destination(flow.kind, flow.remote)
                contact = self.contact_for(where, secure, account)
                response.headers.set("Contact", str(contact))
        response.headers.set("Allow", ", ".join(sorted(ALLOWED_METHODS)))
        if self.supported:
            response.headers.set("Supported", ", ".join(sorted(self.supported)))
        response.headers.set("Server", self.settings.user_agent)
        return response
