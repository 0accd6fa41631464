"""What a UAS checks before processing a request, in RFC 3261 §8.2 order.

``check_request`` returns the error response to send, or None when the request may be
processed.  ACK never gets a response (RFC 3261 §17.2.3), so it is always let through.
"""

from __future__ import annotations

import hashlib

from alexphone.core.errors import ParseError
from alexphone.sip.message import Request, Response, make_response
from alexphone.sip.uri import SipUri

# RFC 3261 §27.4 and the extension RFCs: methods a UAS "recognizes" (405 vs 501)
KNOWN_METHODS = frozenset(
    {"ACK", "BYE", "CANCEL", "INFO", "INVITE", "MESSAGE", "NOTIFY", "OPTIONS", "PRACK",
     "PUBLISH", "REFER", "REGISTER", "SUBSCRIBE", "UPDATE"}
)  # fmt: skip
_MANDATORY = ("Via", "From", "To", "Call-ID", "CSeq")
_BRANCH_COOKIE = "z9hG4bK"


def _media_type(value: str) -> str:
    return value.partition(";")[0].strip().lower()


def _accepts(accept_values: list[str], offered: frozenset[str]) -> bool:
    """Tell whether an Accept list admits one of ``offered`` (wildcards honoured)."""
    for value in accept_values:
        wanted = _media_type(value)
        for media in offered:
            if wanted in ("*/*", media) or wanted == f"{media.partition('/')[0]}/*":
                return True
    return False


def stateless_tag(request: Request) -> str:
    """Return a To tag that is the same for retransmissions of ``request`` (RFC 3261 §8.2.7)."""
    seed = "\0".join(
        [request.headers.get("Call-ID") or "", request.headers.get("From") or "",
         request.headers.get("Via") or "", request.headers.get("CSeq") or ""]
    )  # fmt: skip
    return hashlib.sha256(seed.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def _error(request: Request, status: int, reason: str | None = None) -> Response:
    """An error response with a deterministic To tag (RFC 3261 §8.2.6.2, §8.2.7)."""
    return make_response(request, status, reason, to_tag=stateless_tag(request))


def check_request(
    request: Request,
    *,
    allowed_methods: frozenset[str],
    supported_extensions: frozenset[str],
    accepted_types: frozenset[str],
) -> Response | None:
    """Return the error response a UAS must send for ``request`` (RFC 3261 §8.2), or None."""
    if request.method == "ACK":
        return None
    headers = request.headers
    missing = [name for name in _MANDATORY if name not in headers]
    if missing:
        return _error(request, 400, f"Missing {', '.join(missing)}")
    try:
        top_branch = request.top_via.branch
        to = request.to
    except ParseError as error:
        return _error(request, 400, str(error))
    if top_branch == _BRANCH_COOKIE:  # RFC 4475 §3.2.1: the cookie alone identifies nothing
        return _error(request, 400, "Via branch is only the magic cookie")
    # RFC 3261 §8.2.1: method inspection
    if request.method not in allowed_methods:
        status = 405 if request.method in KNOWN_METHODS else 501
        response = _error(request, status)
        response.headers.add("Allow", ", ".join(sorted(allowed_methods)))
        return response
    # RFC 3261 §8.2.2.1: To and Request-URI
    if not isinstance(request.uri, SipUri):
        return _error(request, 416)
    if request.method == "REGISTER" and not isinstance(to.uri, SipUri):
        return _error(request, 400, "To is not a SIP or SIPS address of record")
    # RFC 3261 §8.2.2.3: Require (not applied to CANCEL)
    if request.method != "CANCEL":
        unsupported = [
            option
            for option in headers.get_all("Require")
            if option and option.lower() not in supported_extensions
        ]
        if unsupported:
            response = _error(request, 420)
            response.headers.add("Unsupported", ", ".join(unsupported))
            return response
    # RFC 3261 §8.2.3: content processing
    if request.body:
        content_type = request.content_type
        if content_type is None or content_type not in accepted_types:
            response = _error(request, 415)
            response.headers.add("Accept", ", ".join(sorted(accepted_types)))
            return response
    # RFC 3261 §21.4.7: we can only answer with what we understand
    # (only INVITE needs a body, the session description, in its answer)
    if (
        request.method == "INVITE"
        and "Accept" in headers
        and not _accepts(headers.get_all("Accept"), accepted_types)
    ):
        return _error(request, 406)
    return None
