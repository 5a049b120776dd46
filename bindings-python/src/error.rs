//! One mapping from `resumeflow::Error` to the Python exceptions declared in
//! `resumeflow/exceptions.py` (the path users import). Core matches its variants
//! exhaustively in `Error::code()`; a code this file does not know yet becomes the root
//! `ResumeflowError`, still carrying its `.code`.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use resumeflow::Error;

/// The exception class (in `resumeflow.exceptions`) for each `Error::code()`.
fn class_name(code: &str) -> &'static str {
    match code {
        "NOT_FOUND" => "NotFoundError",
        "PERMISSION_DENIED" => "PermissionDeniedError",
        "INVALID_INPUT" => "InvalidInputError",
        "CONFLICT" => "ConflictError",
        "STORAGE" => "StorageError",
        "DATABASE" => "DatabaseError",
        "LEASE_LOST" => "LeaseLostError",
        "LLM" => "LlmError",
        "CRYPTO" => "CryptoError",
        "CONFIG" => "ConfigError",
        _ => "ResumeflowError",
    }
}

/// The Python exception for `e`: `resumeflow.<Class>(message)` with `.code` set.
pub(crate) fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    let code = e.code();
    let message = e.to_string();
    let made = (|| -> PyResult<PyErr> {
        let cls = py
            .import("resumeflow.exceptions")?
            .getattr(class_name(code))?;
        let exc = cls.call1((message.clone(), code))?;
        Ok(PyErr::from_value(exc))
    })();
    made.unwrap_or_else(|_| PyRuntimeError::new_err(format!("{message} ({code})")))
}

/// An InvalidInput error for arguments the operation enums refuse.
pub(crate) fn bad_args(py: Python<'_>, op: &str, e: serde_json::Error) -> PyErr {
    to_py(
        py,
        &Error::InvalidInput(format!("bad arguments to {op}: {e}")),
    )
}
