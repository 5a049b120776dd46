//! resumeflow: multi-tenant resume screening.
//!
//! Ingest batches of resumes, parse them into a candidate model, score every candidate
//! against a job description with a deterministic matcher and an LLM, and produce ranked,
//! audited reports. Start at [`Engine::builder`]; everything a user does goes through an
//! actor-bound [`Session`]. The map of the modules is in `docs/architecture.md`.

#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod audit;
pub mod candidate;
pub mod crypto;
pub mod db;
pub mod employer;
mod engine;
pub mod error;
pub mod extract;
pub mod ingest;
pub mod jd;
pub mod llm;
pub mod pipeline;
pub mod queue;
pub mod report;
pub mod scoring;
pub mod store;
pub mod tenancy;

pub use crypto::{KeyProvider, LocalKeyProvider};
pub use engine::{
    Actor, Engine, EngineBuilder, Permissions, Session, TenantAdmin, TenantApi, Users,
};
pub use error::{Error, Result};
pub use ingest::{
    AddedFile, Batch, BatchFile, BatchProgress, BatchStatus, Batches, ContentType, DirEntryAdded,
    Disposition, FileStatus, IngestError, IngestLimits, NewBatch,
};
pub use jd::{
    Criteria, JdRequirement, JdUpdate, JdVersion, JobDescription, JobDescriptions,
    NewJobDescription,
};
pub use llm::{LlmClient, LlmError, LlmMessage, LlmPolicy, LlmRequest, LlmResponse, LlmUsage};
pub use pipeline::{JobReplay, JobSteps, Pipeline, STEPS};
pub use queue::{WorkerConfig, WorkerStats};
pub use scoring::{
    Evidence, Knockout, Profile, Profiles, RankedResult, ScoreOutcome, ScorerWeights, Scoring,
    WeightageProfile,
};
pub use store::{ArtifactStore, StoreOptions};
pub use tenancy::{
    Effect, NewTenant, NewUser, Permission, PermissionOverride, Role, Tenant, TenantUpdate, User,
    UserUpdate,
};

/// The migrations, for hosts that run them with their own tooling.
pub use resumeflow_migrations as migrations;
