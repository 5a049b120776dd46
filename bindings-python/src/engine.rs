//! `Engine`: connecting, migrating, tenant administration, workers and operator replays
//! (the Python face of `resumeflow::Engine` and `TenantAdmin`).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use resumeflow::{LlmPolicy, LocalKeyProvider, NewTenant, StoreOptions, TenantUpdate};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::convert::{Json, from_py, op_value};
use crate::error::{bad_args, to_py};
use crate::llm::PyLlm;
use crate::runtime;
use crate::session::Session;
use crate::worker::{WorkerHandle, WorkerOptions};

/// Operations on the engine; `op` names them in snake_case.
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum EngineOp {
    Migrate,
    Close,
    Backend,
    TenantsCreate {
        name: String,
        slug: String,
        #[serde(default)]
        settings: Option<Value>,
        #[serde(default)]
        retention_days: Option<i32>,
    },
    TenantsAddOwner {
        tenant_id: Uuid,
        email: String,
        #[serde(default)]
        display_name: Option<String>,
    },
    TenantsGet {
        tenant_id: Uuid,
    },
    TenantsList {
        #[serde(default)]
        include_inactive: bool,
    },
    TenantsFindBySlug {
        slug: String,
    },
    TenantsFindUser {
        tenant_id: Uuid,
        email: String,
    },
    TenantsUpdate {
        tenant_id: Uuid,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        settings: Option<Value>,
        #[serde(default)]
        retention_days: Option<i32>,
        #[serde(default)]
        audit_retention_days: Option<i32>,
    },
    TenantsDeactivate {
        tenant_id: Uuid,
    },
    TenantsReactivate {
        tenant_id: Uuid,
    },
    Replay {
        job_id: Uuid,
        step: String,
    },
    PartitionUpkeep {
        #[serde(default = "three")]
        months_ahead: u32,
        #[serde(default)]
        keep_months: Option<u32>,
    },
}

fn three() -> u32 {
    3
}

pub(crate) fn to_json<T: serde::Serialize>(v: T) -> resumeflow::Result<Value> {
    serde_json::to_value(v).map_err(|e| resumeflow::Error::InvalidInput(e.to_string()))
}

impl EngineOp {
    async fn run(self, e: &resumeflow::Engine) -> resumeflow::Result<Value> {
        let t = e.tenants();
        match self {
            EngineOp::Migrate => e.migrate().await.map(|_| Value::Null),
            // Closes the shared pool: every later call on this engine or its sessions
            // fails with DATABASE.
            EngineOp::Close => {
                e.close().await?;
                Ok(Value::Null)
            }
            EngineOp::Backend => Ok(json!(format!("{:?}", e.backend()).to_lowercase())),
            EngineOp::TenantsCreate {
                name,
                slug,
                settings,
                retention_days,
            } => to_json(
                t.create(NewTenant {
                    name,
                    slug,
                    settings,
                    retention_days,
                })
                .await?,
            ),
            EngineOp::TenantsAddOwner {
                tenant_id,
                email,
                display_name,
            } => to_json(t.add_owner(tenant_id, &email, display_name).await?),
            EngineOp::TenantsGet { tenant_id } => to_json(t.get(tenant_id).await?),
            EngineOp::TenantsList { include_inactive } => to_json(t.list(include_inactive).await?),
            EngineOp::TenantsFindBySlug { slug } => to_json(t.find_by_slug(&slug).await?),
            EngineOp::TenantsFindUser { tenant_id, email } => {
                to_json(t.find_user(tenant_id, &email).await?)
            }
            EngineOp::TenantsUpdate {
                tenant_id,
                name,
                settings,
                retention_days,
                audit_retention_days,
            } => {
                let update = TenantUpdate {
                    name,
                    settings,
                    retention_days,
                    audit_retention_days,
                };
                to_json(t.update(tenant_id, update).await?)
            }
            EngineOp::TenantsDeactivate { tenant_id } => {
                t.deactivate(tenant_id).await.map(|_| Value::Null)
            }
            EngineOp::TenantsReactivate { tenant_id } => {
                t.reactivate(tenant_id).await.map(|_| Value::Null)
            }
            EngineOp::Replay { job_id, step } => to_json(e.replay(job_id, &step).await?),
            EngineOp::PartitionUpkeep {
                months_ahead,
                keep_months,
            } => {
                let (created, dropped) = e.partition_upkeep(months_ahead, keep_months).await?;
                Ok(json!({"created": created, "dropped": dropped}))
            }
        }
    }
}

/// How to connect, as the Python layer passes it.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ConnectOptions {
    database_url: String,
    store_url: Option<String>,
    store_endpoint: Option<String>,
    store_region: Option<String>,
    store_access_key_id: Option<String>,
    store_secret_access_key: Option<String>,
    store_allow_http: bool,
    key_file: Option<String>,
    llm_model: Option<String>,
    llm_policy: Option<LlmPolicy>,
}

/// The engine: cheap to share between threads and tasks.
#[pyclass(module = "resumeflow._native", frozen)]
pub(crate) struct Engine {
    pub(crate) inner: resumeflow::Engine,
}

async fn connect(
    o: ConnectOptions,
    key: Option<[u8; 32]>,
    llm: Option<Py<PyAny>>,
) -> resumeflow::Result<resumeflow::Engine> {
    let keys = match (key, &o.key_file) {
        (Some(k), None) => LocalKeyProvider::new(k),
        (None, Some(path)) => LocalKeyProvider::from_file(std::path::Path::new(path))?,
        (None, None) => {
            return Err(resumeflow::Error::Config(
                "give key_file (created if missing) or key (32 bytes): personal data is always encrypted".into(),
            ));
        }
        (Some(_), Some(_)) => {
            return Err(resumeflow::Error::Config(
                "give either key_file or key, not both".into(),
            ));
        }
    };
    let mut b = resumeflow::Engine::builder()
        .database_url(o.database_url)
        .keys(Arc::new(keys));
    if let Some(url) = o.store_url {
        b = b.store_url(url).store_options(StoreOptions {
            endpoint: o.store_endpoint,
            region: o.store_region,
            access_key_id: o.store_access_key_id,
            secret_access_key: o.store_secret_access_key,
            allow_http: o.store_allow_http,
        });
    }
    if let Some(callable) = llm {
        let model = o.llm_model.unwrap_or_else(|| "python".into());
        b = b.llm(Arc::new(PyLlm::new(callable, model)));
    }
    if let Some(policy) = o.llm_policy {
        b = b.llm_policy(policy);
    }
    b.build().await
}

type ConnectArgs = (ConnectOptions, Option<[u8; 32]>, Option<Py<PyAny>>);

fn connect_args(
    py: Python<'_>,
    options: &Bound<'_, PyDict>,
    key: Option<&Bound<'_, PyBytes>>,
    llm: Option<Bound<'_, PyAny>>,
) -> PyResult<ConnectArgs> {
    let o: ConnectOptions = serde_json::from_value(from_py(options.as_any())?)
        .map_err(|e| bad_args(py, "connect", e))?;
    let key = match key {
        Some(k) => Some(<[u8; 32]>::try_from(k.as_bytes()).map_err(|_| {
            to_py(
                py,
                &resumeflow::Error::Config("key must be exactly 32 bytes".into()),
            )
        })?),
        None => None,
    };
    Ok((o, key, llm.map(|c| c.unbind())))
}

#[pymethods]
impl Engine {
    /// Connects (blocking). `options`: database_url, store_url, store_* (S3), key_file,
    /// llm_model, llm_policy; `key`: 32 raw bytes instead of a key file; `llm`: a callable.
    #[staticmethod]
    #[pyo3(signature = (options, key=None, llm=None))]
    fn connect(
        py: Python<'_>,
        options: &Bound<'_, PyDict>,
        key: Option<&Bound<'_, PyBytes>>,
        llm: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Engine> {
        let (o, key, llm) = connect_args(py, options, key, llm)?;
        py.detach(|| runtime().block_on(connect(o, key, llm)))
            .map(|inner| Engine { inner })
            .map_err(|e| to_py(py, &e))
    }

    /// `connect` as a coroutine.
    #[staticmethod]
    #[pyo3(signature = (options, key=None, llm=None))]
    fn connect_async<'py>(
        py: Python<'py>,
        options: &Bound<'py, PyDict>,
        key: Option<&Bound<'py, PyBytes>>,
        llm: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (o, key, llm) = connect_args(py, options, key, llm)?;
        crate::runtime::future_into_py(py, async move {
            connect(o, key, llm)
                .await
                .map(|inner| Engine { inner })
                .map_err(|e| Python::attach(|py| to_py(py, &e)))
        })
    }

    /// Runs engine operation `op` (blocking, GIL released).
    #[pyo3(signature = (op, args=None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        args: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let parsed: EngineOp =
            serde_json::from_value(op_value(op, args)?).map_err(|e| bad_args(py, op, e))?;
        let engine = self.inner.clone();
        let out = py.detach(|| runtime().block_on(parsed.run(&engine)));
        match out {
            Ok(v) => Json(v).into_pyobject(py),
            Err(e) => Err(to_py(py, &e)),
        }
    }

    /// Runs engine operation `op` as a coroutine.
    #[pyo3(signature = (op, args=None))]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        args: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let parsed: EngineOp =
            serde_json::from_value(op_value(op, args)?).map_err(|e| bad_args(py, op, e))?;
        let engine = self.inner.clone();
        crate::runtime::future_into_py(py, async move {
            parsed
                .run(&engine)
                .await
                .map(Json)
                .map_err(|e| Python::attach(|py| to_py(py, &e)))
        })
    }

    /// Opens a session for `user_id` of `tenant_id` (blocking).
    fn session(&self, py: Python<'_>, tenant_id: &str, user_id: &str) -> PyResult<Session> {
        let (t, u) = ids(py, tenant_id, user_id)?;
        let engine = self.inner.clone();
        py.detach(|| runtime().block_on(engine.session(t, u)))
            .map(Session::new)
            .map_err(|e| to_py(py, &e))
    }

    /// `session` as a coroutine.
    fn session_async<'py>(
        &self,
        py: Python<'py>,
        tenant_id: &str,
        user_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (t, u) = ids(py, tenant_id, user_id)?;
        let engine = self.inner.clone();
        crate::runtime::future_into_py(py, async move {
            engine
                .session(t, u)
                .await
                .map(Session::new)
                .map_err(|e| Python::attach(|py| to_py(py, &e)))
        })
    }

    /// Starts a pipeline worker on the runtime and returns its handle at once.
    /// `options`: concurrency, lease, heartbeat, poll_interval, rescue_interval,
    /// shutdown_grace (seconds), until_idle (stop by itself when the queue is empty).
    #[pyo3(signature = (options=None))]
    fn start_worker(
        &self,
        py: Python<'_>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<WorkerHandle> {
        let o: WorkerOptions = match options {
            Some(d) => serde_json::from_value(from_py(d.as_any())?)
                .map_err(|e| bad_args(py, "start_worker", e))?,
            None => WorkerOptions::default(),
        };
        Ok(WorkerHandle::start(self.inner.clone(), o))
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

fn ids(py: Python<'_>, a: &str, b: &str) -> PyResult<(Uuid, Uuid)> {
    let parse = |s: &str| {
        Uuid::parse_str(s).map_err(|e| {
            to_py(
                py,
                &resumeflow::Error::InvalidInput(format!("not a UUID: {s:?} ({e})")),
            )
        })
    };
    Ok((parse(a)?, parse(b)?))
}
