//! Run assembly: ingested files → one [`Run`], the unit a policy evaluates
//! and the evidence store records.
//!
//! Input: [`crate::ingest::Ingested`]. Output: [`Run`], which owns every
//! finding, component and VEX statement of the run, with each finding's
//! input file recorded, plus the run's identity (project, branch, time).

use crate::ingest::{Ingested, InputFile};
use crate::model::{
    Component, Document, Finding, Format, Relationship, Severity, Tool, VexStatement,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Identity of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunMeta {
    /// Project key (lifecycle and history are per project).
    pub project: String,
    /// Branch, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// RFC 3339 time of the run (injectable for reproducible output).
    pub time: String,
    /// `ingest` or `decide`.
    pub command: String,
}

/// One input of a run, without its documents' contents.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    /// Path as given.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Formats of the documents in the file (usually one).
    pub formats: Vec<Format>,
    /// Spec versions of the documents.
    pub spec_versions: Vec<String>,
    /// Producers named by the documents.
    pub producers: Vec<Tool>,
    /// Source-native counts, summed over the file's documents.
    pub stats: crate::model::DocStats,
    /// Findings from this file.
    pub findings: usize,
    /// Components from this file.
    pub components: usize,
    /// Normalized relationships from this file.
    pub relationships: usize,
    /// VEX statements from this file.
    pub statements: usize,
    /// Warnings noticed while reading.
    pub warnings: Vec<String>,
}

/// Everything one invocation ingested.
#[derive(Debug, Clone)]
pub struct Run {
    /// Identity.
    pub meta: RunMeta,
    /// Inputs, in the order given.
    pub inputs: Vec<InputSummary>,
    /// All findings; `finding_input[i]` is the input index of `findings[i]`.
    /// Shared (the verdict reports them without copying); triage stages
    /// that change findings do so before sharing, through `Arc::make_mut`.
    pub findings: std::sync::Arc<Vec<Finding>>,
    /// Input index of each finding.
    pub finding_input: Vec<u32>,
    /// All components with their input index.
    pub components: Vec<(u32, Component)>,
    /// All relationships with their input index.
    pub relationships: Vec<(u32, Relationship)>,
    /// All VEX statements with their input index.
    pub statements: Vec<(u32, VexStatement)>,
    /// Run-level warnings (skipped files, reader warnings).
    pub warnings: Vec<String>,
}

impl Run {
    /// Assemble a run, moving the documents' contents out of `ingested`.
    pub fn assemble(meta: RunMeta, ingested: Ingested) -> Run {
        let mut run = Run {
            meta,
            inputs: Vec::with_capacity(ingested.files.len()),
            findings: Default::default(),
            finding_input: Vec::new(),
            components: Vec::new(),
            relationships: Vec::new(),
            statements: Vec::new(),
            warnings: ingested.warnings,
        };
        let mut all_findings: Vec<Finding> = Vec::new();
        for (i, file) in ingested.files.into_iter().enumerate() {
            let idx = i as u32;
            let InputFile {
                path,
                sha256,
                size,
                documents,
            } = file;
            let mut summary = InputSummary {
                path,
                sha256,
                size,
                formats: Vec::new(),
                spec_versions: Vec::new(),
                producers: Vec::new(),
                stats: Default::default(),
                findings: 0,
                components: 0,
                relationships: 0,
                statements: 0,
                warnings: Vec::new(),
            };
            for doc in documents {
                let Document {
                    format,
                    spec_version,
                    producers,
                    findings,
                    components,
                    relationships,
                    statements,
                    stats,
                    warnings,
                } = doc;
                summary.formats.push(format);
                summary.spec_versions.push(spec_version);
                for p in producers {
                    if !summary.producers.contains(&p) {
                        summary.producers.push(p);
                    }
                }
                add_stats(&mut summary.stats, &stats);
                summary.findings += findings.len();
                summary.components += components.len();
                summary.relationships += relationships.len();
                summary.statements += statements.len();
                for w in &warnings {
                    run.warnings
                        .push(format!("{}: {w}", summary.path.display()));
                }
                summary.warnings.extend(warnings);
                run.finding_input
                    .extend(std::iter::repeat_n(idx, findings.len()));
                if all_findings.is_empty() {
                    // Move, not copy: a 200k-finding vector is large.
                    all_findings = findings;
                } else {
                    all_findings.extend(findings);
                }
                run.components
                    .extend(components.into_iter().map(|c| (idx, c)));
                run.relationships
                    .extend(relationships.into_iter().map(|r| (idx, r)));
                run.statements
                    .extend(statements.into_iter().map(|s| (idx, s)));
            }
            run.inputs.push(summary);
        }
        run.findings = std::sync::Arc::new(all_findings);
        run
    }

    /// Give SCA findings that name a package but no purl the purl of the
    /// SBOM component with the same name and version (when exactly one
    /// matches). Returns how many findings gained a purl.
    pub fn attach_sbom_purls(&mut self) -> usize {
        use std::collections::HashMap;
        let key = |name: &str, version: &str| {
            let last = name
                .rsplit(['/', ':'])
                .next()
                .unwrap_or(name)
                .to_ascii_lowercase();
            (last, version.to_string())
        };
        let mut by_name: HashMap<(String, String), Option<&str>> = HashMap::new();
        for (_, c) in &self.components {
            let (Some(purl), Some(version)) = (c.purl.as_deref(), c.version.as_deref()) else {
                continue;
            };
            by_name
                .entry(key(&c.name, version))
                .and_modify(|e| {
                    if *e != Some(purl) {
                        *e = None;
                    }
                })
                .or_insert(Some(purl));
        }
        if by_name.is_empty() {
            return 0;
        }
        let mut n = 0;
        for f in std::sync::Arc::make_mut(&mut self.findings) {
            let Some(p) = f.vulnerability.as_mut().and_then(|v| v.package.as_mut()) else {
                continue;
            };
            if p.purl.is_some() {
                continue;
            }
            let (Some(name), Some(version)) = (p.name.as_deref(), p.version.as_deref()) else {
                continue;
            };
            if let Some(Some(purl)) = by_name.get(&key(name, version)) {
                p.purl = Some(std::sync::Arc::from(*purl));
                n += 1;
            }
        }
        n
    }

    /// Findings per severity, most severe first, zero counts included.
    pub fn by_severity(&self) -> BTreeMap<Severity, usize> {
        // Counted by discriminant: a map entry per finding costs a tree walk.
        let mut n = [0usize; Severity::ALL_DESC.len()];
        for f in self.findings.iter() {
            n[f.severity as usize] += 1;
        }
        Severity::ALL_DESC
            .iter()
            .map(|s| (*s, n[*s as usize]))
            .collect()
    }
}

fn add_stats(into: &mut crate::model::DocStats, s: &crate::model::DocStats) {
    fn add(a: &mut Option<u64>, b: Option<u64>) {
        if let Some(b) = b {
            *a = Some(a.unwrap_or(0) + b);
        }
    }
    add(&mut into.runs, s.runs);
    add(&mut into.results, s.results);
    add(&mut into.rules, s.rules);
    add(&mut into.components, s.components);
    add(&mut into.services, s.services);
    add(&mut into.dependencies, s.dependencies);
    add(&mut into.vulnerabilities, s.vulnerabilities);
    add(&mut into.packages, s.packages);
    add(&mut into.files, s.files);
    add(&mut into.snippets, s.snippets);
    add(&mut into.relationships, s.relationships);
    add(&mut into.statements, s.statements);
}
