"""Render icons/alexphone.svg to icons/alexphone-SIZE.png at the standard sizes (run: python)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 32, 48, 64, 128, 256)


def main(folder: Path) -> int:
    """Write one PNG per size next to the SVG; return the exit status."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication([])
    renderer = QSvgRenderer(str(folder / "alexphone.svg"))
    if not renderer.isValid():
        print("alexphone.svg is not a valid SVG", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(folder / f"alexphone-{size}.png"))
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(__file__).resolve().parent / "icons"))
