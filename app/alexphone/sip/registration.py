"""Registration of one account with its registrar (RFC 3261 §10), sans-I/O.

Theory of operation: ``Registration`` owns the REGISTER requests of one AoR. ``start`` and
``stop`` queue a REGISTER (``next_request``); the engine sends each through a non-INVITE
client transaction and feeds back the final response (``receive_response``) or the
transaction's failure (``timed_out`` / ``transport_failed``). One timer (``get_timer`` /
``handle_timer``) drives both the refresh of a granted binding and the retry after a
failure. Every state change is queued as a ``RegistrationStateChanged`` (``next_event``).

Only the response to the request sent last counts: older ones (by CSeq) are dropped, so
``stop`` or ``start`` may be called while a REGISTER is in flight.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from alexphone.core.address import Address
from alexphone.core.errors import ConfigError, LocalProtocolError, ParseError
from alexphone.core.ids import IdFactory
from alexphone.sip.auth import DigestClient, DigestCredentials
from alexphone.sip.grammar import quote_string
from alexphone.sip.headers import CSeq, NameAddress, Via
from alexphone.sip.message import Headers, Request, Response
from alexphone.sip.uri import SipUri

__all__ = [
    "Account",
    "Registration",
    "RegistrationConfig",
    "RegistrationPhase",
    "RegistrationStateChanged",
]

_DEFAULT_PORTS = {"sip": 5060, "sips": 5061}


class RegistrationPhase(Enum):
    """Where one account's registration stands."""

    UNREGISTERED = "unregistered"
    REGISTERING = "registering"
    REGISTERED = "registered"
    REFRESHING = "refreshing"
    UNREGISTERING = "unregistering"
    FAILED = "failed"


_S = RegistrationPhase
# The one transition table of this machine; anything else is a bug on our side.
_TRANSITIONS: dict[RegistrationPhase, frozenset[RegistrationPhase]] = {
    _S.UNREGISTERED: frozenset({_S.REGISTERING}),
    _S.REGISTERING: frozenset({_S.REGISTERED, _S.FAILED, _S.UNREGISTERING}),
    _S.REGISTERED: frozenset({_S.REFRESHING, _S.UNREGISTERING}),
    _S.REFRESHING: frozenset({_S.REGISTERED, _S.FAILED, _S.UNREGISTERING}),
    _S.UNREGISTERING: frozenset({_S.UNREGISTERED, _S.REGISTERING}),
    _S.FAILED: frozenset({_S.REGISTERING, _S.UNREGISTERING, _S.UNREGISTERED}),
}
_REQUESTING = frozenset({_S.REGISTERING, _S.REFRESHING, _S.UNREGISTERING})


@dataclass(frozen=True, slots=True)
class Account:
    """One SIP account: address-of-record, registrar, credentials and wanted expiry."""

    aor: SipUri
    registrar: SipUri | None = None  # None: the AoR's domain (RFC 3261 §10.2)
    credentials: DigestCredentials | None = None
    expires: int = 3600
    display_name: str | None = None
    instance_id: str | None = None  # "urn:uuid:..." for +sip.instance (RFC 5626 §4.1)
    reg_id: int | None = None  # RFC 5626 §4.2.1
    user_agent: str = "Alexphone"
    # feature tags for the registered Contact (RFC 3840 §9), e.g. (("+sip.alex", None),)
    contact_params: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        if self.expires <= 0:
            raise ConfigError(f"Registration expiry must be positive, not {self.expires}")

    @property
    def request_uri(self) -> SipUri:
        """The REGISTER Request-URI: the registrar's domain, no user part (RFC 3261 §10.2)."""
        base = self.registrar if self.registrar is not None else self.aor
        return SipUri(host=base.host, port=base.port, params=base.params, scheme=base.scheme)


@dataclass(frozen=True, slots=True)
class RegistrationConfig:
    """Refresh and retry policy (RFC 3261 §10.2.4, RFC 5626 §4.5)."""

    refresh_fraction: float = 0.9  # refresh when this part of the granted expiry has passed
    retry_base: float = 30.0  # RFC 5626 §4.5 base-time when no flow works
    retry_max: float = 1800.0  # RFC 5626 §4.5 max-time
    retry_after_auth_failure: bool = False  # a wrong password will not get better by itself
    max_auth_rounds: int = 3  # bounds stale=true loops

    def __post_init__(self) -> None:
        if not 0 < self.refresh_fraction < 1:
            raise ConfigError("refresh_fraction must be between 0 and 1")
        if not 0 < self.retry_base <= self.retry_max or self.max_auth_rounds < 1:
            raise ConfigError("invalid registration retry settings")

    def retry_delay(self, failures: int) -> float:
        """Wait before retry number ``failures`` (1-based): base doubled each time, capped."""
        return min(self.retry_max, self.retry_base * 2.0 ** min(failures - 1, 32))


@dataclass(frozen=True, slots=True)
class RegistrationStateChanged:
    """The registration of ``account`` (an AoR) entered ``state``."""

    account: str
    state: RegistrationPhase
    code: int | None = None
    reason: str = ""
    expires: int | None = None


def _number(value: str | None) -> int | None:
    """Return a header's delta-seconds value, None if absent or not a number."""
    if value is None:
        return None
    text = value.split(";", 1)[0].split("(", 1)[0].strip()  # Retry-After may carry a comment
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def _contact_key(uri: object) -> tuple[object, ...]:
    """What makes two Contact URIs the same binding (RFC 3261 §19.1.4, simplified)."""
    if not isinstance(uri, SipUri):
        return (str(uri),)
    port = uri.port if uri.port is not None else _DEFAULT_PORTS.get(uri.scheme)
    return (uri.scheme, uri.user, uri.host.lower(), port, uri.transport or "udp")


@dataclass(slots=True)
class _Local:
    """Where we send from: Via sent-by, transport and the Contact to register."""

    sent_by: Address
    transport: str
    contact: SipUri


@dataclass(slots=True)
class _Progress:
    """Bookkeeping of the request in flight and of the binding granted last."""

    pending: Request | None = None
    auth_rounds: int = 0
    failures: int = 0
    granted: int | None = None
    registered_until: float | None = None
    timer: float | None = None
    outgoing: deque[Request] = field(default_factory=deque)
    events: deque[RegistrationStateChanged] = field(default_factory=deque)


class Registration:
    """Sans-I/O REGISTER machine for one account (RFC 3261 §10.2)."""

    def __init__(
        self,
        account: Account,
        ids: IdFactory,
        *,
        sent_by: Address,
        transport: str = "UDP",
        contact: SipUri | None = None,
        config: RegistrationConfig | None = None,
    ) -> None:
        self.account = account
        self.config = config if config is not None else RegistrationConfig()
        self._ids = ids
        self._local = _Local(
            sent_by, transport.upper(), contact or self._default_contact(sent_by, transport)
        )
        self._digest = DigestClient(account.credentials, ids) if account.credentials else None
        # RFC 3261 §10.2: one Call-ID for every REGISTER to this registrar; a From tag
        # per registration is allowed; CSeq goes up by one per request
        self.call_id = ids.call_id(sent_by[0])
        self._from_tag = ids.tag()
        self._cseq = ids.cseq() - 1
        self._expires = account.expires
        self._state = RegistrationPhase.UNREGISTERED
        self._progress = _Progress()
        self.public_address: Address | None = None
        self._retired: list[SipUri] = []  # old Contacts to unbind with the next REGISTER

    # -- queries ---------------------------------------------------------------------------

    @property
    def state(self) -> RegistrationPhase:
        """The current state."""
        return self._state

    @property
    def contact(self) -> SipUri:
        """The Contact the next REGISTER binds."""
        return self._local.contact

    @property
    def granted_expires(self) -> int | None:
        """Seconds the registrar granted in its last 2xx, None when not registered."""
        return self._progress.granted

    @property
    def requested_expires(self) -> int:
        """Expiry asked for in the next REGISTER (raised by a 423's Min-Expires)."""
        return self._expires

    def get_timer(self) -> float | None:
        """When ``handle_timer`` wants to run next (refresh or retry), None if never."""
        return self._progress.timer

    def next_request(self) -> Request | None:
        """Return the next REGISTER to send, None when there is nothing to send."""
        return self._progress.outgoing.popleft() if self._progress.outgoing else None

    def next_event(self) -> RegistrationStateChanged | None:
        """Return the next state-change event, None when there is none."""
        return self._progress.events.popleft() if self._progress.events else None

    # -- commands --------------------------------------------------------------------------

    def start(self, now: float) -> None:
        """Register (again); does nothing while registered or registering."""
        if self._state in (_S.UNREGISTERED, _S.FAILED, _S.UNREGISTERING):
            self._enter(_S.REGISTERING)
            self._send_fresh(self._expires)

    def stop(self, now: float) -> None:
        """Remove our binding (Expires: 0) if there may be one; end UNREGISTERED."""
        progress = self._progress
        progress.timer = None
        if self._state in (_S.UNREGISTERED, _S.UNREGISTERING):
            return
        alive = progress.registered_until is not None and now < progress.registered_until
        if self._state is _S.FAILED and not alive:
            self._enter(_S.UNREGISTERED)
            return
        self._enter(_S.UNREGISTERING)
        self._send_fresh(0)  # RFC 3261 §10.2.2

    def update_local(self, sent_by: Address, transport: str, contact: SipUri | None = None) -> None:
        """Use another sent-by/transport/Contact from the next REGISTER on (no re-register).

        A binding made for the old Contact is removed by the next REGISTER, which lists the
        old Contact with expires=0 beside the new one (RFC 3261 §10.2.2): else the registrar
        would fork calls to an address we left until that binding expires."""
        old = self._local.contact
        self._local = _Local(
            sent_by, transport.upper(), contact or self._default_contact(sent_by, transport)
        )
        bound = self._state is not _S.UNREGISTERED
        if bound and _contact_key(old) != _contact_key(self._local.contact):
            self._retired = [c for c in self._retired if _contact_key(c) != _contact_key(old)]
            self._retired.append(old)

    # -- inputs ----------------------------------------------------------------------------

    def receive_response(self, response: Response, now: float) -> None:
        """Take the final response to the REGISTER sent last; other responses are ignored."""
        pending = self._progress.pending
        if pending is None or response.status < 200 or not self._matches(pending, response):
            return
        if response.status < 300:
            self._succeeded(response, now)
        elif response.status in (401, 407):  # RFC 3261 §10.2.1 → §22.2
            self._challenged(pending, response, now)
        elif response.status == 423:  # RFC 3261 §10.2.8
            self._interval_too_brief(response, now)
        else:
            retry_after = _number(response.headers.get("Retry-After"))  # RFC 3261 §20.33
            self._failed(response.status, response.reason, now, retry_after=retry_after)

    def timed_out(self, now: float) -> None:
        """The REGISTER's transaction timed out (RFC 3261 §8.1.3.1: act as on a 408)."""
        if self._progress.pending is not None:
            self._failed(408, "Request Timeout", now)

    def transport_failed(self, now: float) -> None:
        """The REGISTER could not be sent (RFC 3261 §8.1.3.1: act as on a 503)."""
        if self._progress.pending is not None:
            self._failed(503, "Transport Error", now)

    def handle_timer(self, now: float) -> None:
        """Refresh the binding or retry after a failure when the timer is due."""
        progress = self._progress
        if progress.timer is None or now < progress.timer:
            return
        progress.timer = None
        if self._state is _S.REGISTERED:  # RFC 3261 §10.2.4 refresh
            self._enter(_S.REFRESHING, expires=progress.granted)
            self._send_fresh(self._expires)
        elif self._state is _S.FAILED:
            self._enter(_S.REGISTERING)
            self._send_fresh(self._expires)

    def refresh_now(self, now: float) -> None:
        """Re-register at once (the local address changed): refresh, or retry a failure."""
        progress = self._progress
        progress.timer = None
        if self._state in (_S.REGISTERING, _S.REFRESHING):
            # supersede the REGISTER in flight (built with the old address); its late
            # answer no longer matches the pending CSeq and is ignored
            self._send_fresh(self._expires)
        elif self._state is _S.REGISTERED:
            self._enter(_S.REFRESHING, expires=progress.granted)
            self._send_fresh(self._expires)
        elif self._state is _S.FAILED:
            self._enter(_S.REGISTERING)
            self._send_fresh(self._expires)

    # -- internals -------------------------------------------------------------------------

    def _default_contact(self, sent_by: Address, transport: str) -> SipUri:
        params: tuple[tuple[str, str | None], ...] = ()
        if transport.upper() != "UDP":
            params = (("transport", transport.lower()),)
        return SipUri(host=sent_by[0], user=self.account.aor.user, port=sent_by[1], params=params)

    def _matches(self, pending: Request, response: Response) -> bool:
        try:
            cseq = response.cseq
            return response.call_id == self.call_id and cseq == pending.cseq
        except ParseError:
            return False

    def _enter(
        self,
        state: RegistrationPhase,
        code: int | None = None,
        reason: str = "",
        expires: int | None = None,
    ) -> None:
        if state not in _TRANSITIONS[self._state]:
            raise LocalProtocolError(f"registration cannot go from {self._state} to {state}")
        self._state = state
        event = RegistrationStateChanged(str(self.account.aor), state, code, reason, expires)
        self._progress.events.append(event)

    def _send(self, request: Request) -> None:
        self._progress.pending = request
        self._progress.outgoing.append(request)

    def _send_fresh(self, expires: int) -> None:
        self._progress.auth_rounds = 0
        self._send(self._build(expires))

    def _build(self, expires: int) -> Request:
        """A new REGISTER (RFC 3261 §10.2): new branch, CSeq + 1, same Call-ID and tags."""
        account, local = self.account, self._local
        self._cseq += 1
        host, port = local.sent_by
        # RFC 3581 §3: ask for rport so the 200 tells us our public address
        via = Via(local.transport, host, port, (("branch", self._ids.branch()), ("rport", None)))
        aor = NameAddress(account.aor, account.display_name)
        contact_params: list[tuple[str, str | None]] = [("expires", str(expires))]
        supported = ["path"]
        if account.instance_id is not None:  # RFC 5626 §4.1
            contact_params.append(("+sip.instance", quote_string(f"<{account.instance_id}>")))
        contact_params.extend(account.contact_params)
        if account.reg_id is not None:  # RFC 5626 §4.2.1
            contact_params.append(("reg-id", str(account.reg_id)))
            supported.append("outbound")
        contact = NameAddress(local.contact, params=tuple(contact_params))
        headers = Headers(
            [
                ("Via", str(via)),
                ("Max-Forwards", "70"),
                ("From", str(aor.with_tag(self._from_tag))),
                ("To", str(aor)),
                ("Call-ID", self.call_id),
                ("CSeq", str(CSeq(self._cseq, "REGISTER"))),
                ("Contact", str(contact)),
                *(("Contact", f"<{uri}>;expires=0") for uri in self._retired),
                ("Expires", str(expires)),
                ("Supported", ", ".join(supported)),
                ("User-Agent", account.user_agent),
            ]
        )
        return Request("REGISTER", account.request_uri, headers)

    def _succeeded(self, response: Response, now: float) -> None:
        progress = self._progress
        unbound = progress.pending.headers.get_all("Contact") if progress.pending else []
        if len(unbound) > 1:  # the registrar took the expires=0 Contacts too
            self._retired.clear()
        progress.pending = None
        if self._state is _S.UNREGISTERING:
            progress.granted = progress.registered_until = progress.timer = None
            self._enter(_S.UNREGISTERED, response.status, response.reason)
            return
        granted = self._granted(response)
        if granted is None or granted <= 0:
            self._failed(response.status, "Registrar kept no binding", now)
            return
        self._learn_public_address(response)
        progress.failures = 0
        progress.granted = granted
        progress.registered_until = now + granted
        progress.timer = now + granted * self.config.refresh_fraction
        self._enter(_S.REGISTERED, response.status, response.reason, granted)

    def _granted(self, response: Response) -> int | None:
        """RFC 3261 §10.2.4: our Contact's expires param, else the Expires header."""
        try:
            contacts = response.contacts
        except ParseError:
            contacts = []
        instance = self.account.instance_id
        ours = _contact_key(self._local.contact)
        for contact in contacts:
            found = contact.param("+sip.instance")
            if instance is not None and found is not None:
                if found.strip('"') == f"<{instance}>" and contact.expires is not None:
                    return contact.expires
            elif _contact_key(contact.uri) == ours and contact.expires is not None:
                return contact.expires
        if len(contacts) == 1 and contacts[0].expires is not None:
            return contacts[0].expires  # a registrar that rewrote our Contact (NAT)
        header = _number(response.headers.get("Expires"))
        if header is not None:
            return header
        return self._expires if not contacts else None

    def _learn_public_address(self, response: Response) -> None:
        """RFC 3581 §4: the registrar's view of our address, for a NAT-aware Contact."""
        try:
            via = response.top_via
        except ParseError:
            return
        if via.received is None and via.rport is None:
            return
        host = via.received or via.host
        port = via.rport or via.port or _DEFAULT_PORTS["sip"]
        self.public_address = (host, port)

    def _challenged(self, pending: Request, response: Response, now: float) -> None:
        progress = self._progress
        retry = None
        if self._digest is not None and progress.auth_rounds < self.config.max_auth_rounds:
            retry = self._digest.authorize(pending, response)
        if retry is None:
            self._failed(response.status, response.reason, now, auth=True)
            return
        progress.auth_rounds += 1
        self._cseq = retry.cseq.seq
        self._send(retry)

    def _interval_too_brief(self, response: Response, now: float) -> None:
        minimum = _number(response.headers.get("Min-Expires"))  # RFC 3261 §20.23
        if self._state is _S.UNREGISTERING or minimum is None or minimum <= self._expires:
            self._failed(response.status, response.reason, now)
            return
        self._expires = minimum
        self._send_fresh(minimum)

    def _failed(
        self,
        code: int,
        reason: str,
        now: float,
        *,
        retry_after: int | None = None,
        auth: bool = False,
    ) -> None:
        progress = self._progress
        progress.pending = None
        if self._state is _S.UNREGISTERING:
            progress.granted = progress.registered_until = progress.timer = None
            self._enter(_S.UNREGISTERED, code, reason)
            return
        if self._state not in _REQUESTING:  # pragma: no cover - pending implies requesting
            return
        progress.failures += 1
        progress.granted = None
        progress.timer = None
        if not auth or self.config.retry_after_auth_failure:
            delay = self.config.retry_delay(progress.failures)
            progress.timer = now + max(delay, retry_after or 0)
        self._enter(_S.FAILED, code, reason)
