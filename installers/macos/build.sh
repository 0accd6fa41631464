#!/usr/bin/env bash
# Build Alexphone for macOS: dist/pyinstaller/Alexphone.app (sip:/sips:/tel: URL handler in its
# Info.plist) and dist/alexphone-<version>-macos-<arch>.dmg.
#
#   brew install python@3.11 opus portaudio
#   installers/macos/build.sh
#
# PyAudio has no macOS wheel: pip builds it against Homebrew's PortAudio, and PyInstaller copies
# libportaudio.2.dylib into the bundle. Opus: $(brew --prefix opus)/lib/libopus.dylib, or set
# ALEXPHONE_OPUS_LIB. The build machine's architecture (arm64 or x86_64) is the app's.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

export ALEXPHONE_OPUS_LIB="${ALEXPHONE_OPUS_LIB:-$(brew --prefix opus)/lib/libopus.dylib}"
export CFLAGS="-I$(brew --prefix portaudio)/include ${CFLAGS:-}"
export LDFLAGS="-L$(brew --prefix portaudio)/lib ${LDFLAGS:-}"
[ -x .venv/bin/python ] || "${PYTHON:-python3.11}" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q ".[gui]" "pyinstaller>=6.10" pillow

# The .icns from the PNGs with Apple's iconutil (the spec would otherwise use Pillow's).
ICONSET="build/alexphone.iconset"
rm -rf "$ICONSET" && mkdir -p "$ICONSET"
for size in 16 32 128 256; do
    cp "resources/icons/alexphone-$size.png" "$ICONSET/icon_${size}x${size}.png"
done
cp resources/icons/alexphone-32.png "$ICONSET/icon_16x16@2x.png"
cp resources/icons/alexphone-64.png "$ICONSET/icon_32x32@2x.png"
cp resources/icons/alexphone-256.png "$ICONSET/icon_128x128@2x.png"
iconutil -c icns "$ICONSET" -o build/alexphone.icns
export ALEXPHONE_ICON="$ROOT/build/alexphone.icns"

.venv/bin/python -m PyInstaller --noconfirm --clean --distpath dist/pyinstaller \
    --workpath build/pyinstaller installers/alexphone.spec
dist/pyinstaller/Alexphone.app/Contents/MacOS/alexphone --help >/dev/null

VERSION="$(.venv/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
DMG="dist/alexphone-$VERSION-macos-$(uname -m).dmg"
rm -f "$DMG"
hdiutil create -volname Alexphone -srcfolder dist/pyinstaller/Alexphone.app -ov -format UDZO "$DMG"
echo "$DMG"
