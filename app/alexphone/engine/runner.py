"""Entry point the faces use to run a phone on the current event loop.

The phone (the SIP stack, media, numpy, ALEX...) is imported when a phone first runs, not
when this module is: the desktop app paints its window first and the engine thread pays
for the import afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

from alexphone.engine.client import PhoneClient
from alexphone.engine.events import Event
from alexphone.engine.settings import PhoneSettings


async def run_phone(
    settings: PhoneSettings,
    emit: Callable[[Event], None],
    on_started: Callable[[PhoneClient], None] | None = None,
) -> None:
    """Run a phone until it receives Shutdown; ``on_started`` gets the command client."""
    from alexphone.engine.phone import Phone  # imported here: in the engine thread

    await Phone(settings, emit).run(on_started)
