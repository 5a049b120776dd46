"""The thin Python binding: it imports, is typed, and migrates real databases."""

import os
import sqlite3
import uuid

import pytest

import resumeflow


def test_version_matches_package():
    assert resumeflow.__version__.count(".") == 2


def test_migrate_sqlite(tmp_path):
    path = tmp_path / "rf.db"
    resumeflow.migrate(f"sqlite://{path}?mode=rwc")
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
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
        assert n == 10
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_bad_url_raises_with_code():
    with pytest.raises(RuntimeError, match="CONFIG"):
        resumeflow.migrate("mysql://nowhere/x")
