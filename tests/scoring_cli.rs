//! CLI contract of the scoring commands: `fixops cvss`, `fixops ssvc`, `fixops graph`.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn fixops() -> Command {
    let mut c = Command::cargo_bin("fixops").unwrap();
    c.env_remove("FIXOPS_FORMAT")
        .env_remove("FIXOPS_CONFIG")
        .env("NO_COLOR", "1");
    c
}

fn corpus(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus")
        .join(p)
}

/// Whether this tree's ingest lacks the SBOM readers (they arrive from
/// another branch); graph tests then have nothing to read.
fn readers_pending(err: &str) -> bool {
    err.contains("reader pending")
}

fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cvss_scores_vectors_as_table_and_json() {
    let v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let v40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    let (code, out, err) = run(fixops().args(["cvss", v31, v40]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("9.8") && out.contains("critical") && out.contains(v31),
        "{out}"
    );
    assert!(out.contains("9.3") && out.contains(v40), "{out}");
    let (code, out, _) = run(fixops().args(["cvss", "--format", "json", v31]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["score"], 9.8);
    assert_eq!(v[0]["severity"], "critical");
    assert_eq!(v[0]["version"], "3.1");
}

#[test]
fn cvss_bad_vector_is_exit_2_naming_the_metric() {
    let (code, out, err) = run(fixops().args([
        "cvss",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ]));
    assert_eq!(code, 2);
    assert!(out.is_empty(), "nothing printed on error: {out}");
    assert!(err.starts_with("fixops: error:"), "{err}");
    assert!(
        err.contains("AV (Attack Vector)") && err.contains("N, A, L, P"),
        "{err}"
    );
}

#[test]
fn ssvc_cisa_act() {
    let args = [
        "ssvc",
        "--tree",
        "cisa",
        "exploitation=active",
        "automatable=yes",
        "technical-impact=total",
        "mission-and-well-being-impact=high",
    ];
    let (code, out, err) = run(fixops().args(args));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("CISA Levels: Act"), "{out}");
    assert!(out.contains("Exploitation: Active"), "{out}");
    let (code, out, _) = run(fixops().args(args).args(["--format", "json"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "outcome": "Act",
            "decision_points": {
                "Exploitation": "active",
                "Automatable": "yes",
                "Technical Impact": "total",
                "Mission and Well-Being Impact": "high"
            }
        })
    );
}

#[test]
fn ssvc_other_trees() {
    let (code, out, err) = run(fixops().args([
        "ssvc",
        "--tree",
        "deployer",
        "--format",
        "json",
        "exploitation=none",
        "system-exposure=small",
        "automatable=no",
        "human-impact=low",
    ]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "Defer");
    let (code, out, err) = run(fixops().args([
        "ssvc",
        "--tree",
        "bod2604",
        "--format",
        "json",
        "in-kev=no",
        "publicly-exposed=no",
        "automatable=yes",
        "technical-impact=total",
    ]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "60 days", "{v}");
}

#[test]
fn ssvc_unknown_names_values_and_trees_are_exit_2_with_the_valid_ones() {
    let (code, _, err) = run(fixops().args([
        "ssvc",
        "--tree",
        "cisa",
        "exploitation=rampant",
        "automatable=yes",
        "technical-impact=total",
        "mission-and-well-being-impact=high",
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("rampant")
            && err.contains("none")
            && err.contains("public poc")
            && err.contains("active"),
        "{err}"
    );
    let (code, _, err) = run(fixops().args(["ssvc", "--tree", "cisa", "severity=high"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("severity") && err.contains("Exploitation") && err.contains("Automatable"),
        "{err}"
    );
    let (code, _, err) = run(fixops().args(["ssvc", "--tree", "cisa", "exploitation=active"]));
    assert_eq!(code, 2);
    assert!(err.contains("needs a value for"), "{err}");
    let (code, _, err) = run(fixops().args(["ssvc", "--tree", "nist", "exploitation=active"]));
    assert_eq!(code, 2);
    assert!(err.contains("cisa") && err.contains("bod2604"), "{err}");
    let (code, _, err) = run(fixops().args(["ssvc", "--tree", "cisa", "exploitation"]));
    assert_eq!(code, 2);
    assert!(err.contains("NAME=VALUE"), "{err}");
}

#[test]
fn graph_of_a_cyclic_sbom_terminates_in_both_formats() {
    let bom = corpus("cyclonedx/trivy/infinite-loop-bom.json");
    if !bom.exists() {
        return;
    }
    let (code, out, err) = run(fixops().arg("graph").arg(&bom));
    if readers_pending(&err) {
        return;
    }
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("digraph sbom {"), "{out}");
    assert!(out.contains("color=red"), "{out}");
    let (code, out, err) = run(fixops().arg("graph").arg(&bom).args(["--format", "json"]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["cycles"], 1);
    assert_eq!(v["transitive_dependents"], "computed");
    let libc = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "libc6")
        .unwrap();
    assert_eq!(libc["in_cycle"], true);
    assert_eq!(libc["direct"], true);
}

#[test]
fn graph_of_the_example_sbom_has_depths() {
    let sbom = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example/sbom.cdx.json");
    let (code, out, err) = run(fixops().arg("graph").arg(&sbom).args(["-f", "json"]));
    if readers_pending(&err) {
        return;
    }
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(!v["roots"].as_array().unwrap().is_empty(), "{v}");
    assert!(
        v["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["direct"] == true),
        "{v}"
    );
}

#[test]
fn graph_without_inputs_is_exit_2() {
    let (code, _, err) = run(fixops().arg("graph"));
    assert_eq!(code, 2);
    assert!(err.contains("no inputs"), "{err}");
}
