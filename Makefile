# netsec-policies: every entry point. `make` builds the bundle into dist/ and runs every policy's
# scenarios; `make test` is what CI runs.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := all

CARGO ?= cargo
WASM_TARGET := wasm32-wasip1
WASM_PROFILE := wasm
POLICIES := $(sort $(patsubst policies/%/Cargo.toml,%,$(wildcard policies/*/Cargo.toml)))
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
WASM_OUT := $(TARGET_DIR)/$(WASM_TARGET)/$(WASM_PROFILE)
NETSEC := $(TARGET_DIR)/debug/netsec
DIST_WASM := $(addprefix dist/,$(addsuffix .wasm,$(POLICIES)))
# wasm-opt shrinks rustc's output by about a sixth; the features are those rustc enables for
# wasm32-wasip1, and SIMD, which `.cargo/config.toml` adds: wasmtime (policy-server, kwctl) runs
# all of them by default. rustc links the stack first, below the data, growing down from 1 MB:
# the low 1 KB is only reached by a stack already overflowing, so binaryen may assume it unused
# and fold address arithmetic (about 1% smaller). Rust never relies on an implicit trap (a load
# out of bounds, a division by zero: it checks and panics first), so binaryen may drop an unused
# load that could trap (--ignore-implicit-traps; unlike --traps-never-happen, panics and
# `unreachable` keep their effect). Nothing reads the target_features section. Functions are
# first ordered by how often they are called, so the most called get the shortest indices in
# `call` instructions (the optimisation passes do not reorder them): 1.6 to 2.3 KB less a
# module. -O3 rather than -Oz: it inlines the small functions rustc leaves out of line at
# opt-level "s" (`Cow` derefs, `RawVec` deallocation), 3 to 6 % less time per request in every
# policy for 2.1 to 3.3 KB more a module (measured in alternating runs, 2026-12-07). Functions
# of up to 8 nodes are inlined wherever they are called (binaryen's default is 2): the drops of
# Vec and String, the allocator's shims, `starts_with`, each otherwise a call with a stack check
# and spilled registers in cranelift's code. Typical requests: 1.7 to 3.2 % less time in seven
# policies, under 1 % in the other four, for 420 to 670 bytes a module. At 10 nodes (measured
# again by callgrind once talc had made room, 2026-12-07): 0.8 to 2.9 % fewer instructions
# (coredns-config 2.9, and 2.3 % less time), for 2.3 to 3.9 KB more a module; not taken, as the
# modules are over the 256 KB target and every KB is compile time at each policy-server start.
# 12 nodes gain nothing more on coredns-config.
WASM_OPT := wasm-opt
WASM_OPT_FLAGS := --reorder-functions -O3 --converge --always-inline-max-function-size 8 \
  --low-memory-unused --ignore-implicit-traps \
  --strip-debug --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types --enable-simd

# The CNCF Distribution registry the e2e suite runs its OCI round trip against.
REGISTRY_BINARY := /usr/bin/docker-registry

.PHONY: all setup registry wasm netsec dist scenarios test fmt-check clippy unit e2e bench clean \
  push publish artifacthub manifests noop fuzz fuzz-setup

all: dist scenarios

setup:
	@rustup target list --installed 2>/dev/null | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
	@command -v $(WASM_OPT) >/dev/null || { \
	  echo "installing binaryen (wasm-opt) with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binaryen >/dev/null; }

# Debian's docker-registry package; the test suite starts its own instance on 127.0.0.1.
registry:
	@test -x $(REGISTRY_BINARY) || { \
	  echo "installing docker-registry (CNCF Distribution) with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null; }

# One cargo invocation for every policy: the machine has two cores and they share most crates.
wasm: setup
	$(CARGO) build --locked --profile $(WASM_PROFILE) --target $(WASM_TARGET) $(addprefix -p ,$(POLICIES))

netsec:
	$(CARGO) build --locked -p netsec-runner --bin netsec

dist: wasm netsec
	@mkdir -p dist $(TARGET_DIR)/wasm-opt
	@for p in $(POLICIES); do \
	  $(WASM_OPT) $(WASM_OPT_FLAGS) $(WASM_OUT)/$${p//-/_}.wasm -o $(TARGET_DIR)/wasm-opt/$$p.wasm; \
	  $(NETSEC) annotate --metadata policies/$$p/metadata.yml --usage policies/$$p/README.md \
	    --output dist/$$p.wasm $(TARGET_DIR)/wasm-opt/$$p.wasm; \
	done
	@cd dist && sha256sum $(notdir $(DIST_WASM)) > SHA256SUMS
	@$(NETSEC) sbom --dist dist $(POLICIES) >/dev/null
	@echo "dist/: $(words $(POLICIES)) annotated policies, their SBOMs (<policy>.spdx.json) and SHA256SUMS"

# Runs every policy's scenarios against dist/ and prints the bundle table.
scenarios: dist
	@failed=0; \
	printf '\n%-26s %8s %8s %12s\n' policy passed failed "size (KB)"; \
	for p in $(POLICIES); do \
	  out=$$($(NETSEC) check --quiet --policy dist/$$p.wasm policies/$$p/scenarios.yaml) || failed=1; \
	  tally=$$(tail -n1 <<<"$$out"); \
	  grep -v ' passed, ' <<<"$$out" >&2 || true; \
	  size=$$(( $$(stat -c %s dist/$$p.wasm) / 1024 )); \
	  printf '%-26s %8s %8s %12s\n' $$p $$(awk '{print $$1}' <<<"$$tally") $$(awk '{print $$3}' <<<"$$tally") $$size; \
	done; \
	exit $$failed

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# Unit tests, then the end-to-end suite over the built dist/ (OCI round trip included).
test: setup registry fmt-check clippy dist
	$(CARGO) test --locked --workspace

# Every policy as <REGISTRY>/<policy>:v<version of its Cargo.toml>, its SBOM attached. A registry
# on this machine (127.*, localhost, [::1]) is spoken to over plain HTTP.
push: dist
	@$(MAKE) --no-print-directory publish

# Pushes dist/ as it is (`make push` builds it first).
publish:
	@test -n "$(REGISTRY)" || { echo "usage: make push REGISTRY=host/path" >&2; exit 2; }
	@for p in $(POLICIES); do \
	  version=$$(sed -n 's/^version *= *"\(.*\)"$$/\1/p' policies/$$p/Cargo.toml | head -n1); \
	  $(NETSEC) push $(INSECURE) --sbom dist/$$p.spdx.json $(SIGN) dist/$$p.wasm \
	    registry://$(REGISTRY)/$$p:v$$version; \
	done

INSECURE = $(if $(filter 127.% localhost localhost:% localhost/% [::1]%,$(REGISTRY)),--insecure)
# `make push SIGNING_KEY=cosign.key`: each SBOM, then each module, signed as `cosign sign --key`
# does (password from NETSEC_PASSWORD or COSIGN_PASSWORD); SIGNING_ANNOTATIONS="k=v ..." are
# recorded in the signatures, for `kwctl verify --annotation`.
SIGN = $(if $(SIGNING_KEY),--key $(SIGNING_KEY) $(addprefix --annotation ,$(SIGNING_ANNOTATIONS)))

# Generated, committed, and checked by the e2e suite: run after changing a policy's metadata,
# questions-ui.yml, README, scenarios or version.
artifacthub: netsec
	$(NETSEC) artifacthub

manifests: netsec
	$(NETSEC) manifests


# The no-op guest the benchmarks subtract as the host's floor, built and shrunk like the policies.
NOOP_WASM := $(TARGET_DIR)/wasm-opt/netsec-noop.wasm
noop: setup
	$(CARGO) build --locked --profile $(WASM_PROFILE) --target $(WASM_TARGET) -p netsec-noop
	@mkdir -p $(TARGET_DIR)/wasm-opt
	$(WASM_OPT) $(WASM_OPT_FLAGS) $(WASM_OUT)/netsec_noop.wasm -o $(NOOP_WASM)

# criterion benchmarks of every policy (wasm, native, floor); ends with target/bench/summary.md,
# then each module's compilation (cold start) in target/bench/cold-start.md.
bench: dist noop
	NETSEC_NOOP_WASM=$(abspath $(NOOP_WASM)) $(CARGO) bench --locked -p netsec-bench --bench policies
	$(CARGO) bench --locked -p netsec-bench --bench cold_start

# Every cargo-fuzz target for FUZZ_SECONDS each (nightly, in fuzz/target), seeded from the
# scenario tables; crashes land in fuzz/artifacts/<target>/, tallies in fuzz/logs/executions.tsv.
FUZZ_SECONDS ?= 60
fuzz-setup:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null || cargo +nightly install cargo-fuzz --locked

fuzz: fuzz-setup
	$(CARGO) run --locked -q -p netsec-e2e --example fuzz_seeds
	fuzz/run.sh $(FUZZ_SECONDS)

clean:
	$(CARGO) clean
	rm -rf dist
