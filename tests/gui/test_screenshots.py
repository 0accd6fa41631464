"""``make screenshots`` writes the window at 100 % and at 200 % (QT_SCALE_FACTOR=2), light
and dark: the 200 % shot has twice the pixels each way, the dark one is darker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("Xvfb", "import")]

SCRIPT = Path(__file__).resolve().parent / "make_screenshots.py"


def _mean_lightness(image: QImage) -> float:
    step = 7  # a sample of pixels is enough to tell light from dark
    values = [
        image.pixelColor(x, y).lightness()
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    ]
    return sum(values) / len(values)


def test_screenshots_at_200_percent_and_in_the_dark_palette(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], check=True, timeout=400)

    shots = {path.name: QImage(str(path)) for path in tmp_path.glob("*.png")}
    looks = ("", "_2x", "_dark")
    assert set(shots) == {f"{k}{s}.png" for k in ("main_window", "call_in_progress") for s in looks}
    light, scaled, dark = (shots[f"main_window{s}.png"] for s in looks)
    assert (scaled.width(), scaled.height()) == (2 * light.width(), 2 * light.height())
    assert (dark.width(), dark.height()) == (light.width(), light.height())
    assert _mean_lightness(dark) < 0.5 * _mean_lightness(light)
