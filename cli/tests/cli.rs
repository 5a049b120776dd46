//! The command line end to end, as a user runs it: `screen` on the examples (SQLite and
//! PostgreSQL), a rerun that reuses everything, `batch status`, `replay` and `worker`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use resumeflow_tests::{Backend, TestDb};

fn examples() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples"))
}

fn resumeflow(dir: &Path, db: &TestDb, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_resumeflow"))
        .current_dir(dir)
        .args(args)
        .env("RESUMEFLOW_DATABASE_URL", &db.url)
        .env(
            "RESUMEFLOW_STORE",
            format!("file://{}", db.store_dir().display()),
        )
        .env_remove("RESUMEFLOW_KEY_FILE")
        .output()
        .expect("run resumeflow");
    assert!(
        out.status.success(),
        "resumeflow {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

async fn screen_examples(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let dir = db.store_dir().with_file_name("cwd");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(db.store_dir()).unwrap();
    let jd = examples().join("jobs/backend-engineer.md");
    let criteria = examples().join("jobs/backend-engineer.criteria.json");
    let resumes = examples().join("resumes");
    let args = [
        "screen",
        "--jd",
        jd.to_str().unwrap(),
        "--criteria",
        criteria.to_str().unwrap(),
        "--out",
        "out",
        resumes.to_str().unwrap(),
    ];
    let first = resumeflow(&dir, &db, &args);
    let table = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(table.starts_with("rank  candidate"), "{table}");
    assert!(table.contains("Amara Okafor (amara-okafor.txt)"), "{table}");
    assert!(
        table.contains("corrupted-upload.pdf") && table.contains("failed:"),
        "{table}"
    );

    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join("out/results.json")).unwrap()).unwrap();
    let inputs = std::fs::read_dir(&resumes).unwrap().count();
    assert_eq!(rows.len(), inputs, "one object per input file");
    assert_eq!(rows[0]["rank"], 1);
    assert!(
        rows[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("amara-okafor.txt")
    );
    assert!(rows[0]["final_score"].as_f64().unwrap() > 90.0);
    assert_eq!(rows[0]["flags"][0], "local_only");
    let casey = rows
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("casey-morgan.txt"))
        .unwrap();
    assert_eq!(casey["needs_review"], true);
    let broken = rows.iter().find(|r| r["status"] == "failed").unwrap();
    assert_eq!(broken["error_code"], "extract_failed");
    let csv = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    assert_eq!(csv.lines().count(), inputs + 1);
    assert!(csv.starts_with("rank,path,candidate,final_score"));

    // The same command again reuses the batch and everything in it.
    let again = resumeflow(&dir, &db, &args);
    let err = String::from_utf8_lossy(&again.stderr).to_string();
    assert!(err.contains("resuming batch"), "{err}");
    assert_eq!(String::from_utf8_lossy(&again.stdout), table);
    let batch = err
        .split("batch ")
        .nth(2)
        .and_then(|s| s.split(':').next())
        .expect("the batch id")
        .to_owned();

    let status = resumeflow(&dir, &db, &["batch", "status", &batch]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["progress"]["status"], "completed");
    assert_eq!(status["progress"]["failed_files"], 1);
    let job = status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["steps"].as_array().unwrap().len() == 4)
        .unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Replay from score, then a worker runs it (it stops on SIGTERM once idle).
    let r = resumeflow(&dir, &db, &["replay", &job, "--from", "score"]);
    let r: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(r["dropped_steps"], serde_json::json!(["score"]));
    let worker = Command::new(env!("CARGO_BIN_EXE_resumeflow"))
        .current_dir(&dir)
        .args(["worker", "--concurrency", "2"])
        .env("RESUMEFLOW_DATABASE_URL", &db.url)
        .env(
            "RESUMEFLOW_STORE",
            format!("file://{}", db.store_dir().display()),
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let st = resumeflow(&dir, &db, &["batch", "status", &batch]);
        let st: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
        let done = st["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["status"] != "queued" && j["status"] != "in_progress");
        if done {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker did not run the replay"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // A graceful stop, as an operator's service manager would ask for it.
    Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    let out = worker.wait_with_output().unwrap();
    assert!(out.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["completed"], 1);
    let after = resumeflow(&dir, &db, &args);
    assert_eq!(
        String::from_utf8_lossy(&after.stdout),
        table,
        "same ranking after the replay"
    );
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screen_examples_sqlite() {
    screen_examples(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screen_examples_postgres() {
    screen_examples(Backend::Postgres).await;
}
