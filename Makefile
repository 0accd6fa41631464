# Alexphone — the two commands are `make run` and `make test`.
# Every target bootstraps what it needs: Debian packages (apt-get when root, otherwise the
# exact sudo lines are printed; tools/apt-install.sh) and the .venv with the project.
#
#   make run / make venv   APP_PACKAGES: what the phone needs to run and to build its .venv
#                          (Opus, PortAudio, the Qt/xcb libraries, a C compiler and Python
#                          headers for PyAudio), then `pip install -e .[gui]`. No server, no
#                          test tool, no test-only Python package.
#   make test / make bench LAB_PACKAGES as well: the test lab's peers and tools (SIPp,
#   make screenshots/lab   Kamailio, baresip, linphonec, coturn, dnsmasq, avahi, PulseAudio,
#                          Xvfb, tcpdump...), installed with their services OFF (a policy-rc.d
#                          answering 101 during apt-get, every new unit disabled after) because
#                          the tests start their own copies in network namespaces; then
#                          `pip install -e .[gui,test,dist]`.
#   make dist              APP_PACKAGES, then `pip install -e .[gui,dist]` (PyInstaller).
#
# APT_DRY_RUN=1 prints the packages a target would install and changes nothing;
# `make -n TARGET` shows the whole plan.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
APT    := sh tools/apt-install.sh
# One stamp per set of Python extras: `make run` never pulls in the test tools.
STAMP_APP  := $(VENV)/.installed-app
STAMP_DIST := $(VENV)/.installed-dist
STAMP_TEST := $(VENV)/.installed-test

# What the app needs: audio (Opus, PortAudio and its headers for PyAudio's build, ALSA's
# PulseAudio plugin, paplay for the ringer), Qt's xcb platform plugin, and a Python that
# can build a venv with PyAudio in it.
APP_PACKAGES := python3-venv python3-dev build-essential \
	libopus0 libportaudio2 portaudio19-dev libasound2-plugins pulseaudio-utils \
	libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 \
	libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 \
	libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 libglib2.0-0 libdbus-1-3

# What the tests' lab needs on top: real peers, NAT labs, sound and screen for the tests.
LAB_PACKAGES := sip-tester kamailio kamailio-tls-modules baresip linphone-cli coturn dnsmasq \
	avahi-daemon avahi-utils dbus iproute2 iptables nftables iputils-ping procps tcpdump dnsutils \
	pulseaudio espeak-ng sox openssl libnetfilter-queue-dev xvfb imagemagick xdg-utils mmdebstrap \
	weston x11-utils

.PHONY: run test test-fast lint typecheck layers bench fuzz screenshots dist sysdeps sysdeps-app \
	sysdeps-lab venv lab clean

# `make run` opens the desktop app; ARGS adds options (e.g. ARGS="sip:bob@example.com" dials,
# ARGS="daemon --auto-answer" runs the headless phone instead).
run: $(STAMP_APP)
	$(BIN)/alexphone $(ARGS)

test: $(STAMP_TEST) lint typecheck layers
	$(BIN)/pytest -p no:cacheprovider

test-fast: $(STAMP_TEST) lint typecheck layers
	$(BIN)/pytest -p no:cacheprovider -m "not slow"

lint: $(STAMP_TEST)
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app

typecheck: $(STAMP_TEST)
	$(BIN)/mypy --strict app/alexphone

layers: $(STAMP_TEST)
	$(BIN)/lint-imports

screenshots: $(STAMP_TEST)
	$(BIN)/python tests/gui/make_screenshots.py tests/gui/artifacts

bench: $(STAMP_TEST)
	@for b in tests/benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Fuzz every decoder (SIP, SDP, ALEX, STUN, RTP, RTCP, SRTP) with FUZZ_COUNT mutated inputs
# each over FUZZ_JOBS processes, then a running daemon with 20,000 mutated datagrams and
# 2,000 TCP connections (tests/interop/test_fuzz_live.py, under the lab lock).
# Crashing inputs land in FUZZ_CRASHES; `make test` runs a 2,000-input slice.
FUZZ_COUNT   ?= 1000000
FUZZ_JOBS    ?= 2
FUZZ_SEED    ?= alexphone
FUZZ_CRASHES ?= /tmp/alexphone-fuzz-crashes
fuzz: $(STAMP_TEST)
	$(BIN)/python tests/fuzz/fuzz_run.py --count $(FUZZ_COUNT) --jobs $(FUZZ_JOBS) \
		--seed $(FUZZ_SEED) --crashes $(FUZZ_CRASHES)
	ALEXPHONE_FUZZ_DATAGRAMS=20000 ALEXPHONE_FUZZ_STREAMS=2000 flock /tmp/alexphone-lab.lock \
		$(BIN)/pytest -p no:cacheprovider -q tests/interop/test_fuzz_live.py

sysdeps: sysdeps-app sysdeps-lab

sysdeps-app:
	$(APT) $(APP_PACKAGES)

sysdeps-lab: sysdeps-app
	$(APT) --no-services $(LAB_PACKAGES)

venv: $(STAMP_APP)

# The lab without running the tests: Debian packages (services off) and the test tools.
lab: $(STAMP_TEST)

$(STAMP_APP): pyproject.toml | sysdeps-app
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[gui]'
	touch $(STAMP_APP)

$(STAMP_DIST): $(STAMP_APP)
	$(BIN)/python -m pip install -q -e '.[gui,dist]'
	touch $(STAMP_DIST)

# One pip run for everything the tests need: a second one after `.[gui]` resolved and built
# the project again (6 s with a warm pip cache). It makes the app's and dist's stamps too.
$(STAMP_TEST): pyproject.toml | sysdeps-lab
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -f $(STAMP_APP) || $(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[gui,test,dist]'
	touch $(STAMP_APP) $(STAMP_DIST) $(STAMP_TEST)

dist: $(STAMP_DIST)
	$(BIN)/python -m pip wheel --no-deps -w dist .
	@if [ "$$(uname -s)" = Linux ] && command -v dpkg-deb >/dev/null; then installers/linux/build_deb.sh dist; fi

clean:
	rm -rf $(VENV) dist build .mypy_cache .ruff_cache
