//! `Session`: everything a user does inside their tenant (the Python face of
//! `resumeflow::Session` and its sub-APIs: users, permissions, job descriptions, weightage
//! profiles, batches, scoring, candidates, employers, jobs, audit). Each operation is a
//! variant of `SessionOp`, named `<sub-api>_<method>` after the Rust call it makes.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use resumeflow::employer::Seniority;
use resumeflow::{
    JdUpdate, NewBatch, NewJobDescription, NewUser, Permission, Role, UserUpdate, WeightageProfile,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::convert::{Json, op_value};
use crate::engine::to_json;
use crate::error::{bad_args, to_py};
use crate::runtime;

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum SessionOp {
    Actor,
    TenantGet,
    TenantUpdate {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        settings: Option<Value>,
        #[serde(default)]
        retention_days: Option<i32>,
        #[serde(default)]
        audit_retention_days: Option<i32>,
    },
    UsersList,
    UsersGet {
        user_id: Uuid,
    },
    UsersFindByEmail {
        email: String,
    },
    UsersCreate {
        email: String,
        role: Role,
        #[serde(default)]
        display_name: Option<String>,
    },
    UsersUpdate {
        user_id: Uuid,
        #[serde(default)]
        role: Option<Role>,
        #[serde(default)]
        display_name: Option<String>,
    },
    UsersDeactivate {
        user_id: Uuid,
    },
    UsersReactivate {
        user_id: Uuid,
    },
    UsersDelete {
        user_id: Uuid,
    },
    PermissionsList {
        user_id: Uuid,
    },
    PermissionsEffective {
        user_id: Uuid,
    },
    PermissionsGrant {
        user_id: Uuid,
        permission: Permission,
    },
    PermissionsDeny {
        user_id: Uuid,
        permission: Permission,
    },
    PermissionsRevoke {
        user_id: Uuid,
        permission: Permission,
    },
    JdCreate {
        title: String,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        parameters: Value,
    },
    JdGet {
        jd_id: Uuid,
    },
    JdList,
    JdText {
        jd_id: Uuid,
    },
    JdUpdate {
        jd_id: Uuid,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        parameters: Option<Value>,
        #[serde(default)]
        note: Option<String>,
    },
    JdRestore {
        jd_id: Uuid,
        version: i32,
    },
    JdVersions {
        jd_id: Uuid,
    },
    JdCriteria {
        jd_id: Uuid,
        #[serde(default)]
        version: Option<i32>,
    },
    JdRequirements {
        jd_id: Uuid,
    },
    ProfilesCreate {
        profile: WeightageProfile,
        #[serde(default)]
        make_default: bool,
    },
    ProfilesUpdate {
        profile_id: Uuid,
        profile: WeightageProfile,
    },
    ProfilesSetDefault {
        profile_id: Uuid,
    },
    ProfilesGet {
        profile_id: Uuid,
    },
    ProfilesList,
    ProfilesEffectiveDefault,
    ProfilesDelete {
        profile_id: Uuid,
    },
    BatchesCreate {
        jd_id: Uuid,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        weightage_profile_id: Option<Uuid>,
    },
    BatchesGet {
        batch_id: Uuid,
    },
    BatchesList,
    BatchesFiles {
        batch_id: Uuid,
    },
    BatchesStatus {
        batch_id: Uuid,
    },
    BatchesAddPath {
        batch_id: Uuid,
        path: String,
    },
    BatchesAddDir {
        batch_id: Uuid,
        dir: String,
    },
    BatchesSubmit {
        batch_id: Uuid,
    },
    BatchesCancel {
        batch_id: Uuid,
    },
    ScoringResults {
        batch_id: Uuid,
    },
    ScoringEvidence {
        batch_id: Uuid,
        resume_id: Uuid,
    },
    ScoringScoreResume {
        batch_id: Uuid,
        resume_id: Uuid,
    },
    ScoringRank {
        batch_id: Uuid,
    },
    CandidatesGet {
        resume_id: Uuid,
    },
    CandidatesFindByEmail {
        email: String,
    },
    CandidatesParseObject {
        storage_object_id: Uuid,
    },
    EmployersList,
    EmployersGet {
        employer_id: Uuid,
    },
    EmployersFind {
        name: String,
    },
    EmployersCandidatesByEmployer {
        name: String,
    },
    EmployersCandidatesByEmployerId {
        employer_id: Uuid,
    },
    EmployersCandidatesByDepartment {
        employer: String,
        department: String,
    },
    EmployersCandidatesByTitle {
        title: String,
        #[serde(default)]
        seniority: Option<Seniority>,
    },
    EmployersAddAlias {
        alias: String,
        employer_id: Uuid,
    },
    EmployersMerge {
        from_id: Uuid,
        into_id: Uuid,
    },
    EmployersSplit {
        alias: String,
        #[serde(default)]
        name: Option<String>,
    },
    EmployersRelink,
    Replay {
        job_id: Uuid,
        step: String,
    },
    Jobs {
        batch_id: Uuid,
    },
    AuditLog {
        #[serde(default = "hundred")]
        limit: u64,
    },
    VerifyAuditChain,
}

fn hundred() -> u64 {
    100
}

fn unit(r: resumeflow::Result<()>) -> resumeflow::Result<Value> {
    r.map(|_| Value::Null)
}

impl SessionOp {
    async fn run(self, s: &resumeflow::Session) -> resumeflow::Result<Value> {
        use SessionOp as O;
        match self {
            O::Actor => {
                let a = s.actor();
                Ok(json!({
                    "tenant_id": a.tenant_id,
                    "user_id": a.user_id,
                    "role": a.role,
                    "permissions": a.permissions,
                }))
            }
            O::TenantGet => to_json(s.tenant().get().await?),
            O::TenantUpdate {
                name,
                settings,
                retention_days,
                audit_retention_days,
            } => {
                let update = resumeflow::TenantUpdate {
                    name,
                    settings,
                    retention_days,
                    audit_retention_days,
                };
                to_json(s.tenant().update(update).await?)
            }
            O::UsersList => to_json(s.users().list().await?),
            O::UsersGet { user_id } => to_json(s.users().get(user_id).await?),
            O::UsersFindByEmail { email } => to_json(s.users().find_by_email(&email).await?),
            O::UsersCreate {
                email,
                role,
                display_name,
            } => {
                let new = NewUser {
                    email,
                    role,
                    display_name,
                };
                to_json(s.users().create(new).await?)
            }
            O::UsersUpdate {
                user_id,
                role,
                display_name,
            } => {
                let update = UserUpdate { role, display_name };
                to_json(s.users().update(user_id, update).await?)
            }
            O::UsersDeactivate { user_id } => unit(s.users().deactivate(user_id).await),
            O::UsersReactivate { user_id } => unit(s.users().reactivate(user_id).await),
            O::UsersDelete { user_id } => unit(s.users().delete(user_id).await),
            O::PermissionsList { user_id } => to_json(s.permissions().list(user_id).await?),
            O::PermissionsEffective { user_id } => {
                to_json(s.permissions().effective(user_id).await?)
            }
            O::PermissionsGrant {
                user_id,
                permission,
            } => unit(s.permissions().grant(user_id, permission).await),
            O::PermissionsDeny {
                user_id,
                permission,
            } => unit(s.permissions().deny(user_id, permission).await),
            O::PermissionsRevoke {
                user_id,
                permission,
            } => to_json(s.permissions().revoke(user_id, permission).await?),
            O::JdCreate {
                title,
                text,
                parameters,
            } => {
                let new = NewJobDescription {
                    title,
                    text,
                    parameters,
                };
                to_json(s.job_descriptions().create(new).await?)
            }
            O::JdGet { jd_id } => to_json(s.job_descriptions().get(jd_id).await?),
            O::JdList => to_json(s.job_descriptions().list().await?),
            O::JdText { jd_id } => to_json(s.job_descriptions().text(jd_id).await?),
            O::JdUpdate {
                jd_id,
                title,
                text,
                parameters,
                note,
            } => {
                let update = JdUpdate {
                    title,
                    text,
                    parameters,
                    note,
                };
                to_json(s.job_descriptions().update(jd_id, update).await?)
            }
            O::JdRestore { jd_id, version } => {
                to_json(s.job_descriptions().restore(jd_id, version).await?)
            }
            O::JdVersions { jd_id } => to_json(s.job_descriptions().versions(jd_id).await?),
            O::JdCriteria { jd_id, version } => {
                to_json(s.job_descriptions().criteria(jd_id, version).await?)
            }
            O::JdRequirements { jd_id } => to_json(s.job_descriptions().requirements(jd_id).await?),
            O::ProfilesCreate {
                profile,
                make_default,
            } => to_json(s.profiles().create(profile, make_default).await?),
            O::ProfilesUpdate {
                profile_id,
                profile,
            } => to_json(s.profiles().update(profile_id, profile).await?),
            O::ProfilesSetDefault { profile_id } => {
                to_json(s.profiles().set_default(profile_id).await?)
            }
            O::ProfilesGet { profile_id } => to_json(s.profiles().get(profile_id).await?),
            O::ProfilesList => to_json(s.profiles().list().await?),
            O::ProfilesEffectiveDefault => to_json(s.profiles().effective_default().await?),
            O::ProfilesDelete { profile_id } => unit(s.profiles().delete(profile_id).await),
            O::BatchesCreate {
                jd_id,
                name,
                weightage_profile_id,
            } => {
                let new = NewBatch {
                    jd_id,
                    name,
                    weightage_profile_id,
                };
                to_json(s.batches().create(new).await?)
            }
            O::BatchesGet { batch_id } => to_json(s.batches().get(batch_id).await?),
            O::BatchesList => to_json(s.batches().list().await?),
            O::BatchesFiles { batch_id } => to_json(s.batches().files(batch_id).await?),
            O::BatchesStatus { batch_id } => to_json(s.batches().status(batch_id).await?),
            O::BatchesAddPath { batch_id, path } => {
                to_json(s.batches().add_path(batch_id, path).await?)
            }
            O::BatchesAddDir { batch_id, dir } => {
                to_json(s.batches().add_dir(batch_id, dir).await?)
            }
            O::BatchesSubmit { batch_id } => to_json(s.batches().submit(batch_id).await?),
            O::BatchesCancel { batch_id } => to_json(s.batches().cancel(batch_id).await?),
            O::ScoringResults { batch_id } => to_json(s.scoring().results(batch_id).await?),
            O::ScoringEvidence {
                batch_id,
                resume_id,
            } => to_json(s.scoring().evidence(batch_id, resume_id).await?),
            O::ScoringScoreResume {
                batch_id,
                resume_id,
            } => to_json(s.scoring().score_resume(batch_id, resume_id).await?),
            O::ScoringRank { batch_id } => to_json(s.scoring().rank(batch_id).await?),
            O::CandidatesGet { resume_id } => to_json(s.candidates().get(resume_id).await?),
            O::CandidatesFindByEmail { email } => {
                to_json(s.candidates().find_by_email(&email).await?)
            }
            O::CandidatesParseObject { storage_object_id } => to_json(
                s.candidates()
                    .parse_object(storage_object_id, s.engine().llm())
                    .await?,
            ),
            O::EmployersList => to_json(s.employers().list().await?),
            O::EmployersGet { employer_id } => to_json(s.employers().get(employer_id).await?),
            O::EmployersFind { name } => to_json(s.employers().find(&name).await?),
            O::EmployersCandidatesByEmployer { name } => {
                to_json(s.employers().candidates_by_employer(&name).await?)
            }
            O::EmployersCandidatesByEmployerId { employer_id } => {
                to_json(s.employers().candidates_by_employer_id(employer_id).await?)
            }
            O::EmployersCandidatesByDepartment {
                employer,
                department,
            } => to_json(
                s.employers()
                    .candidates_by_department(&employer, &department)
                    .await?,
            ),
            O::EmployersCandidatesByTitle { title, seniority } => {
                to_json(s.employers().candidates_by_title(&title, seniority).await?)
            }
            O::EmployersAddAlias { alias, employer_id } => {
                to_json(s.employers().add_alias(&alias, employer_id).await?)
            }
            O::EmployersMerge { from_id, into_id } => {
                to_json(s.employers().merge(from_id, into_id).await?)
            }
            O::EmployersSplit { alias, name } => {
                to_json(s.employers().split(&alias, name.as_deref()).await?)
            }
            O::EmployersRelink => to_json(s.employers().relink().await?),
            O::Replay { job_id, step } => to_json(s.replay(job_id, &step).await?),
            O::Jobs { batch_id } => to_json(s.jobs(batch_id).await?),
            O::AuditLog { limit } => to_json(s.audit_log(limit).await?),
            O::VerifyAuditChain => Ok(match s.verify_audit_chain().await? {
                Ok(n) => json!({"ok": true, "verified": n, "broken_at": null}),
                Err(row) => json!({"ok": false, "verified": null, "broken_at": row}),
            }),
        }
    }
}

/// A user's session in their tenant; every call is permission-checked and scoped.
#[pyclass(module = "resumeflow._native", frozen)]
pub(crate) struct Session {
    inner: resumeflow::Session,
}

impl Session {
    pub(crate) fn new(inner: resumeflow::Session) -> Self {
        Session { inner }
    }
}

fn parse_op(py: Python<'_>, op: &str, args: Option<&Bound<'_, PyDict>>) -> PyResult<SessionOp> {
    serde_json::from_value(op_value(op, args)?).map_err(|e| bad_args(py, op, e))
}

fn batch_id(py: Python<'_>, s: &str) -> PyResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| {
        to_py(
            py,
            &resumeflow::Error::InvalidInput(format!("not a UUID: {s:?} ({e})")),
        )
    })
}

#[pymethods]
impl Session {
    /// Runs session operation `op` (blocking, GIL released).
    #[pyo3(signature = (op, args=None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        args: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let parsed = parse_op(py, op, args)?;
        let s = self.inner.clone();
        match py.detach(|| runtime().block_on(parsed.run(&s))) {
            Ok(v) => Json(v).into_pyobject(py),
            Err(e) => Err(to_py(py, &e)),
        }
    }

    /// Runs session operation `op` as a coroutine.
    #[pyo3(signature = (op, args=None))]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        args: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let parsed = parse_op(py, op, args)?;
        let s = self.inner.clone();
        crate::runtime::future_into_py(py, async move {
            parsed
                .run(&s)
                .await
                .map(Json)
                .map_err(|e| Python::attach(|py| to_py(py, &e)))
        })
    }

    /// Adds `data` to batch `batch_id` under `name` (blocking, GIL released).
    fn add_bytes<'py>(
        &self,
        py: Python<'py>,
        batch_id: &str,
        name: &str,
        data: &Bound<'py, PyBytes>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = self::batch_id(py, batch_id)?;
        let bytes = data.as_bytes().to_vec();
        let s = self.inner.clone();
        let out = py.detach(|| {
            runtime().block_on(async { to_json(s.batches().add_bytes(id, name, bytes).await?) })
        });
        match out {
            Ok(v) => Json(v).into_pyobject(py),
            Err(e) => Err(to_py(py, &e)),
        }
    }

    /// `add_bytes` as a coroutine.
    fn add_bytes_async<'py>(
        &self,
        py: Python<'py>,
        batch_id: &str,
        name: &str,
        data: &Bound<'py, PyBytes>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = self::batch_id(py, batch_id)?;
        let bytes = data.as_bytes().to_vec();
        let name = name.to_owned();
        let s = self.inner.clone();
        crate::runtime::future_into_py(py, async move {
            let r = async { to_json(s.batches().add_bytes(id, &name, bytes).await?) }.await;
            r.map(Json).map_err(|e| Python::attach(|py| to_py(py, &e)))
        })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}
