"""Make the Windows .ico and macOS .icns from resources/icons/alexphone-<size>.png (Pillow).

    python installers/make_platform_icons.py

writes installers/windows/alexphone.ico and installers/macos/alexphone.icns, the copies kept
in the tree for builds without Pillow. The spec calls write_icon() itself when Pillow is there.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

SIZES = (16, 32, 48, 64, 128, 256)
HERE = Path(__file__).resolve().parent


def write_icon(icons: Path, target: Path) -> Path:
    """Write ``target`` (.ico or .icns) holding every PNG size found in ``icons``."""
    images = [Image.open(icons / f"alexphone-{size}.png").convert("RGBA") for size in SIZES]
    largest = images[-1]
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix == ".ico":
        largest.save(target, format="ICO", sizes=[(s, s) for s in SIZES], append_images=images)
    elif target.suffix == ".icns":
        largest.save(target, format="ICNS", append_images=images[:-1])
    else:
        raise ValueError(f"unknown icon format: {target.suffix} (use .ico or .icns)")
    return target


def main() -> None:
    """Regenerate the icons kept in installers/windows and installers/macos."""
    icons = HERE.parent / "resources" / "icons"
    for target in (HERE / "windows" / "alexphone.ico", HERE / "macos" / "alexphone.icns"):
        print(write_icon(icons, target))


if __name__ == "__main__":
    main()
