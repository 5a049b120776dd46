//! Parsed candidates in the database: parsed once per content, contact details encrypted
//! and shown only to those allowed, every read audited, nothing in plaintext anywhere.

use resumeflow::{Error, NewBatch, NewJobDescription, NewUser, Role, Session};
use resumeflow_tests::{Backend, TestDb, both_backends, count, owner_session, strings};
use uuid::Uuid;

const EMAIL: &str = "zq.planted.7f3a@example.org";
const PHONE: &str = "+1 415 555 0199";
const PHONE_DIGITS: &str = "14155550199";
const NAME: &str = "Zanzibar Quixote";

fn cv() -> String {
    format!(
        "{NAME}\n{EMAIL} | {PHONE} | Lisbon, Portugal\n\nExperience\nSenior Data Engineer, Atlantic Freight Ltd\nJan 2019 - Present\n\
         - Built pipelines in Python and Kubernetes\n\nData Analyst, Harbour Bank\n03/2015 - 12/2018\n\n\
         Education\nBachelor of Science in Computer Science\nUniversity of Porto\n2011 - 2014\n\nSkills\nPython, k8s, Postgres, SQL\n"
    )
}

async fn upload(s: &Session, bytes: Vec<u8>) -> Uuid {
    let jd = s
        .job_descriptions()
        .create(NewJobDescription {
            title: "Data engineer".into(),
            text: Some("Python, Kubernetes".into()),
            parameters: serde_json::json!({}),
        })
        .await
        .unwrap();
    let b = s
        .batches()
        .create(NewBatch {
            jd_id: jd.jd_id,
            name: None,
            weightage_profile_id: None,
        })
        .await
        .unwrap();
    let added = s
        .batches()
        .add_bytes(b.batch_id, "zq.txt", bytes)
        .await
        .unwrap();
    added.file.storage_object_id.expect("stored")
}

async fn parsed_once_and_private(db: &TestDb) {
    let engine = db.engine().await;
    let owner = owner_session(&engine, "acme").await;
    let object = upload(&owner, cv().into_bytes()).await;
    let c = owner.candidates().parse_object(object, None).await.unwrap();
    assert_eq!(c.status, "validated");
    assert_eq!(c.parser.as_deref(), Some("heuristic"));
    assert_eq!(c.experiences.len(), 2);
    assert_eq!(c.experiences[0].company, "Atlantic Freight Ltd");
    assert!(c.experiences[0].is_current);
    assert!(
        c.skills.contains(&"Kubernetes".to_owned()) && c.skills.contains(&"PostgreSQL".to_owned()),
        "{:?}",
        c.skills
    );
    assert!(
        c.technologies.contains(&"Python".to_owned()),
        "{:?}",
        c.technologies
    );
    assert_eq!(c.education[0].level.as_deref(), Some("bachelor"));
    assert!(c.experience_months.unwrap() >= 12 * 11);
    let contacts = c.contacts.clone().expect("owners see contacts");
    assert_eq!(
        (contacts.name.as_deref(), contacts.email.as_deref()),
        (Some(NAME), Some(EMAIL))
    );
    // Parsed once: the same content, again or in another batch, is the same resume.
    assert_eq!(
        owner
            .candidates()
            .parse_object(object, None)
            .await
            .unwrap()
            .resume_id,
        c.resume_id
    );
    let again = upload(&owner, cv().into_bytes()).await;
    assert_eq!(again, object, "one storage object per content");
    assert_eq!(
        count(engine.connection(), "SELECT COUNT(*) FROM resumes").await,
        1
    );
    // Lookup by e-mail through the blind index.
    assert_eq!(
        owner
            .candidates()
            .find_by_email(&EMAIL.to_uppercase())
            .await
            .unwrap(),
        vec![c.resume_id]
    );
    // A viewer sees the candidate without contact details and cannot look people up.
    let v = owner
        .users()
        .create(NewUser {
            email: "v@acme.test".into(),
            role: Role::Viewer,
            display_name: None,
        })
        .await
        .unwrap();
    let viewer = engine.session(owner.tenant_id(), v.user_id).await.unwrap();
    let seen = viewer.candidates().get(c.resume_id).await.unwrap();
    assert!(seen.contacts.is_none());
    assert_eq!(seen.experiences, c.experiences);
    assert!(matches!(
        viewer.candidates().find_by_email(EMAIL).await,
        Err(Error::PermissionDenied { .. })
    ));
    assert!(matches!(
        viewer.candidates().parse_object(object, None).await,
        Err(Error::PermissionDenied { .. })
    ));
    // Every read is audited, with whether personal data was shown.
    let log = owner.audit_log(100).await.unwrap();
    let reads: Vec<_> = log
        .iter()
        .filter(|e| e.action == "resume.read" && e.entity_id == Some(c.resume_id))
        .collect();
    assert_eq!(reads.len(), 3, "parse, parse again, viewer read");
    assert!(
        reads
            .iter()
            .any(|e| e.details["pii"] == false && e.actor_user_id == Some(v.user_id))
    );
    assert!(log.iter().any(|e| e.action == "resume.lookup"));
    // Another tenant can neither read nor parse it.
    let other = owner_session(&engine, "globex").await;
    assert!(matches!(
        other.candidates().get(c.resume_id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        other.candidates().parse_object(object, None).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        other
            .candidates()
            .find_by_email(EMAIL)
            .await
            .unwrap()
            .is_empty()
    );

    // No planted e-mail, phone or name in plaintext anywhere: database (file and WAL, or
    // every row of every table) and store.
    let needles = [EMAIL, PHONE, PHONE_DIGITS, NAME];
    let dir = db.dir.as_ref().unwrap();
    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in walk(dir) {
        haystacks.push((entry.display().to_string(), std::fs::read(&entry).unwrap()));
    }
    if db.backend == Backend::Postgres {
        let c = engine.connection();
        for t in resumeflow::migrations::all_tables() {
            let rows = strings(
                c,
                &format!(
                    "SELECT coalesce(string_agg(x::text, E'\\n'), '') FROM {} x",
                    t.name
                ),
            )
            .await;
            haystacks.push((format!("table {}", t.name), rows.join("\n").into_bytes()));
        }
    } else {
        assert!(
            haystacks.iter().any(|(n, _)| n.ends_with("resumeflow.db")),
            "the SQLite file is scanned"
        );
    }
    for (where_, bytes) in &haystacks {
        for n in needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                "{n:?} in plaintext in {where_}"
            );
        }
    }
}
both_backends!(parsed_once_and_private, parsed_once_and_private);

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn broken_documents_are_typed_errors(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "initech").await;
    // A PDF header with nothing readable behind it: stored (it sniffs as PDF), then the
    // parse fails with a typed error and no resume row.
    let object = upload(
        &s,
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>\n%%EOF".to_vec(),
    )
    .await;
    let r = s.candidates().parse_object(object, None).await;
    assert!(matches!(r, Err(Error::InvalidInput(_))), "{r:?}");
    assert_eq!(
        count(engine.connection(), "SELECT COUNT(*) FROM resumes").await,
        0
    );
}
both_backends!(
    broken_documents_are_typed_errors,
    broken_documents_are_typed_errors
);

/// A host model scripted to answer once with malformed JSON, then well.
struct Scripted {
    answers: std::sync::Mutex<Vec<String>>,
    sent: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl resumeflow::LlmClient for Scripted {
    async fn complete(
        &self,
        req: &resumeflow::LlmRequest,
    ) -> Result<resumeflow::LlmResponse, resumeflow::LlmError> {
        self.sent
            .lock()
            .unwrap()
            .push(serde_json::to_string(req).unwrap());
        let text = self.answers.lock().unwrap().remove(0);
        Ok(resumeflow::LlmResponse {
            text,
            usage: None,
            model: Some("scripted".into()),
        })
    }
    fn model(&self) -> String {
        "scripted".into()
    }
}

async fn llm_parse_is_stored_sealed(db: &TestDb) {
    let engine = db.engine().await;
    let s = owner_session(&engine, "hooli").await;
    let object = upload(&s, cv().into_bytes()).await;
    let good = serde_json::json!({
        "basics": {"name": "[NAME]", "email": "[EMAIL_1]"},
        "work": [
            {"name": "Atlantic Freight Ltd", "position": "Senior Data Engineer", "startDate": "2019-01"},
            {"name": "Invented Corp", "position": "CEO", "startDate": "2010-01", "endDate": "2012-01"}
        ],
        "skills": [{"name": "Python"}]
    })
    .to_string();
    let client = Scripted {
        answers: std::sync::Mutex::new(vec!["not json".into(), good]),
        sent: Default::default(),
    };
    let c = s
        .candidates()
        .parse_object(object, Some(&client))
        .await
        .unwrap();
    assert_eq!(c.parser.as_deref(), Some("llm"));
    assert_eq!(c.experiences.len(), 1, "the invented employer is dropped");
    assert_eq!(
        c.contacts.unwrap().email.as_deref(),
        Some(EMAIL),
        "contacts filled back locally"
    );
    assert!(
        c.flags
            .iter()
            .any(|f| f.starts_with("llm_unsupported_values")),
        "{:?}",
        c.flags
    );
    let sent = client.sent.lock().unwrap().join("\n");
    assert_eq!(
        client.sent.lock().unwrap().len(),
        2,
        "one retry after the malformed answer"
    );
    for secret in [EMAIL, PHONE, NAME] {
        assert!(!sent.contains(secret), "{secret} reached the LLM");
    }
    // The exchange is in the store under the pointer, sealed.
    let c = engine.connection();
    let path = strings(c, "SELECT llm_response_path FROM resumes").await;
    assert!(path[0].contains("/llm/"), "{path:?}");
    let on_disk = std::fs::read(db.store_dir().join(&path[0])).unwrap();
    assert!(
        !on_disk.windows(12).any(|w| w == b"Invented Cor"),
        "the LLM answer is sealed"
    );
}
both_backends!(llm_parse_is_stored_sealed, llm_parse_is_stored_sealed);
