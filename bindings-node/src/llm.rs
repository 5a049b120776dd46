//! The host's model as a JavaScript function. resumeflow's workers call it from their own
//! threads through a threadsafe function; its Promise is awaited in Rust.
//!
//! Whatever the function does wrong (throws, rejects, resolves to something that is not a
//! string or `{ text }`) becomes `LlmError::Transient`, which the engine retries with
//! backoff under its `LlmPolicy`; a Promise that never settles is cut off by the policy's
//! timeout. The threadsafe function is weak (unref'd): it never keeps the process alive
//! by itself, while the Promise of a running worker does.

use std::sync::Arc;

use napi::Status;
use napi::bindgen_prelude::{Either, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use serde::{Deserialize, Serialize};

use crate::error::convert;

/// One message of a request to the model.
#[napi(object)]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LlmMessage {
    /// `system` or `user`.
    pub role: String,
    pub content: String,
}

/// A request from resumeflow to the host's model.
#[napi(object)]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LlmRequest {
    /// What the answer is for: `extract_criteria`, `parse_resume` or `score_resume`.
    pub purpose: String,
    pub messages: Vec<LlmMessage>,
    /// The JSON schema the answer must follow, when the answer is JSON.
    #[napi(ts_type = "Record<string, unknown> | undefined")]
    pub json_schema: Option<serde_json::Value>,
    pub temperature: f64,
    pub max_tokens: Option<u32>,
}

/// Token counts of one answer.
#[napi(object)]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LlmUsage {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

/// An answer with its token usage (an LLM function may also resolve to a plain string).
#[napi(object)]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LlmAnswer {
    pub text: String,
    pub usage: Option<LlmUsage>,
    /// The model that answered, if the host knows it.
    pub model: Option<String>,
}

/// How resumeflow calls the model (all optional; defaults in parentheses).
#[napi(object)]
#[derive(Clone, Debug, Default)]
pub struct LlmPolicyOptions {
    /// Calls in flight at once across the engine (8).
    pub concurrency: Option<u32>,
    /// Retries of a transient failure (3).
    pub retries: Option<u32>,
    /// First retry delay in milliseconds, doubling (500).
    pub backoff_ms: Option<u32>,
    /// Longest retry delay in milliseconds (20000).
    pub max_backoff_ms: Option<u32>,
    /// Time limit of one call in milliseconds (180000).
    pub timeout_ms: Option<u32>,
}

impl LlmPolicyOptions {
    pub fn to_policy(&self) -> resumeflow::LlmPolicy {
        let d = resumeflow::LlmPolicy::default();
        let ms = |v: Option<u32>, default: std::time::Duration| {
            v.map_or(default, |v| std::time::Duration::from_millis(v.into()))
        };
        resumeflow::LlmPolicy {
            concurrency: self.concurrency.map_or(d.concurrency, |c| c as usize),
            retries: self.retries.unwrap_or(d.retries),
            backoff: ms(self.backoff_ms, d.backoff),
            max_backoff: ms(self.max_backoff_ms, d.max_backoff),
            timeout: ms(self.timeout_ms, d.timeout),
        }
    }
}

/// The JS function: `(request) => Promise<string | LlmAnswer>`, weak, not error-first.
pub type LlmFunction = ThreadsafeFunction<
    LlmRequest,
    Promise<Either<String, LlmAnswer>>,
    LlmRequest,
    Status,
    false,
    true,
>;

/// `resumeflow::LlmClient` over a JavaScript function.
pub struct JsLlm {
    function: Arc<LlmFunction>,
    model: String,
    /// A limit of its own, for calls that do not go through the engine's `LlmPolicy`.
    timeout: Option<std::time::Duration>,
}

impl JsLlm {
    pub fn new(function: LlmFunction, model: Option<String>) -> Self {
        JsLlm {
            function: Arc::new(function),
            model: model.unwrap_or_else(|| "js-function".to_owned()),
            timeout: None,
        }
    }

    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    async fn call(
        &self,
        js: LlmRequest,
    ) -> Result<Either<String, LlmAnswer>, resumeflow::LlmError> {
        // A throw, or a return value that is not a Promise, fails here; a rejection or a
        // resolved value of the wrong type fails on the await below.
        let pending = self
            .function
            .call_async_catch(js)
            .await
            .map_err(|e| transient("failed (it must return a Promise)", e))?;
        pending
            .await
            .map_err(|e| transient("rejected or resolved to neither a string nor { text }", e))
    }
}

fn transient(what: &str, e: napi::Error) -> resumeflow::LlmError {
    resumeflow::LlmError::Transient(format!("the LLM function {what}: {}", e.reason))
}

#[async_trait::async_trait]
impl resumeflow::LlmClient for JsLlm {
    async fn complete(
        &self,
        request: &resumeflow::LlmRequest,
    ) -> Result<resumeflow::LlmResponse, resumeflow::LlmError> {
        let js: LlmRequest =
            convert(request).map_err(|e| resumeflow::LlmError::Permanent(e.message))?;
        let answer = match self.timeout {
            Some(limit) => tokio::time::timeout(limit, self.call(js))
                .await
                .map_err(|_| {
                    resumeflow::LlmError::Transient(format!(
                        "the LLM function did not answer within {} ms",
                        limit.as_millis()
                    ))
                })??,
            None => self.call(js).await?,
        };
        Ok(match answer {
            Either::A(text) => resumeflow::LlmResponse {
                text,
                usage: None,
                model: None,
            },
            Either::B(a) => resumeflow::LlmResponse {
                text: a.text,
                usage: a.usage.map(|u| resumeflow::LlmUsage {
                    prompt_tokens: u.prompt_tokens.max(0) as u64,
                    completion_tokens: u.completion_tokens.max(0) as u64,
                }),
                model: a.model,
            },
        })
    }

    fn model(&self) -> String {
        self.model.clone()
    }
}
