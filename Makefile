# The two commands: `make run` and `make test`. Both set up what they need first.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/.tools/node_modules/.bin:$(PATH)
BIN := ./target/debug/switchboard
E2E_ENV := SWITCHBOARD_DB_NAME=switchboard_e2e SWITCHBOARD_DATA_DIR=$(CURDIR)/.data

.PHONY: run test bench lint bootstrap build test-rust test-browser db-stop

bootstrap:
	@scripts/bootstrap.sh

# The debug site's wasm is large: gzip it once here instead of on every request (the server
# serves a `.gz` beside a file as is; release builds can use `cargo leptos build --release --precompress`).
build: bootstrap
	cargo leptos build
	gzip -kf target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css

## Start the app on http://127.0.0.1:3000 with the embedded PostgreSQL and demo accounts.
run: build
	$(BIN) serve --demo

## Every test: unit, database, HTTP, browser.
test: build
	$(BIN) db prune-tests
	$(MAKE) --no-print-directory test-rust test-browser

test-rust:
	cargo test --workspace --exclude frontend --no-fail-fast

test-browser:
	$(E2E_ENV) $(BIN) db recreate
	cd end2end && $(E2E_ENV) npx playwright test

## Benchmarks on release builds; figures go to bench/results/.
bench:
	@scripts/bootstrap.sh bench
	cargo leptos build --release --precompress
	cargo bench -p server --bench foundation
	cargo bench -p server --bench solver
	cargo bench -p server --bench callouts
	cargo bench -p server --bench desk
	cargo bench -p server --bench queue
	node bench/first_load.mjs
	node bench/ringing_card.mjs

lint: bootstrap
	scripts/lint-layers.sh
	cargo fmt --all --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

db-stop:
	$(BIN) db stop
