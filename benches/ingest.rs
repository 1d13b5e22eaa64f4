//! End-to-end benchmark on generated inputs: a realistic SARIF log (200k
//! results over ~600 rules and ~5k files, with fingerprints and properties;
//! ~120 MB) at several sizes, and a 20k-component CycloneDX SBOM with a
//! dependency graph. Reports wall time and peak RSS (via /usr/bin/time) of
//! the release `fixops` binary and, measured in the same run, the floors:
//! reading the bytes, SHA-256, a borrowed-struct serde parse that keeps only
//! what fixops needs, and a `serde_json::Value` parse.
//!
//! `cargo bench --bench ingest` (set `FIXOPS_BENCH_SIZES=10,120` to choose
//! SARIF sizes in MB). Generated files live in `target/bench-data/`.

#![allow(clippy::print_stdout)]

use serde::Deserialize;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "user",
    "input",
    "flows",
    "into",
    "query",
    "without",
    "sanitization",
    "value",
    "from",
    "request",
    "parameter",
    "reaches",
    "sink",
    "buffer",
    "length",
    "unchecked",
    "call",
    "deprecated",
    "function",
    "path",
    "traversal",
    "possible",
    "when",
    "building",
    "file",
    "name",
    "response",
    "header",
];

/// Generate a SARIF log with `results` results; returns its path.
fn gen_sarif(dir: &Path, results: usize) -> PathBuf {
    let path = dir.join(format!("bench-{results}.sarif"));
    if path.exists() {
        return path;
    }
    let mut r = Rng(0x5eed_1234_abcd_ef01 ^ results as u64);
    let rules = 600;
    let files = 5000;
    let mut s = String::with_capacity(results * 640);
    s.push_str("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"BenchScanner\",\"semanticVersion\":\"3.2.1\",\"rules\":[");
    for i in 0..rules {
        if i > 0 {
            s.push(',');
        }
        let sev = (r.below(100) as f64) / 10.0;
        let level = ["note", "warning", "error"][(i % 3) as usize];
        write!(
            s,
            "{{\"id\":\"bench/rule-{i}\",\"name\":\"Rule{i}\",\"shortDescription\":{{\"text\":\"Rule {i} detects a problem\"}},\"helpUri\":\"https://example.com/rules/{i}\",\"defaultConfiguration\":{{\"level\":\"{level}\"}},\"properties\":{{\"security-severity\":\"{sev:.1}\",\"tags\":[\"security\",\"external/cwe/cwe-{}\"],\"precision\":\"high\"}}}}",
            20 + i % 900
        )
        .unwrap();
    }
    s.push_str("]}},\"originalUriBaseIds\":{\"SRCROOT\":{\"uri\":\"file:///src/\"}},\"results\":[");
    for i in 0..results {
        if i > 0 {
            s.push(',');
        }
        let rule = r.below(rules);
        let file = r.below(files);
        let line = 1 + r.below(2000);
        let col = 1 + r.below(80);
        let mut msg = String::new();
        for k in 0..(8 + r.below(10)) {
            if k > 0 {
                msg.push(' ');
            }
            msg.push_str(WORDS[r.below(WORDS.len() as u64) as usize]);
        }
        write!(
            s,
            "{{\"ruleId\":\"bench/rule-{rule}\",\"ruleIndex\":{rule},\"message\":{{\"text\":\"{msg} at line {line}\"}},\"locations\":[{{\"physicalLocation\":{{\"artifactLocation\":{{\"uri\":\"src/module{}/file{file}.js\",\"uriBaseId\":\"SRCROOT\"}},\"region\":{{\"startLine\":{line},\"startColumn\":{col},\"endLine\":{line},\"endColumn\":{}}}}}}}],\"partialFingerprints\":{{\"primaryLocationLineHash\":\"{:016x}:1\",\"primaryLocationStartColumnFingerprint\":\"{}\"}},\"properties\":{{\"confidence\":\"{}\",\"bench-seq\":{i}}}}}",
            file % 50,
            col + 10,
            r.next(),
            col % 7,
            ["low", "medium", "high"][i % 3]
        )
        .unwrap();
    }
    s.push_str("]}]}\n");
    std::fs::write(&path, s).unwrap();
    path
}

/// Generate a CycloneDX 1.6 SBOM with `n` components and a dependency graph.
fn gen_sbom(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("bench-{n}.cdx.json"));
    if path.exists() {
        return path;
    }
    let mut r = Rng(0xcafe_f00d ^ n as u64);
    let mut s = String::with_capacity(n * 420);
    s.push_str("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"serialNumber\":\"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\",\"version\":1,\"metadata\":{\"component\":{\"type\":\"application\",\"bom-ref\":\"root\",\"name\":\"bench-app\",\"version\":\"1.0.0\"}},\"components\":[");
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        write!(
            s,
            "{{\"type\":\"library\",\"bom-ref\":\"pkg:npm/bench-pkg-{i}@{}.{}.{}\",\"name\":\"bench-pkg-{i}\",\"version\":\"{}.{}.{}\",\"purl\":\"pkg:npm/bench-pkg-{i}@{}.{}.{}\",\"licenses\":[{{\"license\":{{\"id\":\"MIT\"}}}}],\"hashes\":[{{\"alg\":\"SHA-256\",\"content\":\"{:016x}{:016x}{:016x}{:016x}\"}}]}}",
            i % 7, i % 13, i % 5, i % 7, i % 13, i % 5, i % 7, i % 13, i % 5,
            r.next(), r.next(), r.next(), r.next()
        )
        .unwrap();
    }
    s.push_str("],\"dependencies\":[{\"ref\":\"root\",\"dependsOn\":[");
    for i in 0..20.min(n) {
        if i > 0 {
            s.push(',');
        }
        write!(
            s,
            "\"pkg:npm/bench-pkg-{i}@{}.{}.{}\"",
            i % 7,
            i % 13,
            i % 5
        )
        .unwrap();
    }
    s.push_str("]}");
    for i in 0..n {
        write!(
            s,
            ",{{\"ref\":\"pkg:npm/bench-pkg-{i}@{}.{}.{}\",\"dependsOn\":[",
            i % 7,
            i % 13,
            i % 5
        )
        .unwrap();
        let k = r.below(5);
        for j in 0..k {
            let d = (i + 1 + r.below(200) as usize) % n;
            if j > 0 {
                s.push(',');
            }
            write!(
                s,
                "\"pkg:npm/bench-pkg-{d}@{}.{}.{}\"",
                d % 7,
                d % 13,
                d % 5
            )
            .unwrap();
        }
        s.push_str("]}");
    }
    s.push_str("]}\n");
    std::fs::write(&path, s).unwrap();
    path
}

// ---- floors, run in a child process so that peak RSS is theirs alone ----

#[derive(Deserialize)]
#[allow(dead_code)]
struct Log<'a> {
    #[serde(borrow)]
    runs: Vec<Run<'a>>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Run<'a> {
    #[serde(borrow, default)]
    results: Vec<Res<'a>>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Res<'a> {
    #[serde(rename = "ruleId", borrow)]
    rule_id: Option<&'a str>,
    #[serde(borrow)]
    message: Msg<'a>,
    #[serde(borrow, default)]
    locations: Vec<Loc<'a>>,
    #[serde(rename = "partialFingerprints", borrow, default)]
    partial: Option<std::collections::BTreeMap<&'a str, Cow<'a, str>>>,
    level: Option<&'a str>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Msg<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Loc<'a> {
    #[serde(rename = "physicalLocation", borrow)]
    physical: Option<Phys<'a>>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Phys<'a> {
    #[serde(rename = "artifactLocation", borrow)]
    artifact: Option<Art<'a>>,
    region: Option<Region>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Art<'a> {
    #[serde(borrow)]
    uri: Option<Cow<'a, str>>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Region {
    #[serde(rename = "startLine")]
    start_line: Option<u32>,
}

fn floor(kind: &str, file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    match kind {
        "read" => assert!(!bytes.is_empty()),
        "sha256" => {
            use sha2::Digest;
            let d = sha2::Sha256::digest(&bytes);
            assert_eq!(d.len(), 32);
        }
        "borrowed" => {
            let text = std::str::from_utf8(&bytes).unwrap();
            let log: Log<'_> = serde_json::from_str(text).unwrap();
            assert!(!log.runs.is_empty());
        }
        "value" => {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert!(v.is_object());
        }
        other => panic!("unknown floor {other}"),
    }
}

struct Measure {
    secs: f64,
    peak_mb: f64,
    code: i32,
}

fn measure(cmd: &mut Command) -> Measure {
    let mut t = Command::new("/usr/bin/time");
    t.arg("-f")
        .arg("%e %M")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            t.env(k, v);
        }
    }
    let out = t
        .stdout(std::process::Stdio::null())
        .output()
        .expect("/usr/bin/time is required");
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or("");
    let mut it = last.split_whitespace();
    let secs = it.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let kb: f64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    Measure {
        secs,
        peak_mb: kb / 1024.0,
        code: out.status.code().unwrap_or(-1),
    }
}

/// The fastest of `n` runs, with the highest peak RSS of any of them (a
/// peak that one run in `n` reaches is a peak a pipeline will see).
fn best_of(n: usize, mut f: impl FnMut() -> Measure) -> Measure {
    let mut best = f();
    let mut peak = best.peak_mb;
    for _ in 1..n {
        let m = f();
        peak = peak.max(m.peak_mb);
        if m.secs < best.secs {
            best = m;
        }
    }
    Measure {
        peak_mb: peak,
        ..best
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "--floor" {
        floor(&args[2], Path::new(&args[3]));
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let fixops = env!("CARGO_BIN_EXE_fixops");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let sizes: Vec<usize> = std::env::var("FIXOPS_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 30, 60, 120]);
    // Sizes are megabytes: a result count given by mistake would ask for
    // hundreds of gigabytes.
    if let Some(mb) = sizes.iter().find(|&&mb| !(1..=4000).contains(&mb)) {
        panic!("FIXOPS_BENCH_SIZES: {mb} is not a size from 1 to 4000 (megabytes)");
    }
    let runs = 5;
    println!(
        "fixops bench (fastest of {runs} runs; peak RSS from /usr/bin/time, the highest of the runs; \
         each fixops run alternates with a run of the borrowed floor, and its ratio is to the \
         fastest floor among those, so that a machine slower for a while slows both)\n"
    );
    println!("| input | MB | step | seconds | peak MiB | ×borrowed floor |");
    println!("|---|---:|---|---:|---:|---:|");
    let mut inputs: Vec<(String, PathBuf)> = sizes
        .iter()
        .map(|mb| {
            // ~600 bytes per result
            let results = mb * 1_000_000 / 600;
            (
                format!("sarif {}k results", results / 1000),
                gen_sarif(&dir, results),
            )
        })
        .collect();
    inputs.push((
        "cyclonedx 20k components".to_string(),
        gen_sbom(&dir, 20_000),
    ));
    for (label, file) in &inputs {
        let mb = std::fs::metadata(file).unwrap().len() as f64 / 1e6;
        let is_sarif = file.extension().is_some_and(|e| e == "sarif");
        let floors: &[&str] = if is_sarif {
            &["read", "sha256", "borrowed", "value"]
        } else {
            &["read", "value"]
        };
        for kind in floors {
            let m = best_of(runs, || {
                measure(Command::new(&exe).args(["--floor", kind]).arg(file))
            });
            println!(
                "| {label} | {mb:.0} | floor: {kind} | {:.2} | {:.0} | |",
                m.secs, m.peak_mb
            );
        }
        let db = dir.join("bench.db");
        let verdict = dir.join("verdict.json");
        let verdict = verdict.to_str().unwrap();
        // `(step, arguments, measured on a store that already holds a run
        // of the same input)`.
        let steps: [(&str, Vec<&str>, bool); 5] = [
            (
                "fixops ingest --no-store",
                vec!["--no-store", "ingest", "--format", "json"],
                false,
            ),
            (
                "fixops ingest (stored)",
                vec!["ingest", "--format", "json"],
                false,
            ),
            (
                "fixops decide (stored)",
                vec!["decide", "--format", "table"],
                false,
            ),
            // What a pipeline keeps: the full verdict, every finding in it.
            (
                "fixops decide --format json --output (stored)",
                vec!["decide", "--format", "json", "--output", verdict],
                false,
            ),
            // A pipeline with a cached store: history read, lifecycle
            // compared and merged.
            (
                "fixops decide (stored, second run)",
                vec!["decide", "--format", "table"],
                true,
            ),
        ];
        for (name, a, second) in steps {
            let step = || measure(Command::new(fixops).arg("--db").arg(&db).args(&a).arg(file));
            let mut floor_secs = f64::NAN;
            let m = best_of(runs, || {
                if is_sarif {
                    let f = measure(Command::new(&exe).args(["--floor", "borrowed"]).arg(file));
                    // (`f64::min` ignores the NaN it starts from.)
                    floor_secs = floor_secs.min(f.secs);
                }
                let _ = std::fs::remove_file(&db);
                let _ = std::fs::remove_file(db.with_extension("db-wal"));
                if second {
                    let first = step();
                    assert!(
                        first.code == 0 || first.code == 1 || first.code == 3,
                        "{name}: the first run failed with {}",
                        first.code
                    );
                }
                step()
            });
            assert!(
                m.code == 0 || m.code == 1 || m.code == 3,
                "{name} failed with {}",
                m.code
            );
            let ratio = if floor_secs.is_nan() {
                String::new()
            } else {
                format!("{:.2}", m.secs / floor_secs)
            };
            println!(
                "| {label} | {mb:.0} | {name} | {:.2} | {:.0} | {ratio} |",
                m.secs, m.peak_mb
            );
        }
    }
}
