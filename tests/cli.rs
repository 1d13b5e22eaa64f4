//! CLI contract: exit codes, error messages, atomic recording.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(p)
}

fn fixops(db: &Path) -> Command {
    let mut c = Command::cargo_bin("fixops").unwrap();
    c.env_remove("FIXOPS_FORMAT")
        .env_remove("FIXOPS_CONFIG")
        .arg("--db")
        .arg(db)
        .arg("--now")
        .arg("2026-11-21T12:00:00Z")
        .arg("--project")
        .arg("test/shop");
    c
}

fn run_count(db: &Path) -> usize {
    if !db.exists() {
        return 0;
    }
    let out = Command::cargo_bin("fixops")
        .unwrap()
        .args(["--db"])
        .arg(db)
        .args(["runs", "--json", "--limit", "1000"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().len()
}

#[test]
fn example_blocks_with_exit_1_and_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let out = fixops(&db)
        .arg("decide")
        .arg(fixture("example/scan.sarif"))
        .arg(fixture("example/sbom.cdx.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], "fixops.verdict/v1");
    assert_eq!(v["verdict"], "BLOCK");
    assert_eq!(v["exit_code"], 1);
    let rules: Vec<&str> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"FX-GATE-001"), "{rules:?}");
    assert!(rules.contains(&"FX-GATE-002"), "{rules:?}");
    assert_eq!(v["counts"]["findings"], 5);
    assert_eq!(v["counts"]["components"], 6);
    assert_eq!(run_count(&db), 1);
}

#[test]
fn defer_exit_code_and_remap() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let policy = fixture("policies/defer_all.rego");
    fixops(&db)
        .arg("decide")
        .arg(fixture("example/scan.sarif"))
        .arg("--no-builtin-policy")
        .arg("--policy")
        .arg(&policy)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("DEFER (exit 3)"));
    fixops(&db)
        .arg("decide")
        .arg(fixture("example/scan.sarif"))
        .arg("--no-builtin-policy")
        .arg("--policy")
        .arg(&policy)
        .args(["--defer-exit-code", "0"])
        .assert()
        .code(0);
    fixops(&db)
        .env("FIXOPS_DEFER_EXIT_CODE", "7")
        .arg("decide")
        .arg(fixture("example/scan.sarif"))
        .arg("--no-builtin-policy")
        .arg("--policy")
        .arg(&policy)
        .assert()
        .code(7);
}

#[test]
fn allow_exit_0_on_clean_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    fixops(&db)
        .arg("decide")
        .arg(fixture("example/sbom.cdx.json"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ALLOW (exit 0)"));
}

#[test]
fn run_level_policy_blocks_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let out = fixops(&db)
        .arg("decide")
        .arg(fixture("example/scan.sarif"))
        .arg("--no-builtin-policy")
        .arg("--policy")
        .arg(fixture("policies/run_level_block.rego"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reasons"][0]["rule"], "TEST-VOLUME");
    assert_eq!(v["reasons"][0]["message"], "5 findings is too many");
    assert_eq!(v["counts"]["by_decision"]["ALLOW"], 5);
}

#[test]
fn verdict_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let run = |db: &str| {
        fixops(&dir.path().join(db))
            .arg("decide")
            .arg(fixture("example/scan.sarif"))
            .arg(fixture("example/sbom.cdx.json"))
            .arg(fixture("example/vex.openvex.json"))
            .args(["--format", "json"])
            .output()
            .unwrap()
            .stdout
    };
    let a = run("a.db");
    let b = run("b.db");
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

fn assert_input_error(db: &Path, input: &Path, needles: &[&str]) {
    let out = fixops(db).arg("decide").arg(input).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.starts_with("fixops: error: "), "{stderr}");
    assert!(
        stderr.contains(&*input.to_string_lossy()),
        "names the file: {stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "expected {n:?} in: {stderr}");
    }
    assert!(out.stdout.is_empty(), "no verdict on error");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // `ingest` reports the same error, with no empty summary table.
    let out = fixops(db).arg("ingest").arg(input).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "expected {n:?} in: {stderr}");
    }
    assert!(
        out.stdout.is_empty(),
        "no summary when no file was read: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn malformed_json_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.sarif");
    std::fs::write(&f, "{\n  \"version\": \"2.1.0\",\n  \"runs\": [ {,\n").unwrap();
    assert_input_error(
        &dir.path().join("f.db"),
        &f,
        &["line 3, column", "invalid JSON"],
    );
}

#[test]
fn wrong_but_valid_json_is_unrecognized() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("package.json");
    std::fs::write(&f, r#"{"name": "shop", "dependencies": {"lodash": "4"}}"#).unwrap();
    assert_input_error(
        &dir.path().join("f.db"),
        &f,
        &["unrecognized input format", "name, dependencies"],
    );
}

#[test]
fn wrong_types_name_the_json_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("types.sarif");
    std::fs::write(&f, r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": {"oops": 1}}]}"#)
        .unwrap();
    assert_input_error(&dir.path().join("f.db"), &f, &["/runs/0/results"]);
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_input_error(
        &dir.path().join("f.db"),
        &dir.path().join("nope.sarif"),
        &["cannot read"],
    );
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("empty.sarif");
    std::fs::write(&f, "").unwrap();
    assert_input_error(&dir.path().join("f.db"), &f, &["empty"]);
}

#[test]
fn empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("reports");
    std::fs::create_dir(&d).unwrap();
    assert_input_error(&dir.path().join("f.db"), &d, &["holds no files"]);
}

#[test]
fn directory_is_walked_and_unknown_files_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("reports");
    std::fs::create_dir_all(d.join("nested")).unwrap();
    std::fs::copy(fixture("example/scan.sarif"), d.join("nested/scan.json")).unwrap();
    std::fs::write(d.join("README.md"), "# not a report\n").unwrap();
    let out = fixops(&dir.path().join("f.db"))
        .arg("decide")
        .arg(&d)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["counts"]["inputs"], 1);
    assert!(
        v["warnings"][0].as_str().unwrap().contains("README.md"),
        "{}",
        v["warnings"]
    );
}

#[test]
fn huge_sparse_file_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("huge.sarif");
    let file = std::fs::File::create(&f).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    let start = std::time::Instant::now();
    assert_input_error(&dir.path().join("f.db"), &f, &["binary content"]);
    // Refused from its first bytes, not after reading 1 GiB (generous bound).
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn truncated_file_says_it_ends_early() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("example/scan.sarif")).unwrap();
    let f = dir.path().join("cut.sarif");
    std::fs::write(&f, &text[..text.len() / 2]).unwrap();
    assert_input_error(&dir.path().join("f.db"), &f, &["ends early"]);
}

#[test]
fn gzip_bom_and_utf16_inputs_are_decoded() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("example/scan.sarif")).unwrap();
    let gz = dir.path().join("scan.sarif.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let bom = dir.path().join("bom.sarif");
    std::fs::write(&bom, [&[0xef, 0xbb, 0xbf][..], text.as_bytes()].concat()).unwrap();
    let u16 = dir.path().join("utf16.sarif");
    let mut bytes = vec![0xff, 0xfe];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(&u16, bytes).unwrap();
    for f in [&gz, &bom, &u16] {
        assert_ingests_with_disk_digest(&dir.path().join("f.db"), f, 5);
    }
}

/// The summary of `ingest --format json` of `f`, which must succeed.
fn ingest_json(db: &Path, f: &Path) -> serde_json::Value {
    let out = fixops(db)
        .arg("ingest")
        .arg(f)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        f.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `ingest --format json` of `f` succeeds with `findings` findings and the
/// digest of the bytes on disk.
fn assert_ingests_with_disk_digest(db: &Path, f: &Path, findings: u64) {
    let v = ingest_json(db, f);
    assert_eq!(v["files"][0]["findings"], findings, "{}", f.display());
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(std::fs::read(f).unwrap()));
    assert_eq!(
        v["files"][0]["sha256"],
        digest.as_str(),
        "{}: digest of the bytes on disk",
        f.display()
    );
}

#[test]
fn large_inputs_are_read_and_digested_like_small_ones() {
    // From 1 MiB on, SARIF logs are read as a stream (and other plain UTF-8
    // inputs into a memory map of their own): the same findings, the digest
    // of the bytes on disk (with a BOM), and positioned UTF-8 errors.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("example/scan.sarif")).unwrap();
    let padding = " \n".repeat(600_000);
    let plain = dir.path().join("large.sarif");
    std::fs::write(&plain, format!("{text}{padding}")).unwrap();
    let bom = dir.path().join("large-bom.sarif");
    std::fs::write(&bom, format!("\u{feff}{text}{padding}")).unwrap();
    // Gzip-compressed SARIF is inflated as it is read, never whole.
    let gz = dir.path().join("large.sarif.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, format!("{text}{padding}").as_bytes()).unwrap();
    let gz_bytes = enc.finish().unwrap();
    std::fs::write(&gz, &gz_bytes).unwrap();
    for f in [&plain, &bom, &gz] {
        assert_ingests_with_disk_digest(&dir.path().join("f.db"), f, 5);
    }
    assert!(std::fs::metadata(&plain).unwrap().len() > 1 << 20);
    // Cut short, it fails as a gzip stream, not as JSON.
    let cut = dir.path().join("cut.sarif.gz");
    std::fs::write(&cut, &gz_bytes[..gz_bytes.len() - 40]).unwrap();
    assert_input_error(
        &dir.path().join("f.db"),
        &cut,
        &["corrupt or truncated gzip stream"],
    );
    // An invalid byte on the third line of the padding.
    let bad = dir.path().join("large-bad.sarif");
    let mut bytes = format!("{text}{padding}").into_bytes();
    let at = text.len() + 4;
    bytes[at] = 0xff;
    std::fs::write(&bad, &bytes).unwrap();
    let line = text.lines().count() + 3;
    assert_input_error(
        &dir.path().join("f.db"),
        &bad,
        &[
            &format!("line {line}, column 1"),
            &format!("invalid UTF-8 at byte offset {at}"),
        ],
    );
}

#[test]
fn failed_run_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    fixops(&db)
        .arg("decide")
        .arg(fixture("example/sbom.cdx.json"))
        .assert()
        .code(0);
    assert_eq!(run_count(&db), 1);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"bomFormat\": \"CycloneDX\", \"specVersion\": ").unwrap();
    // The store exists, so it is opened and its history read while the
    // inputs are read: the input's error is still the one reported.
    fixops(&db)
        .arg("decide")
        .arg(fixture("example/scan.sarif"))
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.json"));
    fixops(&db)
        .arg("ingest")
        .arg(fixture("example/scan.sarif"))
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing was recorded"));
    assert_eq!(run_count(&db), 1);
}

#[test]
fn a_store_that_is_not_a_database_fails_the_decide_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    std::fs::write(&db, vec![b'x'; 8192]).unwrap();
    fixops(&db)
        .arg("decide")
        .arg(fixture("example/scan.sarif"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("f.db"))
        .stderr(predicate::str::contains("panicked").not());
    assert_eq!(std::fs::read(&db).unwrap(), vec![b'x'; 8192]);
}

#[test]
fn declared_role_must_match_content() {
    let dir = tempfile::tempdir().unwrap();
    fixops(&dir.path().join("f.db"))
        .arg("decide")
        .arg("--sarif")
        .arg(fixture("example/sbom.cdx.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "given as --sarif but the content is cyclonedx-json",
        ));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    fixops(&dir.path().join("f.db"))
        .arg("decide")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no inputs"));
    fixops(&dir.path().join("f.db"))
        .args(["decide", "--format", "yaml", "x"])
        .assert()
        .code(2);
    fixops(&dir.path().join("f.db"))
        .args(["decide", "--defer-exit-code", "300", "x"])
        .assert()
        .code(2);
    Command::cargo_bin("fixops")
        .unwrap()
        .args(["--no-store", "--now", "yesterday", "decide"])
        .arg(fixture("example/sbom.cdx.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("RFC 3339"));
}

#[test]
fn bad_config_is_positioned() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fixops.toml");
    std::fs::write(&cfg, "[decide]\nformat = \"json\"\nformt = 1\n").unwrap();
    fixops(&dir.path().join("f.db"))
        .arg("--config")
        .arg(&cfg)
        .arg("decide")
        .arg(fixture("example/sbom.cdx.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("fixops.toml: line 3, column 1"));
}

#[test]
fn broken_policy_is_an_error_not_a_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.rego");
    std::fs::write(
        &p,
        "package fixops.broken\nimport rego.v1\nblock contains x if {\n",
    )
    .unwrap();
    fixops(&dir.path().join("f.db"))
        .arg("decide")
        .arg(fixture("example/sbom.cdx.json"))
        .arg("--policy")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.rego"));
}

#[test]
fn policy_tests_pass_and_failures_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("fixops")
        .unwrap()
        .args(["policy", "test"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("11 passed, 0 failed"));
    let t = dir.path().join("mine_test.rego");
    std::fs::write(
        &t,
        "package fixops.mine_test\nimport rego.v1\nimport data.fixops.gate\n\ntest_wrong if {\n\tcount(gate.block) == 1 with input as {\"findings\": []}\n}\n",
    )
    .unwrap();
    Command::cargo_bin("fixops")
        .unwrap()
        .args(["policy", "test"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL data.fixops.mine_test.test_wrong",
        ));
}

#[test]
fn output_file_is_written_atomically_with_tight_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verdict.json");
    fixops(&dir.path().join("f.db"))
        .arg("decide")
        .arg(fixture("example/sbom.cdx.json"))
        .args(["--format", "json", "--output"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["verdict"], "ALLOW");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let db_mode = std::fs::metadata(dir.path().join("f.db"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(db_mode, 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("fixops-tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_or_device_is_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    fixops(&dir.path().join("f.db"))
        .arg("decide")
        .arg(fixture("example/sbom.cdx.json"))
        .args(["--format", "json", "--output"])
        .arg(&link)
        .assert()
        .code(0);
    // The link is still a link (not replaced by a renamed file) and the
    // verdict is in the file it points to.
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(v["verdict"], "ALLOW");
    // A directory is refused before anything is recorded.
    let db = dir.path().join("g.db");
    fixops(&db)
        .arg("decide")
        .arg(fixture("example/sbom.cdx.json"))
        .arg("--output")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot write"));
    assert_eq!(run_count(&db), 0);
}

#[test]
fn a_report_that_cannot_be_rendered_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let template = dir.path().join("broken.md.j2");
    std::fs::write(
        &template,
        "{% for x in v.reasons %}{{ x | no_such_filter }}{% endfor %}",
    )
    .unwrap();
    let out = dir.path().join("verdict.md");
    fixops(&db)
        .arg("decide")
        .arg(fixture("example/scan.sarif"))
        .args(["--format", "markdown", "--template"])
        .arg(&template)
        .arg("--output")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("markdown template"));
    assert_eq!(run_count(&db), 0);
    assert!(!out.exists());
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("fixops-tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn markdown_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = fixops(&dir.path().join("f.db"))
        .arg("decide")
        .arg(fixture("example/scan.sarif"))
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.starts_with("## fixops: **BLOCK** for `test/shop`"),
        "{md}"
    );
    assert!(md.contains("| BLOCK | `FX-GATE-001` |"), "{md}");
    assert!(md.contains("CVE-2021-44228"), "{md}");
}

#[test]
fn two_concurrent_decides_on_one_store_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let bin = assert_cmd::cargo::cargo_bin("fixops");
    let spawn = || {
        std::process::Command::new(&bin)
            .arg("--db")
            .arg(&db)
            .args(["--project", "test/shop", "decide"])
            .arg(fixture("example/scan.sarif"))
            .arg(fixture("example/sbom.cdx.json"))
            .args(["--format", "json"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    for _ in 0..3 {
        let a = spawn();
        let b = spawn();
        let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert_eq!(
            oa.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&oa.stderr)
        );
        assert_eq!(
            ob.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&ob.stderr)
        );
    }
    assert_eq!(run_count(&db), 6);
    Command::cargo_bin("fixops")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .args(["runs", "--verify"])
        .assert()
        .code(0)
        .stdout("hash chain intact: 6 runs\n");
}

#[test]
fn concurrent_decides_of_one_project_keep_each_others_issues() {
    // Two runs of one project and branch, each with issues of its own,
    // that both read the history before either records: the test holds the
    // store's write lock meanwhile (SQLite's busy timeout makes them wait).
    // Whichever records second merges with the first (the lifecycle state
    // it encoded ahead is stale then), so a third run that finds nothing
    // finds all six fixed.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.sarif");
    std::fs::write(
        &empty,
        r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}}, "results": []}]}"#,
    )
    .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("fixops");
    for round in 0..2 {
        let db = dir.path().join(format!("s{round}.db"));
        let decide = |input: &std::path::Path| {
            std::process::Command::new(&bin)
                .arg("--db")
                .arg(&db)
                .args(["--project", "test/shop", "decide"])
                .arg(input)
                .args(["--format", "json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        // The store exists, at the current schema, before the lock is
        // taken: a first run that finds nothing.
        let first = decide(&empty).wait_with_output().unwrap();
        assert_eq!(first.status.code(), Some(0));
        let lock = rusqlite::Connection::open(&db).unwrap();
        lock.execute_batch("BEGIN IMMEDIATE").unwrap();
        let (a, b) = (
            decide(&fixture("example/scan.sarif")),
            decide(&fixture("drift/v1.sarif")),
        );
        std::thread::sleep(std::time::Duration::from_secs(2));
        lock.execute_batch("COMMIT").unwrap();
        for out in [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()] {
            assert!(
                matches!(out.status.code(), Some(1 | 3)),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // Neither saw the other's issues.
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["counts"]["by_lifecycle"]["fixed"], 0, "round {round}");
        }
        let out = decide(&empty).wait_with_output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["counts"]["by_lifecycle"]["fixed"], 6, "round {round}");
        assert_eq!(run_count(&db), 4);
    }
}

#[test]
fn attestations_are_unwrapped() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let sbom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("example/sbom.cdx.json")).unwrap())
            .unwrap();
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "shop", "digest": {"sha256": "00"}}],
        "predicateType": "https://cyclonedx.org/bom",
        "predicate": sbom,
    });
    let envelope = |st: &serde_json::Value| {
        serde_json::json!({
            "payloadType": "application/vnd.in-toto+json",
            "payload": base64::engine::general_purpose::STANDARD.encode(st.to_string()),
            "signatures": [{"keyid": "", "sig": "AA=="}],
        })
    };
    let single = dir.path().join("sbom.att.json");
    std::fs::write(
        &single,
        serde_json::to_string_pretty(&envelope(&statement)).unwrap(),
    )
    .unwrap();
    // cosign `--output-file` style: one envelope per line.
    let lines = dir.path().join("sbom.att.jsonl");
    std::fs::write(
        &lines,
        format!("{}\n{}\n", envelope(&statement), envelope(&statement)),
    )
    .unwrap();
    for (f, docs) in [(&single, 1), (&lines, 2)] {
        let v = ingest_json(&dir.path().join("f.db"), f);
        assert_eq!(v["files"][0]["formats"].as_array().unwrap().len(), docs);
        assert_eq!(v["files"][0]["components"], 6 * docs);
    }
    // A DSSE envelope whose payload is not base64 names the field.
    let bad = dir.path().join("bad.att.json");
    std::fs::write(
        &bad,
        r#"{"payloadType": "application/vnd.in-toto+json", "payload": "%%%"}"#,
    )
    .unwrap();
    assert_input_error(&dir.path().join("f.db"), &bad, &["/payload", "not base64"]);
}
