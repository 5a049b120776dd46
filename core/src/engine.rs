//! The facade: one builder, an engine, and actor-bound sessions.
//!
//! ```no_run
//! # async fn demo() -> resumeflow::Result<()> {
//! use std::sync::Arc;
//! use resumeflow::{Engine, LocalKeyProvider, NewTenant, NewUser, Role};
//!
//! let engine = Engine::builder()
//!     .database_url("sqlite://screening.db?mode=rwc")
//!     .keys(Arc::new(LocalKeyProvider::random()))
//!     .build()
//!     .await?;
//! engine.migrate().await?;
//! let tenant = engine.tenants().create(NewTenant { name: "Acme".into(), slug: "acme".into(), ..Default::default() }).await?;
//! let owner = engine.tenants().add_owner(tenant.tenant_id, "owner@acme.test", None).await?;
//! let session = engine.session(tenant.tenant_id, owner.user_id).await?;
//! session.users().create(NewUser { email: "rita@acme.test".into(), role: Role::Recruiter, display_name: None }).await?;
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::crypto::{KeyCache, KeyProvider};
use crate::db::{self, Scope};
use crate::error::{Error, Result};
use crate::llm::{GatedLlm, LlmClient, LlmPolicy};
use crate::store::{ArtifactStore, Put, StoreOptions};
use crate::tenancy::{
    self, Effect, NewTenant, NewUser, Permission, PermissionOverride, Role, Tenant, TenantUpdate,
    User, UserUpdate, entity::users,
};
use resumeflow_migrations::{Migrator, sea_orm_migration::MigratorTrait};

/// Builds an [`Engine`] from the host's parts.
#[derive(Default)]
pub struct EngineBuilder {
    db: Option<DatabaseConnection>,
    url: Option<String>,
    keys: Option<Arc<dyn KeyProvider>>,
    store: Option<ArtifactStore>,
    store_url: Option<String>,
    store_options: StoreOptions,
    llm: Option<Arc<dyn LlmClient>>,
    llm_policy: LlmPolicy,
}

impl EngineBuilder {
    /// Uses the host's connection (pool).
    pub fn database(mut self, db: DatabaseConnection) -> Self {
        self.db = Some(db);
        self
    }

    /// Connects to `postgres://…` or `sqlite://…` when built.
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The source of tenant keys for personal data. Required: resumeflow stores no
    /// personal data in plaintext, so it cannot run without keys.
    pub fn keys(mut self, keys: Arc<dyn KeyProvider>) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Uses the host's object store; every key lives under `prefix`.
    pub fn object_store(mut self, store: Arc<dyn object_store::ObjectStore>, prefix: &str) -> Self {
        self.store = Some(ArtifactStore::new(store, prefix));
        self
    }

    /// `file:///dir`, `memory://` or `s3://bucket/prefix` (see [`ArtifactStore::from_url`]).
    pub fn store_url(mut self, url: impl Into<String>) -> Self {
        self.store_url = Some(url.into());
        self
    }

    /// Endpoint, region and credentials for `s3://` store URLs.
    pub fn store_options(mut self, options: StoreOptions) -> Self {
        self.store_options = options;
        self
    }

    /// The host's model. Optional: without it job descriptions are read by the heuristic
    /// extractor, resumes by the heuristic parser, and results carry the local score alone.
    pub fn llm(mut self, client: Arc<dyn LlmClient>) -> Self {
        self.llm = Some(client);
        self
    }

    /// Concurrency, timeout and retry policy for calls to the model.
    pub fn llm_policy(mut self, policy: LlmPolicy) -> Self {
        self.llm_policy = policy;
        self
    }

    pub async fn build(self) -> Result<Engine> {
        let keys = self.keys.ok_or_else(|| {
            Error::Config("a KeyProvider is required (EngineBuilder::keys)".into())
        })?;
        let db::Pools { db, writer } = match (self.db, self.url) {
            (Some(db), None) => {
                if db.get_database_backend() == DbBackend::Sqlite {
                    db::prepare_sqlite(&db).await?;
                }
                db::Pools {
                    writer: db.clone(),
                    db,
                }
            }
            (None, Some(url)) => db::connect(&url).await?,
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "give either a database connection or a URL, not both".into(),
                ));
            }
            (None, None) => return Err(Error::Config("a database is required".into())),
        };
        match db.get_database_backend() {
            DbBackend::Postgres | DbBackend::Sqlite => {}
            other => {
                return Err(Error::Config(format!(
                    "unsupported database backend {other:?}"
                )));
            }
        }
        let store = match (self.store, self.store_url) {
            (Some(s), None) => Some(s),
            (None, Some(url)) => Some(ArtifactStore::from_url(&url, &self.store_options)?),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "give either an object store or a store URL, not both".into(),
                ));
            }
        };
        Ok(Engine {
            inner: Arc::new(Inner {
                db,
                writer,
                keys: KeyCache::new(keys),
                store,
                llm: self.llm.map(|c| GatedLlm::new(c, self.llm_policy)),
                employers: Default::default(),
                batch_specs: Default::default(),
                settling: Default::default(),
                cpu_permits: tokio::sync::Semaphore::new(cores()),
            }),
        })
    }
}

/// The cores this process may use (2 when the system does not say).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

struct Inner {
    db: DatabaseConnection,
    /// Write transactions go here: the same pool as `db`, except for a SQLite file, where
    /// it is one connection (see `db::connect`).
    writer: DatabaseConnection,
    keys: KeyCache,
    store: Option<ArtifactStore>,
    llm: Option<GatedLlm>,
    /// Each tenant's employers, for linking resumes (see `employer::index`).
    employers: crate::employer::index::EmployerIndex,
    /// One permit per core for CPU-bound work on blocking threads (text extraction).
    cpu_permits: tokio::sync::Semaphore,
    /// What scoring needs of each batch seen, by (tenant, batch).
    batch_specs: std::sync::Mutex<
        std::collections::HashMap<(Uuid, Uuid), Arc<crate::scoring::persist::BatchSpec>>,
    >,
    /// Files waiting to be counted in their batch, by (tenant, batch) (see
    /// `pipeline::settle_files`).
    settling: crate::pipeline::Settling,
}

/// The engine: cheap to clone, safe to share across tasks and threads.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// Connects to `database_url` and applies every pending migration: for tools and
    /// bindings that only set up a schema (no key is needed to create tables).
    pub async fn migrate_url(database_url: &str) -> Result<()> {
        let engine = Engine::builder()
            .database_url(database_url)
            .keys(Arc::new(crate::LocalKeyProvider::random()))
            .build()
            .await?;
        let migrated = engine.migrate().await;
        // Close the pool before returning, so that no connection outlives the call (a host
        // may open the same SQLite file right after).
        engine.close().await?;
        migrated
    }

    /// The underlying connection, for hosts that run their own queries beside resumeflow.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// The pool write transactions use (the same as [`Engine::connection`] but for a
    /// SQLite file the engine opened itself).
    pub(crate) fn writer(&self) -> &DatabaseConnection {
        &self.inner.writer
    }

    /// Runs CPU-bound `f` on a blocking thread, at most one per core at a time: jobs that
    /// extract at once then finish one after another instead of all late together, so the
    /// first of them reach the model sooner.
    pub(crate) async fn run_cpu<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .inner
            .cpu_permits
            .acquire()
            .await
            .map_err(|_| Error::Config("the engine is closing".into()))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| Error::invalid(format!("the task crashed: {e}")))
    }

    pub(crate) fn employer_index(&self) -> &crate::employer::index::EmployerIndex {
        &self.inner.employers
    }

    /// What scoring needs of a batch, when this engine read it before. A batch's job
    /// description version and profile snapshot never change after it is created.
    pub(crate) fn batch_spec(
        &self,
        tenant: Uuid,
        batch: Uuid,
    ) -> Option<Arc<crate::scoring::persist::BatchSpec>> {
        let specs = self.inner.batch_specs.lock().expect("batch spec lock");
        specs.get(&(tenant, batch)).cloned()
    }

    pub(crate) fn remember_batch_spec(
        &self,
        tenant: Uuid,
        batch: Uuid,
        spec: Arc<crate::scoring::persist::BatchSpec>,
    ) {
        let mut specs = self.inner.batch_specs.lock().expect("batch spec lock");
        // Batches are many and each is scored for a while: forgetting all of them now
        // and then is enough to bound the memory.
        if specs.len() >= 1024 {
            specs.clear();
        }
        specs.insert((tenant, batch), spec);
    }

    /// Closes the engine's database pools. Every later call on this engine, its clones and
    /// its sessions fails with a database error; stop workers first.
    pub async fn close(&self) -> Result<()> {
        self.inner.db.clone().close().await?;
        self.inner.writer.clone().close().await?;
        Ok(())
    }

    pub fn backend(&self) -> DbBackend {
        self.inner.db.get_database_backend()
    }

    /// Applies every pending migration. Safe to call on every start and from several
    /// processes: applied migrations are skipped, and each statement is idempotent.
    pub async fn migrate(&self) -> Result<()> {
        Migrator::up(&self.inner.db, None).await?;
        Ok(())
    }

    /// Tenant administration: the host's own, cross-tenant operations.
    pub fn tenants(&self) -> TenantAdmin<'_> {
        TenantAdmin { engine: self }
    }

    /// Opens a session for `user_id` of `tenant_id`. Fails with `NotFound` if the user
    /// does not exist in that tenant, and `PermissionDenied` if the user or tenant is
    /// deactivated. The session holds the user's effective permissions as of now.
    pub async fn session(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Session> {
        let tx = self.begin_read(Scope::Tenant(tenant_id)).await?;
        let tenant = tenancy::get_tenant(&tx, tenant_id).await?;
        let user = tenancy::user_model(&tx, tenant_id, user_id).await?;
        let overrides = tenancy::overrides_of(&tx, tenant_id, user_id).await?;
        tx.commit().await?;
        if !tenant.active {
            return Err(Error::Config(format!(
                "tenant {} is deactivated",
                tenant.slug
            )));
        }
        if !user.active {
            return Err(Error::Config(format!("user {user_id} is deactivated")));
        }
        let role: Role = user.role.parse()?;
        Ok(Session {
            engine: self.clone(),
            actor: Actor {
                tenant_id,
                user_id,
                role,
                permissions: tenancy::effective_of(role, &overrides),
            },
        })
    }

    /// A read transaction in `scope`; deferred on SQLite, so it does not queue behind
    /// writers.
    pub(crate) async fn begin_read(&self, scope: Scope) -> Result<DatabaseTransaction> {
        use sea_orm::TransactionTrait;
        let tx = self.connection().begin().await?;
        db::set_scope(&tx, scope).await?;
        Ok(tx)
    }

    pub(crate) async fn begin(&self, scope: Scope) -> Result<DatabaseTransaction> {
        db::begin(&self.inner.writer, scope).await
    }

    pub(crate) fn settling(&self) -> &crate::pipeline::Settling {
        &self.inner.settling
    }

    /// Whether reads that need no snapshot across statements may skip the transaction:
    /// on SQLite each statement is its own snapshot and there is no row-level security to
    /// scope (every statement filters by tenant), so a lone read is one round trip to the
    /// reader pool instead of three.
    pub(crate) fn reads_without_transaction(&self) -> bool {
        self.backend() == DbBackend::Sqlite
    }

    /// One read-only statement in `scope` (see [`Self::reads_without_transaction`]).
    pub(crate) async fn read_one_raw(
        &self,
        scope: Scope,
        stmt: sea_orm::Statement,
    ) -> Result<Option<sea_orm::QueryResult>> {
        if self.reads_without_transaction() {
            return Ok(self.connection().query_one_raw(stmt).await?);
        }
        let tx = self.begin_read(scope).await?;
        let row = tx.query_one_raw(stmt).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub(crate) fn keys(&self) -> &KeyCache {
        &self.inner.keys
    }

    /// How many calls the engine lets its model take at once ([`LlmPolicy::concurrency`]),
    /// if it has a model.
    pub fn llm_policy_concurrency(&self) -> Option<usize> {
        self.inner
            .llm
            .as_ref()
            .map(|g| g.policy().concurrency.max(1))
    }

    /// Jobs a worker of this engine runs at once unless told ([`WorkerConfig::for_engine`]):
    /// four per model call the engine allows at once, so that jobs busy between their two
    /// calls never leave the model short of work (docs/operations.md, the pipeline
    /// benchmark); two per core without a model.
    ///
    /// [`WorkerConfig::for_engine`]: crate::WorkerConfig::for_engine
    pub fn default_jobs(&self) -> usize {
        match self.llm_policy_concurrency() {
            Some(calls) => 4 * calls,
            None => 2 * cores(),
        }
    }

    /// The host's model behind the engine's [`LlmPolicy`], if one was given.
    pub fn llm(&self) -> Option<&dyn LlmClient> {
        self.inner.llm.as_ref().map(|g| g as &dyn LlmClient)
    }

    /// The artifact store; a `Config` error when the engine was built without one.
    pub fn store(&self) -> Result<&ArtifactStore> {
        self.inner.store.as_ref().ok_or_else(|| {
            Error::Config(
                "no object store configured (EngineBuilder::store_url or object_store)".into(),
            )
        })
    }

    /// The store name of a tenant's content: a keyed hash of its SHA-256 (see [`crate::store`]).
    pub(crate) async fn content_id(&self, tenant: Uuid, sha256: &str) -> Result<String> {
        self.inner.keys.blind_index(tenant, "content", sha256).await
    }

    fn artifact_aad(tenant: Uuid, key: &str) -> crate::crypto::Aad<'_> {
        crate::crypto::Aad {
            tenant,
            table: "artifacts",
            column: key,
            row: Uuid::nil(),
        }
    }

    /// Seals `plaintext` with the tenant's key and writes (or replaces) `key`.
    pub(crate) async fn put_sealed(
        &self,
        tenant: Uuid,
        key: &str,
        plaintext: Vec<u8>,
    ) -> Result<()> {
        let sealed = self
            .inner
            .keys
            .seal_vec(Self::artifact_aad(tenant, key), plaintext)
            .await?;
        self.store()?.put(key, sealed.into()).await
    }

    /// Seals `plaintext` with the tenant's key and writes it once under `key`.
    pub(crate) async fn put_sealed_once(
        &self,
        tenant: Uuid,
        key: &str,
        plaintext: Vec<u8>,
    ) -> Result<Put> {
        let sealed = self
            .inner
            .keys
            .seal_vec(Self::artifact_aad(tenant, key), plaintext)
            .await?;
        self.store()?.put_once(key, sealed.into()).await
    }

    /// Reads and opens an artifact written by `put_sealed*`.
    pub(crate) async fn get_opened(&self, tenant: Uuid, key: &str) -> Result<Vec<u8>> {
        let sealed = self.store()?.get(key).await?;
        self.inner
            .keys
            .open(Self::artifact_aad(tenant, key), &sealed)
            .await
    }

    /// PostgreSQL partition upkeep: creates monthly partitions from the current month to
    /// `months_ahead` months ahead, and, given `keep_months`, drops partitions that ended
    /// more than that many months ago. A no-op on SQLite. Returns (created, dropped) names.
    pub async fn partition_upkeep(
        &self,
        months_ahead: u32,
        keep_months: Option<u32>,
    ) -> Result<(Vec<String>, Vec<String>)> {
        if self.backend() != DbBackend::Postgres {
            return Ok((Vec::new(), Vec::new()));
        }
        let today = db::now().date_naive();
        let ahead = today
            .checked_add_months(chrono::Months::new(months_ahead))
            .ok_or_else(|| Error::invalid("months_ahead too large"))?;
        let cutoff = match keep_months {
            Some(k) => Some(
                today
                    .checked_sub_months(chrono::Months::new(k))
                    .ok_or_else(|| Error::invalid("keep_months too large"))?,
            ),
            None => None,
        };
        let tenant_tables = resumeflow_migrations::tenant_tables();
        let tx = self.begin(Scope::System).await?;
        let (mut created, mut dropped) = (Vec::new(), Vec::new());
        for table in resumeflow_migrations::pg::PARTITIONED {
            let tenant = tenant_tables.contains(&table);
            created.extend(
                resumeflow_migrations::pg::ensure_partitions(&tx, table, tenant, today, ahead)
                    .await?,
            );
            if let Some(cutoff) = cutoff {
                dropped.extend(
                    resumeflow_migrations::pg::drop_partitions_before(&tx, table, cutoff).await?,
                );
            }
        }
        tx.commit().await?;
        Ok((created, dropped))
    }
}

/// Cross-tenant administration, for the host (never reachable from a session).
pub struct TenantAdmin<'a> {
    engine: &'a Engine,
}

impl TenantAdmin<'_> {
    pub async fn create(&self, new: NewTenant) -> Result<Tenant> {
        let tx = self.engine.begin(Scope::System).await?;
        let t = tenancy::create_tenant(&tx, new).await?;
        audit::record(
            &tx,
            t.tenant_id,
            None,
            "tenant.create",
            "tenant",
            Some(t.tenant_id),
            serde_json::json!({"slug": t.slug}),
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Adds an owner to a tenant: how the first user of a new tenant is made.
    pub async fn add_owner(
        &self,
        tenant_id: Uuid,
        email: &str,
        display_name: Option<String>,
    ) -> Result<User> {
        let tx = self.engine.begin(Scope::Tenant(tenant_id)).await?;
        tenancy::get_tenant(&tx, tenant_id).await?;
        let new = NewUser {
            email: email.to_owned(),
            role: Role::Owner,
            display_name,
        };
        let u = tenancy::create_user(&tx, self.engine.keys(), tenant_id, new).await?;
        audit::record(
            &tx,
            tenant_id,
            None,
            "user.create",
            "user",
            Some(u.user_id),
            serde_json::json!({"role": "owner"}),
        )
        .await?;
        tx.commit().await?;
        Ok(u)
    }

    pub async fn get(&self, tenant_id: Uuid) -> Result<Tenant> {
        let tx = self.engine.begin(Scope::System).await?;
        let t = tenancy::get_tenant(&tx, tenant_id).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// The tenant with `slug`, if any (active or not).
    pub async fn find_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
        Ok(self.list(true).await?.into_iter().find(|t| t.slug == slug))
    }

    /// A user of a tenant by e-mail (through its blind index): how a host finds the
    /// owner it made with [`TenantAdmin::add_owner`] to open a session.
    pub async fn find_user(&self, tenant_id: Uuid, email: &str) -> Result<Option<User>> {
        let tx = self.engine.begin(Scope::Tenant(tenant_id)).await?;
        let m = tenancy::find_user_by_email(&tx, self.engine.keys(), tenant_id, email).await?;
        tx.commit().await?;
        match m {
            Some(m) => Ok(Some(tenancy::to_user(self.engine.keys(), m).await?)),
            None => Ok(None),
        }
    }

    pub async fn list(&self, include_inactive: bool) -> Result<Vec<Tenant>> {
        let tx = self.engine.begin(Scope::System).await?;
        let t = tenancy::list_tenants(&tx, include_inactive).await?;
        tx.commit().await?;
        Ok(t)
    }

    pub async fn update(&self, tenant_id: Uuid, update: TenantUpdate) -> Result<Tenant> {
        let tx = self.engine.begin(Scope::System).await?;
        let t = tenancy::update_tenant(&tx, tenant_id, update).await?;
        audit::record(
            &tx,
            tenant_id,
            None,
            "tenant.update",
            "tenant",
            Some(tenant_id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Deactivates a tenant: no session can be opened for it until it is reactivated.
    pub async fn deactivate(&self, tenant_id: Uuid) -> Result<()> {
        self.set_active(tenant_id, false).await
    }

    pub async fn reactivate(&self, tenant_id: Uuid) -> Result<()> {
        self.set_active(tenant_id, true).await
    }

    async fn set_active(&self, tenant_id: Uuid, active: bool) -> Result<()> {
        let tx = self.engine.begin(Scope::System).await?;
        tenancy::set_tenant_active(&tx, tenant_id, active).await?;
        let action = if active {
            "tenant.reactivate"
        } else {
            "tenant.deactivate"
        };
        audit::record(
            &tx,
            tenant_id,
            None,
            action,
            "tenant",
            Some(tenant_id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Who is acting: a user of a tenant, with their effective permissions.
#[derive(Clone, Debug)]
pub struct Actor {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub permissions: BTreeSet<Permission>,
}

/// Everything a user does inside their tenant. Every call checks a permission, filters by
/// the tenant and, on PostgreSQL, runs in a transaction scoped to it for row-level security.
#[derive(Clone)]
pub struct Session {
    engine: Engine,
    actor: Actor,
}

impl Session {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn tenant_id(&self) -> Uuid {
        self.actor.tenant_id
    }

    pub fn can(&self, p: Permission) -> bool {
        self.actor.permissions.contains(&p)
    }

    pub(crate) fn require(&self, p: Permission) -> Result<()> {
        if self.can(p) {
            Ok(())
        } else {
            Err(Error::PermissionDenied { permission: p })
        }
    }

    /// A transaction scoped to this session's tenant.
    pub(crate) async fn begin(&self) -> Result<DatabaseTransaction> {
        self.engine.begin(Scope::Tenant(self.actor.tenant_id)).await
    }

    /// A read transaction scoped to this session's tenant. On SQLite it is deferred, so
    /// reads do not queue behind writers.
    pub(crate) async fn begin_read(&self) -> Result<DatabaseTransaction> {
        self.engine
            .begin_read(Scope::Tenant(self.actor.tenant_id))
            .await
    }

    pub(crate) async fn audit<C: sea_orm::ConnectionTrait>(
        &self,
        conn: &C,
        action: &str,
        entity: &str,
        entity_id: Option<Uuid>,
        details: serde_json::Value,
    ) -> Result<()> {
        audit::record(
            conn,
            self.actor.tenant_id,
            Some(self.actor.user_id),
            action,
            entity,
            entity_id,
            details,
        )
        .await
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// This session's own tenant.
    pub fn tenant(&self) -> TenantApi<'_> {
        TenantApi { s: self }
    }

    pub fn users(&self) -> Users<'_> {
        Users { s: self }
    }

    pub fn permissions(&self) -> Permissions<'_> {
        Permissions { s: self }
    }

    /// The tenant's audit trail, newest first.
    pub async fn audit_log(&self, limit: u64) -> Result<Vec<AuditEntry>> {
        use audit::entity::audit_logs;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
        self.require(Permission::AuditRead)?;
        let tx = self.begin().await?;
        let rows = audit_logs::Entity::find()
            .filter(audit_logs::Column::TenantId.eq(self.actor.tenant_id))
            .order_by_desc(audit_logs::Column::CreatedAt)
            .order_by_desc(audit_logs::Column::AuditId)
            .limit(limit)
            .all(&tx)
            .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(audit::to_entry).collect())
    }

    /// Checks the tenant's audit chain; `Ok(n)` rows verified, or the first broken row.
    pub async fn verify_audit_chain(&self) -> Result<std::result::Result<usize, Uuid>> {
        self.require(Permission::AuditRead)?;
        let tx = self.begin().await?;
        let r = audit::verify_chain(&tx, self.actor.tenant_id).await?;
        tx.commit().await?;
        Ok(r)
    }
}

pub struct TenantApi<'a> {
    s: &'a Session,
}

impl TenantApi<'_> {
    pub async fn get(&self) -> Result<Tenant> {
        let tx = self.s.begin().await?;
        let t = tenancy::get_tenant(&tx, self.s.tenant_id()).await?;
        tx.commit().await?;
        Ok(t)
    }

    pub async fn update(&self, update: TenantUpdate) -> Result<Tenant> {
        self.s.require(Permission::TenantManage)?;
        let tx = self.s.begin().await?;
        let t = tenancy::update_tenant(&tx, self.s.tenant_id(), update).await?;
        self.s
            .audit(
                &tx,
                "tenant.update",
                "tenant",
                Some(t.tenant_id),
                serde_json::json!({}),
            )
            .await?;
        tx.commit().await?;
        Ok(t)
    }
}

/// The users of the session's tenant.
pub struct Users<'a> {
    s: &'a Session,
}

impl Users<'_> {
    pub async fn list(&self) -> Result<Vec<User>> {
        self.s.require(Permission::UserRead)?;
        let tx = self.s.begin().await?;
        let rows = tenancy::list_users(&tx, self.s.tenant_id()).await?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(rows.len());
        for m in rows {
            out.push(tenancy::to_user(self.s.engine.keys(), m).await?);
        }
        Ok(out)
    }

    /// A user by id; anyone may read their own record.
    pub async fn get(&self, user_id: Uuid) -> Result<User> {
        if user_id != self.s.actor.user_id {
            self.s.require(Permission::UserRead)?;
        }
        let tx = self.s.begin().await?;
        let m = tenancy::user_model(&tx, self.s.tenant_id(), user_id).await?;
        tx.commit().await?;
        tenancy::to_user(self.s.engine.keys(), m).await
    }

    pub async fn find_by_email(&self, email: &str) -> Result<Option<User>> {
        self.s.require(Permission::UserRead)?;
        let tx = self.s.begin().await?;
        let m = tenancy::find_user_by_email(&tx, self.s.engine.keys(), self.s.tenant_id(), email)
            .await?;
        tx.commit().await?;
        match m {
            Some(m) => Ok(Some(tenancy::to_user(self.s.engine.keys(), m).await?)),
            None => Ok(None),
        }
    }

    /// Adds a user. Nobody can create a user with a higher role than their own.
    pub async fn create(&self, new: NewUser) -> Result<User> {
        self.s.require(Permission::UserManage)?;
        self.check_role_ceiling(new.role)?;
        let tx = self.s.begin().await?;
        let role = new.role;
        let u = tenancy::create_user(&tx, self.s.engine.keys(), self.s.tenant_id(), new).await?;
        self.s
            .audit(
                &tx,
                "user.create",
                "user",
                Some(u.user_id),
                serde_json::json!({"role": role}),
            )
            .await?;
        tx.commit().await?;
        Ok(u)
    }

    pub async fn update(&self, user_id: Uuid, update: UserUpdate) -> Result<User> {
        self.s.require(Permission::UserManage)?;
        let tx = self.s.begin().await?;
        let target = tenancy::user_model(&tx, self.s.tenant_id(), user_id).await?;
        self.check_can_manage(&target)?;
        let mut set = Vec::new();
        if let Some(role) = update.role {
            self.check_role_ceiling(role)?;
            set.push((users::Column::Role, Expr::value(role.as_str())));
        }
        if let Some(name) = update.display_name {
            set.push((users::Column::DisplayName, Expr::value(name)));
        }
        tenancy::update_user_cols(&tx, self.s.tenant_id(), user_id, set).await?;
        self.s
            .audit(
                &tx,
                "user.update",
                "user",
                Some(user_id),
                serde_json::json!({"role": update.role}),
            )
            .await?;
        let m = tenancy::user_model(&tx, self.s.tenant_id(), user_id).await?;
        tx.commit().await?;
        tenancy::to_user(self.s.engine.keys(), m).await
    }

    /// Deactivates a user: their sessions can no longer be opened.
    pub async fn deactivate(&self, user_id: Uuid) -> Result<()> {
        self.set_active(user_id, false).await
    }

    pub async fn reactivate(&self, user_id: Uuid) -> Result<()> {
        self.set_active(user_id, true).await
    }

    async fn set_active(&self, user_id: Uuid, active: bool) -> Result<()> {
        self.s.require(Permission::UserManage)?;
        if user_id == self.s.actor.user_id {
            return Err(Error::invalid(
                "users cannot deactivate or reactivate themselves",
            ));
        }
        let tx = self.s.begin().await?;
        let target = tenancy::user_model(&tx, self.s.tenant_id(), user_id).await?;
        self.check_can_manage(&target)?;
        tenancy::update_user_cols(
            &tx,
            self.s.tenant_id(),
            user_id,
            vec![(users::Column::Active, Expr::value(active))],
        )
        .await?;
        let action = if active {
            "user.reactivate"
        } else {
            "user.deactivate"
        };
        self.s
            .audit(&tx, action, "user", Some(user_id), serde_json::json!({}))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Soft-deletes a user (retention collects the row later).
    pub async fn delete(&self, user_id: Uuid) -> Result<()> {
        self.s.require(Permission::UserManage)?;
        if user_id == self.s.actor.user_id {
            return Err(Error::invalid("users cannot delete themselves"));
        }
        let tx = self.s.begin().await?;
        let target = tenancy::user_model(&tx, self.s.tenant_id(), user_id).await?;
        self.check_can_manage(&target)?;
        tenancy::update_user_cols(
            &tx,
            self.s.tenant_id(),
            user_id,
            vec![
                (users::Column::IsDeleted, Expr::value(true)),
                (users::Column::DeletedAt, Expr::value(db::now())),
                (users::Column::Active, Expr::value(false)),
            ],
        )
        .await?;
        self.s
            .audit(
                &tx,
                "user.delete",
                "user",
                Some(user_id),
                serde_json::json!({}),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    fn check_role_ceiling(&self, role: Role) -> Result<()> {
        if role > self.s.actor.role {
            return Err(Error::PermissionDenied {
                permission: Permission::UserManage,
            });
        }
        Ok(())
    }

    /// Only users of a role at or below one's own can be managed.
    fn check_can_manage(&self, target: &users::Model) -> Result<()> {
        let role: Role = target.role.parse()?;
        self.check_role_ceiling(role)
    }
}

/// Per-user grants and denies.
pub struct Permissions<'a> {
    s: &'a Session,
}

impl Permissions<'_> {
    /// The overrides set on `user_id`.
    pub async fn list(&self, user_id: Uuid) -> Result<Vec<PermissionOverride>> {
        self.s.require(Permission::UserRead)?;
        let tx = self.s.begin().await?;
        tenancy::user_model(&tx, self.s.tenant_id(), user_id).await?;
        let o = tenancy::overrides_of(&tx, self.s.tenant_id(), user_id).await?;
        tx.commit().await?;
        Ok(o)
    }

    /// The effective permissions of `user_id`: role matrix plus grants minus denies.
    pub async fn effective(&self, user_id: Uuid) -> Result<BTreeSet<Permission>> {
        if user_id == self.s.actor.user_id {
            return Ok(self.s.actor.permissions.clone());
        }
        self.s.require(Permission::UserRead)?;
        let tx = self.s.begin().await?;
        let m = tenancy::user_model(&tx, self.s.tenant_id(), user_id).await?;
        let o = tenancy::overrides_of(&tx, self.s.tenant_id(), user_id).await?;
        tx.commit().await?;
        Ok(tenancy::effective_of(m.role.parse()?, &o))
    }

    /// Grants `permission` to `user_id` beyond their role. One can only grant what one holds.
    pub async fn grant(&self, user_id: Uuid, permission: Permission) -> Result<()> {
        self.set(user_id, permission, Effect::Grant).await
    }

    /// Denies `permission` to `user_id` even if their role holds it.
    pub async fn deny(&self, user_id: Uuid, permission: Permission) -> Result<()> {
        self.set(user_id, permission, Effect::Deny).await
    }

    /// Removes the override of `permission` on `user_id`; true if there was one.
    pub async fn revoke(&self, user_id: Uuid, permission: Permission) -> Result<bool> {
        self.s.require(Permission::UserManage)?;
        let tx = self.s.begin().await?;
        let target = tenancy::user_model(&tx, self.s.tenant_id(), user_id).await?;
        Users { s: self.s }.check_can_manage(&target)?;
        let removed =
            tenancy::remove_override(&tx, self.s.tenant_id(), user_id, permission).await?;
        self.s
            .audit(
                &tx,
                "permission.revoke",
                "user",
                Some(user_id),
                serde_json::json!({"permission": permission}),
            )
            .await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn set(&self, user_id: Uuid, permission: Permission, effect: Effect) -> Result<()> {
        self.s.require(Permission::UserManage)?;
        if effect == Effect::Grant {
            self.s.require(permission)?;
        }
        let tx = self.s.begin().await?;
        let target = tenancy::user_model(&tx, self.s.tenant_id(), user_id).await?;
        Users { s: self.s }.check_can_manage(&target)?;
        tenancy::set_override(&tx, self.s.tenant_id(), user_id, permission, effect).await?;
        self.s
            .audit(
                &tx,
                &format!("permission.{}", effect.as_str()),
                "user",
                Some(user_id),
                serde_json::json!({"permission": permission}),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
