"""The Replaces header (RFC 3891): name a dialog an INVITE takes the place of.

``Replaces: call-id;to-tag=T;from-tag=F`` is written from the point of view of the UA
that receives the INVITE: ``to-tag`` is its local tag, ``from-tag`` its peer's (§3). The
transferor of an attended transfer (RFC 5589 §7) names its consultation dialog to the
transferee, who sends it on to the target inside the INVITE; so the transferor writes
the consultation dialog's remote tag as ``to-tag`` and its own tag as ``from-tag``
(:func:`naming`), and the target matches it against its dialogs (:meth:`Replaces.matches`).
"""

from __future__ import annotations

from dataclasses import dataclass

from alexphone.core.errors import ParseError
from alexphone.sip.dialog import DialogId
from alexphone.sip.grammar import find_param, format_params, parse_params

_CALL_ID_STOP = frozenset(' \t;<>",')


@dataclass(frozen=True, slots=True)
class Replaces:
    """One Replaces value: the dialog, as its receiver knows it, and ``early-only``."""

    call_id: str
    to_tag: str
    from_tag: str
    early_only: bool = False

    @classmethod
    def parse(cls, text: str) -> Replaces:
        """Parse a Replaces header value (RFC 3891 §6.1); ParseError if malformed."""
        call_id, semi, rest = text.strip().partition(";")
        call_id = call_id.strip()
        if not call_id or any(char in _CALL_ID_STOP for char in call_id):
            raise ParseError(f"Replaces: bad Call-ID {call_id[:60]!r}")
        params = parse_params(semi + rest)
        to_tag, from_tag = find_param(params, "to-tag"), find_param(params, "from-tag")
        if not to_tag or not from_tag:  # §6.1: both tags are required
            raise ParseError("Replaces: to-tag and from-tag are required")
        return cls(call_id, to_tag, from_tag, find_param(params, "early-only") is not None)

    def __str__(self) -> str:
        params: list[tuple[str, str | None]] = [("to-tag", self.to_tag)]
        params.append(("from-tag", self.from_tag))
        if self.early_only:
            params.append(("early-only", None))
        return self.call_id + format_params(tuple(params))

    def matches(self, dialog: DialogId) -> bool:
        """Tell whether this names ``dialog`` of the UA that received it (§3)."""
        return (
            dialog.call_id == self.call_id
            and dialog.local_tag == self.to_tag
            and dialog.remote_tag == self.from_tag
        )


def naming(dialog: DialogId) -> Replaces:
    """Return the Replaces that lets our peer in ``dialog`` recognise it (RFC 5589 §7)."""
    return Replaces(dialog.call_id, to_tag=dialog.remote_tag, from_tag=dialog.local_tag)
