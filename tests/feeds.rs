//! Feeds: import every corpus KEV/EPSS file, and `feeds update` against a real
//! HTTP server on 127.0.0.1 (plain, gzip, 404, timeout).

use assert_cmd::Command;
use predicates::prelude::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("FIXOPS_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    dir.join("feeds").is_dir().then_some(dir.join("feeds"))
}

fn fixops(db: &Path) -> Command {
    let mut c = Command::cargo_bin("fixops").unwrap();
    c.arg("--db")
        .arg(db)
        .args(["--now", "2026-11-21T00:00:00Z"]);
    c
}

fn status(db: &Path) -> serde_json::Value {
    let out = fixops(db)
        .args(["feeds", "status", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_corpus_feed_imports_or_fails_cleanly() {
    let Some(feeds) = corpus() else {
        println!("NOTICE: ../shared/corpus not found; feeds corpus test skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for sub in ["kev", "epss"] {
        let mut files: Vec<_> = std::fs::read_dir(feeds.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            checked += 1;
            let db = dir.path().join(format!("{checked}.db"));
            let out = fixops(&db)
                .args(["feeds", "import"])
                .arg(&f)
                .output()
                .unwrap();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr);
            if name.contains("schema") {
                assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
                assert!(
                    stderr.contains("catalogVersion") && stderr.contains(&name),
                    "{stderr}"
                );
                continue;
            }
            assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
            let s = status(&db);
            let snap = &s[0];
            // Expected entry counts: the MANIFEST notes' `entries=` / `FULL snapshot: N CVEs`.
            let want = match name.as_str() {
                n if n.contains("2023-10-13") => 1019,
                n if n.contains("2025-08-25") => 1404,
                n if n.contains("2026-08-07") => 1662,
                n if n.starts_with("epss_scores") => 360_142,
                other => panic!("unexpected corpus feed {other}"),
            };
            assert_eq!(snap["entries"], want, "{name}");
            if sub == "epss" {
                assert_eq!(snap["version"], "v2026.06.15");
                assert_eq!(snap["date"], "2026-08-16T00:00:00Z");
            }
        }
    }
    println!("feeds corpus: checked {checked} files");
    assert!(checked >= 5);
}

#[test]
fn reimport_is_idempotent_and_bad_files_import_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let csv = dir.path().join("epss.csv");
    std::fs::write(&csv, "cve,epss,percentile\nCVE-2021-44228,0.94,0.99\n").unwrap();
    fixops(&db)
        .args(["feeds", "import"])
        .arg(&csv)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 entries"));
    fixops(&db)
        .args(["feeds", "import"])
        .arg(&csv)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("already stored"));
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "cve,epss,percentile\nCVE-1,0.5\n").unwrap();
    let csv2 = dir.path().join("epss2.csv");
    std::fs::write(&csv2, "cve,epss,percentile\nCVE-2021-44228,0.95,0.99\n").unwrap();
    fixops(&db)
        .args(["feeds", "import"])
        .arg(&csv2)
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.csv: line 2, column 1: too few fields",
        ));
    assert_eq!(status(&db).as_array().unwrap().len(), 1);
}

/// A one-thread HTTP/1.1 server: `routes` maps a path to (status, body);
/// `/hang` accepts and never answers. Serves `max` connections, then stops.
fn serve(routes: Vec<(&'static str, u16, Vec<u8>)>, max: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            if path == "/hang" {
                std::thread::sleep(Duration::from_secs(5));
                continue;
            }
            let (status, body) = routes
                .iter()
                .find(|(p, _, _)| *p == path)
                .map(|(_, s, b)| (*s, b.clone()))
                .unwrap_or((404, b"not found".to_vec()));
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}")
}

#[test]
fn update_fetches_plain_kev_and_gzip_epss_from_a_mirror() {
    let Some(feeds) = corpus() else {
        println!("NOTICE: ../shared/corpus not found; feeds update test skipped");
        return;
    };
    let kev =
        std::fs::read(feeds.join("kev/known_exploited_vulnerabilities_2025-08-25.json")).unwrap();
    let epss =
        std::fs::read(feeds.join("epss/epss_scores_reconstructed_2026-08-16.csv.gz")).unwrap();
    let base = serve(
        vec![("/kev.json", 200, kev), ("/epss.csv.gz", 200, epss)],
        2,
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    fixops(&db)
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env_remove("ALL_PROXY")
        .args(["feeds", "update", "--kev-url"])
        .arg(format!("{base}/kev.json"))
        .arg("--epss-url")
        .arg(format!("{base}/epss.csv.gz"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "imported kev snapshot 1 (version 2025.08.25",
        ))
        .stdout(predicate::str::contains(
            "imported epss snapshot 2 (version v2026.06.15",
        ));
    let s = status(&db);
    assert_eq!(s[0]["entries"], 360_142);
    assert_eq!(s[1]["entries"], 1404);
    assert!(s[0]["origin"].as_str().unwrap().ends_with("/epss.csv.gz"));
}

#[test]
fn update_reports_404_and_timeouts_and_stores_nothing() {
    let base = serve(vec![], 8);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    fixops(&db)
        .args(["feeds", "update", "--retries", "0", "--kev-url"])
        .arg(format!("{base}/missing.json"))
        .arg("--epss-url")
        .arg(format!("{base}/missing.csv.gz"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "missing.json: cannot fetch (HTTP 404)",
        ));
    let start = std::time::Instant::now();
    fixops(&db)
        .args([
            "feeds",
            "update",
            "--retries",
            "0",
            "--timeout",
            "1",
            "--kev-url",
        ])
        .arg(format!("{base}/hang"))
        .arg("--epss-url")
        .arg(format!("{base}/hang"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot fetch"));
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "the timeout was honoured"
    );
    assert!(!db.exists() || status(&db).as_array().unwrap().is_empty());
}
