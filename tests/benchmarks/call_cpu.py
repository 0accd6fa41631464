"""CPU of one call between two phones on loopback, for benchmarks that compare call set-ups.

Each figure is the mean % of one core of the two processes of a call (caller and callee),
measured over ``seconds`` once the call's media runs, from the processes' own CPU time.
Both kinds of phone can play into one private PulseAudio null sink (``pulse_server``): a
sink paced by PulseAudio's clock, the same for both, instead of ``--audio-out null`` (we
play nothing) against ALSA's unpaced ``null`` PCM (baresip's player thread spins on it).
Needs root (the lab's process runner).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_media import _measure

PULSE_DEVICE = (
    "pulse"  # ALSA's PulseAudio plugin: a PortAudio device for us, an ALSA one for baresip
)


@contextmanager
def pulse_server(lab: Any) -> Iterator[None]:
    """Run a private PulseAudio with a null sink; processes started meanwhile play into it."""
    from lab_pulse import start_pulse

    env = start_pulse(lab)
    saved = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = f"unix:{env['XDG_RUNTIME_DIR']}/pulse/native"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PULSE_SERVER"]
        else:
            os.environ["PULSE_SERVER"] = saved


def alexphone_call_cpu(
    lab: Any,
    base: int,
    seconds: float,
    *,
    options: Sequence[str] = (),
    caller_options: Sequence[str] = (),
    audio_out: str = "null",
    check: Callable[[Any], bool] | None = None,
) -> float:
    """% of one core per process of an Opus call daemon ← call (tone in, ``audio_out``).

    ``options`` go to both phones, ``caller_options`` to the caller only; ``check`` must
    accept the caller's ``call.media`` event (e.g. that the call is encrypted)."""
    from lab_alexphone import Alexphone

    common = ["--codecs", "opus", *options]
    callee = Alexphone(lab, None, f"callee-{base}", listen=[f"udp:127.0.0.1:{base}"],
                       audio_in="tone:440", audio_out=audio_out, args=common)  # fmt: skip
    callee.daemon("--auto-answer")
    callee.wait_event("ua.ready", timeout=15)
    caller = Alexphone(lab, None, f"caller-{base}", listen=[f"udp:127.0.0.1:{base + 2}"],
                       audio_in="tone:600", audio_out=audio_out,
                       args=[*common, *caller_options])  # fmt: skip
    caller.start_call(f"sip:x@127.0.0.1:{base}", duration=seconds + 4)
    media = caller.wait_event("call.media", timeout=15)
    if check is not None and not check(media):
        raise AssertionError(f"the call is not what the figure is about: {media}")
    figure = next(iter(_measure("alexphone", [callee, caller], seconds).values()))
    caller.wait_exit(seconds + 20)
    callee.stop()
    return figure


def baresip_call_cpu(lab: Any, base: int, seconds: float, audio_player: str) -> float:
    """% of one core per process of a baresip↔baresip Opus call (ausine in, ``audio_player``)."""
    from lab_peers import Baresip, baresip_account

    peers = []
    for i, port in enumerate((base, base + 2)):
        account = baresip_account(f"b{i}", domain=f"127.0.0.1:{port}", codecs="opus/48000/2")
        ctrl = 4400 + (port - 27000) % 400  # its own control port: a call's pair never reuses one
        peer = Baresip(lab, None, account, listen=f"127.0.0.1:{port}", ctrl_port=ctrl,
                       audio_player=audio_player)  # fmt: skip
        peers.append(peer.start())
    peers[0].dial(f"sip:b1@127.0.0.1:{base + 2}")
    peers[0].wait_event("CALL_ESTABLISHED", timeout=15)
    figure = next(iter(_measure("baresip", peers, seconds).values()))
    for peer in peers:
        peer.quit()
    return figure


def fresh_lab(workdir: Path, name: str) -> Any:
    """A Lab in its own directory under ``workdir``."""
    from lab import Lab

    (workdir / name).mkdir()
    return Lab(workdir / name)
