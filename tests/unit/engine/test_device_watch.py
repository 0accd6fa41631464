"""Hot-plug: a change in /dev/snd triggers one rescan, and only between calls."""

from __future__ import annotations

from alexphone.engine.device_watch import DeviceWatch


def test_new_card_is_rescanned_once_when_idle() -> None:
    nodes = [frozenset({"controlC0", "pcmC0D0p"})]
    idle = [True]
    rescans: list[int] = []
    watch = DeviceWatch(lambda: rescans.append(1), lambda: idle[0], nodes=lambda: nodes[0])

    assert watch.tick() is False  # nothing changed
    nodes[0] = nodes[0] | {"controlC1", "pcmC1D0c"}  # a USB headset arrives
    idle[0] = False  # ... during a call
    assert watch.tick() is False
    idle[0] = True  # the call ended
    assert watch.tick() is True
    assert watch.tick() is False

    assert rescans == [1]


def test_without_device_nodes_it_rescans_on_the_slow_period() -> None:
    rescans: list[int] = []
    watch = DeviceWatch(lambda: rescans.append(1), lambda: True, interval=10.0,
                        blind_period=30.0, nodes=lambda: None)  # fmt: skip

    results = [watch.tick() for _ in range(6)]

    assert results == [False, False, True, False, False, True]
    assert len(rescans) == 2
