//! The native part of the Python package `resumeflow` (`resumeflow._native`).
//!
//! The shape: the native classes (`Engine`, `Session`, `WorkerHandle`) expose the facade as
//! a small set of operations, each named by a string and given its arguments as a dict
//! (`call(op, args)`, `call_async(op, args)`). The operations are one serde enum per
//! handle (`engine::EngineOp`, `session::SessionOp`), so every argument is validated by
//! the same deserialiser the Rust types use, and each operation is written once for the
//! blocking and the asyncio face. The typed, documented API lives in the pure-Python layer
//! (`python/resumeflow`), which turns the JSON-shaped answers into frozen dataclasses.
//!
//! Blocking calls release the GIL (`py.detach`) and run on one tokio runtime per process,
//! shared with coroutines, created lazily and again after a fork (see `runtime.rs`).

use pyo3::prelude::*;

mod candidate;
mod convert;
mod engine;
mod error;
mod llm;
mod runtime;
mod session;
mod worker;

pub(crate) use runtime::runtime;

/// Applies every pending resumeflow migration to `database_url` (postgres:// or sqlite://).
#[pyfunction]
fn migrate(py: Python<'_>, database_url: String) -> PyResult<()> {
    py.detach(|| runtime().block_on(resumeflow::Engine::migrate_url(&database_url)))
        .map_err(|e| error::to_py(py, &e))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(migrate, m)?)?;
    m.add_function(wrap_pyfunction!(candidate::parse_file, m)?)?;
    m.add_function(wrap_pyfunction!(candidate::parse_file_async, m)?)?;
    m.add_class::<engine::Engine>()?;
    m.add_class::<session::Session>()?;
    m.add_class::<worker::WorkerHandle>()?;
    Ok(())
}
