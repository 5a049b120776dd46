//! The Node addon of the package `resumeflow`. Thin for now: the version and `migrate`,
//! as Promises on napi's tokio runtime.

use napi_derive::napi;
use resumeflow::Engine;

/// The version of the native addon.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Applies every pending resumeflow migration to `databaseUrl` (postgres:// or sqlite://).
#[napi]
pub async fn migrate(database_url: String) -> napi::Result<()> {
    Engine::migrate_url(&database_url)
        .await
        .map_err(|e| napi::Error::new(napi::Status::GenericFailure, format!("{}: {e}", e.code())))
}
