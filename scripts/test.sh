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

step "Python environment"
VENV="$HOME/.cache/resumeflow-venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"

step "S3-compatible server (moto)"
# The S3 store is tested against moto, which honours If-None-Match (write-once puts).
# The Rust test reads RESUMEFLOW_TEST_S3_ENDPOINT; RESUMEFLOW_REQUIRE_S3=1 turns its skip
# into a failure, so once moto runs here a broken S3 path cannot pass unnoticed.
if [ -z "${RESUMEFLOW_TEST_S3_ENDPOINT:-}" ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check "moto[server]==5.2.5"
  # An install that was interrupted can leave moto's metadata without its script.
  [ -x "$VENV/bin/moto_server" ] ||
    "$VENV/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "moto[server]==5.2.5"
  MOTO_PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  MOTO_LOG="$(mktemp -t resumeflow-moto.XXXXXX)"
  "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
  MOTO_PID=$!
  trap 'kill "$MOTO_PID" 2>/dev/null || true; rm -f "$MOTO_LOG"' EXIT
  export RESUMEFLOW_TEST_S3_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
  export RESUMEFLOW_TEST_S3_BUCKET="${RESUMEFLOW_TEST_S3_BUCKET:-resumeflow-test}"
  for _ in $(seq 1 60); do
    "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
      "$RESUMEFLOW_TEST_S3_ENDPOINT" 2>/dev/null && break
    kill -0 "$MOTO_PID" 2>/dev/null || { cat "$MOTO_LOG"; echo "moto_server exited"; exit 1; }
    sleep 0.5
  done
  "$VENV/bin/python" - "$RESUMEFLOW_TEST_S3_ENDPOINT" "$RESUMEFLOW_TEST_S3_BUCKET" <<'PY'
import sys
import boto3

endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
s3.create_bucket(Bucket=bucket)
print(f"moto on {endpoint}, bucket {bucket}")
PY
  export RESUMEFLOW_REQUIRE_S3=1
else
  echo "using RESUMEFLOW_TEST_S3_ENDPOINT=$RESUMEFLOW_TEST_S3_ENDPOINT"
fi

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (SQLite and PostgreSQL)"
cargo test --locked

step "Python binding"
"$VENV/bin/pip" install -q --disable-pip-version-check "maturin>=1.16,<2" pytest "psycopg[binary]" mypy pandas tqdm
(cd bindings-python && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" maturin develop -q)
(cd bindings-python && "$VENV/bin/python" -m mypy.stubtest resumeflow._native && "$VENV/bin/python" -m mypy --strict python/resumeflow && "$VENV/bin/python" tools/unasync.py --check)
"$VENV/bin/python" -m pytest -q bindings-python/tests

step "Node binding"
(cd bindings-node && npm install --no-audit --no-fund --silent && npx napi build --platform --js index.js --dts index.d.ts >/dev/null)
git diff --exit-code -- bindings-node/index.d.ts || { echo "bindings-node/index.d.ts differs from the build: commit the generated file"; exit 1; }
(cd bindings-node && node --test __test__/)
