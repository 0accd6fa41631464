"""When ALEX runs for a dialog, and what else happens when it does not (docs/ALEX.md "Negotiation").

We send ``Supported: alex`` in every request and in dialog-creating responses, and register a
Contact with the ``+sip.alex`` feature tag (RFC 3840 §9); we never send ``Require: alex``
(a plain UAS would answer 420). ALEX runs only when both sides announced it: the UAC in its
INVITE, the UAS in its 18x/2xx, with well-formed ALEX headers. Otherwise the dialog uses ICE
when the peer's SDP carries candidates, else plain SIP (symmetric RTP, RFC 3581 latching).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from alexphone.alex.items import AlexDisabled, Announcement, read_alex
from alexphone.sip.grammar import replace_params
from alexphone.sip.headers import NameAddress
from alexphone.sip.message import Headers

OPTION_TAG = "alex"
FEATURE_TAG = "+sip.alex"


class Mode(Enum):
    """How a dialog finds its paths."""

    ALEX = "alex"
    ICE = "ice"
    PLAIN = "plain"


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one dialog: the mode, the peer's announcement under ALEX, and why."""

    mode: Mode
    announcement: Announcement | None = None
    reason: str = ""


def supports(headers: Headers, tag: str = OPTION_TAG) -> bool:
    """Tell whether ``Supported`` (or ``k``) lists ``tag`` (RFC 3261 §20.37)."""
    return any(v.strip().lower() == tag for v in headers.get_all("Supported"))


def add_supported(headers: Headers, tag: str = OPTION_TAG) -> None:
    """Add ``tag`` to Supported unless it is already there (other tags kept)."""
    if supports(headers, tag):
        return
    existing = [v for v in headers.get_all("Supported") if v.strip()]
    headers.set("Supported", ", ".join([*existing, tag]))


def remove_alex_requirement(headers: Headers) -> None:
    """Drop ``alex`` from Require/Proxy-Require: we never make a peer fail on it."""
    for name in ("Require", "Proxy-Require"):
        kept = [v for v in headers.get_all(name) if v.strip().lower() != OPTION_TAG]
        headers.remove(name)
        if kept:
            headers.set(name, ", ".join(kept))


def with_feature_tag(contact: NameAddress) -> NameAddress:
    """The registered Contact with ``;+sip.alex`` (RFC 3840 §9, boolean feature tag)."""
    if contact.param(FEATURE_TAG) is not None:
        return contact
    return NameAddress(
        contact.uri, contact.display_name, replace_params(contact.params, {FEATURE_TAG: None})
    )


def advertises_feature(contact: NameAddress) -> bool:
    """Tell whether a Contact carries the ``+sip.alex`` feature tag."""
    return contact.param(FEATURE_TAG) is not None


def decide(peer: Headers, *, enabled: bool = True, sdp_has_candidates: bool = False) -> Decision:
    """Decide a dialog's mode from the peer's INVITE (UAS) or 18x/2xx (UAC) headers."""
    fallback = Mode.ICE if sdp_has_candidates else Mode.PLAIN
    if not enabled:
        return Decision(fallback, reason="ALEX disabled locally")
    if not supports(peer):
        return Decision(fallback, reason="peer did not announce alex")
    result = read_alex(peer)
    if result is None:
        return Decision(fallback, reason="no ALEX-session")
    if isinstance(result, AlexDisabled):
        return Decision(fallback, reason=f"malformed ALEX headers: {result.reason}")
    return Decision(Mode.ALEX, result)
