#!/usr/bin/env bash
# Every test of resumeflow: Rust on SQLite and PostgreSQL, Python, Node.
# Installs what it needs (maturin, pytest, psycopg, npm packages) by package name.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/resumeflow-target}"
export CARGO_TERM_COLOR=never
export RESUMEFLOW_TEST_PG="${RESUMEFLOW_TEST_PG:-postgres://postgres@127.0.0.1:5432}"

step() { printf '\n=== %s\n' "$*"; }

step "PostgreSQL"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
pg_isready -h 127.0.0.1 -p 5432 || echo "PostgreSQL is not ready (tests skip it unless RESUMEFLOW_REQUIRE_PG=1)"

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (SQLite and PostgreSQL)"
cargo test --locked

step "Python binding"
VENV="$HOME/.cache/resumeflow-venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "maturin>=1.16,<2" pytest "psycopg[binary]"
(cd bindings-python && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" maturin develop -q)
"$VENV/bin/python" -m pytest -q bindings-python/tests

step "Node binding"
(cd bindings-node && npm install --no-audit --no-fund --silent && npx napi build --platform --js index.js --dts index.d.ts >/dev/null)
git diff --exit-code -- bindings-node/index.d.ts || { echo "bindings-node/index.d.ts differs from the build: commit the generated file"; exit 1; }
(cd bindings-node && node --test __test__/)
