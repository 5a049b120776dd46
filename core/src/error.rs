//! The one error type of the crate. Bindings map its variants by `code()`, so a new variant
//! is a compile error in every `match` that maps it (no catch-all arms).

use sea_orm::{DbErr, SqlErr};

use crate::tenancy::Permission;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The row does not exist, or belongs to another tenant (the two are indistinguishable
    /// on purpose: an id of another tenant reveals nothing).
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },

    #[error("permission denied: {permission} is not granted to this user")]
    PermissionDenied { permission: Permission },

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("conflict: {0}")]
    Conflict(String),

    #[error("storage error: {0}")]
    Storage(String),

    #[error("database error: {0}")]
    Database(#[source] DbErr),

    /// A job's lease was lost (it expired and was rescued, or the job was cancelled): the
    /// worker must drop its result, another owner has the job now.
    #[error("lease lost on job {job_id}")]
    LeaseLost { job_id: uuid::Uuid },

    #[error("LLM error: {0}")]
    Llm(String),

    #[error("encryption error: {0}")]
    Crypto(String),

    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// A stable, machine-readable code: the Node binding's `error.code` and the suffix of
    /// the Python exception class.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "NOT_FOUND",
            Error::PermissionDenied { .. } => "PERMISSION_DENIED",
            Error::InvalidInput(_) => "INVALID_INPUT",
            Error::Conflict(_) => "CONFLICT",
            Error::Storage(_) => "STORAGE",
            Error::Database(_) => "DATABASE",
            Error::LeaseLost { .. } => "LEASE_LOST",
            Error::Llm(_) => "LLM",
            Error::Crypto(_) => "CRYPTO",
            Error::Config(_) => "CONFIG",
        }
    }

    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }
}

impl From<DbErr> for Error {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => Error::Conflict(msg),
            Some(SqlErr::ForeignKeyConstraintViolation(msg)) => {
                Error::InvalidInput(format!("reference to a missing row: {msg}"))
            }
            _ => Error::Database(e),
        }
    }
}
