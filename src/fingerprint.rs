//! Code-window fingerprints: identities for code findings that survive line
//! drift.
//!
//! Input: a [`Run`] and the source tree it was scanned from. Output: the same
//! run, where each code finding that has no producer fingerprint gets an
//! identity from rule + path + a hash of the code around its line (decision
//! model §1, CodeQL's approach): the hash covers the first ~100 non-whitespace
//! characters from the start of the finding's line, plus the window's
//! occurrence number in the file so that repeated code stays distinct.
//! Inserting or deleting lines above a finding leaves its identity unchanged.

use crate::model::{Finding, Fingerprint, FingerprintSource, normalize_path};
use crate::run::Run;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Non-whitespace characters a window covers.
pub const WINDOW: usize = 100;

/// Per-line window hashes of one file, with occurrence numbers.
struct FileWindows {
    /// `(hash, occurrence)` for each 1-based line (index 0 unused).
    lines: Vec<(u64, u32)>,
}

impl FileWindows {
    fn compute(text: &str) -> FileWindows {
        // Non-whitespace characters with the line each starts on.
        let mut chars: Vec<(u32, char)> = Vec::with_capacity(text.len());
        let mut line_start_idx: Vec<usize> = vec![0];
        let mut line = 1u32;
        for c in text.chars() {
            if c == '\n' {
                line += 1;
                line_start_idx.push(chars.len());
                continue;
            }
            if !c.is_whitespace() {
                chars.push((line, c));
            }
        }
        // Prefix hashes for O(1) window hashes (polynomial, mod 2^64).
        const B: u64 = 1_000_003;
        let mut prefix = Vec::with_capacity(chars.len() + 1);
        let mut pow = Vec::with_capacity(chars.len() + 1);
        prefix.push(0u64);
        pow.push(1u64);
        for (_, c) in &chars {
            let h = prefix.last().copied().unwrap_or(0);
            prefix.push(h.wrapping_mul(B).wrapping_add(*c as u64 + 1));
            pow.push(pow.last().copied().unwrap_or(1).wrapping_mul(B));
        }
        let mut seen: HashMap<u64, u32> = HashMap::new();
        let mut lines = vec![(0, 0)];
        for &start in &line_start_idx {
            let end = (start + WINDOW).min(chars.len());
            let h = prefix[end].wrapping_sub(prefix[start].wrapping_mul(pow[end - start]));
            let h = h ^ ((end - start) as u64).rotate_left(56);
            let n = seen.entry(h).or_insert(0);
            lines.push((h, *n));
            *n += 1;
        }
        FileWindows { lines }
    }

    fn at(&self, line: u32) -> Option<(u64, u32)> {
        self.lines.get(line as usize).copied().filter(|_| line > 0)
    }
}

/// Resolve a finding's URI to a file under `root`, refusing paths that
/// escape it.
fn resolve(root: &Path, uri: &str) -> Option<PathBuf> {
    let p = normalize_path(uri);
    let p = Path::new(&p);
    let rel: PathBuf = if p.is_absolute() {
        // Absolute URIs from the scanner's checkout: find the longest suffix
        // that exists under root.
        let comps: Vec<_> = p
            .components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .collect();
        (0..comps.len()).find_map(|i| {
            let cand: PathBuf = comps[i..].iter().collect();
            root.join(&cand).is_file().then_some(cand)
        })?
    } else {
        p.to_path_buf()
    };
    if rel.components().any(|c| {
        matches!(
            c,
            Component::ParentDir | Component::RootDir | Component::Prefix(_)
        )
    }) {
        return None;
    }
    let full = root.join(&rel);
    full.is_file().then_some(full)
}

/// The rule identity used in code fingerprints: the first CWE, else the rule id.
pub fn rule_identity(f: &Finding) -> &str {
    f.cwes
        .first()
        .map(|c| &**c)
        .or(f.rule_id.as_deref())
        .unwrap_or("")
}

/// Recompute identities of code findings without producer fingerprints from
/// code windows under `root`. Returns how many findings were re-identified.
/// Files are read once each; unreadable or missing files keep the
/// message-based identity.
pub fn apply_code_windows(run: &mut Run, root: &Path) -> usize {
    let mut cache: HashMap<PathBuf, Option<FileWindows>> = HashMap::new();
    let mut changed = 0;
    for f in std::sync::Arc::make_mut(&mut run.findings) {
        if f.vulnerability.is_some() || f.fingerprint.source == FingerprintSource::Producer {
            continue;
        }
        let Some(loc) = f.locations.first() else {
            continue;
        };
        let (Some(uri), Some(line)) = (loc.uri.as_deref(), loc.start_line) else {
            continue;
        };
        let Some(path) = resolve(root, uri) else {
            continue;
        };
        let windows = cache.entry(path.clone()).or_insert_with(|| {
            std::fs::read_to_string(&path)
                .ok()
                .map(|t| FileWindows::compute(&t))
        });
        let Some((hash, occurrence)) = windows.as_ref().and_then(|w| w.at(line)) else {
            continue;
        };
        let basis = format!("{hash:016x}:{occurrence}");
        f.fingerprint = Fingerprint::for_code(
            rule_identity(f),
            &normalize_path(uri),
            &basis,
            FingerprintSource::CodeWindow,
        );
        changed += 1;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_survives_inserted_lines_above() {
        let a = "fn main() {\n    let x = 1;\n    danger(x);\n}\n";
        let b = "// header\n\nfn main() {\n    let x = 1;\n    danger(x);\n}\n";
        let wa = FileWindows::compute(a);
        let wb = FileWindows::compute(b);
        assert_eq!(wa.at(3), wb.at(5));
        assert_ne!(wa.at(2), wa.at(3));
    }

    #[test]
    fn repeated_code_gets_occurrence_numbers() {
        let long = "call(".to_string() + &"arg, ".repeat(30) + ");";
        let t = format!("{long}\nfirst();\n{long}\nsecond();\n");
        let w = FileWindows::compute(&t);
        let (one, three) = (w.at(1).unwrap(), w.at(3).unwrap());
        assert_eq!(
            one.0, three.0,
            "a window covers only its first {WINDOW} characters"
        );
        assert_eq!((one.1, three.1), (0, 1));
        assert_ne!(w.at(2).unwrap().0, w.at(4).unwrap().0);
    }

    #[test]
    fn paths_cannot_escape_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.js"), "x").unwrap();
        assert!(resolve(dir.path(), "a.js").is_some());
        assert!(resolve(dir.path(), "../a.js").is_none());
        assert!(resolve(dir.path(), "file:///tmp/scratch/checkout/a.js").is_some());
    }
}
