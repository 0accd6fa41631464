#!/usr/bin/env bash
# Build the Alexphone .deb: PyInstaller one-dir bundle (installers/alexphone.spec) under
# /opt/alexphone, /usr/bin/alexphone, desktop entry with the sip:/sips:/tel: handlers, icons.
#
#   installers/linux/build_deb.sh [OUTDIR]      (default OUTDIR: dist/)
#
# Needs the project .venv (make venv) and dpkg-deb; installs PyInstaller into the .venv.
# Environment: PYTHON (default .venv/bin/python), BUILD_DIR (default build/deb),
# DEB_COMPRESSION (gzip|xz|zstd|none, default xz), DEB_VERSION (the package version, default
# the project's), REUSE_BUNDLE=1 (package the PyInstaller bundle already in BUILD_DIR again,
# e.g. to make a higher version for an upgrade test, instead of running PyInstaller).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUTDIR="$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build/deb}"
COMPRESSION="${DEB_COMPRESSION:-xz}"

# Libraries the bundle takes from the system (the spec leaves them out): sound, X11/xcb
# (Qt's xcb platform plugin), Wayland, fonts, GLib/D-Bus, EGL/GL.
DEPENDS="libc6 (>= 2.28), libstdc++6, libgcc-s1, libopus0, libportaudio2, \
libglib2.0-0t64 | libglib2.0-0, libdbus-1-3, libfontconfig1, libfreetype6, libexpat1, \
libpng16-16t64 | libpng16-16, libegl1, libgl1, libx11-6, libx11-xcb1, libxext6, libxrender1, \
libxcb1, libxcb-cursor0, libxcb-glx0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, \
libxcb-randr0, libxcb-render0, libxcb-render-util0, libxcb-shape0, libxcb-shm0, libxcb-sync1, \
libxcb-util1, libxcb-xfixes0, libxcb-xkb1, libxkbcommon0, libxkbcommon-x11-0, \
libwayland-client0, libwayland-cursor0, libwayland-egl1"

command -v dpkg-deb >/dev/null || { echo "build_deb.sh: dpkg-deb is missing (apt-get install dpkg)" >&2; exit 1; }
[ -x "$PYTHON" ] || { echo "build_deb.sh: no $PYTHON (run 'make venv' first)" >&2; exit 1; }
"$PYTHON" -m PyInstaller --version >/dev/null 2>&1 || "$PYTHON" -m pip install -q "pyinstaller>=6.10"

PROJECT_VERSION="$("$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$ROOT/pyproject.toml")"
VERSION="${DEB_VERSION:-$PROJECT_VERSION}"
ARCH="$(dpkg --print-architecture)"
STAGE="$BUILD_DIR/alexphone_${VERSION}_${ARCH}"
DEB="$OUTDIR/alexphone_${VERSION}_${ARCH}.deb"

if [ "${REUSE_BUNDLE:-}" = 1 ] && [ -x "$BUILD_DIR/dist/alexphone/alexphone" ]; then
    rm -rf "$BUILD_DIR"/alexphone_*
else
    rm -rf "$BUILD_DIR"
    mkdir -p "$BUILD_DIR"
    "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath "$BUILD_DIR/dist" --workpath "$BUILD_DIR/work" "$ROOT/installers/alexphone.spec"
fi

install -d "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications"
cp -a "$BUILD_DIR/dist/alexphone" "$STAGE/opt/alexphone"
ln -s ../../opt/alexphone/alexphone "$STAGE/usr/bin/alexphone"
install -m 0644 "$ROOT/resources/alexphone.desktop" "$STAGE/usr/share/applications/"
for size in 16 32 48 64 128 256; do
    install -D -m 0644 "$ROOT/resources/icons/alexphone-$size.png" \
        "$STAGE/usr/share/icons/hicolor/${size}x${size}/apps/alexphone.png"
done
install -D -m 0644 "$ROOT/resources/icons/alexphone.svg" \
    "$STAGE/usr/share/icons/hicolor/scalable/apps/alexphone.svg"

cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: alexphone
Version: $VERSION
Architecture: $ARCH
Section: comm
Priority: optional
Maintainer: Alexphone maintainers <alexphone@localhost>
Installed-Size: $(du -sk "$STAGE" | cut -f1)
Depends: $DEPENDS
Recommends: pulseaudio-utils | alsa-utils, xdg-utils
Homepage: https://localhost/alexphone
Description: desktop softphone that calls direct whenever any path allows
 Alexphone is a SIP softphone (RFC 3261) with Opus and G.711, LAN discovery
 (DNS-SD), and ALEX address exchange so calls go peer to peer when a path exists.
 It handles sip:, sips: and tel: links.
CONTROL

# Desktop caches and the URI handler; a failure here never fails the install.
cat > "$STAGE/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q /usr/share/applications || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
    fi
    # The user who ran sudo gets Alexphone for sip:/sips:/tel: links unless they chose another.
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && command -v xdg-mime >/dev/null 2>&1 \
        && command -v runuser >/dev/null 2>&1; then
        home="$(getent passwd "$SUDO_USER" | cut -d: -f6)" || home=""
        for scheme in sip sips tel; do
            current="$(runuser -u "$SUDO_USER" -- env HOME="$home" \
                xdg-mime query default "x-scheme-handler/$scheme" 2>/dev/null)" || current=""
            if [ -n "$home" ] && [ -z "$current" ]; then
                runuser -u "$SUDO_USER" -- env HOME="$home" \
                    xdg-mime default alexphone.desktop "x-scheme-handler/$scheme" 2>/dev/null || true
            fi
        done
    fi
fi
exit 0
POSTINST
cat > "$STAGE/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q /usr/share/applications || true
fi
exit 0
POSTRM
chmod 0755 "$STAGE/DEBIAN/postinst" "$STAGE/DEBIAN/postrm"

dpkg-deb --root-owner-group -Z"$COMPRESSION" --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
