//! The schema: migrations up, down and up again; every table and entity present; the
//! PostgreSQL extras (RLS, partitions, GIN) in place.

use resumeflow::migrations::sea_orm_migration::MigratorTrait;
use resumeflow::migrations::{Migrator, all_tables, implied_tenant_tables, tenant_tables};
use resumeflow_tests::{
    Backend, TestDb, both_backends, count, new_batch, owner_session, postgres_only, strings,
    table_names,
};
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect, Statement};

fn expected_tables() -> Vec<String> {
    let mut t: Vec<String> = all_tables().iter().map(|t| t.name.to_owned()).collect();
    t.push("resumeflow_migrations".into());
    t.sort();
    t
}

/// The list of tables, written out by hand so that a table dropped from the
/// migrations by mistake fails here.
const REQUIRED: [&str; 38] = [
    "tenants",
    "users",
    "roles",
    "user_permissions",
    "job_descriptions",
    "jd_versions",
    "jd_skills",
    "jd_requirements",
    "batches",
    "files",
    "storage_objects",
    "jobs",
    "checkpoints",
    "workers",
    "worker_heartbeats",
    "resumes",
    "resume_experiences",
    "resume_projects",
    "resume_technologies",
    "resume_skills",
    "resume_education",
    "resume_contacts",
    "employers",
    "employer_projects",
    "employer_departments",
    "employer_roles",
    "local_match_scores",
    "ai_scores",
    "score_resolutions",
    "weightage_profiles",
    "results",
    "reports",
    "report_rows",
    "audit_logs",
    "error_logs",
    "resumeflow_migrations",
    "tenants",
    "users",
];

async fn up_down_up(db: &TestDb) {
    let conn = db.connect().await;
    let n = Migrator::migrations().len() as i64;
    Migrator::up(&conn, None).await.unwrap();
    let tables = table_names(&conn).await;
    assert_eq!(tables, expected_tables());
    for t in REQUIRED {
        assert!(tables.iter().any(|x| x == t), "missing table {t}");
    }
    // The host's own migration table is not touched: ours has its own name.
    assert!(!tables.iter().any(|t| t == "seaql_migrations"));
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM resumeflow_migrations").await,
        n
    );
    // Up again is a no-op.
    Migrator::up(&conn, None).await.unwrap();
    // Down removes everything but the migration table.
    Migrator::down(&conn, None).await.unwrap();
    assert_eq!(
        table_names(&conn).await,
        vec!["resumeflow_migrations".to_owned()]
    );
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM resumeflow_migrations").await,
        0
    );
    // And up again restores it all, with the seeded roles.
    Migrator::up(&conn, None).await.unwrap();
    assert_eq!(table_names(&conn).await, expected_tables());
    assert_eq!(
        strings(&conn, "SELECT role FROM roles ORDER BY rank DESC").await,
        vec!["owner", "admin", "recruiter", "viewer"]
    );
    // Down one step at a time works too (each migration is reversible on its own).
    for left in (0..n).rev() {
        Migrator::down(&conn, Some(1)).await.unwrap();
        assert_eq!(
            count(&conn, "SELECT COUNT(*) FROM resumeflow_migrations").await,
            left
        );
    }
    Migrator::up(&conn, None).await.unwrap();
    assert_eq!(table_names(&conn).await, expected_tables());
}
both_backends!(migrations_up_down_up, up_down_up);

/// Every entity selects its columns from its table: a column renamed on one side fails.
async fn entities_match_tables(db: &TestDb) {
    use resumeflow::{
        audit, candidate, employer, ingest, jd, pipeline, queue, report, scoring, tenancy,
    };
    let engine = db.engine().await;
    let c = engine.connection();
    macro_rules! probe {
        ($($e:path),* $(,)?) => {{
            let mut n = 0;
            $(
                <$e>::find().limit(1).all(c).await.unwrap_or_else(|e| panic!("{}: {e}", stringify!($e)));
                n += 1;
            )*
            n
        }};
    }
    let n = probe!(
        tenancy::entity::tenants::Entity,
        tenancy::entity::roles::Entity,
        tenancy::entity::users::Entity,
        tenancy::entity::user_permissions::Entity,
        jd::entity::job_descriptions::Entity,
        jd::entity::jd_versions::Entity,
        jd::entity::jd_skills::Entity,
        jd::entity::jd_requirements::Entity,
        employer::entity::employers::Entity,
        employer::entity::employer_departments::Entity,
        employer::entity::employer_roles::Entity,
        employer::entity::employer_projects::Entity,
        employer::entity::employer_aliases::Entity,
        ingest::entity::storage_objects::Entity,
        ingest::entity::batches::Entity,
        ingest::entity::files::Entity,
        queue::entity::jobs::Entity,
        queue::entity::workers::Entity,
        queue::entity::worker_heartbeats::Entity,
        pipeline::entity::checkpoints::Entity,
        candidate::entity::resumes::Entity,
        candidate::entity::resume_experiences::Entity,
        candidate::entity::resume_projects::Entity,
        candidate::entity::resume_technologies::Entity,
        candidate::entity::resume_skills::Entity,
        candidate::entity::resume_education::Entity,
        candidate::entity::resume_contacts::Entity,
        scoring::entity::weightage_profiles::Entity,
        scoring::entity::local_match_scores::Entity,
        scoring::entity::ai_scores::Entity,
        scoring::entity::score_resolutions::Entity,
        report::entity::results::Entity,
        report::entity::reports::Entity,
        report::entity::report_rows::Entity,
        audit::entity::audit_logs::Entity,
        audit::entity::error_logs::Entity,
    );
    assert_eq!(n, all_tables().len(), "one entity per table");
    // Roles are readable through their entity and match the seeded rows.
    let roles = tenancy::entity::roles::Entity::find().all(c).await.unwrap();
    assert_eq!(roles.len(), 4);
}
both_backends!(entities_match_tables, entities_match_tables);

/// CHECK constraints on statuses hold on both backends, written through the entities.
async fn status_checks(db: &TestDb) {
    use resumeflow::{ingest::entity::batches, jd::entity::job_descriptions};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let engine = db.engine().await;
    let c = engine.connection();
    let t = engine
        .tenants()
        .create(resumeflow::NewTenant {
            name: "A".into(),
            slug: "a".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let (jd, now) = (uuid::Uuid::now_v7(), chrono::Utc::now());
    job_descriptions::ActiveModel {
        jd_id: Set(jd),
        tenant_id: Set(t.tenant_id),
        title: Set("x".into()),
        parameters: Set(serde_json::json!({})),
        raw_text_path: Set(None),
        version: Set(1),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        is_deleted: Set(false),
        deleted_at: Set(None),
    }
    .insert(c)
    .await
    .unwrap();
    let batch = |status: &str, processed: i32| batches::ActiveModel {
        batch_id: Set(uuid::Uuid::now_v7()),
        tenant_id: Set(t.tenant_id),
        jd_id: Set(jd),
        jd_version: Set(1),
        name: Set(None),
        weightage_profile_id: Set(None),
        weightage_profile: Set(None),
        status: Set(status.into()),
        total_files: Set(1),
        processed_files: Set(processed),
        failed_files: Set(0),
        created_by: Set(None),
        submitted_at: Set(None),
        completed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        is_deleted: Set(false),
        deleted_at: Set(None),
    };
    batch("created", 0).insert(c).await.unwrap();
    assert!(
        batch("exploded", 0).insert(c).await.is_err(),
        "unknown status accepted"
    );
    assert!(
        batch("processing", 2).insert(c).await.is_err(),
        "counters beyond total accepted"
    );
    // A batch cannot point at another tenant's job description (tenant-safe foreign key).
    let other = engine
        .tenants()
        .create(resumeflow::NewTenant {
            name: "B".into(),
            slug: "b".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut cross = batch("created", 0);
    cross.tenant_id = Set(other.tenant_id);
    assert!(
        cross.insert(c).await.is_err(),
        "cross-tenant reference accepted"
    );
}
both_backends!(status_checks, status_checks);

/// Deleting a tenant deletes every row of it, in every tenant table, and nothing of
/// another tenant: also in the tables whose tenant is implied by their parent and which
/// have no key to `tenants` of their own on PostgreSQL (migration 14).
async fn tenant_deletion_reaches_every_row(db: &TestDb) {
    let engine = db.engine().await;
    let gone = owner_session(&engine, "gone").await;
    let kept = owner_session(&engine, "kept").await;
    for s in [&gone, &kept] {
        let b = new_batch(
            s,
            Some("# Backend engineer\n## Requirements\n- Python, PostgreSQL\n"),
        )
        .await;
        let resume = "Ada Lovelace\nada@example.org\n\nExperience\nSenior Engineer, Acme Ltd\n\
                      Jan 2018 - Present\n- Built Python services\n\nSkills\nPython, PostgreSQL\n";
        s.batches()
            .add_bytes(b, "ada.txt", resume.as_bytes().to_vec())
            .await
            .unwrap();
        s.batches().submit(b).await.unwrap();
    }
    let stats = engine
        .worker(resumeflow::WorkerConfig {
            poll_interval: std::time::Duration::from_millis(20),
            ..Default::default()
        })
        .run_until_idle()
        .await
        .unwrap();
    assert_eq!(stats.failed, 0, "{stats:?}");
    let c = engine.connection();
    // Rows of `tenant` in `table` (a bound value: SQLite keeps uuids as blobs).
    let rows = |tenant: uuid::Uuid, table: &str| {
        let p = if db.backend == Backend::Postgres {
            "$1"
        } else {
            "?"
        };
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE tenant_id = {p}");
        async move {
            let row = c
                .query_one_raw(Statement::from_sql_and_values(
                    c.get_database_backend(),
                    sql,
                    [tenant.into()],
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    // The run wrote rows in the implied tables (the point of the test), for both tenants.
    for table in ["resume_experiences", "score_resolutions", "results"] {
        assert!(implied_tenant_tables().contains(&table));
        assert!(rows(gone.tenant_id(), table).await > 0, "{table}");
    }
    // As the operator would (the test connection is not subject to row-level security).
    c.execute_raw(Statement::from_sql_and_values(
        c.get_database_backend(),
        if db.backend == Backend::Postgres {
            "DELETE FROM tenants WHERE tenant_id = $1"
        } else {
            "DELETE FROM tenants WHERE tenant_id = ?"
        },
        [gone.tenant_id().into()],
    ))
    .await
    .unwrap();
    for table in tenant_tables() {
        assert_eq!(rows(gone.tenant_id(), table).await, 0, "{table} kept rows");
    }
    for table in ["resume_experiences", "results", "jobs"] {
        assert!(
            rows(kept.tenant_id(), table).await > 0,
            "{table} of the other tenant"
        );
    }
}
both_backends!(tenant_deletion, tenant_deletion_reaches_every_row);

async fn postgres_extras(db: &TestDb) {
    assert_eq!(db.backend, Backend::Postgres);
    let engine = db.engine().await;
    let c = engine.connection();
    // RLS enabled and forced on every tenant table, with a policy.
    for t in tenant_tables() {
        let sql = format!(
            "SELECT COUNT(*) FROM pg_class WHERE relname = '{t}' AND relrowsecurity AND relforcerowsecurity"
        );
        assert_eq!(count(c, &sql).await, 1, "RLS not enabled+forced on {t}");
        let sql = format!("SELECT COUNT(*) FROM pg_policies WHERE tablename = '{t}'");
        assert_eq!(count(c, &sql).await, 1, "no policy on {t}");
    }
    // Every tenant table reaches `tenants`: by a key of its own, or (on the tables whose
    // tenant is implied by a cascading tenant-safe reference to its parent) not.
    for t in tenant_tables().into_iter().filter(|t| *t != "tenants") {
        let sql = format!(
            "SELECT COUNT(*) FROM pg_constraint WHERE conrelid = '{t}'::regclass \
             AND contype = 'f' AND confrelid = 'tenants'::regclass"
        );
        let expected = if implied_tenant_tables().contains(&t) {
            0
        } else {
            1
        };
        assert_eq!(count(c, &sql).await, expected, "keys from {t} to tenants");
    }
    // The tables without tenant_id are exactly the global ones.
    let global: Vec<&str> = all_tables()
        .iter()
        .filter(|t| !t.tenant)
        .map(|t| t.name)
        .collect();
    assert_eq!(global, vec!["roles", "workers", "worker_heartbeats"]);
    // Partitioned parents, with a default partition and monthly ones around now.
    for t in resumeflow::migrations::pg::PARTITIONED {
        let sql = format!(
            "SELECT COUNT(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = '{t}'"
        );
        assert_eq!(count(c, &sql).await, 1, "{t} is not partitioned");
        let month = chrono::Utc::now().format("%Y%m");
        let sql = format!(
            "SELECT COUNT(*) FROM pg_class WHERE relname IN ('{t}_default', '{t}_p{month}')"
        );
        assert_eq!(
            count(c, &sql).await,
            2,
            "{t} lacks its default or current partition"
        );
    }
    // JSONB with GIN on the searched columns.
    for (table, col) in [
        ("job_descriptions", "parameters"),
        ("tenants", "settings"),
        ("local_match_scores", "components"),
        ("score_resolutions", "components"),
    ] {
        let sql = format!(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = '{table}' AND column_name = '{col}' AND data_type = 'jsonb'"
        );
        assert_eq!(count(c, &sql).await, 1, "{table}.{col} is not jsonb");
        let sql = format!(
            "SELECT COUNT(*) FROM pg_indexes WHERE tablename = '{table}' AND indexdef ILIKE '%USING gin ({col})%'"
        );
        assert_eq!(count(c, &sql).await, 1, "no GIN index on {table}.{col}");
    }
    // Every index of a tenant table leads with tenant_id, except the queue's claim indexes
    // and the primary keys.
    let rows = strings(
        c,
        "SELECT tablename || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
         AND indexname NOT LIKE '%_pkey' AND tablename NOT LIKE '%\\_p2%' AND tablename NOT LIKE '%\\_default'",
    )
    .await;
    let tenant = tenant_tables();
    for r in rows {
        let (table, def) = r.split_once(' ').unwrap();
        // tenants.slug is unique across tenants by design.
        if !tenant.contains(&table) || def.contains("USING gin") || table == "tenants" {
            continue;
        }
        let cols = def.split_once("btree (").map(|(_, c)| c).unwrap_or("");
        let leads = cols.starts_with("tenant_id") || table == "jobs" || table == "checkpoints";
        assert!(leads, "index does not lead with tenant_id: {def}");
    }
    // Upkeep: partitions ahead are created, expired ones dropped.
    let old = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    resumeflow::migrations::pg::ensure_partitions(c, "audit_logs", true, old, old)
        .await
        .unwrap();
    assert_eq!(
        count(
            c,
            "SELECT COUNT(*) FROM pg_class WHERE relname = 'audit_logs_p202001'"
        )
        .await,
        1
    );
    let (created, dropped) = engine.partition_upkeep(6, Some(24)).await.unwrap();
    assert!(
        dropped.contains(&"audit_logs_p202001".to_owned()),
        "{dropped:?}"
    );
    let ahead = chrono::Utc::now()
        .date_naive()
        .checked_add_months(chrono::Months::new(6))
        .unwrap();
    let name = format!("jobs_p{}", ahead.format("%Y%m"));
    assert!(created.contains(&name), "{created:?}");
    assert_eq!(
        count(
            c,
            &format!("SELECT COUNT(*) FROM pg_class WHERE relname = '{name}'")
        )
        .await,
        1
    );
    // Upkeep is idempotent.
    engine.partition_upkeep(6, Some(24)).await.unwrap();
}
postgres_only!(postgres_extras, postgres_extras);
