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

/// A job description with `text` (none: empty criteria) and a batch for it, in the
/// session's tenant; returns the batch id.
pub async fn new_batch(s: &resumeflow::Session, text: Option<&str>) -> Uuid {
    let jd = s
        .job_descriptions()
        .create(resumeflow::NewJobDescription {
            title: "Backend engineer".into(),
            text: text.map(str::to_owned),
            parameters: serde_json::json!({}),
        })
        .await
        .unwrap();
    s.batches()
        .create(resumeflow::NewBatch {
            jd_id: jd.jd_id,
            name: None,
            weightage_profile_id: None,
        })
        .await
        .unwrap()
        .batch_id
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

/// A deterministic stand-in for the host's model, for tests and benchmarks: it reads each
/// request the way a careful model would and answers in the shape resumeflow asks for.
///
/// - `extract_criteria`: the heuristic extractor's criteria for the posting.
/// - `parse_resume`: the heuristic parser's reading of the (redacted) resume.
/// - `score_resume`: for each requirement line `ID: text`, `met` with an exact quote when
///   the skill or keyword occurs in the resume, `missing` otherwise (experience and
///   education are judged `partial` with a quote of the first dated line); the overall
///   score is what the verdicts support.
///
/// `script` answers come first, one per call, for the purpose they name (malformed JSON,
/// a hallucinated quote, a rejected call...). `latency` is slept on every call.
pub struct ScriptedLlm {
    pub latency: std::time::Duration,
    /// When set, only calls with this purpose wait `latency`.
    pub slow_purpose: Option<String>,
    script: std::sync::Mutex<Vec<(String, Result<String, resumeflow::LlmError>)>>,
    calls: std::sync::Mutex<Vec<String>>,
    /// When each call's wait began and ended.
    waits: std::sync::Mutex<Vec<(std::time::Instant, std::time::Instant)>>,
}

impl Default for ScriptedLlm {
    fn default() -> Self {
        Self::new(std::time::Duration::ZERO)
    }
}

impl ScriptedLlm {
    pub fn new(latency: std::time::Duration) -> Self {
        ScriptedLlm {
            latency,
            slow_purpose: None,
            script: Default::default(),
            calls: Default::default(),
            waits: Default::default(),
        }
    }

    /// When each call's latency began and ended, in call order.
    pub fn waits(&self) -> Vec<(std::time::Instant, std::time::Instant)> {
        self.waits.lock().unwrap().clone()
    }

    /// Queues an answer for the next call with `purpose`.
    pub fn then(self, purpose: &str, answer: Result<String, resumeflow::LlmError>) -> Self {
        self.script
            .lock()
            .unwrap()
            .push((purpose.to_owned(), answer));
        self
    }

    /// Only calls with `purpose` wait the latency.
    pub fn slow_only_for(mut self, purpose: &str) -> Self {
        self.slow_purpose = Some(purpose.to_owned());
        self
    }

    /// The purposes of the calls made so far.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    pub fn calls_for(&self, purpose: &str) -> usize {
        self.calls().iter().filter(|p| *p == purpose).count()
    }

    fn block<'a>(content: &'a str, label: &str) -> &'a str {
        let open = format!("<{label}>\n");
        let close = format!("\n</{label}>");
        let start = content.find(&open).map_or(0, |i| i + open.len());
        let end = content.rfind(&close).unwrap_or(content.len());
        &content[start..end.max(start)]
    }

    /// The resume's own spelling of `needle` (case-insensitive, whole words), if present.
    fn quote(text: &str, needle: &str) -> Option<String> {
        let lower = text.to_lowercase();
        let n = needle.trim().to_lowercase();
        if n.is_empty() {
            return None;
        }
        let mut from = 0;
        while let Some(i) = lower[from..].find(&n) {
            let at = from + i;
            let end = at + n.len();
            let before_ok = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            let after_ok = lower[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            if before_ok && after_ok && text.is_char_boundary(at) && text.is_char_boundary(end) {
                return Some(text[at..end].to_owned());
            }
            from = end;
        }
        None
    }

    fn score_answer(content: &str) -> String {
        let resume = Self::block(content, "resume");
        let dated = resume
            .lines()
            .find(|l| l.chars().filter(char::is_ascii_digit).count() >= 4)
            .map(|l| l.trim().to_owned());
        let mut items = Vec::new();
        let (mut got, mut total) = (0.0f64, 0.0f64);
        for line in content.lines() {
            let Some((id, text)) = line.split_once(": ") else {
                continue;
            };
            let mut chars = id.chars();
            let (Some(kind), true) = (chars.next(), chars.clone().count() > 0) else {
                continue;
            };
            if !kind.is_ascii_uppercase() || !chars.all(|c| c.is_ascii_digit()) {
                continue;
            }
            let needle = text.strip_prefix("Has the skill: ").or_else(|| {
                text.strip_prefix("Mentions \"")
                    .map(|t| t.split('"').next().unwrap_or(t))
            });
            let (verdict, quote) = match needle {
                Some(n) => match Self::quote(resume, n) {
                    Some(q) => ("met", Some(q)),
                    None => ("missing", None),
                },
                None => match &dated {
                    Some(q) => ("partial", Some(q.clone())),
                    None => ("missing", None),
                },
            };
            total += 1.0;
            got += match verdict {
                "met" => 1.0,
                "partial" => 0.5,
                _ => 0.0,
            };
            items.push(serde_json::json!({"id": id, "verdict": verdict, "quote": quote}));
        }
        let overall = if total > 0.0 {
            100.0 * got / total
        } else {
            50.0
        };
        serde_json::json!({
            "requirements": items,
            "overall_score": (overall * 10.0).round() / 10.0,
            "rationale": format!("{got} of {total} requirements supported by the resume."),
        })
        .to_string()
    }
}

#[async_trait::async_trait]
impl resumeflow::LlmClient for ScriptedLlm {
    async fn complete(
        &self,
        request: &resumeflow::LlmRequest,
    ) -> Result<resumeflow::LlmResponse, resumeflow::LlmError> {
        self.calls.lock().unwrap().push(request.purpose.clone());
        let slow = self
            .slow_purpose
            .as_ref()
            .is_none_or(|p| *p == request.purpose);
        if slow && !self.latency.is_zero() {
            let start = std::time::Instant::now();
            tokio::time::sleep(self.latency).await;
            self.waits
                .lock()
                .unwrap()
                .push((start, std::time::Instant::now()));
        }
        let scripted = {
            let mut s = self.script.lock().unwrap();
            s.iter()
                .position(|(p, _)| *p == request.purpose)
                .map(|i| s.remove(i).1)
        };
        let content = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == "user" && m.content.contains("</"))
            .map_or("", |m| m.content.as_str());
        let text = match scripted {
            Some(answer) => answer?,
            None => match request.purpose.as_str() {
                "extract_criteria" => {
                    serde_json::to_string(&resumeflow::jd::criteria::extract_criteria(Self::block(
                        content,
                        "job_posting",
                    )))
                    .expect("criteria serialise")
                }
                "parse_resume" => {
                    resumeflow::candidate::heuristic::parse_text(Self::block(content, "resume"))
                        .to_json_resume()
                        .to_string()
                }
                "score_resume" => Self::score_answer(content),
                other => {
                    return Err(resumeflow::LlmError::Permanent(format!(
                        "no script for {other}"
                    )));
                }
            },
        };
        Ok(resumeflow::LlmResponse {
            text,
            usage: Some(resumeflow::LlmUsage {
                prompt_tokens: 100,
                completion_tokens: 50,
            }),
            model: Some("scripted".into()),
        })
    }

    fn model(&self) -> String {
        "scripted-1".into()
    }
}

impl TestDb {
    /// [`TestDb::engine`] with the host's model.
    pub async fn engine_with_llm(&self, llm: Arc<dyn resumeflow::LlmClient>) -> Engine {
        let engine = Engine::builder()
            .database_url(&self.url)
            .store_url(format!("file://{}", self.store_dir().display()))
            .keys(Arc::new(LocalKeyProvider::random()))
            .llm(llm)
            .llm_policy(resumeflow::LlmPolicy {
                backoff: std::time::Duration::from_millis(5),
                ..Default::default()
            })
            .build()
            .await
            .expect("engine");
        engine.migrate().await.expect("migrate");
        engine
    }
}
