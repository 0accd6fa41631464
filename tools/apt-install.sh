#!/bin/sh
# Install the Debian packages among PACKAGE... that are missing; used by the Makefile.
#
#   tools/apt-install.sh [--no-services] PACKAGE...
#
# --no-services: the packages are test-lab servers (Kamailio, coturn, dnsmasq, avahi...).
#   While apt-get runs, /usr/sbin/policy-rc.d answers 101 ("action forbidden"), so the
#   maintainer scripts start nothing; afterwards every systemd unit and init script that
#   came with a newly installed package (dependencies included) is disabled and stopped,
#   so nothing listens on the machine or starts at the next boot. A policy-rc.d that was
#   there before is put back, also when apt-get fails or the script is interrupted.
#   Packages that were already installed are left exactly as they were.
# APT_DRY_RUN=1: only print what would be installed (nothing is changed).
# Not root: print the sudo command line to run and exit 1.
set -eu

no_services=false
if [ "${1:-}" = --no-services ]; then
    no_services=true
    shift
fi

missing=""
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $package"
done
[ -n "$missing" ] || exit 0

if [ -n "${APT_DRY_RUN:-}" ]; then
    echo "would install:$missing"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "Alexphone needs these Debian packages. Run:"
    if $no_services; then
        echo "  printf '#!/bin/sh\\nexit 101\\n' | sudo tee /usr/sbin/policy-rc.d >/dev/null" \
            "&& sudo chmod 755 /usr/sbin/policy-rc.d"
        echo "  sudo apt-get install -y --no-install-recommends$missing"
        echo "  sudo rm /usr/sbin/policy-rc.d    # (put back your own policy-rc.d if you had one)"
    else
        echo "  sudo apt-get install -y --no-install-recommends$missing"
    fi
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! $no_services; then
    echo "installing Debian packages:$missing"
    apt-get update -q && apt-get install -y -q --no-install-recommends $missing
    exit
fi

policy=/usr/sbin/policy-rc.d
saved="$policy.alexphone-saved"
restore_policy() {
    rm -f "$policy"
    if [ -e "$saved" ]; then mv "$saved" "$policy"; fi
}
# A saved copy left by a run that was killed is the original: keep it, drop ours.
if [ -e "$policy" ] && [ ! -e "$saved" ]; then
    mv "$policy" "$saved"
fi
trap restore_policy EXIT
trap 'exit 130' INT TERM HUP
printf '#!/bin/sh\n# tools/apt-install.sh: no service starts while lab packages install\nexit 101\n' \
    >"$policy"
chmod 755 "$policy"

before="$(mktemp)"
trap 'restore_policy; rm -f "$before"' EXIT
dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort >"$before"

echo "installing Debian packages (their services stay off):$missing"
apt-get update -q
apt-get install -y -q --no-install-recommends $missing

# Everything this run added, dependencies included: disable what it ships.
new="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' \
    | sort | comm -13 "$before" -)"
units=""
user_units=""
scripts=""
for package in $new; do
    for file in $(dpkg-query -L "$package" 2>/dev/null); do
        case "$file" in
            /lib/systemd/system/*.service | /lib/systemd/system/*.socket \
                | /usr/lib/systemd/system/*.service | /usr/lib/systemd/system/*.socket)
                units="$units ${file##*/}" ;;
            /usr/lib/systemd/user/*.service | /usr/lib/systemd/user/*.socket)
                user_units="$user_units ${file##*/}" ;;
            /etc/init.d/*) scripts="$scripts ${file##*/}" ;;
        esac
    done
done
if command -v systemctl >/dev/null; then
    now=""
    if [ -d /run/systemd/system ]; then now=--now; fi
    for unit in $units; do
        echo "disabling $unit"
        systemctl disable $now "$unit" >/dev/null 2>&1 || true
    done
    for unit in $user_units; do
        echo "disabling $unit (user sessions)"
        systemctl --global disable "$unit" >/dev/null 2>&1 || true
    done
fi
if command -v update-rc.d >/dev/null; then
    for script in $scripts; do
        update-rc.d "$script" disable >/dev/null 2>&1 || true
    done
fi
