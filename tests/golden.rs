//! Golden verdict: SARIF + SBOM + VEX + KEV + EPSS + business context, with
//! a fixed clock, through the real CLI and store. The snapshot is reviewed
//! by hand: a change to it is a change to what users see.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

#[test]
fn golden_verdict_for_the_example() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let fixops = || {
        let mut c = Command::cargo_bin("fixops").unwrap();
        c.current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("FIXOPS_FORMAT")
            .arg("--db")
            .arg(&db)
            .args([
                "--now",
                "2026-11-21T09:00:00Z",
                "--project",
                "acme/shop",
                "--branch",
                "main",
            ]);
        c
    };
    fixops()
        .args(["feeds", "import"])
        .arg(fixture("intel/kev.json"))
        .arg(fixture("intel/epss.csv"))
        .assert()
        .success();
    let out = fixops()
        .args([
            "decide",
            "--format",
            "json",
            "--service",
            "shop",
            "--context",
        ])
        .arg(fixture("example/context.toml"))
        .args([
            "fixtures/example/scan.sarif",
            "fixtures/example/sbom.cdx.json",
            "fixtures/example/vex.openvex.json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Pin the parts people read; the full document is the snapshot.
    let log4j = v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["vulnerability"] == "CVE-2021-44228")
        .unwrap();
    assert_eq!(log4j["risk"]["kev"], true);
    assert_eq!(log4j["risk"]["ransomware"], true);
    assert_eq!(log4j["risk"]["epss"], 0.94358);
    assert!(
        log4j["risk"]["p30"].as_f64().unwrap() >= 0.94358,
        "KEV never lowers P30"
    );
    let lodash = v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["vulnerability"] == "CVE-2021-23337")
        .unwrap();
    assert_eq!(lodash["vex"]["status"], "not_affected");
    assert_eq!(lodash["decision"], "ALLOW");
    assert_eq!(v["intel"]["kev"]["version"], "2026.11.20");
    assert!(
        v["intel"].get("stale").is_none(),
        "snapshots dated yesterday are fresh"
    );
    insta::assert_json_snapshot!("example_verdict", v);
}

#[test]
fn stale_intelligence_warns_adds_a_reason_and_can_be_required_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let fixops = |now: &str| {
        let mut c = Command::cargo_bin("fixops").unwrap();
        c.current_dir(dir.path())
            .env_remove("FIXOPS_FORMAT")
            .arg("--db")
            .arg(&db)
            .args(["--now", now, "--project", "acme/shop"]);
        c
    };
    fixops("2026-11-21T00:00:00Z")
        .args(["feeds", "import"])
        .arg(fixture("intel/kev.json"))
        .arg(fixture("intel/epss.csv"))
        .assert()
        .success();
    let out = fixops("2026-12-30T00:00:00Z")
        .args(["decide", "--format", "json"])
        .arg(fixture("example/sbom.cdx.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stale = v["intel"]["stale"].as_array().unwrap();
    assert_eq!(stale.len(), 2, "{stale:?}");
    assert!(
        stale[0].as_str().unwrap().contains("40 days old"),
        "{stale:?}"
    );
    assert!(
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "FX-INTEL-STALE")
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("older than the 14-day maximum"));
    fixops("2026-12-30T00:00:00Z")
        .args(["decide", "--require-fresh-intel"])
        .arg(fixture("example/sbom.cdx.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--require-fresh-intel"));
    // The maximum ages are configurable.
    std::fs::write(
        dir.path().join("fixops.toml"),
        "[decide]\nkev_max_age_days = 60\nepss_max_age_days = 60\n",
    )
    .unwrap();
    let out = fixops("2026-12-30T00:00:00Z")
        .args(["decide", "--format", "json", "--require-fresh-intel"])
        .arg(fixture("example/sbom.cdx.json"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
