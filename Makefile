# Phantom: `make test` on a fresh Debian 12 machine with Swift 6 installs what it needs and runs the suite.
APT_PACKAGES := libopenblas-dev libdnnl-dev libpng-dev libturbojpeg0-dev libtiff-dev libnifti2-dev libdcmtk-dev libopenslide-dev libopenmpi-dev openmpi-bin
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build release test fuzz demo weights samples clean

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

## test: the whole suite (Swift Testing), then the kill-and-resume test (~40 s)
## and the two-rank MPI test (~90 s; only where mpirun exists).
test: deps
	swift test
	bash Tests/Reliability/kill_resume_test.sh
	bash Tests/Reliability/mpi_test.sh

## fuzz: libFuzzer+ASan on the PNG, safetensors and config readers, FUZZ_RUNS (20000) executions each.
fuzz: deps
	bash Tests/Fuzz/run.sh all $(or $(FUZZ_RUNS),20000)

## demo: sample a grid per class from the shipped model with a fast sampler.
demo: deps
	swift build -c release --product phantom
	.build/release/phantom sample Weights/medimg-64 --out Samples/demo --per-class 3 --scheduler dpmpp --steps 25 --grid Samples/demo/grid.png
	@echo "demo: one row per class in Samples/demo/grid.png; single images in Samples/demo/<class>/"

## samples: regenerate the figures in Samples/ from the shipped model.
samples: deps
	swift build -c release --product phantom
	bash Samples/make_samples.sh

## weights: build the MRI/CT slice set from its public sources with phantom and train the model's recipe on it (hours on 2 cores).
weights: deps
	swift build -c release --product phantom
	bash Weights/data/make_medimg.sh /tmp/phantom-medimg
	bash Weights/medimg-64/train.sh /tmp/phantom-medimg/train

clean:
	rm -rf .build .build-*
