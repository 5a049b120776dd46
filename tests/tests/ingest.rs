//! Ingestion on both backends: content-addressed dedup under concurrent uploads, exact
//! counters, bad input that never fails a batch, directory import, tenant isolation of
//! content, the batch status machine, and the same dedup scenario on S3 (moto).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use resumeflow::ingest::entity::{files, storage_objects};
use resumeflow::ingest::{
    BatchStatus, ContentType, Disposition, FileStatus, IngestError, IngestLimits, NewBatch,
};
use resumeflow::jd::{NewJobDescription, text_key};
use resumeflow::queue::entity::jobs;
use resumeflow::store::StoreOptions;
use resumeflow::{Engine, Error, LocalKeyProvider, NewUser, Role, Session};
use resumeflow_tests::{TestDb, both_backends, owner_session};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

const EMAIL: &str = "ana.lima@example.test";
const PHONE: &str = "+351 912 345 678";

/// A small PDF-looking resume with contact details planted in clear text.
fn resume_pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% Ana Lima {EMAIL} {PHONE} {tag}\n1 0 obj <<>> endobj\n%%EOF\n").into_bytes()
}

async fn jd(s: &Session) -> Uuid {
    s.job_descriptions()
        .create(NewJobDescription {
            title: "Rust engineer".into(),
            text: Some(format!("We hire. Contact {EMAIL} or {PHONE}.")),
            parameters: serde_json::json!({"skills": ["rust"]}),
        })
        .await
        .unwrap()
        .jd_id
}

async fn batch(s: &Session, jd_id: Uuid, name: &str) -> Uuid {
    s.batches()
        .create(NewBatch {
            jd_id,
            name: Some(name.into()),
            weightage_profile_id: None,
        })
        .await
        .unwrap()
        .batch_id
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn assert_no_plaintext(dir: &Path) {
    let stored = files_under(dir);
    assert!(!stored.is_empty(), "the store holds files");
    for p in stored {
        let bytes = std::fs::read(&p).unwrap();
        for needle in [EMAIL, PHONE, "Ana Lima", "%PDF-"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} holds {needle:?} in clear",
                p.display()
            );
        }
    }
}

fn assert_not_found<T: std::fmt::Debug>(r: resumeflow::Result<T>, what: &str) {
    match r {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

fn assert_conflict<T: std::fmt::Debug>(r: resumeflow::Result<T>, what: &str) {
    match r {
        Err(Error::Conflict(_)) => {}
        other => panic!("{what}: expected Conflict, got {other:?}"),
    }
}

async fn storage_objects_of(engine: &Engine, tenant: Uuid) -> Vec<storage_objects::Model> {
    storage_objects::Entity::find()
        .filter(storage_objects::Column::TenantId.eq(tenant))
        .all(engine.connection())
        .await
        .unwrap()
}

async fn error_codes(engine: &Engine, batch: Uuid) -> BTreeMap<String, usize> {
    let rows = resumeflow::audit::entity::error_logs::Entity::find()
        .filter(resumeflow::audit::entity::error_logs::Column::BatchId.eq(batch))
        .all(engine.connection())
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(r.code).or_default() += 1;
    }
    out
}

/// 50 concurrent uploads of one file, spread over two batches, and the content-addressed
/// invariants that must hold for any store: one storage object, one blob, one file row per
/// batch, exactly one upload that stored the content.
async fn dedup_scenario(engine: &Engine, s: &Session) {
    let jd_id = jd(s).await;
    let batches = [
        batch(s, jd_id, "first").await,
        batch(s, jd_id, "second").await,
    ];
    let bytes = resume_pdf("dedup");
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (s, bytes, b) = (s.clone(), bytes.clone(), batches[i % 2]);
        tasks.push(tokio::spawn(async move {
            s.batches()
                .add_bytes(b, &format!("cv-{i}.pdf"), bytes)
                .await
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap().expect("concurrent add"));
    }
    let stored = outcomes
        .iter()
        .filter(|o| o.disposition == Disposition::Stored)
        .count();
    assert_eq!(stored, 1, "exactly one upload stored the content");
    let tenant = s.tenant_id();
    let objects = storage_objects_of(engine, tenant).await;
    assert_eq!(objects.len(), 1, "one storage object");
    let object = &objects[0];
    assert_eq!(object.content_type, ContentType::Pdf.mime());
    assert_eq!(object.size, bytes.len() as i64);
    // The key is the tenant's keyed content id, not the bare SHA-256.
    assert!(
        object
            .storage_path
            .starts_with(&format!("t/{tenant}/objects/"))
    );
    assert!(!object.storage_path.contains(&object.sha256));
    let blobs = engine
        .store()
        .unwrap()
        .list(&format!("t/{tenant}/objects"))
        .await
        .unwrap();
    assert_eq!(blobs, vec![object.storage_path.clone()], "one blob");
    for b in batches {
        let rows = s.batches().files(b).await.unwrap();
        assert_eq!(rows.len(), 1, "one file row per batch");
        let f = &rows[0];
        assert_eq!(f.storage_object_id, Some(object.storage_object_id));
        assert_eq!(f.status, FileStatus::Received);
        assert_eq!(f.sha256.as_deref(), Some(object.sha256.as_str()));
        let fresh = outcomes
            .iter()
            .filter(|o| o.file.batch_id == b && o.disposition != Disposition::AlreadyInBatch)
            .count();
        assert_eq!(fresh, 1, "one add per batch made the row");
        assert!(
            outcomes
                .iter()
                .filter(|o| o.file.batch_id == b)
                .all(|o| o.file.file_id == f.file_id)
        );
        let p = s.batches().status(b).await.unwrap();
        assert_eq!((p.total_files, p.failed_files, p.pending_files), (1, 0, 1));
    }
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
}

async fn concurrent_uploads_dedup(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "alpha").await;
    dedup_scenario(&engine, &s).await;
    let objects_dir = db.store_dir().join(format!("t/{}/objects", s.tenant_id()));
    assert_eq!(files_under(&objects_dir).len(), 1, "one blob on disk");
    assert_no_plaintext(&db.store_dir());
}
both_backends!(concurrent_uploads_dedup, concurrent_uploads_dedup);

/// 40 distinct files added concurrently, 8 of them bad: the counters are exact, the bad
/// ones are failed rows with error_logs entries, and submit enqueues one job per good file.
async fn counters_exact_under_concurrency(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "alpha").await;
    let jd_id = jd(&s).await;
    let b = batch(&s, jd_id, "forty").await;
    let mut tasks = Vec::new();
    for i in 0..40u8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let (name, bytes) = if i % 5 == 0 {
                // Distinct binary content: unsupported, and not deduplicated together.
                (format!("photo-{i}.png"), vec![0x89, b'P', b'N', b'G', 0, i])
            } else {
                (
                    format!("cv-{i}.txt"),
                    format!("Resume number {i}\n").into_bytes(),
                )
            };
            s.batches().add_bytes(b, &name, bytes).await
        }));
    }
    let mut rejected = 0;
    for t in tasks {
        let added = t.await.unwrap().expect("add");
        if let Disposition::Rejected { error } = &added.disposition {
            assert_eq!(*error, IngestError::UnsupportedType);
            assert_eq!(added.file.status, FileStatus::Failed);
            assert_eq!(added.file.error_code.as_deref(), Some("unsupported_type"));
            assert_eq!(added.file.storage_object_id, None);
            rejected += 1;
        } else {
            assert_eq!(added.disposition, Disposition::Stored);
            assert_eq!(added.file.content_type, Some(ContentType::Text));
        }
    }
    assert_eq!(rejected, 8);
    let p = s.batches().status(b).await.unwrap();
    assert_eq!(
        (
            p.status,
            p.total_files,
            p.processed_files,
            p.failed_files,
            p.pending_files
        ),
        (BatchStatus::Created, 40, 0, 8, 32)
    );
    assert_eq!(
        error_codes(&engine, b).await,
        BTreeMap::from([("unsupported_type".to_owned(), 8)])
    );
    assert_eq!(storage_objects_of(&engine, s.tenant_id()).await.len(), 32);
    let submitted = s.batches().submit(b).await.unwrap();
    assert_eq!(submitted.status, BatchStatus::Processing);
    assert!(submitted.submitted_at.is_some());
    let queued = jobs::Entity::find()
        .filter(jobs::Column::BatchId.eq(b))
        .all(engine.connection())
        .await
        .unwrap();
    assert_eq!(queued.len(), 32, "one job per good file");
    let rows = s.batches().files(b).await.unwrap();
    for j in &queued {
        assert_eq!(
            (j.kind.as_str(), j.status.as_str()),
            ("process_file", "queued")
        );
        let f = rows.iter().find(|f| Some(f.file_id) == j.file_id).unwrap();
        assert_eq!(f.status, FileStatus::Queued);
    }
    assert_eq!(
        rows.iter()
            .filter(|f| f.status == FileStatus::Failed)
            .count(),
        8,
        "rejected files stay failed and get no job"
    );
}
both_backends!(
    counters_exact_under_concurrency,
    counters_exact_under_concurrency
);

/// A directory with good, duplicate, empty, oversized, unsupported and hidden files.
async fn add_dir_mixed_tree(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "alpha").await;
    let jd_id = jd(&s).await;
    let b = batch(&s, jd_id, "import").await;
    let root = db.dir.as_ref().unwrap().join("inbox");
    let tree: [(&str, Vec<u8>); 10] = [
        ("good.pdf", resume_pdf("dir")),
        ("sub/good.txt", b"Bruno Costa\nRust, SQL\n".to_vec()),
        ("dup.txt", b"Bruno Costa\nRust, SQL\n".to_vec()),
        (
            "sub/deeper/cv.html",
            b"<!DOCTYPE html><html><body>Carla</body></html>".to_vec(),
        ),
        ("empty.txt", Vec::new()),
        ("big.txt", "x".repeat(2000).into_bytes()),
        (
            "photo.png",
            vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0],
        ),
        (".hidden.txt", b"hidden".to_vec()),
        (".git/config", b"[core]".to_vec()),
        ("sub/.DS_Store", b"junk".to_vec()),
    ];
    for (p, bytes) in &tree {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let batches = s.batches().with_limits(IngestLimits {
        max_file_bytes: 1000,
    });
    let out = batches.add_dir(b, &root).await.unwrap();
    let got: Vec<(String, String)> = out
        .iter()
        .map(|e| {
            (
                e.added.file.original_name.clone(),
                match &e.added.disposition {
                    Disposition::Rejected { error } => error.code().to_owned(),
                    d => format!("{d:?}"),
                },
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("big.txt", "file_too_large"),
        ("dup.txt", "Stored"),
        ("empty.txt", "empty_file"),
        ("good.pdf", "Stored"),
        ("photo.png", "unsupported_type"),
        ("sub/deeper/cv.html", "Stored"),
        // Same content as dup.txt, which came first in path order.
        ("dup.txt", "AlreadyInBatch"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(out[6].path, root.join("sub/good.txt"));
    assert_eq!(
        out[0].added.disposition,
        Disposition::Rejected {
            error: IngestError::FileTooLarge {
                size: 2000,
                limit: 1000
            }
        }
    );
    assert_eq!(
        out[0].added.file.sha256, None,
        "oversized files are not read"
    );
    let p = s.batches().status(b).await.unwrap();
    assert_eq!((p.total_files, p.failed_files, p.pending_files), (6, 3, 3));
    assert_eq!(
        error_codes(&engine, b).await,
        BTreeMap::from([
            ("empty_file".to_owned(), 1),
            ("file_too_large".to_owned(), 1),
            ("unsupported_type".to_owned(), 1),
        ])
    );
    let kinds: BTreeMap<String, Option<ContentType>> = s
        .batches()
        .files(b)
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.original_name, f.content_type))
        .collect();
    assert_eq!(kinds["good.pdf"], Some(ContentType::Pdf));
    assert_eq!(kinds["dup.txt"], Some(ContentType::Text));
    assert_eq!(kinds["sub/deeper/cv.html"], Some(ContentType::Html));
    // Repeating the import adds nothing: every entry is already in the batch.
    let again = batches.add_dir(b, &root).await.unwrap();
    assert_eq!(again.len(), 7);
    assert!(
        again
            .iter()
            .all(|e| e.added.disposition == Disposition::AlreadyInBatch)
    );
    assert_eq!(s.batches().status(b).await.unwrap(), p);
    // A path that cannot be read is a rejected file too, not an error of the call.
    let missing = s
        .batches()
        .add_path(b, root.join("vanished.pdf"))
        .await
        .unwrap();
    assert_eq!(missing.file.error_code.as_deref(), Some("unreadable_file"));
    assert_eq!(missing.file.original_name, "vanished.pdf");
    // A single path goes through the same streaming read.
    let b2 = batch(&s, jd_id, "single").await;
    let one = s
        .batches()
        .add_path(b2, root.join("good.pdf"))
        .await
        .unwrap();
    assert_eq!(one.disposition, Disposition::Deduplicated);
    assert_eq!(one.file.original_name, "good.pdf");
    // A tree that does not exist fails the call without adding anything.
    assert!(matches!(
        s.batches().add_dir(b2, root.join("nope")).await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(s.batches().files(b2).await.unwrap().len(), 1);
    assert_no_plaintext(&db.store_dir());
}
both_backends!(add_dir_mixed_tree, add_dir_mixed_tree);

/// Tenant B can neither see nor touch tenant A's batches; the same bytes in two tenants
/// are two storage objects under unrelated keys.
async fn cross_tenant_content(db: &TestDb) {
    let engine = db.engine().await;
    let a = owner_session(&engine, "alpha").await;
    let b = owner_session(&engine, "beta").await;
    let a_jd = jd(&a).await;
    let a_batch = batch(&a, a_jd, "alpha batch").await;
    let bytes = resume_pdf("shared");
    let a_file = a
        .batches()
        .add_bytes(a_batch, "cv.pdf", bytes.clone())
        .await
        .unwrap();
    let dir = db.dir.as_ref().unwrap().join("b-inbox");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cv.pdf"), &bytes).unwrap();

    assert_not_found(b.batches().get(a_batch).await, "get");
    assert_not_found(b.batches().status(a_batch).await, "status");
    assert_not_found(b.batches().files(a_batch).await, "files");
    assert_not_found(
        b.batches().add_bytes(a_batch, "x.pdf", bytes.clone()).await,
        "add_bytes",
    );
    assert_not_found(
        b.batches().add_path(a_batch, dir.join("cv.pdf")).await,
        "add_path",
    );
    assert_not_found(b.batches().add_dir(a_batch, &dir).await, "add_dir");
    assert_not_found(b.batches().submit(a_batch).await, "submit");
    assert_not_found(b.batches().cancel(a_batch).await, "cancel");
    assert_not_found(b.job_descriptions().get(a_jd).await, "jd get");
    assert_not_found(b.job_descriptions().text(a_jd).await, "jd text");
    assert_not_found(
        b.batches()
            .create(NewBatch {
                jd_id: a_jd,
                name: None,
                weightage_profile_id: None,
            })
            .await,
        "batch on another tenant's jd",
    );
    assert!(b.batches().list().await.unwrap().is_empty());
    assert!(b.job_descriptions().list().await.unwrap().is_empty());
    // Nothing of B's attempts reached A's batch, and B's store holds nothing.
    assert_eq!(a.batches().files(a_batch).await.unwrap().len(), 1);
    assert_eq!(
        a.batches().get(a_batch).await.unwrap().status,
        BatchStatus::Created
    );
    assert!(
        engine
            .store()
            .unwrap()
            .list(&format!("t/{}", b.tenant_id()))
            .await
            .unwrap()
            .is_empty()
    );

    // The same bytes in B: a separate object under an unrelated key.
    let b_jd = jd(&b).await;
    let b_batch = batch(&b, b_jd, "beta batch").await;
    let b_file = b
        .batches()
        .add_bytes(b_batch, "cv.pdf", bytes.clone())
        .await
        .unwrap();
    assert_eq!(
        b_file.disposition,
        Disposition::Stored,
        "B does not see A's content"
    );
    let (oa, ob) = (
        storage_objects_of(&engine, a.tenant_id()).await,
        storage_objects_of(&engine, b.tenant_id()).await,
    );
    assert_eq!((oa.len(), ob.len()), (1, 1));
    assert_eq!(oa[0].sha256, ob[0].sha256);
    assert_ne!(oa[0].storage_object_id, ob[0].storage_object_id);
    assert_ne!(oa[0].storage_path, ob[0].storage_path);
    let content_id = |p: &str| p.rsplit('/').next().unwrap().to_owned();
    assert_ne!(
        content_id(&oa[0].storage_path),
        content_id(&ob[0].storage_path),
        "the content id is keyed per tenant"
    );
    assert_eq!(Some(oa[0].storage_object_id), a_file.file.storage_object_id);
    assert_eq!(Some(ob[0].storage_object_id), b_file.file.storage_object_id);
    // Each tenant's file rows are its own.
    assert!(
        b.batches()
            .files(b_batch)
            .await
            .unwrap()
            .iter()
            .all(|f| f.storage_object_id == Some(ob[0].storage_object_id))
    );
    let b_rows = files::Entity::find()
        .filter(files::Column::TenantId.eq(b.tenant_id()))
        .count(engine.connection())
        .await
        .unwrap();
    assert_eq!(b_rows, 1);
    let a_blobs = files_under(&db.store_dir().join(format!("t/{}/objects", a.tenant_id())));
    let b_blobs = files_under(&db.store_dir().join(format!("t/{}/objects", b.tenant_id())));
    assert_eq!((a_blobs.len(), b_blobs.len()), (1, 1));
    assert_ne!(
        std::fs::read(&a_blobs[0]).unwrap(),
        std::fs::read(&b_blobs[0]).unwrap(),
        "sealed under different tenant keys"
    );
    assert_no_plaintext(&db.store_dir());
}
both_backends!(cross_tenant_content, cross_tenant_content);

/// created → processing → cancelled; created → cancelled; all-rejected → completed at
/// submit; closed batches refuse files with Conflict; permissions.
async fn status_machine(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "alpha").await;
    let jd_id = jd(&s).await;

    let b = batch(&s, jd_id, "main").await;
    s.batches()
        .add_bytes(b, "a.txt", b"Ana\n".to_vec())
        .await
        .unwrap();
    s.batches()
        .add_bytes(b, "b.txt", &b"Bruno\n"[..])
        .await
        .unwrap();
    assert_eq!(
        s.batches().submit(b).await.unwrap().status,
        BatchStatus::Processing
    );
    assert_conflict(
        s.batches().add_bytes(b, "c.txt", b"Carla\n".to_vec()).await,
        "add after submit",
    );
    assert_conflict(s.batches().submit(b).await, "submit twice");
    let cancelled = s.batches().cancel(b).await.unwrap();
    assert_eq!(cancelled.status, BatchStatus::Cancelled);
    assert!(cancelled.completed_at.is_some());
    let statuses: Vec<String> = jobs::Entity::find()
        .filter(jobs::Column::BatchId.eq(b))
        .all(engine.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.status)
        .collect();
    assert_eq!(
        statuses,
        ["cancelled", "cancelled"],
        "its jobs are cancelled"
    );
    assert_eq!(
        s.batches().cancel(b).await.unwrap().status,
        BatchStatus::Cancelled,
        "cancel is idempotent"
    );
    assert_conflict(
        s.batches().add_bytes(b, "c.txt", b"Carla\n".to_vec()).await,
        "add after cancel",
    );

    let open = batch(&s, jd_id, "open").await;
    assert_eq!(
        s.batches().cancel(open).await.unwrap().status,
        BatchStatus::Cancelled
    );
    assert_conflict(s.batches().submit(open).await, "submit after cancel");

    let bad = batch(&s, jd_id, "all bad").await;
    s.batches()
        .add_bytes(bad, "empty.txt", Vec::new())
        .await
        .unwrap();
    let done = s.batches().submit(bad).await.unwrap();
    assert_eq!(done.status, BatchStatus::Completed, "nothing to process");
    assert_eq!((done.total_files, done.failed_files), (1, 1));
    assert_conflict(s.batches().cancel(bad).await, "cancel a completed batch");

    let empty = batch(&s, jd_id, "empty").await;
    assert!(matches!(
        s.batches().submit(empty).await,
        Err(Error::InvalidInput(_))
    ));

    // The same content twice in one batch, under two names: one row.
    let twice = batch(&s, jd_id, "twice").await;
    let first = s
        .batches()
        .add_bytes(twice, "x.txt", b"Dora\n".to_vec())
        .await
        .unwrap();
    let second = s
        .batches()
        .add_bytes(twice, "y.txt", b"Dora\n".to_vec())
        .await
        .unwrap();
    assert_eq!(second.disposition, Disposition::AlreadyInBatch);
    assert_eq!(second.file, first.file);
    assert_eq!(s.batches().status(twice).await.unwrap().total_files, 1);

    // The weightage profile is copied into the batch: later edits do not reach it.
    use resumeflow::scoring::entity::weightage_profiles;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let profile_id = Uuid::now_v7();
    let now = chrono::Utc::now();
    weightage_profiles::ActiveModel {
        profile_id: Set(profile_id),
        tenant_id: Set(s.tenant_id()),
        name: Set("balanced".into()),
        is_default: Set(true),
        weights: Set(serde_json::json!({"local": 0.5, "ai": 0.5})),
        knockouts: Set(serde_json::json!([])),
        disagreement_threshold: Set(0.3),
        created_at: Set(now),
        updated_at: Set(now),
        is_deleted: Set(false),
        deleted_at: Set(None),
    }
    .insert(engine.connection())
    .await
    .unwrap();
    let profiled = s
        .batches()
        .create(NewBatch {
            jd_id,
            name: None,
            weightage_profile_id: None,
        })
        .await
        .unwrap();
    weightage_profiles::Entity::update_many()
        .col_expr(
            weightage_profiles::Column::Weights,
            sea_orm::sea_query::Expr::value(serde_json::json!({"local": 1.0, "ai": 0.0})),
        )
        .filter(weightage_profiles::Column::ProfileId.eq(profile_id))
        .exec(engine.connection())
        .await
        .unwrap();
    let profiled = s.batches().get(profiled.batch_id).await.unwrap();
    assert_eq!(
        profiled.weightage_profile_id,
        Some(profile_id),
        "the default"
    );
    let snapshot = profiled.weightage_profile.unwrap();
    assert_eq!(snapshot["name"], "balanced");
    assert_eq!(
        snapshot["weights"],
        serde_json::json!({"local": 0.5, "ai": 0.5})
    );
    assert_not_found(
        s.batches()
            .create(NewBatch {
                jd_id,
                name: None,
                weightage_profile_id: Some(Uuid::now_v7()),
            })
            .await,
        "unknown profile",
    );

    // Batches list newest first and snapshot the JD's version.
    let listed = s.batches().list().await.unwrap();
    assert_eq!(listed.len(), 6);
    assert_eq!(listed[0].batch_id, profiled.batch_id);
    assert_eq!(listed[1].batch_id, twice);
    assert!(listed.iter().all(|x| x.jd_id == jd_id && x.jd_version == 1));

    // A viewer reads but cannot write; an unknown JD is NotFound.
    let viewer = s
        .users()
        .create(NewUser {
            email: "vera@alpha.test".into(),
            role: Role::Viewer,
            display_name: None,
        })
        .await
        .unwrap();
    let v = engine.session(s.tenant_id(), viewer.user_id).await.unwrap();
    assert_eq!(v.batches().get(twice).await.unwrap().batch_id, twice);
    assert!(matches!(
        v.batches()
            .add_bytes(twice, "z.txt", b"Eva\n".to_vec())
            .await,
        Err(Error::PermissionDenied { .. })
    ));
    assert!(matches!(
        v.batches()
            .create(NewBatch {
                jd_id,
                name: None,
                weightage_profile_id: None
            })
            .await,
        Err(Error::PermissionDenied { .. })
    ));
    assert!(matches!(
        v.batches().cancel(twice).await,
        Err(Error::PermissionDenied { .. })
    ));
    assert_not_found(
        s.batches()
            .create(NewBatch {
                jd_id: Uuid::now_v7(),
                name: None,
                weightage_profile_id: None,
            })
            .await,
        "unknown jd",
    );
    let actions: Vec<String> = s
        .audit_log(200)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "jd.create",
        "batch.create",
        "file.add",
        "batch.submit",
        "batch.cancel",
    ] {
        assert!(actions.iter().any(|x| x == a), "audit has {a}");
    }
    assert!(s.verify_audit_chain().await.unwrap().is_ok());
}
both_backends!(status_machine, status_machine);

/// Job descriptions: created at version 1 with a version row, text sealed in the store.
async fn job_descriptions(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "alpha").await;
    let id = jd(&s).await;
    let got = s.job_descriptions().get(id).await.unwrap();
    assert_eq!(
        (got.title.as_str(), got.version, got.has_text),
        ("Rust engineer", 1, true)
    );
    // Explicit parameters are kept as given, under the effective criteria read from the text.
    assert_eq!(
        got.parameters["explicit"],
        serde_json::json!({"skills": ["rust"]})
    );
    assert_eq!(got.parameters["source"], "heuristic");
    assert_eq!(
        s.job_descriptions().text(id).await.unwrap().as_deref(),
        Some(format!("We hire. Contact {EMAIL} or {PHONE}.").as_str())
    );
    let key = text_key(s.tenant_id(), id, 1);
    assert!(db.store_dir().join(&key).is_file(), "text stored at {key}");
    assert_no_plaintext(&db.store_dir());
    let bare = s
        .job_descriptions()
        .create(NewJobDescription {
            title: "Analyst".into(),
            text: None,
            parameters: serde_json::Value::Null,
        })
        .await
        .unwrap();
    assert_eq!(bare.parameters["explicit"], serde_json::json!({}));
    assert_eq!(bare.criteria(), resumeflow::Criteria::default());
    assert_eq!(s.job_descriptions().text(bare.jd_id).await.unwrap(), None);
    let listed: Vec<Uuid> = s
        .job_descriptions()
        .list()
        .await
        .unwrap()
        .iter()
        .map(|j| j.jd_id)
        .collect();
    assert_eq!(listed, [bare.jd_id, id]);
    let versions = resumeflow::jd::entity::jd_versions::Entity::find()
        .filter(resumeflow::jd::entity::jd_versions::Column::JdId.eq(id))
        .all(engine.connection())
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(
        (versions[0].version, versions[0].raw_text_path.as_deref()),
        (1, Some(key.as_str()))
    );
    assert!(matches!(
        s.job_descriptions()
            .create(NewJobDescription {
                title: "x".into(),
                text: None,
                parameters: serde_json::json!("not an object"),
            })
            .await,
        Err(Error::InvalidInput(_))
    ));
}
both_backends!(job_descriptions, job_descriptions);

/// The dedup scenario against an S3-compatible server (moto, started by scripts/test.sh).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_dedup() {
    let Ok(endpoint) = std::env::var("RESUMEFLOW_TEST_S3_ENDPOINT") else {
        if std::env::var("RESUMEFLOW_REQUIRE_S3").as_deref() == Ok("1") {
            panic!("RESUMEFLOW_REQUIRE_S3=1 but RESUMEFLOW_TEST_S3_ENDPOINT is not set");
        }
        eprintln!(
            "SKIP s3_dedup: RESUMEFLOW_TEST_S3_ENDPOINT is not set (scripts/test.sh starts moto and sets it)"
        );
        return;
    };
    let bucket =
        std::env::var("RESUMEFLOW_TEST_S3_BUCKET").unwrap_or_else(|_| "resumeflow-test".into());
    let db = TestDb::create(resumeflow_tests::Backend::Sqlite)
        .await
        .unwrap();
    // A prefix of its own, so that repeated runs against one server never meet.
    let prefix = format!("run-{}", Uuid::now_v7().simple());
    let engine = Engine::builder()
        .database_url(&db.url)
        .store_url(format!("s3://{bucket}/{prefix}"))
        .store_options(StoreOptions {
            endpoint: Some(endpoint),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
            allow_http: true,
        })
        .keys(std::sync::Arc::new(LocalKeyProvider::random()))
        .build()
        .await
        .unwrap();
    engine.migrate().await.unwrap();
    let s = owner_session(&engine, "alpha").await;
    dedup_scenario(&engine, &s).await;
    // The blob is sealed on S3 too.
    let store = engine.store().unwrap();
    for key in store.list("t").await.unwrap() {
        let bytes = store.get(&key).await.unwrap();
        assert!(
            !bytes.windows(EMAIL.len()).any(|w| w == EMAIL.as_bytes()),
            "{key}"
        );
    }
    db.cleanup().await;
}

/// The whole ingest path as an application role that row-level security binds (the other
/// tests connect as a superuser, which bypasses it): the batch lock, the storage-object
/// upsert, the queue insert and the cancel must all pass the tenant policies.
async fn under_row_level_security(db: &TestDb) {
    use sea_orm::ConnectionTrait;
    let master = [7u8; 32];
    let store_url = format!("file://{}", db.store_dir().display());
    let owner_engine = Engine::builder()
        .database_url(&db.url)
        .store_url(&store_url)
        .keys(std::sync::Arc::new(LocalKeyProvider::new(master)))
        .build()
        .await
        .unwrap();
    owner_engine.migrate().await.unwrap();
    let role = "resumeflow_ingest_app";
    let admin = owner_engine.connection();
    admin
        .execute_unprepared(&format!(
            "DO $$ BEGIN CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS; \
             EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        ))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "GRANT USAGE ON SCHEMA public TO {role}; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        ))
        .await
        .unwrap();
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_username(role).unwrap();
    let app = Engine::builder()
        .database_url(url.as_str())
        .store_url(&store_url)
        .keys(std::sync::Arc::new(LocalKeyProvider::new(master)))
        .build()
        .await
        .unwrap();
    let a = owner_session(&app, "alpha").await;
    let b = owner_session(&app, "beta").await;
    let jd_id = jd(&a).await;
    let batch_id = batch(&a, jd_id, "rls").await;
    let bytes = resume_pdf("rls");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (s, bytes) = (a.clone(), bytes.clone());
        tasks.push(tokio::spawn(async move {
            s.batches()
                .add_bytes(batch_id, &format!("cv-{i}.pdf"), bytes)
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("add as the application role");
    }
    a.batches()
        .add_bytes(batch_id, "notes.txt", b"Ana, Rust\n".to_vec())
        .await
        .unwrap();
    a.batches()
        .add_bytes(batch_id, "empty.txt", Vec::new())
        .await
        .unwrap();
    let p = a.batches().status(batch_id).await.unwrap();
    assert_eq!((p.total_files, p.failed_files), (3, 1));
    assert_eq!(
        storage_objects_of(&owner_engine, a.tenant_id()).await.len(),
        2
    );
    assert_eq!(
        a.batches().submit(batch_id).await.unwrap().status,
        BatchStatus::Processing
    );
    assert_not_found(b.batches().get(batch_id).await, "other tenant under RLS");
    assert_eq!(
        a.batches().cancel(batch_id).await.unwrap().status,
        BatchStatus::Cancelled
    );
    let jobs_of_batch: Vec<String> = jobs::Entity::find()
        .filter(jobs::Column::BatchId.eq(batch_id))
        .all(owner_engine.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.status)
        .collect();
    assert_eq!(jobs_of_batch, ["cancelled", "cancelled"]);
    assert!(a.verify_audit_chain().await.unwrap().is_ok());
}
resumeflow_tests::postgres_only!(under_row_level_security, under_row_level_security);
