//! One error mapping for the binding. Every failure reaches JavaScript as an `Error` whose
//! `code` is the stable code of `resumeflow::Error::code()` (`NOT_FOUND`,
//! `PERMISSION_DENIED`, ...) and whose message carries the whole cause chain.
//!
//! napi-rs turns a Rust error into a JS error whose `code` is a napi `Status` name, so
//! rejections are built here instead: the future resolves to a Rust `Result`, and on the
//! JS thread an `Err` becomes a JS `Error` with our code, which the promise rejects with.

use std::future::Future;

use napi::bindgen_prelude::{AsyncBlock, AsyncBlockBuilder, ToNapiValue};
use napi::{Env, JsError};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A failure on its way to JavaScript: a stable code and a message.
#[derive(Debug)]
pub struct BindError {
    pub code: &'static str,
    pub message: String,
}

/// Conversion failures between the binding's objects and the core's types; a binding bug
/// when it happens on the way out, so it has a code of its own.
pub const INTERNAL: &str = "INTERNAL";

impl BindError {
    pub fn invalid(message: impl Into<String>) -> Self {
        BindError {
            code: "INVALID_INPUT",
            message: message.into(),
        }
    }
}

/// The message of `e` followed by each of its sources, `": "`-separated.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !message.ends_with(&next) {
            message.push_str(": ");
            message.push_str(&next);
        }
        source = s.source();
    }
    message
}

impl From<resumeflow::Error> for BindError {
    fn from(e: resumeflow::Error) -> Self {
        BindError {
            code: e.code(),
            message: chain(&e),
        }
    }
}

pub type BindResult<T> = std::result::Result<T, BindError>;

/// Runs `fut` on napi's tokio runtime and returns a Promise of its value; an `Err`
/// rejects the Promise with an `Error` carrying the code.
pub fn promise<T, F>(env: &Env, fut: F) -> napi::Result<AsyncBlock<T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = BindResult<T>> + Send + 'static,
{
    AsyncBlockBuilder::build_with_map(env, async move { Ok(fut.await) }, |env, out| {
        out.map_err(|e| to_js_error(env, e))
    })
}

/// A JS `Error` with `code` set, held by reference so the promise rejects with it as is.
fn to_js_error(env: Env, e: BindError) -> napi::Error {
    let error = napi::Error::new(e.code, e.message);
    napi::Error::from(JsError::from(error).into_unknown(env))
}

/// Converts between the core's serde types and the binding's objects (both serde).
pub fn convert<S: Serialize, T: DeserializeOwned>(value: S) -> BindResult<T> {
    let json = serde_json::to_value(value).map_err(|e| BindError {
        code: INTERNAL,
        message: format!("cannot convert a value: {e}"),
    })?;
    serde_json::from_value(json).map_err(|e| BindError {
        code: INTERNAL,
        message: format!("cannot convert a value: {e}"),
    })
}

/// Like [`convert`], for values that came from JavaScript: a mismatch is the caller's.
pub fn input<S: Serialize, T: DeserializeOwned>(value: S) -> BindResult<T> {
    let json = serde_json::to_value(value).map_err(|e| BindError::invalid(e.to_string()))?;
    serde_json::from_value(json).map_err(|e| BindError::invalid(e.to_string()))
}

/// Converts every element of `values` (see [`convert`]).
pub fn convert_all<S: Serialize, T: DeserializeOwned>(values: Vec<S>) -> BindResult<Vec<T>> {
    values.into_iter().map(convert).collect()
}

/// Parses a UUID argument named `what`.
pub fn uuid(what: &str, s: &str) -> BindResult<uuid::Uuid> {
    s.parse()
        .map_err(|e| BindError::invalid(format!("{what} is not a UUID ({s:?}): {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(&'static str, std::io::Error);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }

    #[test]
    fn the_message_carries_every_cause_once() {
        let io =
            || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        assert_eq!(
            chain(&Wrapper("cannot reach the store", io())),
            "cannot reach the store: connection refused"
        );
        // A message that already ends with its cause does not repeat it.
        assert_eq!(
            chain(&Wrapper("store: connection refused", io())),
            "store: connection refused"
        );
    }

    #[test]
    fn core_errors_keep_their_codes() {
        let e = BindError::from(resumeflow::Error::Conflict("slug taken".into()));
        assert_eq!(
            (e.code, e.message.as_str()),
            ("CONFLICT", "conflict: slug taken")
        );
        let e = BindError::from(resumeflow::Error::PermissionDenied {
            permission: resumeflow::Permission::CandidatePiiRead,
        });
        assert_eq!(e.code, "PERMISSION_DENIED");
        assert!(e.message.contains("candidate_pii_read"));
    }

    #[test]
    fn ids_are_checked() {
        assert_eq!(uuid("jobId", "nope").unwrap_err().code, "INVALID_INPUT");
        let id = uuid::Uuid::now_v7();
        assert_eq!(uuid("jobId", &id.to_string()).unwrap(), id);
    }
}
