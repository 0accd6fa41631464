"""The transfer target's side (RFC 5589 §7): an INVITE with Replaces takes a call's place.

An INVITE carrying ``Replaces`` (RFC 3891) names one of our dialogs, usually the
consultation call the transferor made to us. :meth:`Replacements.check` finds it or says
what to answer instead (§3: 400 for a bad header, 481 for no such dialog, or an early
dialog we did not initiate, 486 when ``early-only`` names a confirmed dialog, 603 for a
dialog already ending). Once the new call has rung (``offered``), it is answered at once,
without asking the user, and the replaced call is ended with BYE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from alexphone.core.errors import ParseError
from alexphone.engine.call import Call
from alexphone.engine.events import (
    CallTransferred,
    Direction,
    Event,
    TransferRole,
    TransferState,
)
from alexphone.sip.invite_events import SessionState
from alexphone.sip.message import Request
from alexphone.sip.replaces import Replaces

log = logging.getLogger(__name__)
_ENDING = frozenset({SessionState.ENDING, SessionState.TERMINATED, SessionState.CANCELLING})


class ReplacesRefused(Exception):
    """An INVITE with Replaces we answer with ``status`` instead of taking it."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


class Replacements:
    """The incoming calls that replace one of ours, keyed by the new call's Call-ID."""

    def __init__(self, calls: Mapping[str, Call], emit: Callable[[Event], None]) -> None:
        self.calls = calls
        self.emit = emit
        self._replacing: dict[str, Call] = {}

    def check(self, invite: Request) -> Call | None:
        """Return the call ``invite`` replaces, None without Replaces; or ReplacesRefused."""
        values = invite.headers.get_fields("Replaces")
        if not values:
            return None
        if len(values) > 1:  # RFC 3891 §3: at most one
            raise ReplacesRefused(400, "Bad Request (more than one Replaces)")
        try:
            replaces = Replaces.parse(values[0])
        except ParseError as exc:
            log.info("INVITE %s: bad Replaces %r: %s", invite.call_id, values[0][:200], exc)
            raise ReplacesRefused(400, "Bad Request (Replaces)") from exc
        call = self.calls.get(replaces.call_id)
        dialog = call.dialog if call is not None else None
        if call is None or dialog is None or not replaces.matches(dialog.id):
            raise ReplacesRefused(481, "Call/Transaction Does Not Exist")
        if call.session.state in _ENDING:
            raise ReplacesRefused(603, "Declined (the call is ending)")
        if not call.is_confirmed:  # early: only one we placed may be replaced (§3)
            if call.direction is Direction.IN:
                raise ReplacesRefused(481, "Call/Transaction Does Not Exist")
        elif replaces.early_only:
            raise ReplacesRefused(486, "Busy Here")
        return call

    def adopt(self, new: Call, replaced: Call) -> None:
        """Remember that ``new`` (just created) takes ``replaced``'s place."""
        self._replacing[new.call_id] = replaced

    def offered(self, new: Call) -> bool:
        """Answer ``new`` and end the call it replaces; False if it replaces none."""
        replaced = self._replacing.pop(new.call_id, None)
        if replaced is None:
            return False
        new.answer()
        if not replaced.ended:
            replaced.hang_up()
        self.emit(
            CallTransferred(
                replaced.call_id, new.remote, TransferState.REPLACED, TransferRole.TARGET
            )
        )
        return True

    def forget(self, call_id: str) -> None:
        """Drop a new call that ended before it rang."""
        self._replacing.pop(call_id, None)
