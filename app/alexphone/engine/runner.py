"""Entry point the faces use to run a phone on the current event loop."""

from __future__ import annotations

from collections.abc import Callable

from alexphone.engine.client import PhoneClient
from alexphone.engine.events import Event
from alexphone.engine.phone import Phone
from alexphone.engine.settings import PhoneSettings


async def run_phone(
    settings: PhoneSettings,
    emit: Callable[[Event], None],
    on_started: Callable[[PhoneClient], None] | None = None,
) -> None:
    """Run a phone until it receives Shutdown; ``on_started`` gets the command client."""
    await Phone(settings, emit).run(on_started)
