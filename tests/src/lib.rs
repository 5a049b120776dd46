//! Test harness: every integration test runs once on SQLite and once on PostgreSQL, each
//! in a database of its own.
//!
//! PostgreSQL comes from `RESUMEFLOW_TEST_PG` (default `postgres://postgres@127.0.0.1:5432`).
//! When it cannot be reached the PostgreSQL half is skipped with a message, unless
//! `RESUMEFLOW_REQUIRE_PG=1`, which makes it fail (CI sets it).

use std::sync::Arc;

use resumeflow::{Engine, LocalKeyProvider};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn pg_base_url() -> String {
    std::env::var("RESUMEFLOW_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn pg_required() -> bool {
    matches!(
        std::env::var("RESUMEFLOW_REQUIRE_PG").as_deref(),
        Ok("1") | Ok("true")
    )
}

fn with_db(base: &str, db: &str) -> String {
    let mut u = url::Url::parse(base).expect("RESUMEFLOW_TEST_PG is a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

/// A fresh, empty database for one test. Dropped (PostgreSQL) or deleted (SQLite) by
/// [`TestDb::cleanup`]; a failed test leaves it behind for inspection.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub name: String,
    pub dir: Option<std::path::PathBuf>,
}

impl TestDb {
    /// Creates the database, or returns None when PostgreSQL is unavailable and not required.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let name = format!("rf_test_{}", Uuid::now_v7().simple());
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                let path = dir.join("resumeflow.db");
                Some(TestDb {
                    backend,
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    name,
                    dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                let admin_url = with_db(&pg_base_url(), "postgres");
                let admin = match Database::connect(&admin_url).await {
                    Ok(c) => c,
                    Err(e) if !pg_required() => {
                        eprintln!(
                            "SKIP PostgreSQL half: cannot connect to {admin_url}: {e} (set RESUMEFLOW_REQUIRE_PG=1 to fail instead)"
                        );
                        return None;
                    }
                    Err(e) => panic!(
                        "RESUMEFLOW_REQUIRE_PG is set and PostgreSQL is unreachable at {admin_url}: {e}"
                    ),
                };
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                Some(TestDb {
                    backend,
                    url: with_db(&pg_base_url(), &name),
                    name,
                    dir: Some(dir),
                })
            }
        }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(&self.url)
            .await
            .expect("connect to test database")
    }

    /// The directory of this test's local object store.
    pub fn store_dir(&self) -> std::path::PathBuf {
        self.dir.as_ref().expect("test dir").join("store")
    }

    /// An engine on this database and a local file store, with a random key, migrated.
    pub async fn engine(&self) -> Engine {
        let engine = Engine::builder()
            .database_url(&self.url)
            .store_url(format!("file://{}", self.store_dir().display()))
            .keys(Arc::new(LocalKeyProvider::random()))
            .build()
            .await
            .expect("engine");
        engine.migrate().await.expect("migrate");
        engine
    }

    pub async fn cleanup(self) {
        match self.backend {
            Backend::Sqlite => {
                if let Some(dir) = &self.dir {
                    std::fs::remove_dir_all(dir).ok();
                }
            }
            Backend::Postgres => {
                if let Some(dir) = &self.dir {
                    std::fs::remove_dir_all(dir).ok();
                }
                let admin = Database::connect(with_db(&pg_base_url(), "postgres"))
                    .await
                    .expect("admin");
                admin
                    .execute_unprepared(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ))
                    .await
                    .expect("drop test database");
            }
        }
    }
}

/// Creates tenant `slug` (named `SLUG`) with an owner `owner@{slug}.test`, and opens the
/// owner's session.
pub async fn owner_session(engine: &Engine, slug: &str) -> resumeflow::Session {
    let t = engine
        .tenants()
        .create(resumeflow::NewTenant {
            name: slug.to_uppercase(),
            slug: slug.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let owner = engine
        .tenants()
        .add_owner(t.tenant_id, &format!("owner@{slug}.test"), None)
        .await
        .unwrap();
    engine.session(t.tenant_id, owner.user_id).await.unwrap()
}

/// Runs a raw query and returns the first column of every row as text.
pub async fn strings<C: ConnectionTrait>(conn: &C, sql: &str) -> Vec<String> {
    conn.query_all_raw(Statement::from_string(
        conn.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .into_iter()
    .map(|r| r.try_get_by_index::<String>(0).expect("text column"))
    .collect()
}

pub async fn count<C: ConnectionTrait>(conn: &C, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("one row");
    row.try_get_by_index::<i64>(0).expect("count")
}

/// The names of the user tables in the database.
pub async fn table_names<C: ConnectionTrait>(conn: &C) -> Vec<String> {
    let sql = match conn.get_database_backend() {
        DbBackend::Postgres => {
            // Partitions are implementation details of their parent.
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    strings(conn, sql).await
}

/// Declares `$name_sqlite` and `$name_postgres` tests running `$body(TestDb)`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::TestDb::create($crate::Backend::Sqlite)
                    .await
                    .unwrap();
                super::$body(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) = $crate::TestDb::create($crate::Backend::Postgres).await else {
                    return;
                };
                super::$body(&db).await;
                db.cleanup().await;
            }
        }
    };
}

/// Declares `$name_postgres` only, for PostgreSQL-only features (RLS, partitions).
#[macro_export]
macro_rules! postgres_only {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) = $crate::TestDb::create($crate::Backend::Postgres).await else {
                    return;
                };
                super::$body(&db).await;
                db.cleanup().await;
            }
        }
    };
}
