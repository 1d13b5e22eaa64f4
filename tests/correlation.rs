//! Correlation and lifecycle through the CLI: cross-tool collapse on the
//! corpus's Trivy and Grype scans of one image, and line drift.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("FIXOPS_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

fn decide(db: &Path, args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let out = Command::cargo_bin("fixops")
        .unwrap()
        .arg("--db")
        .arg(db)
        .args([
            "--project",
            "test/drift",
            "--now",
            "2026-11-21T00:00:00Z",
            "decide",
            "--format",
            "json",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn trivy_and_grype_scans_of_one_image_collapse_per_vulnerability_package_version() {
    let Some(c) = corpus() else {
        println!("NOTICE: ../shared/corpus not found; cross-tool test skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let grype = c.join("sarif/vexctl/nginx-grype.sarif.json");
    let trivy = c.join("sarif/vexctl/nginx-trivy.sarif.json");
    let v = decide(
        &dir.path().join("a.db"),
        &[grype.as_os_str(), trivy.as_os_str()],
    );
    // Computed independently from the two files: Grype names the package and
    // version in its message ("reports tar at version 1.34+dfsg-1.2"), Trivy
    // in "Package:" / "Installed Version:" lines; both report the same 99
    // (vulnerability, package, version) triples.
    assert_eq!(v["counts"]["findings"], 198);
    assert_eq!(v["counts"]["issues"], 99);
    assert_eq!(v["noise"]["merged_by"]["taxonomy"], 99);
    assert!((v["noise"]["reduction"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    // Different CVEs in one package stay separate issues but share a
    // root-cause group: 19 (package, version) pairs carry two or more CVEs.
    let groups: Vec<_> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["strategy"] == "root_cause")
        .collect();
    assert_eq!(groups.len(), 19);
    for is in v["issues"].as_array().unwrap() {
        let tools: Vec<&str> = is["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(tools.len(), 2, "{is}");
    }
}

#[test]
fn grype_cyclonedx_boms_of_one_target_collapse() {
    let Some(c) = corpus() else {
        println!("NOTICE: ../shared/corpus not found; cross-tool test skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = c.join("cyclonedx/defectdojo/log4j.json");
    let b = c.join("cyclonedx/defectdojo/nested-component-log4j.json");
    let v = decide(&dir.path().join("a.db"), &[a.as_os_str(), b.as_os_str()]);
    // Both BOMs list the same 8 vulnerabilities of log4j-core 2.13.2 (4 CVEs, 4
    // GHSAs; the BOMs state no aliases between them, so 8 issues).
    assert_eq!(v["counts"]["findings"], 16);
    assert_eq!(v["counts"]["issues"], 8);
}

#[test]
fn inserted_lines_above_a_finding_keep_its_identity() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("drift.db");
    let run = |version: &str| {
        let sarif = fixture(&format!("drift/{version}.sarif"));
        let root = fixture(&format!("drift/{version}"));
        decide(
            &db,
            &[
                sarif.as_os_str(),
                "--source-root".as_ref(),
                root.as_os_str(),
            ],
        )
    };
    let v1 = run("v1");
    assert_eq!(
        v1["counts"]["issues"], 2,
        "two injections, same rule and message, different code"
    );
    assert_eq!(v1["counts"]["by_lifecycle"]["new"], 2);
    let v2 = run("v2");
    assert_eq!(v2["counts"]["issues"], 2);
    assert_eq!(
        v2["counts"]["by_lifecycle"]["unchanged"], 2,
        "{}",
        v2["issues"]
    );
    assert_eq!(v2["counts"]["by_lifecycle"]["new"], 0);
    assert_eq!(v2["counts"]["by_lifecycle"]["fixed"], 0);
    let ids = |v: &serde_json::Value| {
        let mut ids: Vec<String> = v["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&v1), ids(&v2));
    // Without the source, identity falls back to the normalized message, and
    // the two findings cannot be told apart.
    let other = tempfile::tempdir().unwrap();
    let v = decide(
        &other.path().join("x.db"),
        &[
            fixture("drift/v1.sarif").as_os_str(),
            "--source-root".as_ref(),
            other.path().as_os_str(),
        ],
    );
    assert_eq!(v["counts"]["issues"], 1);
}

#[test]
fn baseline_file_instead_of_store() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.json");
    let out = Command::cargo_bin("fixops")
        .unwrap()
        .args([
            "--no-store",
            "--now",
            "2026-11-20T00:00:00Z",
            "decide",
            "--format",
            "json",
            "-o",
        ])
        .arg(&first)
        .arg(fixture("example/scan.sarif"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = decide(
        &dir.path().join("b.db"),
        &[
            fixture("example/scan.sarif").as_os_str(),
            "--baseline".as_ref(),
            first.as_os_str(),
            "--new-only".as_ref(),
        ],
    );
    assert_eq!(v["counts"]["by_lifecycle"]["unchanged"], 5);
    assert_eq!(v["verdict"], "ALLOW", "nothing new against the baseline");
    assert!(v["baseline"].as_str().unwrap().contains("first.json"));
    // Without a store the baseline is still the history.
    let out = Command::cargo_bin("fixops")
        .unwrap()
        .args(["--no-store", "decide", "--format", "json", "--new-only"])
        .arg("--baseline")
        .arg(&first)
        .arg(fixture("example/scan.sarif"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["counts"]["by_lifecycle"]["unchanged"], 5);
    assert_eq!(v["verdict"], "ALLOW");
}

#[test]
fn explain_and_issues_read_a_recorded_run() {
    let Some(c) = corpus() else {
        println!("NOTICE: ../shared/corpus not found; explain test skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let grype = c.join("sarif/vexctl/nginx-grype.sarif.json");
    let trivy = c.join("sarif/vexctl/nginx-trivy.sarif.json");
    let v = decide(&db, &[grype.as_os_str(), trivy.as_os_str()]);
    let issue = &v["issues"][0];
    let members: Vec<u64> = issue["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_u64().unwrap())
        .collect();
    assert_eq!(members.len(), 2);
    let fixops = || {
        let mut c = Command::cargo_bin("fixops").unwrap();
        c.arg("--db").arg(&db).args(["--project", "test/drift"]);
        c
    };
    let out = fixops()
        .args([
            "explain",
            &members[0].to_string(),
            &members[1].to_string(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["same_issue"], true);
    assert_eq!(e["path"][0]["strategy"], "taxonomy");
    assert_eq!(e["confidence"], 0.9);
    // Two different vulnerabilities: not the same issue, and the text says why.
    let other = v["issues"][1]["findings"][0].as_u64().unwrap();
    let out = fixops()
        .args(["explain", &members[0].to_string(), &other.to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("DIFFERENT issues"), "{text}");
    assert!(text.contains("taxonomy    no match"), "{text}");
    // Issue ids work as well as finding indices.
    let id = issue["id"].as_str().unwrap();
    fixops()
        .args(["explain", id, &members[1].to_string()])
        .assert()
        .success();
    fixops()
        .args(["explain", "I-nope", "0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "neither a finding index nor an issue id",
        ));
    let out = fixops().args(["issues", "--json"]).output().unwrap();
    let issues: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(issues.as_array().unwrap().len(), 99);
    let out = fixops().arg("issues").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("run 1: 99 issues from 198 findings"),
        "{text}"
    );
}
