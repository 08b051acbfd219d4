#!/usr/bin/env bash
# Installs what the make targets need and is missing, and only that. Idempotent; when
# everything is present it only checks (a few seconds at most).
#   scripts/bootstrap.sh          build and test tools
#   scripts/bootstrap.sh bench    also the load generator used by `make bench`
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"

say() { printf 'bootstrap: %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# Rust: the wasm target for the browser half.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown
fi

# cargo-leptos 0.3.10 (0.3.11 needs a newer rustc).
if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  say "installing cargo-leptos 0.3.10 (about 10 minutes)"; cargo install cargo-leptos --version 0.3.10 --locked
fi

# wasm-bindgen CLI: must equal the wasm-bindgen crate in Cargo.lock.
wb=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $wb\$"; then
  # Without --locked: a locked dependency of the CLI is missing from the registry here.
  say "installing wasm-bindgen-cli $wb"; cargo install wasm-bindgen-cli --version "$wb"
fi

# wasm-opt for release builds: Debian's binaryen is too old, npm's binaryen@132 works.
if [ ! -x .tools/node_modules/.bin/wasm-opt ]; then
  say "installing wasm-opt (npm binaryen@132)"
  mkdir -p .tools && npm install --prefix .tools --no-audit --no-fund --silent binaryen@132 >/dev/null
fi

# PostgreSQL server binaries for the embedded cluster.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  say "installing PostgreSQL"; apt_install postgresql
fi

# Chromium for the browser tests (Playwright cannot download its own browser here).
if [ ! -x /usr/bin/chromium ]; then
  say "installing Chromium"; apt_install chromium
fi

# The browser-test runner and the accessibility scanner it uses.
if [ ! -f end2end/node_modules/@playwright/test/package.json ] \
  || [ ! -f end2end/node_modules/@axe-core/playwright/package.json ]; then
  say "installing the end2end npm packages"; (cd end2end && npm ci --no-audit --no-fund --silent)
fi

if [ "${1:-}" = bench ] && ! command -v wrk >/dev/null; then
  say "installing wrk"; apt_install wrk
fi
