//! Policy: the enriched run → decisions, by Rego evaluated with regorus.
//!
//! Input: a [`Run`]. Output: [`PolicyOutcome`] (rule hits per finding and for
//! the run). The shipped policies in `rules/` are compiled into the binary;
//! `--policy DIR` adds the `.rego` files of a directory (their `*_test.rego`
//! files are tests, run by `fixops policy test`).
//!
//! # Input contract (`input`, schema `fixops.policy-input/v1`)
//! ```json
//! { "schema_version": "fixops.policy-input/v1",
//!   "project": "shop", "branch": "main", "time": "2026-11-21T00:00:00Z",
//!   "settings": { "new_only": false },
//!   "summary": { "findings": 3, "suppressed": 0, "components": 120, "statements": 4,
//!                "by_severity": {"critical": 1, ...}, "by_tool": {"CodeQL": 2, ...} },
//!   "inputs": [ {"path": "...", "sha256": "...", "formats": ["sarif"]} ],
//!   "findings": [ { "key": "c0", "count": 2, "tool": "CodeQL", "rule_id": "js/xss",
//!                   "kind": "fail", "level": "error", "severity": "high", "score": 8.8,
//!                   "cwes": ["CWE-79"], "tags": ["security"], "suppressed": false,
//!                   "baseline_state": "new", "category": "sast",
//!                   "lifecycle": "new", "vex_status": null, "waived": false,
//!                   "risk": { "risk": 41.2, "p30": 0.08, "exploit_before_fix": 0.05,
//!                             "grype_risk": 12.0, "kev": false, "epss": 0.02,
//!                             "ssvc": {"cisa": "Track", "deployer": "Scheduled"} },
//!                   "vulnerability": {"id": "CVE-…", "purl": "…", "package": "…",
//!                                     "version": "…", "fixed_version": "…"} } ] }
//! ```
//! Each entry of `input.findings` stands for `count` findings that share every
//! attribute shown (a policy cannot tell them apart), so a 200k-result run is
//! one evaluation over a few thousand entries, not 200k evaluations.
//!
//! # Output contract
//! Every package `fixops.<name>` may define the sets `block` and `defer`,
//! whose members are objects `{"rule": id, "message": text}` plus either
//! `"finding": key` (the decision applies to those findings) or no `finding`
//! (the decision applies to the run), and optionally `"controls": [..]`.
//! A finding's decision is BLOCK if any `block` entry names it, else DEFER if
//! any `defer` entry does, else ALLOW; the run's verdict is the most severe.

use crate::error::{Error, Result};
use crate::model::{Finding, Severity, Sym};
use crate::run::Run;
use crate::verdict::{Decision, RuleHit};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The version of the policy input document.
pub const INPUT_SCHEMA_VERSION: &str = "fixops.policy-input/v1";

/// Policies shipped in the binary: `(name, source)`.
pub const BUILTIN_POLICIES: &[(&str, &str)] =
    &[("rules/gate.rego", include_str!("../rules/gate.rego"))];

/// Tests of the shipped policies: `(name, source)`.
pub const BUILTIN_TESTS: &[(&str, &str)] = &[(
    "rules/gate_test.rego",
    include_str!("../rules/gate_test.rego"),
)];

/// Where policies come from.
#[derive(Debug, Clone, Default)]
pub struct PolicyConfig {
    /// Load the shipped policies.
    pub builtin: bool,
    /// Extra files or directories of `.rego` files.
    pub paths: Vec<PathBuf>,
}

/// One loaded policy source, for the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySource {
    /// `rules/gate.rego` for shipped ones, the path for others.
    pub name: String,
    /// SHA-256 of the source text.
    pub sha256: String,
}

/// What decided: the policy bundle's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInfo {
    /// SHA-256 over all sources (names and digests, in load order).
    pub digest: String,
    /// Sources.
    pub sources: Vec<PolicySource>,
}

/// Rule hits for each finding and for the run.
#[derive(Debug, Clone)]
pub struct PolicyOutcome {
    /// The policy bundle.
    pub info: PolicyInfo,
    /// Hits of each class of findings that the policy could not tell apart
    /// (sorted, without repeats).
    pub class_hits: Vec<std::sync::Arc<[RuleHit]>>,
    /// The class of each finding (index into `class_hits`), indexed like
    /// `Run::findings`: 4 bytes a finding, not a shared list's 16.
    pub class_of: Vec<u32>,
    /// Hits on the run as a whole.
    pub run_level: Vec<RuleHit>,
}

/// Loaded, ready-to-evaluate policies.
pub struct Policy {
    engine: regorus::Engine,
    info: PolicyInfo,
    packages: Vec<String>,
    test_sources: Vec<(String, String)>,
}

impl Policy {
    /// Load the shipped policies (when enabled) and every `.rego` file under
    /// the configured paths, sorted by path.
    pub fn load(cfg: &PolicyConfig) -> Result<Policy> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        let mut sources = Vec::new();
        let mut tests = Vec::new();
        let mut packages = Vec::new();
        let mut add = |engine: &mut regorus::Engine, name: String, text: String| -> Result<()> {
            let pkg = engine
                .add_policy(name.clone(), text.clone())
                .map_err(|e| Error::Policy(format!("{name}: {e}")))?;
            if !packages.contains(&pkg) {
                packages.push(pkg);
            }
            sources.push(PolicySource {
                name,
                sha256: hex::encode(Sha256::digest(text.as_bytes())),
            });
            Ok(())
        };
        if cfg.builtin {
            for (name, text) in BUILTIN_POLICIES {
                add(&mut engine, name.to_string(), text.to_string())?;
            }
            for (name, text) in BUILTIN_TESTS {
                tests.push((name.to_string(), text.to_string()));
            }
        }
        for p in &cfg.paths {
            for file in rego_files(p)? {
                let text = std::fs::read_to_string(&file).map_err(|e| Error::Io {
                    path: file.clone(),
                    source: e,
                })?;
                let name = file.to_string_lossy().into_owned();
                if name.ends_with("_test.rego") {
                    tests.push((name, text));
                } else {
                    add(&mut engine, name, text)?;
                }
            }
        }
        if sources.is_empty() {
            return Err(Error::Policy(
                "no policies loaded: the shipped policies are disabled and no --policy path holds .rego files".into(),
            ));
        }
        let mut h = Sha256::new();
        for s in &sources {
            h.update(s.name.as_bytes());
            h.update(b"\0");
            h.update(s.sha256.as_bytes());
            h.update(b"\n");
        }
        Ok(Policy {
            engine,
            info: PolicyInfo {
                digest: hex::encode(h.finalize()),
                sources,
            },
            packages,
            test_sources: tests,
        })
    }

    /// The bundle's identity.
    pub fn info(&self) -> &PolicyInfo {
        &self.info
    }

    /// Evaluate over a run: one evaluation of each decision set of each
    /// `fixops.*` package over the whole input document.
    pub fn evaluate(&mut self, run: &Run, notes: &Annotations) -> Result<PolicyOutcome> {
        let input = PolicyInput::build(run, notes);
        let json =
            serde_json::to_string(&input.document).map_err(|e| Error::Policy(e.to_string()))?;
        self.engine
            .set_input_json(&json)
            .map_err(|e| Error::Policy(format!("input: {e}")))?;
        let mut class_hits: Vec<Vec<RuleHit>> = vec![Vec::new(); input.classes];
        let mut run_level = Vec::new();
        for pkg in self.packages.clone() {
            if !pkg.starts_with("data.fixops.") {
                continue;
            }
            for (set, decision) in [("block", Decision::Block), ("defer", Decision::Defer)] {
                let rule = format!("{pkg}.{set}");
                if !self.declares(&pkg, set) {
                    continue;
                }
                let v = self
                    .engine
                    .eval_rule(rule.clone())
                    .map_err(|e| Error::Policy(format!("evaluating {rule}: {e}")))?;
                let v = to_json(&v).map_err(|e| Error::Policy(format!("{rule}: {e}")))?;
                let items = match v {
                    Value::Array(a) => a,
                    Value::Null => Vec::new(),
                    other => {
                        return Err(Error::Policy(format!(
                            "{rule} must be a set of objects, got {}",
                            kind_of(&other)
                        )));
                    }
                };
                for item in items {
                    let (hit, finding) = parse_hit(&rule, decision, &item)?;
                    match finding {
                        Some(key) => {
                            let idx = input.class_index(&key).ok_or_else(|| {
                                Error::Policy(format!(
                                    "{rule}: entry names finding {key:?}, which is not in input.findings"
                                ))
                            })?;
                            class_hits[idx].push(hit);
                        }
                        None => run_level.push(hit),
                    }
                }
            }
        }
        for hits in &mut class_hits {
            hits.sort();
            hits.dedup();
        }
        run_level.sort();
        run_level.dedup();
        Ok(PolicyOutcome {
            info: self.info.clone(),
            class_hits: class_hits.into_iter().map(std::sync::Arc::from).collect(),
            class_of: input.class_of,
            run_level,
        })
    }

    fn declares(&self, pkg: &str, rule: &str) -> bool {
        let module_pkg = pkg.trim_start_matches("data.");
        let needle_v1 = format!("{rule} contains");
        let needle_eq = format!("{rule} :=");
        let needle_eq2 = format!("{rule} =");
        self.engine
            .get_policies()
            .map(|ps| {
                ps.iter().any(|src| {
                    let text = src.get_contents();
                    declares_package(text, module_pkg)
                        && text.lines().any(|l| {
                            let l = l.trim_start();
                            l.starts_with(&needle_v1)
                                || l.starts_with(&needle_eq)
                                || l.starts_with(&needle_eq2)
                        })
                })
            })
            .unwrap_or(true)
    }

    /// Run the `test_*` rules of every loaded `*_test.rego` file. Each test
    /// passes when its rule evaluates to `true`.
    pub fn run_tests(&self) -> Result<Vec<TestResult>> {
        let mut out = Vec::new();
        for (name, text) in &self.test_sources {
            let mut engine = self.engine.clone();
            let pkg = engine
                .add_policy(name.clone(), text.clone())
                .map_err(|e| Error::Policy(format!("{name}: {e}")))?;
            for test in test_rule_names(text) {
                let rule = format!("{pkg}.{test}");
                let (passed, detail) = match engine.eval_rule(rule.clone()) {
                    Ok(v) if v == regorus::Value::from(true) => (true, None),
                    Ok(v) => (
                        false,
                        Some(format!(
                            "evaluated to {}",
                            v.to_json_str().unwrap_or_default()
                        )),
                    ),
                    Err(e) => (false, Some(e.to_string())),
                };
                out.push(TestResult {
                    file: name.clone(),
                    name: rule,
                    passed,
                    detail,
                });
            }
        }
        Ok(out)
    }
}

/// One policy test's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// Test file.
    pub file: String,
    /// Fully qualified rule.
    pub name: String,
    /// Whether it evaluated to `true`.
    pub passed: bool,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

fn declares_package(text: &str, pkg: &str) -> bool {
    text.lines()
        .map(str::trim)
        .any(|l| l.strip_prefix("package ").is_some_and(|p| p.trim() == pkg))
}

fn test_rule_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let l = l.trim_end();
            if !l.starts_with("test_") {
                return None;
            }
            let name: String = l
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            Some(name)
        })
        .collect();
    names.dedup();
    names
}

fn rego_files(p: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(p).map_err(|e| Error::Io {
        path: p.to_path_buf(),
        source: e,
    })?;
    if meta.is_file() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![p.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|e| Error::Io {
            path: dir.clone(),
            source: e,
        })?;
        for e in rd {
            let e = e.map_err(|e| Error::Io {
                path: dir.clone(),
                source: e,
            })?;
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rego") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn to_json(v: &regorus::Value) -> std::result::Result<Value, String> {
    if *v == regorus::Value::Undefined {
        return Ok(Value::Null);
    }
    let s = v.to_json_str().map_err(|e| e.to_string())?;
    serde_json::from_str(&s).map_err(|e| e.to_string())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_hit(rule: &str, decision: Decision, item: &Value) -> Result<(RuleHit, Option<String>)> {
    let obj = item.as_object().ok_or_else(|| {
        Error::Policy(format!(
            "{rule}: members must be objects {{\"rule\", \"message\", \"finding\"?}}, got {}",
            kind_of(item)
        ))
    })?;
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
    let id = s("rule")
        .ok_or_else(|| Error::Policy(format!("{rule}: a member has no string \"rule\": {item}")))?;
    let message = s("message").unwrap_or_else(|| id.clone());
    let controls = obj
        .get("controls")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok((
        RuleHit {
            decision,
            rule: id,
            message,
            controls,
        },
        s("finding"),
    ))
}

/// The policy input document, with the mapping from findings to entries.
pub struct PolicyInput {
    /// The JSON document (`input`).
    pub document: Value,
    /// Entry index of each finding.
    pub class_of: Vec<u32>,
    /// Number of entries.
    pub classes: usize,
}

/// What triage adds to each finding before the policy sees it.
#[derive(Debug, Clone, Default)]
pub struct Annotations {
    /// Per finding: its issue's lifecycle status. One-byte enums here, not
    /// their words: these vectors hold one entry per finding.
    pub lifecycle: Vec<crate::lifecycle::Status>,
    /// Per finding: its issue's VEX status, when a statement applies.
    pub vex: Vec<Option<crate::model::VexStatus>>,
    /// Per finding: whether its issue is waived.
    pub waived: Vec<bool>,
    /// Per finding: its issue's scoring summary.
    pub risk: Vec<Option<std::sync::Arc<crate::score::RiskSummary>>>,
    /// Gate only on new and reintroduced issues.
    pub new_only: bool,
}

impl Annotations {
    fn lifecycle(&self, i: usize) -> &'static str {
        self.lifecycle.get(i).map_or("new", |s| s.as_str())
    }
    fn vex(&self, i: usize) -> Option<&'static str> {
        self.vex.get(i).copied().flatten().map(|v| v.as_str())
    }
    fn waived(&self, i: usize) -> bool {
        self.waived.get(i).copied().unwrap_or(false)
    }
    fn risk(&self, i: usize) -> Option<&crate::score::RiskSummary> {
        self.risk.get(i).and_then(Option::as_deref)
    }
}

#[derive(PartialEq, Eq, Hash)]
struct ClassKey<'a> {
    assessment: Option<usize>,
    lifecycle: &'static str,
    vex: Option<&'static str>,
    waived: bool,
    tool: &'a str,
    rule: Option<&'a str>,
    kind: &'a str,
    level: &'a str,
    severity: Severity,
    score: Option<u64>,
    cwes: &'a [Sym],
    tags: &'a [Sym],
    suppressed: bool,
    baseline: Option<crate::model::BaselineState>,
    vuln: Option<&'a str>,
    purl: Option<&'a str>,
    package: Option<&'a str>,
    version: Option<&'a str>,
    fixed: Option<&'a str>,
}

impl<'a> ClassKey<'a> {
    fn of(f: &'a Finding, i: usize, notes: &Annotations) -> Self {
        let v = f.vulnerability.as_ref();
        let p = v.and_then(|v| v.package.as_ref());
        ClassKey {
            assessment: notes.risk(i).map(|r| r.assessment),
            lifecycle: notes.lifecycle(i),
            vex: notes.vex(i),
            waived: notes.waived(i),
            tool: &f.tool.name,
            rule: f.rule_id.as_deref(),
            kind: f.kind.as_str(),
            level: f.level.as_str(),
            severity: f.severity,
            score: f.score.map(f64::to_bits),
            cwes: &f.cwes,
            tags: f.tags(),
            suppressed: f.is_suppressed(),
            baseline: f.baseline_state(),
            vuln: v.map(|v| v.id.as_str()),
            purl: p.and_then(|p| p.purl.as_deref()),
            package: p.and_then(|p| p.name.as_deref()),
            version: p.and_then(|p| p.version.as_deref()),
            fixed: p.and_then(|p| p.fixed_version.as_deref()),
        }
    }
}

/// A finding's [`ClassKey`] by where its texts are held (address and
/// length) rather than by what they say: equal place keys have equal class
/// keys, so only one finding of each place key needs its texts hashed.
#[derive(PartialEq, Eq, Hash)]
struct PlaceKey([u64; 29]);

impl PlaceKey {
    fn of(f: &Finding, i: usize, notes: &Annotations) -> Self {
        use crate::model::place as slice;
        let place = |s: Option<&str>| s.map_or([u64::MAX, 0], |s| slice(s.as_bytes()));
        let v = f.vulnerability.as_ref();
        let p = v.and_then(|v| v.package.as_ref());
        let texts = [
            place(Some(notes.lifecycle(i))),
            place(notes.vex(i)),
            place(Some(&f.tool.name)),
            place(f.rule_id.as_deref()),
            place(Some(f.kind.as_str())),
            place(Some(f.level.as_str())),
            slice(&f.cwes),
            slice(f.tags()),
            place(v.map(|v| v.id.as_str())),
            place(p.and_then(|p| p.purl.as_deref())),
            place(p.and_then(|p| p.name.as_deref())),
            place(p.and_then(|p| p.version.as_deref())),
            place(p.and_then(|p| p.fixed_version.as_deref())),
        ];
        let mut k = [0u64; 29];
        for (n, [at, len]) in texts.into_iter().enumerate() {
            k[2 * n] = at;
            k[2 * n + 1] = len;
        }
        k[26] = notes.risk(i).map_or(u64::MAX, |r| r.assessment as u64);
        k[27] = f.score.map_or(u64::MAX, f64::to_bits);
        // Flags and small enums share one word; the score's absence needs
        // its own bit (`u64::MAX` is also a NaN's bits).
        k[28] = u64::from(notes.waived(i))
            | u64::from(f.is_suppressed()) << 1
            | u64::from(f.score.is_none()) << 2
            | (f.severity as u64) << 8
            | f.baseline_state().map_or(0xff, |b| b as u64) << 16;
        PlaceKey(k)
    }
}

/// A coarse class of finding, for policies: `sca`, `secret`, `iac` or `sast`.
pub fn category(f: &Finding) -> &'static str {
    if f.vulnerability.is_some() {
        return "sca";
    }
    let tool = f.tool.name.as_bytes();
    let in_tool = |t: &str| {
        tool.windows(t.len())
            .any(|w| w.eq_ignore_ascii_case(t.as_bytes()))
    };
    let has_tag = |t: &str| f.tags().iter().any(|x| x.eq_ignore_ascii_case(t));
    // CWE-798 hard-coded credentials, CWE-259 hard-coded password, CWE-321
    // hard-coded cryptographic key: a leaked secret, whoever reported it.
    let secret_cwe = f
        .cwes
        .iter()
        .any(|c| matches!(&**c, "CWE-798" | "CWE-259" | "CWE-321"));
    if in_tool("gitleaks")
        || in_tool("trufflehog")
        || has_tag("secret")
        || has_tag("secrets")
        || secret_cwe
    {
        "secret"
    } else if ["checkov", "tfsec", "kics", "terrascan", "trivy-config"]
        .iter()
        .any(|t| in_tool(t))
        || has_tag("iac")
        || has_tag("terraform")
    {
        "iac"
    } else {
        "sast"
    }
}

impl PolicyInput {
    /// Build the input document for a run.
    pub fn build(run: &Run, notes: &Annotations) -> PolicyInput {
        let mut index: crate::model::FastMap<ClassKey<'_>, u32> = Default::default();
        // Findings whose texts are the very same strings are of one class:
        // most findings are placed by where their texts are held, without
        // hashing the texts, and only the first of each such group by them.
        let mut by_place: crate::model::FastMap<PlaceKey, u32> = Default::default();
        let mut reps: Vec<usize> = Vec::new();
        let mut counts: Vec<usize> = Vec::new();
        let mut class_of = Vec::with_capacity(run.findings.len());
        for (i, f) in run.findings.iter().enumerate() {
            let c = *by_place
                .entry(PlaceKey::of(f, i, notes))
                .or_insert_with(|| {
                    let next = reps.len() as u32;
                    *index.entry(ClassKey::of(f, i, notes)).or_insert_with(|| {
                        reps.push(i);
                        counts.push(0);
                        next
                    })
                });
            counts[c as usize] += 1;
            class_of.push(c);
        }
        let entries: Vec<Value> = reps
            .iter()
            .enumerate()
            .map(|(c, &i)| {
                let f = &run.findings[i];
                let mut e = json!({
                    "key": format!("c{c}"),
                    "count": counts[c],
                    "tool": &*f.tool.name,
                    "rule_id": f.rule_id.as_deref(),
                    "kind": f.kind.as_str(),
                    "level": f.level.as_str(),
                    "severity": f.severity.as_str(),
                    "score": f.score,
                    "cwes": f.cwes.iter().map(|s| &**s).collect::<Vec<_>>(),
                    "tags": f.tags().iter().map(|s| &**s).collect::<Vec<_>>(),
                    "suppressed": f.is_suppressed(),
                    "baseline_state": f.baseline_state(),
                    "category": category(f),
                    "lifecycle": notes.lifecycle(i),
                    "vex_status": notes.vex(i),
                    "waived": notes.waived(i),
                    "risk": notes.risk(i),
                });
                if let Some(v) = &f.vulnerability {
                    let p = v.package.as_ref();
                    e["vulnerability"] = json!({
                        "id": v.id,
                        "aliases": v.aliases,
                        "purl": p.and_then(|p| p.purl.as_deref()),
                        "package": p.and_then(|p| p.name.as_deref()),
                        "version": p.and_then(|p| p.version.as_deref()),
                        "fixed_version": p.and_then(|p| p.fixed_version.as_deref()),
                    });
                }
                e
            })
            .collect();
        // Findings of one tool come in runs sharing one name: count each run
        // of the same name at once rather than a map entry per finding.
        let mut by_tool: BTreeMap<&str, usize> = BTreeMap::new();
        let mut current: Option<(&crate::model::Sym, usize)> = None;
        for f in run.findings.iter() {
            match &mut current {
                Some((name, n)) if std::sync::Arc::ptr_eq(name, &f.tool.name) => *n += 1,
                _ => {
                    if let Some((name, n)) = current.replace((&f.tool.name, 1)) {
                        *by_tool.entry(name).or_default() += n;
                    }
                }
            }
        }
        if let Some((name, n)) = current {
            *by_tool.entry(name).or_default() += n;
        }
        let by_severity: BTreeMap<&str, usize> = run
            .by_severity()
            .into_iter()
            .map(|(s, n)| (s.as_str(), n))
            .collect();
        let document = json!({
            "schema_version": INPUT_SCHEMA_VERSION,
            "project": run.meta.project,
            "branch": run.meta.branch,
            "time": run.meta.time,
            "settings": { "new_only": notes.new_only },
            "summary": {
                "findings": run.findings.len(),
                "suppressed": run.findings.iter().filter(|f| f.is_suppressed()).count(),
                "components": run.components.len(),
                "statements": run.statements.len(),
                "by_severity": by_severity,
                "by_tool": by_tool,
            },
            "inputs": run.inputs.iter().map(|i| json!({
                "path": i.path.to_string_lossy(),
                "sha256": i.sha256,
                "formats": i.formats.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "findings": entries,
        });
        PolicyInput {
            document,
            classes: reps.len(),
            class_of,
        }
    }

    fn class_index(&self, key: &str) -> Option<usize> {
        key.strip_prefix('c')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n < self.classes)
    }
}

#[cfg(test)]
mod tests {
    use super::category;
    use crate::model::{Finding, Fingerprint, RuleMeta, Sym, Tool, VulnerabilityRef};
    use std::sync::Arc;

    fn finding(tool: &str, tags: &[&str], cwes: &[&str]) -> Finding {
        let mut f = Finding::new(
            Tool {
                name: Arc::from(tool),
                version: None,
            },
            None,
            "m".to_string(),
            Fingerprint::for_code("r", "p", "b", crate::model::FingerprintSource::Message),
        );
        f.meta = RuleMeta {
            tags: tags.iter().map(|t| Sym::from(*t)).collect(),
            ..Default::default()
        }
        .shared();
        f.cwes = cwes.iter().map(|c| Sym::from(*c)).collect();
        f
    }

    #[test]
    fn findings_saying_the_same_are_one_class_however_their_texts_are_held() {
        use super::{Annotations, PolicyInput};
        // Equal texts in separate strings (two files read apart), the same
        // strings shared, and one finding that differs only in a CWE.
        let a = finding("Semgrep", &["security"], &["CWE-79"]);
        let b = finding("Semgrep", &["security"], &["CWE-79"]);
        let c = a.clone();
        let d = finding("Semgrep", &["security"], &["CWE-89"]);
        assert!(!Arc::ptr_eq(&a.tool.name, &b.tool.name));
        let mut run = crate::run::Run::assemble(
            crate::run::RunMeta {
                project: "p".into(),
                branch: None,
                time: "t".into(),
                command: "decide".into(),
            },
            crate::ingest::Ingested::default(),
        );
        run.findings = vec![a, b, c, d].into();
        let input = PolicyInput::build(&run, &Annotations::default());
        assert_eq!(input.class_of, [0, 0, 0, 1]);
        assert_eq!(input.classes, 2);
        let entries = &input.document["findings"];
        assert_eq!(entries[0]["count"], 3);
        assert_eq!(entries[1]["count"], 1);
        assert_eq!(entries[1]["cwes"][0], "CWE-89");
    }

    #[test]
    fn categories_from_tool_tags_cwes_and_vulnerability() {
        assert_eq!(category(&finding("Gitleaks", &[], &[])), "secret");
        assert_eq!(category(&finding("TruffleHog OSS", &[], &[])), "secret");
        assert_eq!(category(&finding("Semgrep", &["SECRETS"], &[])), "secret");
        assert_eq!(category(&finding("CodeQL", &[], &["CWE-798"])), "secret");
        // A secret CWE wins over an IaC tool.
        assert_eq!(category(&finding("Checkov", &[], &["CWE-259"])), "secret");
        assert_eq!(category(&finding("checkov", &[], &[])), "iac");
        assert_eq!(category(&finding("Trivy-Config", &[], &[])), "iac");
        assert_eq!(category(&finding("Semgrep", &["Terraform"], &[])), "iac");
        assert_eq!(
            category(&finding("Semgrep", &["security"], &["CWE-79"])),
            "sast"
        );
        // Tool names shorter than a needle, and partial needles, do not match.
        assert_eq!(category(&finding("kic", &[], &[])), "sast");
        assert_eq!(category(&finding("", &[], &[])), "sast");
        let mut sca = finding("Gitleaks", &["secret"], &[]);
        sca.vulnerability = Some(Box::new(VulnerabilityRef {
            id: "CVE-2024-0001".into(),
            ..Default::default()
        }));
        assert_eq!(category(&sca), "sca");
    }
}
