//! The host's model: a Python callable wrapped in a Rust `LlmClient`.
//!
//! The callable receives the request as a dict (`purpose`, `messages`, `json_schema`,
//! `temperature`, `max_tokens`) and returns the text, or a dict `{"text": ..., "usage":
//! {"prompt_tokens": ..., "completion_tokens": ...}}`. It runs on a tokio blocking thread
//! that takes the GIL for the call alone; no tokio worker ever waits on the GIL. Async
//! callables are adapted in Python (`resumeflow._llm.HostLlm`), which awaits them on a
//! background event loop of their own, so the callable the engine sees is always a plain
//! function. An exception raised by the callable is `LlmError::Transient` (the engine
//! retries it with backoff); an answer of the wrong shape is `Permanent`.

use async_trait::async_trait;
use pyo3::prelude::*;
use pyo3::types::PyString;
use resumeflow::{LlmClient, LlmError, LlmRequest, LlmResponse};
use serde_json::Value;

use crate::convert::{from_py, to_py};

pub(crate) struct PyLlm {
    callable: Py<PyAny>,
    model: String,
}

impl PyLlm {
    pub(crate) fn new(callable: Py<PyAny>, model: String) -> Self {
        PyLlm { callable, model }
    }
}

enum Answer {
    Text(String),
    Json(Value),
}

#[async_trait]
impl LlmClient for PyLlm {
    async fn complete(&self, request: &LlmRequest) -> Result<LlmResponse, LlmError> {
        let request = serde_json::to_value(request)
            .map_err(|e| LlmError::Permanent(format!("request not serialisable: {e}")))?;
        let callable = Python::attach(|py| self.callable.clone_ref(py));
        let answer = tokio::task::spawn_blocking(move || {
            Python::attach(|py| -> Result<Answer, LlmError> {
                let arg = to_py(py, &request).map_err(|e| LlmError::Permanent(e.to_string()))?;
                let out = callable
                    .call1(py, (arg,))
                    .map_err(|e| LlmError::Transient(describe(py, &e)))?;
                let out = out.bind(py);
                if let Ok(s) = out.cast::<PyString>() {
                    return Ok(Answer::Text(s.to_string()));
                }
                from_py(out).map(Answer::Json).map_err(|e| {
                    LlmError::Permanent(format!(
                        "the LLM callable must return str or a dict with \"text\": {}",
                        describe(py, &e)
                    ))
                })
            })
        })
        .await
        .map_err(|e| LlmError::Transient(format!("LLM callable thread failed: {e}")))??;
        let mut response = match answer {
            Answer::Text(text) => LlmResponse {
                text,
                usage: None,
                model: None,
            },
            Answer::Json(v) => serde_json::from_value::<LlmResponse>(v).map_err(|e| {
                LlmError::Permanent(format!(
                    "the LLM callable's dict must be {{\"text\": str, \"usage\": {{\"prompt_tokens\": int, \"completion_tokens\": int}}}}: {e}"
                ))
            })?,
        };
        if response.model.is_none() {
            response.model = Some(self.model.clone());
        }
        Ok(response)
    }

    fn model(&self) -> String {
        self.model.clone()
    }
}

/// `TypeName: message` of a Python exception.
fn describe(py: Python<'_>, e: &PyErr) -> String {
    let name = e
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    format!("{name}: {}", e.value(py))
}
