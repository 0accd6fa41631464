# Alexphone — the two commands are `make run` and `make test`.
# Every target bootstraps what it needs: Debian packages (apt-get when root,
# otherwise the exact sudo line is printed) and the .venv with the project.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian packages the app and its interop tests need (real peers, NAT labs).
SYSTEM_PACKAGES := sip-tester kamailio kamailio-tls-modules baresip linphone-cli coturn dnsmasq \
	avahi-daemon avahi-utils dbus iproute2 iptables nftables iputils-ping procps tcpdump dnsutils \
	libopus0 portaudio19-dev pulseaudio pulseaudio-utils libasound2-plugins espeak-ng sox \
	openssl libnetfilter-queue-dev xvfb imagemagick \
	libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 \
	libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 \
	libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 libglib2.0-0 libdbus-1-3

.PHONY: run test test-fast lint typecheck layers bench screenshots dist sysdeps venv clean

# `make run` opens the desktop app; ARGS adds options (e.g. ARGS="sip:bob@example.com" dials,
# ARGS="daemon --auto-answer" runs the headless phone instead).
run: $(STAMP)
	$(BIN)/alexphone $(ARGS)

test: $(STAMP) lint typecheck layers
	$(BIN)/pytest -p no:cacheprovider

test-fast: $(STAMP) lint typecheck layers
	$(BIN)/pytest -p no:cacheprovider -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app

typecheck: $(STAMP)
	$(BIN)/mypy --strict app/alexphone

layers: $(STAMP)
	$(BIN)/lint-imports

screenshots: $(STAMP)
	$(BIN)/python tests/gui/make_screenshots.py tests/gui/artifacts

bench: $(STAMP)
	@for b in tests/benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

sysdeps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:$$missing"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
		else \
			echo "Alexphone needs these system packages. Run:"; \
			echo "  sudo apt-get install -y$$missing"; \
			exit 1; \
		fi; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml | sysdeps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,gui,dist]'
	touch $(STAMP)

dist: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps -w dist .
	@if [ "$$(uname -s)" = Linux ] && command -v dpkg-deb >/dev/null; then installers/linux/build_deb.sh dist; fi

clean:
	rm -rf $(VENV) dist build .mypy_cache .ruff_cache
