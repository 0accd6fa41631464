#!/usr/bin/env bash
# Build Alexphone-<version>-<arch>.AppImage from the same PyInstaller bundle as the .deb.
#
#   installers/linux/build_appimage.sh [OUTDIR]      (default OUTDIR: dist/)
#
# Needs appimagetool on PATH (https://github.com/AppImage/appimagetool releases; it is not a
# Debian package). Without it the script stops after making the AppDir in build/appimage/.
# Unlike the .deb, the AppImage cannot declare dependencies: the target needs libopus0,
# libportaudio2 and the X11/xcb libraries listed in build_deb.sh (any desktop has most of them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUTDIR="$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build/appimage}"
APPDIR="$BUILD_DIR/Alexphone.AppDir"

[ -x "$PYTHON" ] || { echo "build_appimage.sh: no $PYTHON (run 'make venv' first)" >&2; exit 1; }
"$PYTHON" -m PyInstaller --version >/dev/null 2>&1 || "$PYTHON" -m pip install -q "pyinstaller>=6.10"
VERSION="$("$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$ROOT/pyproject.toml")"

rm -rf "$BUILD_DIR"
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$BUILD_DIR/dist" --workpath "$BUILD_DIR/work" "$ROOT/installers/alexphone.spec"

mkdir -p "$APPDIR/usr/share/applications"
cp -a "$BUILD_DIR/dist/alexphone" "$APPDIR/usr/alexphone"
install -m 0644 "$ROOT/resources/alexphone.desktop" "$APPDIR/alexphone.desktop"
install -m 0644 "$ROOT/resources/alexphone.desktop" "$APPDIR/usr/share/applications/"
install -m 0644 "$ROOT/resources/icons/alexphone-256.png" "$APPDIR/alexphone.png"
for size in 16 32 48 64 128 256; do
    install -D -m 0644 "$ROOT/resources/icons/alexphone-$size.png" \
        "$APPDIR/usr/share/icons/hicolor/${size}x${size}/apps/alexphone.png"
done
cat > "$APPDIR/AppRun" <<'APPRUN'
#!/bin/sh
HERE="$(dirname "$(readlink -f "$0")")"
exec "$HERE/usr/alexphone/alexphone" "$@"
APPRUN
chmod 0755 "$APPDIR/AppRun"

if ! command -v appimagetool >/dev/null 2>&1; then
    echo "build_appimage.sh: AppDir ready in $APPDIR; install appimagetool to pack it" >&2
    exit 3
fi
IMAGE="$OUTDIR/Alexphone-$VERSION-$(uname -m).AppImage"
ARCH="$(uname -m)" appimagetool --no-appstream "$APPDIR" "$IMAGE" >&2
echo "$IMAGE"
