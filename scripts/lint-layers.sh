#!/usr/bin/env bash
# The layering rules of ARCHITECTURE.md, checked on the source (part of `make lint`):
# - rules modules (app/src/*/rules/) do no I/O: they name neither sqlx, leptos nor tokio;
# - a store (app/src/*/store/, app/src/shell/store.rs) never imports a server-function module;
# - a worker (server/src/workers/) never imports a server-function module.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
report() { printf 'lint-layers: %s\n' "$*" >&2; fail=1; }

while IFS= read -r hit; do
  report "rules must not do I/O: $hit"
done < <(grep -rnE '\b(sqlx|leptos[a-z_]*|tokio)::|use (sqlx|leptos[a-z_]*|tokio)\b|extern crate (sqlx|leptos|tokio)' app/src/*/rules/ || true)

while IFS= read -r hit; do
  report "a store must not import a server-function module: $hit"
done < <(grep -rnE '(crate|app|super)::([a-z_]+::)*api\b' app/src/*/store/ app/src/shell/store.rs || true)

while IFS= read -r hit; do
  report "a worker must not import a server-function module: $hit"
done < <(grep -rnE 'app::([a-z_]+::)*api\b' server/src/workers/ || true)

exit "$fail"
