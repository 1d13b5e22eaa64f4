//! Correlation benchmark: generated runs of 100k and 1M findings, a
//! realistic mix of SAST (two tools over the same files, duplicates, nearby
//! lines sharing CWEs) and SCA (two scanners reporting the same
//! vulnerabilities, GHSA/CVE aliases), timed through `correlate()` and the
//! whole triage (correlation, lifecycle, VEX, waivers). Shows growth is
//! linear. `cargo bench --bench correlate` (`FIXOPS_BENCH_FINDINGS=100000,1000000`).

#![allow(clippy::print_stdout)]

use fixops::correlate::{Config, correlate};
use fixops::ingest::Ingested;
use fixops::model::*;
use fixops::run::{Run, RunMeta};
use std::sync::Arc;
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn generate(n: usize) -> Run {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let tools = [
        Arc::<str>::from("Semgrep"),
        Arc::from("CodeQL"),
        Arc::from("Trivy"),
        Arc::from("Grype"),
    ];
    let cwes: Vec<Sym> = (0..60)
        .map(|i| Arc::from(format!("CWE-{}", 20 + i * 7)))
        .collect();
    let rules: Vec<Sym> = (0..800).map(|i| Arc::from(format!("rule/{i}"))).collect();
    let files: Vec<Sym> = (0..20_000)
        .map(|i| Arc::from(format!("src/m{}/f{i}.py", i % 97)))
        .collect();
    let pkgs: Vec<(Sym, Sym)> = (0..5_000)
        .map(|i| {
            (
                Arc::from(format!("pkg:npm/p{i}@1.{}.0", i % 9)),
                Arc::from(format!("p{i}")),
            )
        })
        .collect();
    let mut findings = Vec::with_capacity(n);
    while findings.len() < n {
        let sast = r.below(10) < 7;
        let copies = 1 + r.below(3) as usize; // duplicates across tools / re-reports
        if sast {
            let file = &files[r.below(files.len() as u64) as usize];
            let line = 1 + r.below(3000) as u32;
            let cwe = cwes[r.below(cwes.len() as u64) as usize].clone();
            let rule = rules[r.below(rules.len() as u64) as usize].clone();
            for c in 0..copies {
                let tool = tools[c % 2].clone();
                let l = line + r.below(3) as u32;
                findings.push(Finding {
                    tool: Arc::new(Tool {
                        name: tool,
                        version: None,
                    }),
                    rule_id: Some(rule.clone()),
                    meta: None,
                    kind: ResultKind::Fail,
                    level: Level::Warning,
                    severity: Severity::Medium,
                    score: Some(5.0),
                    message: "user input reaches a sink".into(),
                    locations: vec![Location {
                        uri: Some(file.clone()),
                        start_line: Some(l),
                        ..Default::default()
                    }]
                    .into(),
                    producer_fingerprints: Default::default(),
                    fingerprint: Fingerprint::for_code(
                        &rule,
                        file,
                        &format!("{line}:{c}"),
                        FingerprintSource::CodeWindow,
                    ),
                    extras: None,
                    cwes: vec![cwe.clone()].into(),
                    vulnerability: None,
                    properties: None,
                });
            }
        } else {
            let (purl, name) = &pkgs[r.below(pkgs.len() as u64) as usize];
            let cve = format!("CVE-20{}-{}", 10 + r.below(15), 1000 + r.below(40_000));
            let ghsa = format!(
                "GHSA-{:04x}-{:04x}-{:04x}",
                r.below(65536),
                r.below(65536),
                r.below(65536)
            );
            for c in 0..copies {
                let (id, aliases) = if c % 2 == 0 {
                    (cve.clone(), vec![])
                } else {
                    (ghsa.clone(), vec![cve.clone()])
                };
                findings.push(Finding {
                    tool: Arc::new(Tool {
                        name: tools[2 + c % 2].clone(),
                        version: None,
                    }),
                    rule_id: Some(Arc::from(id.as_str())),
                    meta: None,
                    kind: ResultKind::Fail,
                    level: Level::Error,
                    severity: Severity::High,
                    score: Some(7.5),
                    message: Box::default(),
                    locations: Box::default(),
                    producer_fingerprints: Default::default(),
                    fingerprint: Fingerprint::for_package(&id, purl, "1"),
                    extras: None,
                    cwes: Default::default(),
                    vulnerability: Some(Box::new(VulnerabilityRef {
                        id,
                        aliases,
                        package: Some(PackageRef {
                            name: Some(name.clone()),
                            version: Some(Arc::from("1")),
                            purl: Some(purl.clone()),
                            fixed_version: None,
                        }),
                        cvss_vectors: vec![],
                    })),
                    properties: None,
                });
            }
        }
    }
    findings.truncate(n);
    let mut run = Run::assemble(
        RunMeta {
            project: "bench".into(),
            branch: None,
            time: "2026-11-21T00:00:00Z".into(),
            command: "decide".into(),
        },
        Ingested::default(),
    );
    run.finding_input = vec![0; findings.len()];
    run.findings = findings.into();
    run
}

/// Scoring against the full corpus KEV + EPSS snapshots: 200k findings whose
/// SCA vulnerabilities are real CVE ids drawn from the EPSS list.
fn intel_bench() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/feeds");
    let epss_path = corpus.join("epss/epss_scores_reconstructed_2026-08-16.csv.gz");
    let kev_path = corpus.join("kev/known_exploited_vulnerabilities_2026-08-07.json");
    if !epss_path.is_file() || !kev_path.is_file() {
        println!("(corpus feeds not found: intelligence benchmark skipped)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = fixops::evidence::store::Store::open(&dir.path().join("i.db")).unwrap();
    let t = Instant::now();
    let epss =
        fixops::ingest::feeds::parse(&epss_path, &std::fs::read(&epss_path).unwrap()).unwrap();
    let kev = fixops::ingest::feeds::parse(&kev_path, &std::fs::read(&kev_path).unwrap()).unwrap();
    store
        .import_feed(&epss, "epss", "2026-08-16T00:00:00Z")
        .unwrap();
    store
        .import_feed(&kev, "kev", "2026-08-16T00:00:00Z")
        .unwrap();
    let import = t.elapsed().as_secs_f64();
    let mut run = generate(200_000);
    let mut r = Rng(7);
    let kev_ids: Vec<&str> = kev.kev.iter().map(|k| k.cve.as_str()).collect();
    for f in std::sync::Arc::make_mut(&mut run.findings) {
        if let Some(v) = f.vulnerability.as_mut() {
            // One in twenty is a KEV entry, the rest any scored CVE.
            v.id = if r.below(20) == 0 {
                kev_ids[r.below(kev_ids.len() as u64) as usize].to_string()
            } else {
                epss.cves[r.below(epss.cves.len() as u64) as usize].clone()
            };
            v.aliases.clear();
        }
    }
    let mut cves: Vec<String> = run
        .findings
        .iter()
        .filter_map(|f| f.vulnerability.as_ref().map(|v| v.id.clone()))
        .collect();
    cves.sort();
    cves.dedup();
    let t = Instant::now();
    let intel = fixops::enrich::intel::Intel::load(&store, None, None, Some(&cves)).unwrap();
    let load = t.elapsed().as_secs_f64();
    let opts = fixops::gate::Options {
        scoring: fixops::gate::Scoring {
            intel,
            ..Default::default()
        },
        ..Default::default()
    };
    let t = Instant::now();
    fixops::gate::prepare(&mut run, &opts);
    let tr = fixops::gate::triage(&run, Default::default(), &opts);
    let triage = t.elapsed().as_secs_f64();
    let scoring = tr
        .timings
        .stages
        .iter()
        .find(|(s, _)| *s == "scoring")
        .map_or(0.0, |(_, t)| *t);
    let kev_hits = tr.risk.iter().filter(|r| r.kev).count();
    println!(
        "\nintelligence: import full EPSS ({} rows) + KEV ({}) {import:.3} s; load for {} distinct CVEs {load:.3} s; \
         triage of 200k findings {triage:.3} s, of which scoring {scoring:.3} s ({} issues, {} assessments, {kev_hits} KEV-listed)",
        epss.epss.len(),
        kev.kev.len(),
        cves.len(),
        tr.correlation.issues.len(),
        tr.assessments.len()
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::var("FIXOPS_BENCH_FINDINGS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 1_000_000]);
    println!(
        "| findings | correlate (s) | issues | groups | merges fp/tax/loc | triage (s) | ns per finding |"
    );
    println!("|---:|---:|---:|---:|---|---:|---:|");
    for n in sizes {
        let mut run = generate(n);
        let mut best = f64::MAX;
        let mut c = None;
        for _ in 0..3 {
            let t = Instant::now();
            let out = correlate(&run, &Config::default());
            best = best.min(t.elapsed().as_secs_f64());
            c = Some(out);
        }
        let c = c.unwrap();
        let t = Instant::now();
        fixops::gate::prepare(&mut run, &Default::default());
        let tr = fixops::gate::triage(&run, Default::default(), &Default::default());
        let triage = t.elapsed().as_secs_f64();
        let m = |s| c.noise.merged_by.get(&s).copied().unwrap_or(0);
        use fixops::correlate::Strategy::*;
        println!(
            "| {n} | {best:.3} | {} | {} | {}/{}/{} | {triage:.3} | {:.0} |",
            c.issues.len(),
            c.groups.len(),
            m(Fingerprint),
            m(Taxonomy),
            m(Location),
            best * 1e9 / n as f64
        );
        assert_eq!(tr.correlation.issues.len(), c.issues.len());
        let stages: Vec<String> = tr
            .timings
            .stages
            .iter()
            .map(|(s, t)| format!("{s} {t:.3}"))
            .collect();
        println!("|   triage stages: {} |", stages.join(", "));
    }
    intel_bench();
}
