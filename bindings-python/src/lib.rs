//! The native part of the Python package `resumeflow` (`resumeflow._native`).
//!
//! Thin for now: the version and `migrate`. Every call that waits on I/O releases the GIL
//! and runs on one lazily created tokio runtime.

use std::sync::OnceLock;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use resumeflow::Engine;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("resumeflow")
            .build()
            .expect("tokio runtime")
    })
}

/// Applies every pending resumeflow migration to `database_url` (postgres:// or sqlite://).
#[pyfunction]
fn migrate(py: Python<'_>, database_url: String) -> PyResult<()> {
    py.detach(|| runtime().block_on(Engine::migrate_url(&database_url)))
        .map_err(|e| PyRuntimeError::new_err(format!("{} ({})", e, e.code())))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(migrate, m)?)?;
    Ok(())
}
