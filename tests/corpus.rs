//! Every file of the shared corpus (`../shared/corpus`, or `$FIXOPS_CORPUS`)
//! under sarif/, cyclonedx/, spdx/ and vex/ goes through the reader. Files the
//! MANIFEST marks as malformed or of an unsupported version must fail with a
//! positioned error; every other file must ingest, with the counts the
//! MANIFEST's notes state.

use fixops::ingest::{ReadError, read_file};
use fixops::model::DocStats;
use std::path::{Path, PathBuf};

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FIXOPS_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

/// One MANIFEST row.
struct Entry {
    path: String,
    format: String,
    notes: String,
}

fn manifest(dir: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Entry {
                path: cols[0].to_string(),
                format: cols.get(2).unwrap_or(&"").to_string(),
                notes: cols.get(4).unwrap_or(&"").to_string(),
            }
        })
        .collect()
}

/// Whether the MANIFEST says this file must be refused.
fn expect_invalid(e: &Entry) -> bool {
    let n = &e.notes;
    n.contains("EXPECTED INVALID")
        || n.contains("NOT valid JSON")
        || n.contains("wrong types (deserialization error)")
        || n.contains("version \"2.2\"")
        || n.contains("version \"2.0.0\"")
        || e.format.contains("pre-release")
}

/// `key=N` from the notes (first occurrence), with `N` an integer.
fn note_count(notes: &str, key: &str) -> Option<u64> {
    let pat = format!("{key}=");
    let mut from = 0;
    while let Some(i) = notes[from..].find(&pat) {
        let at = from + i;
        let before = notes[..at].chars().last();
        if before.is_none_or(|c| c == ' ' || c == ';' || c == '(') {
            let digits: String = notes[at + pat.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !digits.is_empty() {
                return digits.parse().ok();
            }
        }
        from = at + pat.len();
    }
    None
}

fn sum(stats: &[DocStats], f: impl Fn(&DocStats) -> Option<u64>) -> Option<u64> {
    let vals: Vec<u64> = stats.iter().filter_map(&f).collect();
    (!vals.is_empty()).then(|| vals.iter().sum())
}

/// (note key, which stat it is checked against)
type Check = (&'static str, fn(&DocStats) -> Option<u64>);

fn checks_for(e: &Entry) -> Vec<Check> {
    let p = e.path.as_str();
    if p.starts_with("sarif/") {
        vec![("runs", |s| s.runs), ("results", |s| s.results)]
    } else if p.starts_with("cyclonedx/") {
        if e.notes.contains("CycloneDX XML") {
            vec![
                ("components", |s| s.components),
                ("dependency-elements", |s| s.dependencies),
                ("vulnerabilities", |s| s.vulnerabilities),
            ]
        } else {
            vec![
                ("components", |s| s.components),
                ("dependencies", |s| s.dependencies),
                ("vulnerabilities", |s| s.vulnerabilities),
            ]
        }
    } else if p.starts_with("spdx/") {
        if e.notes.contains("SPDX tag-value") {
            vec![
                ("PackageName lines", |s| s.packages),
                ("Relationship lines", |s| s.relationships),
                ("FileName lines", |s| s.files),
            ]
        } else {
            vec![
                ("packages", |s| s.packages),
                ("files", |s| s.files),
                ("relationships", |s| s.relationships),
                ("snippets", |s| s.snippets),
            ]
        }
    } else if p.starts_with("vex/openvex") {
        vec![("statements", |s| s.statements)]
    } else if p.starts_with("vex/csaf") {
        vec![("vulnerabilities", |s| s.vulnerabilities)]
    } else {
        vec![]
    }
}

#[test]
fn every_corpus_file_ingests_or_fails_cleanly() {
    let Some(dir) = corpus_dir() else {
        println!("NOTICE: ../shared/corpus not found; corpus test skipped");
        return;
    };
    let filter = std::env::var("FIXOPS_CORPUS_FILTER").unwrap_or_default();
    let mut checked = 0usize;
    let mut counts_checked = 0usize;
    let mut failures = Vec::new();
    for e in manifest(&dir) {
        let top = e.path.split('/').next().unwrap_or("");
        if !matches!(top, "sarif" | "cyclonedx" | "spdx" | "vex") || !e.path.contains(&filter) {
            continue;
        }
        checked += 1;
        let path = dir.join(&e.path);
        let res = read_file(&path, None);
        let invalid = expect_invalid(&e);
        match (res, invalid) {
            (Ok(file), false) => {
                let stats: Vec<DocStats> = file.documents.iter().map(|d| d.stats.clone()).collect();
                for (key, get) in checks_for(&e) {
                    if let Some(want) = note_count(&e.notes, key) {
                        counts_checked += 1;
                        let got = sum(&stats, get);
                        if got != Some(want) {
                            failures.push(format!(
                                "{}: {key}: manifest says {want}, read {got:?}",
                                e.path
                            ));
                        }
                    }
                }
            }
            (Ok(_), true) => failures.push(format!(
                "{}: expected a clean error, but it ingested",
                e.path
            )),
            (Err(ReadError::Fatal(err)), true) => {
                let msg = err.to_string();
                if !msg.contains(&*path.to_string_lossy()) {
                    failures.push(format!("{}: error does not name the file: {msg}", e.path));
                }
            }
            (Err(ReadError::Unrecognized(m)), true) => failures.push(format!(
                "{}: expected a parse error, got unrecognized: {m}",
                e.path
            )),
            (Err(ReadError::Fatal(err)), false) => {
                failures.push(format!("{}: failed: {err}", e.path))
            }
            (Err(ReadError::Unrecognized(m)), false) => {
                failures.push(format!("{}: unrecognized: {m}", e.path))
            }
        }
    }
    println!("corpus: checked {checked} files, {counts_checked} counts");
    assert!(
        failures.is_empty(),
        "{} corpus failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if filter.is_empty() {
        assert!(
            checked > 300,
            "expected the whole corpus, checked {checked}"
        );
    }
}
