"""The thin Python binding: it imports, is typed, and migrates real databases."""

import os
import subprocess
import sys
import uuid

import pytest

import resumeflow


def test_version_matches_package():
    assert resumeflow.__version__.count(".") == 2


def test_migrate_sqlite(tmp_path):
    path = tmp_path / "rf.db"
    resumeflow.migrate(f"sqlite://{path}?mode=rwc")
    # Read the schema from another process: two SQLite libraries in one process (Python's
    # and the one linked into the native module) must never open the same file, since
    # closing one's descriptor drops the other's POSIX locks (see "How To Corrupt An SQLite Database File").
    script = "import sqlite3, sys; print('\\n'.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute(\"SELECT name FROM sqlite_master WHERE type='table'\")))"
    out = subprocess.run([sys.executable, "-c", script, str(path)], check=True, capture_output=True, text=True).stdout
    tables = set(out.split())
    assert {"tenants", "users", "batches", "files", "jobs", "resume_contacts", "audit_logs"} <= tables
    # Idempotent: a second run applies nothing and does not fail.
    resumeflow.migrate(f"sqlite://{path}?mode=rwc")


def test_migrate_postgres():
    base = os.environ.get("RESUMEFLOW_TEST_PG", "postgres://postgres@127.0.0.1:5432")
    psycopg = pytest.importorskip("psycopg") if os.environ.get("RESUMEFLOW_REQUIRE_PG") != "1" else __import__("psycopg")
    name = f"rf_py_{uuid.uuid4().hex}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        resumeflow.migrate(f"{base}/{name}")
        with psycopg.connect(f"{base}/{name}") as conn:
            n = conn.execute("SELECT count(*) FROM resumeflow_migrations").fetchone()[0]
        assert n == 15
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_bad_url_raises_with_code():
    with pytest.raises(resumeflow.ConfigError) as err:
        resumeflow.migrate("mysql://nowhere/x")
    assert err.value.code == "CONFIG" and isinstance(err.value, resumeflow.ResumeflowError)
