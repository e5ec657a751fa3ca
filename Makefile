# Phantom: `make test` on a fresh Debian 12 machine with Swift 6 installs what it needs and runs the suite.
APT_PACKAGES := libopenblas-dev libpng-dev
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build release test clean

## deps: install the Debian packages Phantom links against, if missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get install -y $$missing || { $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; }; \
	fi

build: deps
	swift build

release: deps
	swift build -c release

## test: the whole suite (XCTest and Swift Testing).
test: deps
	swift test

clean:
	rm -rf .build .build-*
