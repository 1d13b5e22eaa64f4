//! Scoring: pure functions from enriched findings to decisions and numbers,
//! each returned with the factors that produced it.
//!
//! Input: [`IssueFacts`] (what one issue offers), [`Intel`] (KEV and EPSS),
//! [`Context`] (business context) and an [`MttrTable`]. Output:
//! [`Assessment`], from [`assess`]:
//!
//! ```text
//! IssueFacts ─┬─ intel lookup (KEV, EPSS over the issue's ids)
//!             ├─ context of its service
//!             ├─ ssvc::derive ─▶ decision points ─▶ outcome per tree
//!             ├─ bayes::p30 ─▶ P30 ─▶ markov::exploit_before_fix
//!             ├─ fusion::fuse (P30, impact, context, KEV) ─▶ risk 0–100
//!             └─ fusion::grype_risk ─▶ Grype's risk, for comparison
//! ```
//!
//! The numbers are data: `rules/bayes.toml`, `rules/risk.toml` and
//! `rules/ssvc/`, embedded and loaded once ([`Rules::embedded`]).

pub mod bayes;
pub mod fusion;
pub mod markov;
pub mod ssvc;

use crate::enrich::context::{Context, Resolved};
use crate::enrich::cvss;
use crate::enrich::intel::{Intel, Lookup, MaxAge};
use crate::model::{Severity, VexStatus};
use bayes::{BayesInput, BayesRules, Category, P30};
use fusion::{FusionInput, FusionRules, GrypeRisk, Risk};
use markov::{Markov, MarkovRules, MttrTable};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The embedded `rules/risk.toml`.
pub const RISK_TOML: &str = include_str!("../../rules/risk.toml");

/// The SSVC trees `assess` evaluates: (name used on the command line, table id).
pub const TREES: &[(&str, &str)] = &[
    ("cisa", "cisa-coordinator"),
    ("deployer", "deployer"),
    ("supplier", "supplier"),
    ("bod2604", "bod-26-04"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskFile {
    intel: IntelSection,
    markov: MarkovRules,
    fusion: FusionRules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntelSection {
    epss_max_age_days: i64,
    kev_max_age_days: i64,
    #[allow(dead_code)]
    rationale: String,
}

/// Every number scoring uses, parsed and checked.
#[derive(Debug, Clone)]
pub struct Rules {
    /// `rules/bayes.toml`.
    pub bayes: BayesRules,
    /// `rules/risk.toml` `[markov]`.
    pub markov: MarkovRules,
    /// `rules/risk.toml` `[fusion]`.
    pub fusion: FusionRules,
    /// `rules/risk.toml` `[intel]`.
    pub intel_max_age: MaxAge,
    /// `rules/ssvc/`.
    pub ssvc: ssvc::Tables,
}

impl Rules {
    /// Parse `bayes.toml` and `risk.toml` texts (with the embedded SSVC tables).
    pub fn parse(bayes_toml: &str, risk_toml: &str) -> Result<Rules, String> {
        let bayes = BayesRules::parse(bayes_toml).map_err(|e| format!("bayes.toml: {e}"))?;
        let risk: RiskFile = toml::from_str(risk_toml).map_err(|e| format!("risk.toml: {e}"))?;
        risk.markov.check().map_err(|e| format!("risk.toml: {e}"))?;
        risk.fusion.check().map_err(|e| format!("risk.toml: {e}"))?;
        let ssvc = ssvc::Tables::embedded().map_err(|e| e.to_string())?;
        Ok(Rules {
            bayes,
            markov: risk.markov,
            fusion: risk.fusion,
            intel_max_age: MaxAge {
                epss_days: risk.intel.epss_max_age_days,
                kev_days: risk.intel.kev_max_age_days,
            },
            ssvc,
        })
    }

    /// The rules shipped in the binary, parsed once. The embedded files are
    /// checked by this module's tests, so parsing them cannot fail in a
    /// released build.
    pub fn embedded() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(|| {
            Rules::parse(bayes::EMBEDDED, RISK_TOML)
                .unwrap_or_else(|e| panic!("embedded scoring rules are invalid: {e}"))
        })
    }
}

/// What one issue offers to scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueFacts {
    /// Vulnerability ids and aliases (`CVE-…`, `GHSA-…`); KEV and EPSS are
    /// looked up for each.
    #[serde(default)]
    pub ids: Vec<String>,
    /// CVSS vectors (v3.0, v3.1, v4.0); invalid ones are ignored with a warning.
    #[serde(default)]
    pub cvss_vectors: Vec<String>,
    /// Severity.
    pub severity: Severity,
    /// Numeric score on the 0–10 scale, when the producer gave one.
    #[serde(default)]
    pub score: Option<f64>,
    /// CWE ids (shared with the findings).
    #[serde(default)]
    pub cwes: Vec<crate::model::Sym>,
    /// Finding class.
    pub category: Category,
    /// Dependency depth from the SBOM graph (1 = direct).
    #[serde(default)]
    pub depth: Option<u32>,
    /// Direct dependency, when the depth is unknown but this is.
    #[serde(default)]
    pub direct: Option<bool>,
    /// Service name for the business context.
    #[serde(default)]
    pub service: Option<String>,
    /// The effective VEX status.
    #[serde(default)]
    pub vex_status: Option<VexStatus>,
    /// Exploit maturity word (CVSS `E`, scanner field).
    #[serde(default)]
    pub exploit_maturity: Option<String>,
    /// A public exploit is known.
    #[serde(default)]
    pub public_exploit: bool,
    /// SSVC decision-point overrides by name.
    #[serde(default)]
    pub ssvc_overrides: BTreeMap<String, String>,
}

/// One SSVC decision point, with where its value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SsvcPoint {
    /// Decision point, as the tables spell it.
    pub name: String,
    /// Value, as the tables spell it.
    pub value: String,
    /// Evidence or override.
    pub source: String,
}

/// One tree's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeOutcome {
    /// Table id.
    pub table: String,
    /// The outcome, when every decision point had a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Decision-point values on the path, in column order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<(String, String)>,
    /// Why there is no outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// SSVC for one issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SsvcAssessment {
    /// Derived (or overridden) decision points.
    pub decision_points: Vec<SsvcPoint>,
    /// Decision points without a value, with the reason.
    pub unresolved: Vec<(String, String)>,
    /// Outcome per tree (`cisa`, `deployer`, `supplier`, `bod2604`).
    pub outcomes: BTreeMap<String, TreeOutcome>,
}

/// One factor of any stage, for a flat explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessFactor {
    /// `p30`, `markov` or `risk`.
    pub stage: &'static str,
    /// Factor name.
    pub name: String,
    /// Its evidence value.
    pub value: String,
    /// Its effect, in `unit`.
    pub effect: f64,
    /// `log-odds` (P30), `days` (MTTR) or `points` (risk).
    pub unit: &'static str,
    /// Source or rationale.
    pub source: String,
}

/// Everything scoring says about one issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// KEV and EPSS facts used.
    pub intel: Lookup,
    /// Business context used.
    pub context: Resolved,
    /// SSVC decision points and outcomes.
    pub ssvc: SsvcAssessment,
    /// Bayesian P30.
    pub p30: P30,
    /// Exploitation before fix.
    pub markov: Markov,
    /// Fused risk 0–100.
    pub risk: Risk,
    /// Grype's risk 0–100.
    pub grype_risk: GrypeRisk,
    /// Every factor, flattened.
    pub factors: Vec<AssessFactor>,
    /// Problems that did not stop scoring (invalid vectors, bad overrides).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// An assessment at a glance, for each issue of a verdict and for policies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskSummary {
    /// Index into the verdict's `assessments` (full factors there).
    pub assessment: usize,
    /// Fused risk 0–100.
    pub risk: f64,
    /// Probability of exploitation within 30 days.
    pub p30: f64,
    /// Probability of exploitation before the fix, within the horizon.
    pub exploit_before_fix: f64,
    /// Grype-compatible risk 0–100.
    pub grype_risk: f64,
    /// In CISA KEV.
    pub kev: bool,
    /// KEV: known ransomware use.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ransomware: bool,
    /// EPSS probability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<f64>,
    /// EPSS percentile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss_percentile: Option<f64>,
    /// SSVC outcome per tree (`cisa`, `deployer`, `supplier`, `bod2604`), when decided.
    pub ssvc: std::sync::Arc<BTreeMap<String, String>>,
}

impl RiskSummary {
    /// Summarize assessment `index`.
    pub fn of(index: usize, a: &Assessment) -> RiskSummary {
        RiskSummary {
            assessment: index,
            risk: a.risk.score,
            p30: a.p30.p30,
            exploit_before_fix: a.markov.p_exploit_before_fix,
            grype_risk: a.grype_risk.risk,
            kev: a.intel.kev.is_some(),
            ransomware: a.intel.kev.as_ref().is_some_and(|k| k.ransomware),
            epss: a.intel.epss.as_ref().map(|e| e.epss),
            epss_percentile: a.intel.epss.as_ref().map(|e| e.percentile),
            ssvc: std::sync::Arc::new(
                a.ssvc
                    .outcomes
                    .iter()
                    .filter_map(|(tree, o)| o.outcome.clone().map(|v| (tree.clone(), v)))
                    .collect(),
            ),
        }
    }
}

/// Score one issue with the embedded rules. No formula reads the clock:
/// equal inputs give equal outputs on any day.
pub fn assess(
    facts: &IssueFacts,
    intel: &Intel,
    context: &Context,
    mttr: &MttrTable,
) -> Assessment {
    assess_with(Rules::embedded(), facts, intel, context, mttr)
}

/// [`assess`] with explicit rules.
pub fn assess_with(
    rules: &Rules,
    facts: &IssueFacts,
    intel: &Intel,
    context: &Context,
    mttr: &MttrTable,
) -> Assessment {
    let lookup = intel.lookup_any(facts.ids.iter().map(String::as_str));
    assess_looked_up(rules, facts, lookup, context, mttr)
}

/// [`assess_with`] for KEV and EPSS facts already looked up (callers that
/// score many issues look up once per issue and share assessments between
/// issues whose facts are equal).
pub fn assess_looked_up(
    rules: &Rules,
    facts: &IssueFacts,
    lookup: Lookup,
    context: &Context,
    mttr: &MttrTable,
) -> Assessment {
    let mut warnings = Vec::new();
    let ctx = context.resolve(facts.service.as_deref());

    let mut vectors = Vec::new();
    for v in &facts.cvss_vectors {
        match cvss::parse(v) {
            Ok(c) => vectors.push(c),
            Err(e) => warnings.push(format!("ignored CVSS vector: {e}")),
        }
    }
    let newest = vectors.iter().max_by_key(|c| c.version());
    let cvss_score = newest.map(|c| c.base_score()).or(facts.score);

    let ssvc = ssvc_cached(rules, facts, &lookup, &ctx, &mut warnings);

    let depth = facts.depth.or(facts.direct.map(|d| if d { 1 } else { 2 }));
    let p30 = bayes::p30(
        &BayesInput {
            epss: lookup.epss.as_ref().map(|e| e.epss),
            category: Some(facts.category),
            cwes: facts.cwes.clone(),
            kev: lookup.kev.is_some(),
            exposure: ctx.exposure.as_ref().map(|s| s.value),
            environment: ctx.environment.as_ref().map(|s| s.value),
            depth,
            vex_affected: facts.vex_status == Some(VexStatus::Affected),
            public_exploit: facts.public_exploit,
        },
        &rules.bayes,
    );

    let fallback;
    let m = match mttr.get(facts.severity) {
        Some(m) => m,
        None => {
            fallback = markov::estimate_mttr(
                &[],
                rules.markov.sla(facts.severity),
                rules.markov.prior_weight,
            );
            &fallback
        }
    };
    let chain = markov::exploit_before_fix(p30.p30, m, rules.markov.horizon_days);

    let risk = fusion::fuse(
        &FusionInput {
            likelihood: p30.p30,
            likelihood_source: "P30".into(),
            cvss_score,
            severity: facts.severity,
            criticality: ctx.criticality.as_ref().map(|s| s.value),
            data_class: ctx.data_class.as_ref().map(|s| s.value),
            kev: lookup.kev.is_some(),
        },
        &rules.fusion,
    );
    let base_scores: Vec<f64> = vectors.iter().map(|c| c.base_score()).collect();
    let grype = fusion::grype_risk(
        lookup.epss.as_ref().map(|e| e.epss),
        lookup.kev.as_ref().map(|k| k.ransomware),
        facts.severity,
        &base_scores,
    );

    let mut factors: Vec<AssessFactor> = p30
        .factors
        .iter()
        .map(|f| AssessFactor {
            stage: "p30",
            name: f.name.clone(),
            value: f.value.clone(),
            effect: f.log_odds,
            unit: "log-odds",
            source: f.source.clone(),
        })
        .collect();
    factors.push(AssessFactor {
        stage: "markov",
        name: "mttr".into(),
        value: format!(
            "{} ({} observations)",
            facts.severity, chain.mttr.observations
        ),
        effect: chain.mttr.mttr_days,
        unit: "days",
        source: chain.mttr.source.clone(),
    });
    factors.extend(risk.factors.iter().map(|f| AssessFactor {
        stage: "risk",
        name: f.name.clone(),
        value: f.input.clone(),
        effect: f.points,
        unit: "points",
        source: format!(
            "weight {} x value {:.3} x likelihood {:.3}",
            f.weight, f.value, risk.likelihood
        ),
    }));

    Assessment {
        intel: lookup,
        context: ctx,
        ssvc,
        p30,
        markov: chain,
        risk,
        grype_risk: grype,
        factors,
        warnings,
    }
}

thread_local! {
    /// SSVC results by their evidence (see [`ssvc_cached`]).
    static SSVC_CACHE: std::cell::RefCell<std::collections::HashMap<String, (SsvcAssessment, Vec<String>)>> =
        Default::default();
}

/// [`ssvc_for`], memoized on exactly the evidence it reads. An EPSS value
/// below the Public PoC thresholds changes neither the outcome nor any
/// source text, so it is keyed as "below"; one at or above them is keyed
/// exactly (the source text quotes it). Scoring 50k issues with distinct
/// EPSS values then evaluates the SSVC tables a few hundred times.
fn ssvc_cached(
    rules: &Rules,
    facts: &IssueFacts,
    lookup: &Lookup,
    ctx: &Resolved,
    warnings: &mut Vec<String>,
) -> SsvcAssessment {
    let r = &rules.ssvc.evidence_rules().exploitation;
    let prob = lookup.epss.as_ref().map(|e| e.epss);
    let pct = lookup.epss.as_ref().map(|e| e.percentile);
    let prob_key = prob.map(|p| {
        if p >= r.epss_public_poc_min_probability {
            format!("{p}")
        } else {
            "below".into()
        }
    });
    let pct_key = match prob {
        Some(_) => None,
        None => pct.map(|p| {
            if p >= r.epss_public_poc_min_percentile {
                format!("{p}")
            } else {
                "below".into()
            }
        }),
    };
    let key = serde_json::to_string(&(
        rules as *const Rules as usize,
        lookup.kev.is_some(),
        &facts.exploit_maturity,
        facts.public_exploit,
        prob_key,
        pct_key,
        &facts.cvss_vectors,
        ctx.exposure.as_ref().map(|s| s.value.as_str()),
        ctx.criticality.as_ref().map(|s| s.value.as_str()),
        ctx.data_class.as_ref().map(|s| s.value.as_str()),
        &facts.ssvc_overrides,
    ))
    .unwrap_or_default();
    if let Some((a, w)) = SSVC_CACHE.with(|c| c.borrow().get(&key).cloned()) {
        warnings.extend(w);
        return a;
    }
    let mut w = Vec::new();
    let a = ssvc_for(rules, facts, lookup, ctx, &mut w);
    SSVC_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 100_000 {
            c.clear();
        }
        c.insert(key, (a.clone(), w.clone()));
    });
    warnings.extend(w);
    a
}

fn ssvc_for(
    rules: &Rules,
    facts: &IssueFacts,
    lookup: &Lookup,
    ctx: &Resolved,
    warnings: &mut Vec<String>,
) -> SsvcAssessment {
    let evidence = ssvc::SsvcEvidence {
        in_kev: lookup.kev.is_some(),
        exploit_maturity: facts.exploit_maturity.clone(),
        public_exploit: facts.public_exploit,
        epss_probability: lookup.epss.as_ref().map(|e| e.epss),
        epss_percentile: lookup.epss.as_ref().map(|e| e.percentile),
        cvss_vectors: facts.cvss_vectors.clone(),
        exposure: ctx.exposure.as_ref().map(|s| s.value.to_string()),
        criticality: ctx.criticality.as_ref().map(|s| s.value.to_string()),
        data_class: ctx.data_class.as_ref().map(|s| s.value.to_string()),
        overrides: facts.ssvc_overrides.clone(),
    };
    let derivation = match ssvc::derive(&evidence, &rules.ssvc) {
        Ok(d) => d,
        Err(e) => {
            warnings.push(format!("SSVC: {e}"));
            return SsvcAssessment::default();
        }
    };
    let mut outcomes = BTreeMap::new();
    for (tree, id) in TREES {
        let Ok(table) = rules.ssvc.get(id) else {
            continue;
        };
        let inputs = derivation.inputs_for(&rules.ssvc, table);
        let out = match rules.ssvc.evaluate(id, &inputs) {
            Ok(o) => TreeOutcome {
                table: id.to_string(),
                outcome: Some(o.outcome),
                path: o.path,
                missing: None,
            },
            Err(e) => TreeOutcome {
                table: id.to_string(),
                outcome: None,
                path: Vec::new(),
                missing: Some(e.to_string()),
            },
        };
        outcomes.insert(tree.to_string(), out);
    }
    SsvcAssessment {
        decision_points: derivation
            .points
            .into_iter()
            .map(|p| SsvcPoint {
                name: p.name,
                value: p.value,
                source: p.source,
            })
            .collect(),
        unresolved: derivation.unresolved,
        outcomes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::store::{EpssRow, IntelRows, Snapshot};
    use crate::ingest::feeds::KevEntry;

    fn intel() -> Intel {
        let snap = |id, source: &str| Snapshot {
            id,
            source: source.into(),
            version: Some("2026.11.20".into()),
            date: Some("2026-11-20".into()),
            fetched_at: "2026-11-20T00:00:00Z".into(),
            origin: "test".into(),
            sha256: "00".into(),
            entries: 1,
        };
        Intel::from_rows(IntelRows {
            kev: Some((
                snap(1, "kev"),
                vec![KevEntry {
                    cve: "CVE-2021-44228".into(),
                    date_added: "2021-12-10".into(),
                    due_date: Some("2021-12-24".into()),
                    ransomware: true,
                    vendor: None,
                    product: None,
                    name: None,
                    cwes: vec![],
                }],
            )),
            epss: Some((
                snap(2, "epss"),
                vec![EpssRow {
                    cve: "CVE-2021-44228".into(),
                    epss: 0.94,
                    percentile: 0.9999,
                }],
            )),
        })
    }

    fn log4shell() -> IssueFacts {
        IssueFacts {
            ids: vec!["GHSA-jfh8-c2jp-5v3q".into(), "CVE-2021-44228".into()],
            cvss_vectors: vec!["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into()],
            severity: Severity::Critical,
            score: None,
            cwes: vec!["CWE-502".into()],
            category: Category::Sca,
            depth: Some(3),
            direct: None,
            service: Some("checkout".into()),
            vex_status: None,
            exploit_maturity: None,
            public_exploit: false,
            ssvc_overrides: BTreeMap::new(),
        }
    }

    fn context() -> Context {
        Context::parse(
            std::path::Path::new("c.toml"),
            "[context]\nenvironment = \"production\"\n[context.services.checkout]\ncriticality = \"critical\"\nexposure = \"internet\"\ndata_class = \"restricted\"\n",
        )
        .unwrap()
    }

    #[test]
    fn embedded_rules_are_valid() {
        let r = Rules::parse(bayes::EMBEDDED, RISK_TOML).unwrap();
        assert_eq!(r.intel_max_age.epss_days, 7);
        assert_eq!(r.intel_max_age.kev_days, 14);
        assert_eq!(r.markov.sla(Severity::Critical), 7.0);
        for (_, id) in TREES {
            r.ssvc.get(id).unwrap();
        }
    }

    #[test]
    fn assess_combines_every_stage() {
        let mttr = MttrTable::sla_only(&Rules::embedded().markov);
        let a = assess(&log4shell(), &intel(), &context(), &mttr);
        assert!(a.intel.kev.as_ref().unwrap().ransomware);
        assert_eq!(a.p30.prior, 0.94);
        assert!(a.p30.p30 > 0.94);
        assert_eq!(a.ssvc.outcomes["cisa"].outcome.as_deref(), Some("Act"));
        assert_eq!(
            a.ssvc.outcomes["deployer"].outcome.as_deref(),
            Some("Immediate")
        );
        assert!(a.ssvc.outcomes["supplier"].missing.is_some());
        assert_eq!(a.markov.mttr.mttr_days, 7.0);
        assert!(a.risk.score > 90.0, "{:?}", a.risk);
        assert!((a.grype_risk.risk - 100.0).abs() < 1e-9);
        assert!(
            a.factors
                .iter()
                .any(|f| f.stage == "p30" && f.name == "kev")
        );
        assert!(a.factors.iter().any(|f| f.stage == "risk"));
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["ssvc"]["outcomes"]["cisa"]["outcome"], "Act");
    }

    #[test]
    fn without_intel_or_context_base_rates_and_defaults_apply() {
        let mttr = MttrTable::sla_only(&Rules::embedded().markov);
        let facts = IssueFacts {
            ids: vec![],
            cvss_vectors: vec!["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:BOGUS".into()],
            category: Category::Secret,
            severity: Severity::High,
            service: None,
            depth: None,
            ..log4shell()
        };
        let a = assess(&facts, &Intel::empty(), &Context::default(), &mttr);
        assert!(a.p30.prior_source.starts_with("base rate: secret"));
        assert!(a.p30.factors.is_empty());
        assert_eq!(a.grype_risk.risk, 0.0);
        assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
        assert!(a.warnings[0].contains("A"), "{:?}", a.warnings);
    }
}
