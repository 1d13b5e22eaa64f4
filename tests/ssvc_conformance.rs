//! Every row of the CERT/CC reference CSVs in the shared corpus
//! (`ssvc/csv/`) evaluates to the same outcome with fixops's embedded tables.
//!
//! The corpus is found at `$FIXOPS_CORPUS` or `../shared/corpus` beside the
//! crate; when it is absent the tests print a notice and pass without checking.

use fixops::score::ssvc::Tables;
use std::path::PathBuf;

#[allow(clippy::print_stderr)] // the skip notice is meant for the test log
fn corpus_csv(name: &str) -> Option<PathBuf> {
    let root = std::env::var_os("FIXOPS_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let path = root.join("ssvc/csv").join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "notice: {} not found; SSVC conformance skipped",
            path.display()
        );
        None
    }
}

/// Minimal CSV split for the reference files (quoted header fields only).
fn split(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().expect("non-empty").push(c),
        }
    }
    out
}

/// Check every row of `file` against table `id`; return the number checked.
fn check(id: &str, file: &str) -> Option<usize> {
    let path = corpus_csv(file)?;
    let tables = Tables::embedded().expect("embedded SSVC tables");
    let text = std::fs::read_to_string(&path).expect("read corpus CSV");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split(lines.next().expect("header"));
    let names = &header[1..header.len() - 1];
    let mut checked = 0;
    for line in lines {
        let row = split(line);
        let values = &row[1..row.len() - 1];
        let inputs: Vec<(&str, &str)> = names
            .iter()
            .map(String::as_str)
            .zip(values.iter().map(String::as_str))
            .collect();
        let out = tables
            .evaluate(id, &inputs)
            .unwrap_or_else(|e| panic!("{}: row {}: {e}", path.display(), row[0]));
        assert_eq!(
            out.outcome.to_lowercase(),
            row[row.len() - 1],
            "{}: row {}",
            path.display(),
            row[0]
        );
        checked += 1;
    }
    Some(checked)
}

#[test]
fn cisa_coordinator() {
    if let Some(n) = check("cisa-coordinator", "cisa_coordinator_2_0_3.csv") {
        assert_eq!(n, 36);
    }
}

#[test]
fn deployer() {
    if let Some(n) = check("deployer", "deployer_patch_application_priority_1_0_0.csv") {
        assert_eq!(n, 72);
    }
}

#[test]
fn supplier() {
    if let Some(n) = check("supplier", "supplier_patch_development_priority_1_0_0.csv") {
        assert_eq!(n, 36);
    }
}

#[test]
fn human_impact() {
    if let Some(n) = check("human-impact", "human_impact_1_0_0.csv") {
        assert_eq!(n, 16);
    }
}

#[test]
fn public_safety_impact() {
    if let Some(n) = check("public-safety-impact", "public_safety_impact_1_0_0.csv") {
        assert_eq!(n, 4);
    }
}

#[test]
fn utility() {
    if let Some(n) = check("utility", "utility_1_0_0.csv") {
        assert_eq!(n, 4);
    }
}

/// CERT/CC's BOD 26-04 table (SSVC `data/csv/cisa/cisa_bod_26_04_1_0_0.csv`,
/// not in the corpus), transcribed here in CERT/CC's own row order.
#[test]
fn bod_26_04_published_rows() {
    const ROWS: &str = "\
no,no,no,partial,fix on system upgrade
yes,no,no,partial,14 days
no,yes,no,partial,60 days
no,no,yes,partial,60 days
no,no,no,total,fix on system upgrade
yes,yes,no,partial,14 days
yes,no,yes,partial,14 days
no,yes,yes,partial,14 days
yes,no,no,total,14 days
no,yes,no,total,14 days
no,no,yes,total,60 days
yes,yes,yes,partial,3 days
yes,yes,no,total,3 days & forensic investigation
yes,no,yes,total,3 days & forensic investigation
no,yes,yes,total,3 days
yes,yes,yes,total,3 days & forensic investigation";
    let tables = Tables::embedded().expect("embedded SSVC tables");
    let names = [
        "In KEV",
        "Publicly Exposed",
        "Automatable",
        "Technical Impact",
    ];
    let mut n = 0;
    for line in ROWS.lines() {
        let f: Vec<&str> = line.split(',').collect();
        let inputs: Vec<(&str, &str)> = names.iter().copied().zip(f[..4].iter().copied()).collect();
        let out = tables.evaluate("bod-26-04", &inputs).expect(line);
        assert_eq!(out.outcome.to_lowercase(), f[4], "{line}");
        n += 1;
    }
    assert_eq!(n, 16);
}
