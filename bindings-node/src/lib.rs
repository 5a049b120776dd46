//! The Node addon of the package `resumeflow`: the facade of the Rust crate as Promises.
//!
//! Each file mirrors the core module it wraps (`tenancy.rs`, `batch.rs`, `scoring.rs`,
//! ...). Binding objects hold the core's `Engine` or `Session` (cheap `Arc` clones), take
//! `&self` only, and run every call on napi's tokio runtime, so concurrent Promises are
//! safe. Values cross the boundary as `#[napi(object)]` structs converted through serde,
//! which keeps the generated `index.d.ts` precise; errors carry the core's stable codes
//! (see `error.rs`).

pub mod audit;
pub mod batch;
pub mod candidate;
pub mod employer;
pub mod engine;
pub mod error;
pub mod jd;
pub mod llm;
pub mod pipeline;
pub mod scoring;
pub mod tenancy;
pub mod worker;

use napi::Env;
use napi::bindgen_prelude::AsyncBlock;
use napi_derive::napi;

use crate::error::promise;

/// The version of the native addon.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Applies every pending resumeflow migration to `databaseUrl` (postgres:// or sqlite://)
/// and closes its connections.
#[napi(ts_return_type = "Promise<void>")]
pub fn migrate(env: &Env, database_url: String) -> napi::Result<AsyncBlock<()>> {
    promise(env, async move {
        Ok(resumeflow::Engine::migrate_url(&database_url).await?)
    })
}
