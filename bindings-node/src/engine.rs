//! The facade: `Engine.connect(options)` builds a `resumeflow::Engine`; `engine.session()`
//! opens an actor-bound `Session`. Both wrap the core's handles, which are cheap clones
//! of an `Arc`, so every method takes `&self` and concurrent Promises are safe.

use std::path::PathBuf;
use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::AsyncBlock;
use napi_derive::napi;

use crate::audit::{AuditChain, AuditEntry};
use crate::batch::Batches;
use crate::candidate::Candidates;
use crate::employer::Employers;
use crate::error::{BindError, convert, convert_all, promise, uuid};
use crate::jd::JobDescriptions;
use crate::llm::{JsLlm, LlmFunction, LlmPolicyOptions};
use crate::pipeline::{JobReplay, JobSteps, Step};
use crate::scoring::{Profiles, Scoring};
use crate::tenancy::{Permission, Permissions, Role, TenantAdmin, TenantApi, Users};
use crate::worker::{WorkerHandle, WorkerOptions, WorkerStats};

/// Endpoint, region and credentials for `s3://` store URLs; each falls back to the usual
/// `AWS_*` environment variables.
#[napi(object)]
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// e.g. `http://127.0.0.1:9000` for MinIO or moto.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Permit plain-HTTP endpoints (local test servers).
    pub allow_http: Option<bool>,
}

/// How to connect an engine.
#[napi(object, object_to_js = false)]
pub struct ConnectOptions {
    /// `postgres://user@host/db` or `sqlite:///path/to/file.db?mode=rwc`.
    pub database_url: String,
    /// Where uploads, checkpoints and reports go: `file:///abs/dir`, `s3://bucket/prefix`
    /// or `memory://`. Required to ingest and process batches.
    pub store_url: Option<String>,
    /// Options for `s3://` store URLs.
    pub store_options: Option<StoreOptions>,
    /// A file holding the 32-byte master key (hex) that seals personal data; created
    /// (mode 0600) when missing. Keep it: without it the data it sealed cannot be read.
    pub key_file: Option<String>,
    /// The master key itself, 32 bytes, for hosts that keep keys elsewhere. Give
    /// `keyFile` or `key`; with neither a random key is used, which is only fit for
    /// tests (nothing sealed outlives the engine).
    pub key: Option<napi::bindgen_prelude::Buffer>,
    /// The host's model, `(request) => Promise<string | LlmAnswer>`, called from worker
    /// threads. A throw, a rejection or a malformed answer is a transient error that the
    /// engine retries under `llmPolicy`. Without it, job descriptions and resumes are read
    /// heuristically and results carry the local score alone.
    #[napi(ts_type = "(request: LlmRequest) => Promise<string | LlmAnswer>")]
    pub llm: Option<LlmFunction>,
    /// The model's name: part of cache keys and stored scores (default `js-function`).
    pub llm_model: Option<String>,
    /// Concurrency, timeout and retries of calls to `llm`.
    pub llm_policy: Option<LlmPolicyOptions>,
}

/// The engine: one per database and store, shared by every tenant and request.
#[napi]
pub struct Engine {
    pub(crate) engine: resumeflow::Engine,
}

#[napi]
impl Engine {
    /// Connects to the database and the store. Call `migrate()` before first use.
    #[napi]
    pub fn connect(env: &Env, options: ConnectOptions) -> napi::Result<AsyncBlock<Engine>> {
        let ConnectOptions {
            database_url,
            store_url,
            store_options,
            key_file,
            key,
            llm,
            llm_model,
            llm_policy,
        } = options;
        let key: Option<Vec<u8>> = key.map(|b| b.to_vec());
        let llm = llm.map(|f| JsLlm::new(f, llm_model));
        promise(env, async move {
            let keys: Arc<dyn resumeflow::KeyProvider> = match (key_file, key) {
                (Some(_), Some(_)) => {
                    return Err(BindError::invalid("give keyFile or key, not both"));
                }
                (Some(path), None) => Arc::new(resumeflow::LocalKeyProvider::from_file(
                    &PathBuf::from(path),
                )?),
                (None, Some(bytes)) => {
                    let master: [u8; 32] = bytes
                        .try_into()
                        .map_err(|_| BindError::invalid("key must be 32 bytes"))?;
                    Arc::new(resumeflow::LocalKeyProvider::new(master))
                }
                (None, None) => Arc::new(resumeflow::LocalKeyProvider::random()),
            };
            let mut builder = resumeflow::Engine::builder()
                .database_url(database_url)
                .keys(keys);
            if let Some(url) = store_url {
                builder = builder.store_url(url);
            }
            if let Some(o) = store_options {
                builder = builder.store_options(resumeflow::StoreOptions {
                    endpoint: o.endpoint,
                    region: o.region,
                    access_key_id: o.access_key_id,
                    secret_access_key: o.secret_access_key,
                    allow_http: o.allow_http.unwrap_or(false),
                });
            }
            if let Some(llm) = llm {
                builder = builder.llm(Arc::new(llm));
            }
            if let Some(p) = llm_policy {
                builder = builder.llm_policy(p.to_policy());
            }
            Ok(Engine {
                engine: builder.build().await?,
            })
        })
    }

    /// Applies every pending migration; safe on every start and from several processes.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn migrate(&self, env: &Env) -> napi::Result<AsyncBlock<()>> {
        let engine = self.engine.clone();
        promise(env, async move { Ok(engine.migrate().await?) })
    }

    /// Closes the engine's database connections (stop background workers first). Every
    /// later call on this engine or its sessions rejects with `DATABASE`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self, env: &Env) -> napi::Result<AsyncBlock<()>> {
        let engine = self.engine.clone();
        promise(env, async move { Ok(engine.close().await?) })
    }

    /// `postgres` or `sqlite`.
    #[napi(getter, ts_return_type = "'postgres' | 'sqlite'")]
    pub fn backend(&self) -> String {
        match self.engine.backend() {
            sea_orm::DbBackend::Postgres => "postgres".to_owned(),
            _ => "sqlite".to_owned(),
        }
    }

    /// Cross-tenant administration: the host's own operations.
    #[napi(getter)]
    pub fn tenants(&self) -> TenantAdmin {
        TenantAdmin {
            engine: self.engine.clone(),
        }
    }

    /// Opens a session for a user of a tenant: every call on it is permission-checked,
    /// scoped to the tenant and, where it reads personal data, audited. Rejects with
    /// `NOT_FOUND` for an unknown user and `CONFIG` for a deactivated user or tenant.
    #[napi]
    pub fn session(
        &self,
        env: &Env,
        tenant_id: String,
        user_id: String,
    ) -> napi::Result<AsyncBlock<Session>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let tenant = uuid("tenantId", &tenant_id)?;
            let user = uuid("userId", &user_id)?;
            Ok(Session {
                session: engine.session(tenant, user).await?,
            })
        })
    }

    /// Runs a worker until no job is queued or running anywhere, then resolves with what
    /// it did. Jobs of every tenant are processed.
    #[napi]
    pub fn run_worker(
        &self,
        env: &Env,
        options: Option<WorkerOptions>,
    ) -> napi::Result<AsyncBlock<WorkerStats>> {
        let worker = self
            .engine
            .worker(options.unwrap_or_default().to_config(&self.engine));
        promise(
            env,
            async move { Ok(worker.run_until_idle().await?.into()) },
        )
    }

    /// Starts a worker in the background; `stop()` on the handle shuts it down gracefully
    /// (running jobs finish or are released). A running background worker does not keep
    /// the process alive by itself: stop it before exit.
    #[napi]
    pub fn start_worker(&self, options: Option<WorkerOptions>) -> WorkerHandle {
        WorkerHandle::start(
            self.engine
                .worker(options.unwrap_or_default().to_config(&self.engine)),
        )
    }

    /// Requeues a job of any tenant from `step` (operator level; sessions have `replay`).
    #[napi]
    pub fn replay(
        &self,
        env: &Env,
        job_id: String,
        step: Step,
    ) -> napi::Result<AsyncBlock<JobReplay>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let job = uuid("jobId", &job_id)?;
            convert(engine.replay(job, step.as_str()).await?)
        })
    }

    /// Creates the PostgreSQL partitions of the coming `monthsAhead` months and, given
    /// `keepMonths`, drops older ones. Resolves with the names created and dropped; a
    /// no-op on SQLite.
    #[napi]
    pub fn partition_upkeep(
        &self,
        env: &Env,
        months_ahead: u32,
        keep_months: Option<u32>,
    ) -> napi::Result<AsyncBlock<PartitionUpkeep>> {
        let engine = self.engine.clone();
        promise(env, async move {
            let (created, dropped) = engine.partition_upkeep(months_ahead, keep_months).await?;
            Ok(PartitionUpkeep { created, dropped })
        })
    }
}

/// What `partitionUpkeep` did.
#[napi(object)]
pub struct PartitionUpkeep {
    pub created: Vec<String>,
    pub dropped: Vec<String>,
}

/// Who a session acts as.
#[napi(object)]
pub struct Actor {
    pub tenant_id: String,
    pub user_id: String,
    pub role: Role,
    /// Effective permissions: the role's, with the user's grants and denies applied.
    pub permissions: Vec<Permission>,
}

/// Everything a user does inside their tenant.
#[napi]
pub struct Session {
    pub(crate) session: resumeflow::Session,
}

#[napi]
impl Session {
    /// The tenant, user, role and permissions of this session.
    #[napi(getter)]
    pub fn actor(&self) -> napi::Result<Actor> {
        let a = self.session.actor();
        let conv = |e: BindError| napi::Error::from_reason(e.message);
        Ok(Actor {
            tenant_id: a.tenant_id.to_string(),
            user_id: a.user_id.to_string(),
            role: convert(a.role).map_err(conv)?,
            permissions: convert_all(a.permissions.iter().copied().collect()).map_err(conv)?,
        })
    }

    /// Whether this session holds `permission`.
    #[napi]
    pub fn can(&self, permission: Permission) -> napi::Result<bool> {
        let p: resumeflow::Permission =
            convert(permission).map_err(|e| napi::Error::from_reason(e.message))?;
        Ok(self.session.can(p))
    }

    /// The session's own tenant.
    #[napi(getter)]
    pub fn tenant(&self) -> TenantApi {
        TenantApi {
            session: self.session.clone(),
        }
    }

    #[napi(getter)]
    pub fn users(&self) -> Users {
        Users {
            session: self.session.clone(),
        }
    }

    #[napi(getter)]
    pub fn permissions(&self) -> Permissions {
        Permissions {
            session: self.session.clone(),
        }
    }

    #[napi(getter)]
    pub fn job_descriptions(&self) -> JobDescriptions {
        JobDescriptions {
            session: self.session.clone(),
        }
    }

    /// Weightage profiles.
    #[napi(getter)]
    pub fn profiles(&self) -> Profiles {
        Profiles {
            session: self.session.clone(),
        }
    }

    #[napi(getter)]
    pub fn batches(&self) -> Batches {
        Batches {
            session: self.session.clone(),
        }
    }

    /// Ranked results, evidence, rescoring.
    #[napi(getter)]
    pub fn scoring(&self) -> Scoring {
        Scoring {
            session: self.session.clone(),
        }
    }

    #[napi(getter)]
    pub fn candidates(&self) -> Candidates {
        Candidates {
            session: self.session.clone(),
        }
    }

    #[napi(getter)]
    pub fn employers(&self) -> Employers {
        Employers {
            session: self.session.clone(),
        }
    }

    /// Requeues a job of this tenant to run again from `step`; earlier checkpoints are
    /// kept (`batch_write`). Audited.
    #[napi]
    pub fn replay(
        &self,
        env: &Env,
        job_id: String,
        step: Step,
    ) -> napi::Result<AsyncBlock<JobReplay>> {
        let s = self.session.clone();
        promise(env, async move {
            let job = uuid("jobId", &job_id)?;
            convert(s.replay(job, step.as_str()).await?)
        })
    }

    /// The jobs of a batch with their checkpointed steps.
    #[napi]
    pub fn jobs(&self, env: &Env, batch_id: String) -> napi::Result<AsyncBlock<Vec<JobSteps>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(s.jobs(uuid("batchId", &batch_id)?).await?)
        })
    }

    /// The tenant's audit trail, newest first (`audit_read`).
    #[napi]
    pub fn audit_log(
        &self,
        env: &Env,
        limit: Option<u32>,
    ) -> napi::Result<AsyncBlock<Vec<AuditEntry>>> {
        let s = self.session.clone();
        promise(env, async move {
            convert_all(s.audit_log(limit.unwrap_or(100).into()).await?)
        })
    }

    /// Checks the tenant's tamper-evident audit chain.
    #[napi]
    pub fn verify_audit_chain(&self, env: &Env) -> napi::Result<AsyncBlock<AuditChain>> {
        let s = self.session.clone();
        promise(env, async move {
            Ok(match s.verify_audit_chain().await? {
                Ok(n) => AuditChain {
                    ok: true,
                    verified: n as u32,
                    broken_at: None,
                },
                Err(id) => AuditChain {
                    ok: false,
                    verified: 0,
                    broken_at: Some(id.to_string()),
                },
            })
        })
    }
}
