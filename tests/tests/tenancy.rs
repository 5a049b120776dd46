//! Tenancy through the session: the cross-tenant matrix, the role × permission table with
//! grants and denies, and the row-level-security wall on PostgreSQL.

use resumeflow::{
    Engine, Error, NewTenant, NewUser, Permission, Role, Session, TenantUpdate, UserUpdate,
};
use resumeflow_tests::{Backend, TestDb, both_backends, count, owner_session, postgres_only};
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

struct World {
    engine: Engine,
    a: Session,
    b: Session,
    b_user: Uuid,
}

async fn world(db: &TestDb) -> World {
    let engine = db.engine().await;
    let a = owner_session(&engine, "alpha").await;
    let b = owner_session(&engine, "beta").await;
    let b_user = b
        .users()
        .create(NewUser {
            email: "rita@beta.test".into(),
            role: Role::Recruiter,
            display_name: Some("Rita".into()),
        })
        .await
        .unwrap()
        .user_id;
    b.permissions()
        .grant(b_user, Permission::AuditRead)
        .await
        .unwrap();
    World {
        engine,
        a,
        b,
        b_user,
    }
}

fn assert_not_found<T: std::fmt::Debug>(r: resumeflow::Result<T>, what: &str) {
    match r {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

async fn cross_tenant_matrix(db: &TestDb) {
    let w = world(db).await;
    let (a, b, id) = (&w.a, &w.b, w.b_user);
    // Every user operation of tenant A on tenant B's user by id: not found, never a leak.
    assert_not_found(a.users().get(id).await, "read");
    assert_not_found(
        a.users()
            .update(
                id,
                UserUpdate {
                    role: Some(Role::Viewer),
                    ..Default::default()
                },
            )
            .await,
        "update",
    );
    assert_not_found(a.users().deactivate(id).await, "deactivate");
    assert_not_found(a.users().reactivate(id).await, "reactivate");
    assert_not_found(a.users().delete(id).await, "delete");
    assert_not_found(a.permissions().list(id).await, "list permissions");
    assert_not_found(a.permissions().effective(id).await, "effective permissions");
    assert_not_found(a.permissions().grant(id, Permission::JdRead).await, "grant");
    assert_not_found(a.permissions().deny(id, Permission::JdRead).await, "deny");
    assert_not_found(
        a.permissions().revoke(id, Permission::JdRead).await,
        "revoke",
    );
    // Lists and lookups see only A's own rows.
    let users = a.users().list().await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(users.iter().all(|u| u.tenant_id == a.tenant_id()));
    assert!(
        a.users()
            .find_by_email("rita@beta.test")
            .await
            .unwrap()
            .is_none()
    );
    // A session can only ever address its own tenant.
    assert_eq!(a.tenant().get().await.unwrap().slug, "alpha");
    let renamed = a
        .tenant()
        .update(TenantUpdate {
            name: Some("Alpha Inc".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(renamed.tenant_id, a.tenant_id());
    assert_eq!(b.tenant().get().await.unwrap().name, "BETA");
    // A session for B's user under A's tenant id cannot be opened.
    assert_not_found(w.engine.session(a.tenant_id(), id).await, "session");
    // Nothing of B changed.
    let rita = b.users().get(id).await.unwrap();
    assert_eq!(
        (rita.role, rita.active, rita.email.as_str()),
        (Role::Recruiter, true, "rita@beta.test")
    );
    assert_eq!(b.permissions().list(id).await.unwrap().len(), 1);
    // The audit trail of each tenant holds only its own actions, and verifies.
    let log = b.audit_log(100).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "user.create" && e.entity_id == Some(id))
    );
    assert!(
        a.audit_log(100)
            .await
            .unwrap()
            .iter()
            .all(|e| e.entity_id != Some(id))
    );
    assert_eq!(
        a.verify_audit_chain().await.unwrap(),
        Ok(a.audit_log(100).await.unwrap().len())
    );
    assert!(b.verify_audit_chain().await.unwrap().is_ok());
}
both_backends!(cross_tenant_matrix, cross_tenant_matrix);

/// The documented matrix, written out independently of the code that implements it.
fn expected(role: Role, p: Permission) -> bool {
    use Permission::*;
    let min = match p {
        JdRead | BatchRead | CandidateRead | ReportRead | ProfileRead => Role::Viewer,
        JdWrite | BatchWrite | CandidatePiiRead | CandidateWrite | ReportWrite => Role::Recruiter,
        UserRead | UserManage | ProfileManage | AuditRead | RetentionManage => Role::Admin,
        TenantManage | KeyManage => Role::Owner,
    };
    role >= min
}

async fn permission_table(db: &TestDb) {
    let engine = db.engine().await;
    let owner = owner_session(&engine, "gamma").await;
    let mut sessions = vec![(Role::Owner, owner.clone())];
    for role in [Role::Admin, Role::Recruiter, Role::Viewer] {
        let u = owner
            .users()
            .create(NewUser {
                email: format!("{role}@gamma.test"),
                role,
                display_name: None,
            })
            .await
            .unwrap();
        sessions.push((
            role,
            engine.session(owner.tenant_id(), u.user_id).await.unwrap(),
        ));
    }
    for (role, s) in &sessions {
        for p in Permission::ALL {
            assert_eq!(s.can(p), expected(*role, p), "{role} × {p}");
        }
        // The operations that exist check the same table.
        let denied = |r: &resumeflow::Result<_>| matches!(r, Err(Error::PermissionDenied { .. }));
        let list = s.users().list().await.map(|_| ());
        assert_eq!(
            !denied(&list),
            expected(*role, Permission::UserRead),
            "{role} lists users"
        );
        let audit = s.audit_log(5).await.map(|_| ());
        assert_eq!(
            !denied(&audit),
            expected(*role, Permission::AuditRead),
            "{role} reads audit"
        );
        let upd = s.tenant().update(TenantUpdate::default()).await.map(|_| ());
        assert_eq!(
            !denied(&upd),
            expected(*role, Permission::TenantManage),
            "{role} edits tenant"
        );
        let new = s
            .users()
            .create(NewUser {
                email: format!("new-{role}@gamma.test"),
                role: Role::Viewer,
                display_name: None,
            })
            .await
            .map(|_| ());
        assert_eq!(
            !denied(&new),
            expected(*role, Permission::UserManage),
            "{role} creates users"
        );
    }
    let admin = &sessions[1].1;
    let viewer_id = sessions[3].1.actor().user_id;
    let recruiter_id = sessions[2].1.actor().user_id;
    // Nobody creates or promotes above their own role.
    let r = admin
        .users()
        .create(NewUser {
            email: "boss@gamma.test".into(),
            role: Role::Owner,
            display_name: None,
        })
        .await;
    assert!(matches!(r, Err(Error::PermissionDenied { .. })), "{r:?}");
    let r = admin
        .users()
        .update(
            viewer_id,
            UserUpdate {
                role: Some(Role::Owner),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(r, Err(Error::PermissionDenied { .. })));
    // An admin cannot touch an owner.
    let r = admin.users().deactivate(owner.actor().user_id).await;
    assert!(matches!(r, Err(Error::PermissionDenied { .. })));
    // Grants: a viewer gets contact details; a grant of what one lacks is refused.
    admin
        .permissions()
        .grant(viewer_id, Permission::CandidatePiiRead)
        .await
        .unwrap();
    let r = admin
        .permissions()
        .grant(viewer_id, Permission::KeyManage)
        .await;
    assert!(matches!(
        r,
        Err(Error::PermissionDenied {
            permission: Permission::KeyManage
        })
    ));
    // Denies beat the role: a recruiter loses contact details.
    admin
        .permissions()
        .deny(recruiter_id, Permission::CandidatePiiRead)
        .await
        .unwrap();
    let viewer = engine.session(owner.tenant_id(), viewer_id).await.unwrap();
    let recruiter = engine
        .session(owner.tenant_id(), recruiter_id)
        .await
        .unwrap();
    assert!(viewer.can(Permission::CandidatePiiRead));
    assert!(!recruiter.can(Permission::CandidatePiiRead));
    assert!(recruiter.can(Permission::JdWrite));
    // A deny replaces an earlier grant of the same permission, and revoke restores the role.
    admin
        .permissions()
        .deny(viewer_id, Permission::CandidatePiiRead)
        .await
        .unwrap();
    assert!(
        !admin
            .permissions()
            .effective(viewer_id)
            .await
            .unwrap()
            .contains(&Permission::CandidatePiiRead)
    );
    assert_eq!(admin.permissions().list(viewer_id).await.unwrap().len(), 1);
    assert!(
        admin
            .permissions()
            .revoke(recruiter_id, Permission::CandidatePiiRead)
            .await
            .unwrap()
    );
    assert!(
        engine
            .session(owner.tenant_id(), recruiter_id)
            .await
            .unwrap()
            .can(Permission::CandidatePiiRead)
    );
    // Deactivated users cannot open sessions; reactivation restores them.
    admin.users().deactivate(recruiter_id).await.unwrap();
    assert!(matches!(
        engine.session(owner.tenant_id(), recruiter_id).await,
        Err(Error::Config(_))
    ));
    admin.users().reactivate(recruiter_id).await.unwrap();
    engine
        .session(owner.tenant_id(), recruiter_id)
        .await
        .unwrap();
    // Deactivated tenants cannot either.
    engine
        .tenants()
        .deactivate(owner.tenant_id())
        .await
        .unwrap();
    assert!(
        engine
            .session(owner.tenant_id(), recruiter_id)
            .await
            .is_err()
    );
    assert!(engine.tenants().list(false).await.unwrap().is_empty());
    assert_eq!(engine.tenants().list(true).await.unwrap().len(), 1);
    engine
        .tenants()
        .reactivate(owner.tenant_id())
        .await
        .unwrap();
    engine
        .session(owner.tenant_id(), recruiter_id)
        .await
        .unwrap();
}
both_backends!(permission_table, permission_table);

async fn validation_and_conflicts(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "delta").await;
    let dup = engine
        .tenants()
        .create(NewTenant {
            name: "D".into(),
            slug: "delta".into(),
            ..Default::default()
        })
        .await;
    assert!(matches!(dup, Err(Error::Conflict(_))), "{dup:?}");
    let bad = engine
        .tenants()
        .create(NewTenant {
            name: "D".into(),
            slug: "Bad Slug".into(),
            ..Default::default()
        })
        .await;
    assert!(matches!(bad, Err(Error::InvalidInput(_))));
    let u = s
        .users()
        .create(NewUser {
            email: "Ann@Delta.test".into(),
            role: Role::Viewer,
            display_name: None,
        })
        .await
        .unwrap();
    assert_eq!(u.email, "ann@delta.test");
    // E-mail uniqueness per tenant holds through the blind index, whatever the case.
    let again = s
        .users()
        .create(NewUser {
            email: "ANN@delta.test".into(),
            role: Role::Viewer,
            display_name: None,
        })
        .await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    assert_eq!(
        s.users()
            .find_by_email(" ann@DELTA.test")
            .await
            .unwrap()
            .unwrap()
            .user_id,
        u.user_id
    );
    // The same e-mail in another tenant is another user.
    let other = owner_session(&engine, "epsilon").await;
    other
        .users()
        .create(NewUser {
            email: "ann@delta.test".into(),
            role: Role::Viewer,
            display_name: None,
        })
        .await
        .unwrap();
    // No plaintext e-mail in the users table.
    let c = engine.connection();
    let sql = match db.backend {
        Backend::Postgres => {
            "SELECT COUNT(*) FROM users WHERE position('ann@delta.test' in encode(email_ciphertext, 'escape')) > 0 OR email_index LIKE '%ann%'"
        }
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM users WHERE instr(CAST(email_ciphertext AS TEXT), 'ann@delta.test') > 0 OR email_index LIKE '%ann%'"
        }
    };
    assert_eq!(count(c, sql).await, 0);
    assert!(matches!(
        s.users().delete(s.actor().user_id).await,
        Err(Error::InvalidInput(_))
    ));
    s.users().delete(u.user_id).await.unwrap();
    assert!(matches!(
        s.users().get(u.user_id).await,
        Err(Error::NotFound { .. })
    ));
}
both_backends!(validation_and_conflicts, validation_and_conflicts);

/// The second wall: as a non-superuser application role, a query with no tenant filter
/// sees only the tenant set for the transaction, and nothing when none is set.
async fn rls_wall(db: &TestDb) {
    assert_eq!(db.backend, Backend::Postgres);
    let w = world(db).await;
    let admin = w.engine.connection();
    let role = "resumeflow_app_test";
    let create = format!(
        "DO $$ BEGIN CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS; \
         EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    );
    admin.execute_unprepared(&create).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "GRANT USAGE ON SCHEMA public TO {role}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        ))
        .await
        .unwrap();
    // Seed rows of both tenants in more tables, as the superuser (who bypasses RLS).
    for (t, slug) in [(w.a.tenant_id(), "a"), (w.b.tenant_id(), "b")] {
        let jd = Uuid::now_v7();
        let batch = Uuid::now_v7();
        admin.execute_unprepared(&format!(
            "INSERT INTO job_descriptions (jd_id, tenant_id, title, created_at, updated_at) VALUES ('{jd}', '{t}', 'jd {slug}', now(), now());
             INSERT INTO batches (batch_id, tenant_id, jd_id, status, created_at, updated_at) VALUES ('{batch}', '{t}', '{jd}', 'created', now(), now());
             INSERT INTO files (file_id, tenant_id, batch_id, original_name, status, created_at, updated_at) VALUES ('{}', '{t}', '{batch}', 'cv.pdf', 'received', now(), now());
             INSERT INTO jobs (job_id, tenant_id, kind, status, run_at, batch_id, created_at, updated_at) VALUES ('{}', '{t}', 'process_file', 'queued', now(), '{batch}', now(), now());
             INSERT INTO error_logs (error_id, tenant_id, code, message, created_at) VALUES ('{}', '{t}', 'x', 'y', now());",
            Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()
        )).await.unwrap();
    }
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_username(role).unwrap();
    let app = Database::connect(url.as_str()).await.unwrap();
    let tables = resumeflow::migrations::tenant_tables();
    let (a, b) = (w.a.tenant_id(), w.b.tenant_id());
    // No scope set: zero rows in every tenant table.
    for t in &tables {
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM {t}")).await,
            0,
            "{t} leaks without a scope"
        );
    }
    // Scope A, inside a transaction: only A's rows, and A's rows are there.
    use sea_orm::TransactionTrait;
    let tx = app.begin().await.unwrap();
    tx.execute_unprepared(&format!(
        "SELECT set_config('resumeflow.tenant_id', '{a}', true)"
    ))
    .await
    .unwrap();
    for t in &tables {
        let other = count(
            &tx,
            &format!("SELECT COUNT(*) FROM {t} WHERE tenant_id <> '{a}'"),
        )
        .await;
        assert_eq!(other, 0, "{t} shows another tenant's rows");
    }
    for t in [
        "tenants",
        "users",
        "job_descriptions",
        "batches",
        "files",
        "jobs",
        "error_logs",
        "audit_logs",
    ] {
        assert!(
            count(&tx, &format!("SELECT COUNT(*) FROM {t}")).await > 0,
            "{t} hides A's own rows"
        );
    }
    // Writes into another tenant are refused by the policy's WITH CHECK.
    let w_other = tx
        .execute_unprepared(&format!(
            "INSERT INTO error_logs (error_id, tenant_id, code, message, created_at) VALUES ('{}', '{b}', 'x', 'y', now())",
            Uuid::now_v7()
        ))
        .await;
    assert!(
        w_other.is_err(),
        "insert into another tenant must be refused"
    );
    tx.rollback().await.unwrap();
    // The setting was transaction-local: the pooled connection carries nothing over.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 0);
    // Partitions named directly are walled too.
    let month = chrono::Utc::now().format("%Y%m");
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM files_p{month}")).await,
        0
    );
    app.close().await.ok();
    admin.execute_unprepared(&format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}; REVOKE USAGE ON SCHEMA public FROM {role}")).await.unwrap();
}
postgres_only!(rls_wall, rls_wall);
