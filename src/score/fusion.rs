//! Fused risk, 0–100, and Grype's risk for comparison (decision model §6).
//!
//! Input: [`FusionInput`] (a likelihood, severity, business criticality,
//! data classification, KEV) and [`FusionRules`] (`rules/risk.toml`
//! `[fusion]`). Output: [`Risk`], the score with each factor's points.
//!
//! ```text
//! L    = max(P, kev_min_likelihood if in KEV) ^ likelihood_exponent
//! I    = w_sev · severity + w_crit · criticality + w_data · data_class    (weights sum to 1)
//! risk = 100 · L · I  =  Σ_j 100 · L · w_j · x_j
//! ```
//!
//! Every input enters through a non-decreasing map and every weight is
//! positive, so the score is monotone in each input; it lies in [0, 100]
//! because L and I do. The points of impact component j are
//! `100 · L · w_j · x_j`; they sum to the score, so each one's share is
//! its points over the score. L multiplies all of them and is reported
//! with its derivation.
//!
//! [`grype_risk`] reproduces Grype's `risk` field (see its doc).

use crate::enrich::context::{Criticality, DataClass};
use crate::model::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Impact weights.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Vulnerability severity.
    pub severity: f64,
    /// Service criticality.
    pub criticality: f64,
    /// Data classification.
    pub data_class: f64,
}

/// `rules/risk.toml` `[fusion]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FusionRules {
    /// Exponent applied to the probability (in (0, 1]).
    pub likelihood_exponent: f64,
    /// Minimum probability when KEV-listed.
    pub kev_min_likelihood: f64,
    /// Impact weights (sum 1).
    pub weights: Weights,
    /// Severity word → [0, 1] (used without a CVSS score).
    pub severity: BTreeMap<Severity, f64>,
    /// Criticality → [0, 1].
    pub criticality: BTreeMap<Criticality, f64>,
    /// Data classification → [0, 1].
    pub data_class: BTreeMap<DataClass, f64>,
    /// Assumed criticality when unknown.
    pub default_criticality: Criticality,
    /// Assumed data classification when unknown.
    pub default_data_class: DataClass,
    /// Why.
    pub rationale: String,
}

impl FusionRules {
    /// Check ranges, completeness and order (so the maps are non-decreasing).
    pub fn check(&self) -> Result<(), String> {
        let w = &self.weights;
        if [w.severity, w.criticality, w.data_class]
            .iter()
            .any(|x| x.is_nan() || *x <= 0.0)
            || ((w.severity + w.criticality + w.data_class) - 1.0).abs() > 1e-9
        {
            return Err("fusion.weights must be positive and sum to 1".into());
        }
        if !(self.likelihood_exponent > 0.0 && self.likelihood_exponent <= 1.0) {
            return Err("fusion.likelihood_exponent must be in (0, 1]".into());
        }
        if !(0.0..=1.0).contains(&self.kev_min_likelihood) {
            return Err("fusion.kev_min_likelihood must be in [0, 1]".into());
        }
        fn ordered<K: Ord + Copy + std::fmt::Display>(
            name: &str,
            all: &[K],
            m: &BTreeMap<K, f64>,
        ) -> Result<(), String> {
            let mut prev = 0.0;
            for k in all {
                let v = *m
                    .get(k)
                    .ok_or_else(|| format!("fusion.{name}.{k} is missing"))?;
                if !(0.0..=1.0).contains(&v) || v < prev {
                    return Err(format!(
                        "fusion.{name}.{k} = {v}: values must be in [0, 1] and non-decreasing"
                    ));
                }
                prev = v;
            }
            Ok(())
        }
        let sev = [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ];
        ordered("severity", &sev, &self.severity)?;
        ordered("severity", &[Severity::Unknown], &self.severity)?;
        ordered("criticality", Criticality::ALL, &self.criticality)?;
        ordered("data_class", DataClass::ALL, &self.data_class)
    }
}

/// Inputs of the fused score.
#[derive(Debug, Clone, PartialEq)]
pub struct FusionInput {
    /// Probability of exploitation (P30, or the Markov probability).
    pub likelihood: f64,
    /// What `likelihood` is, for the output.
    pub likelihood_source: String,
    /// CVSS base score (0–10), when a vector is known; preferred to `severity`.
    pub cvss_score: Option<f64>,
    /// Severity word (used when no CVSS score).
    pub severity: Severity,
    /// Criticality, when known.
    pub criticality: Option<Criticality>,
    /// Data classification, when known.
    pub data_class: Option<DataClass>,
    /// Listed in CISA KEV.
    pub kev: bool,
}

/// One impact component's contribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskFactor {
    /// `severity`, `criticality`, `data classification`.
    pub name: String,
    /// The input as given (`CVSS 9.8`, `critical (default)`).
    pub input: String,
    /// Normalized value in [0, 1].
    pub value: f64,
    /// Weight.
    pub weight: f64,
    /// Points of the score: 100 · L · weight · value.
    pub points: f64,
    /// Share of the score (points / score; 0 when the score is 0).
    pub share: f64,
}

/// The fused score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    /// 0–100.
    pub score: f64,
    /// Likelihood term L in [0, 1].
    pub likelihood: f64,
    /// How L was obtained.
    pub likelihood_source: String,
    /// Impact term I in [0, 1].
    pub impact: f64,
    /// Impact components; their points sum to `score`.
    pub factors: Vec<RiskFactor>,
}

/// Compute the fused score.
pub fn fuse(input: &FusionInput, rules: &FusionRules) -> Risk {
    let p = if input.likelihood.is_finite() {
        input.likelihood.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (p_eff, kev_note) = if input.kev && p < rules.kev_min_likelihood {
        (
            rules.kev_min_likelihood,
            format!(", raised to {} (KEV)", rules.kev_min_likelihood),
        )
    } else {
        (p, String::new())
    };
    let l = p_eff.powf(rules.likelihood_exponent);
    let (sev_value, sev_input) = match input.cvss_score.filter(|s| s.is_finite()) {
        Some(s) => ((s / 10.0).clamp(0.0, 1.0), format!("CVSS {s}")),
        None => (
            rules.severity.get(&input.severity).copied().unwrap_or(0.5),
            format!("severity {}", input.severity),
        ),
    };
    let (crit, crit_note) = match input.criticality {
        Some(c) => (c, ""),
        None => (rules.default_criticality, " (default)"),
    };
    let (dc, dc_note) = match input.data_class {
        Some(d) => (d, ""),
        None => (rules.default_data_class, " (default)"),
    };
    let w = &rules.weights;
    let parts = [
        ("severity", sev_input, sev_value, w.severity),
        (
            "criticality",
            format!("{crit}{crit_note}"),
            rules.criticality.get(&crit).copied().unwrap_or(0.5),
            w.criticality,
        ),
        (
            "data classification",
            format!("{dc}{dc_note}"),
            rules.data_class.get(&dc).copied().unwrap_or(0.5),
            w.data_class,
        ),
    ];
    let impact: f64 = parts.iter().map(|(_, _, v, w)| v * w).sum();
    let score = (100.0 * l * impact).clamp(0.0, 100.0);
    let factors = parts
        .into_iter()
        .map(|(name, input, value, weight)| {
            let points = 100.0 * l * weight * value;
            RiskFactor {
                name: name.to_string(),
                input,
                value,
                weight,
                points,
                share: if score > 0.0 { points / score } else { 0.0 },
            }
        })
        .collect();
    Risk {
        score,
        likelihood: l,
        likelihood_source: format!(
            "{} {p}{kev_note}, ^{}",
            input.likelihood_source, rules.likelihood_exponent
        ),
        impact,
        factors,
    }
}

/// Grype's risk and its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrypeRisk {
    /// 0–100.
    pub risk: f64,
    /// Threat: 1 when in KEV, else EPSS, else 0.
    pub threat: f64,
    /// Severity in [0, 1].
    pub severity: f64,
    /// KEV modifier: 1, 1.05 (KEV) or 1.1 (KEV, ransomware).
    pub kev_modifier: f64,
}

/// Grype's score for a severity word (`severityToScore`): the 0–10 value
/// Grype gives each of its severity strings; anything else is 5.
fn grype_severity_score(severity: Severity) -> f64 {
    match severity {
        Severity::Info => 0.5, // Grype "negligible"
        Severity::Low => 3.0,
        Severity::Medium => 5.0,
        Severity::High => 7.5,
        Severity::Critical => 9.0,
        Severity::Unknown => 5.0,
    }
}

/// Grype's `risk` field, as anchore/grype computes it in
/// `grype/vulnerability/metadata.go` (`riskScore`, added by PR #2587; the
/// behaviour is pinned by `grype/vulnerability/metadata_test.go`:
/// `TestRiskScore`, `TestSeverityToScore`, `TestAverageCVSS`, `TestThreat`,
/// `TestImpact`, `TestSeverity`):
///
/// ```text
/// threat      = 1.0 if KEV-listed, else the EPSS probability, else 0
/// severity    = (severityToScore(word)/10 + mean(valid CVSS base scores)/10) / 2,
///               or severityToScore(word)/10 when no base score is > 0
///               (negligible 0.5, low 3, medium 5, high 7.5, critical 9, other 5)
/// kevModifier = 1.1 if KEV with knownRansomwareCampaignUse "Known" (any case),
///               1.05 if KEV otherwise, 1.0 if not listed
/// risk        = min(threat · severity · kevModifier, 1) · 100
/// ```
///
/// `kev` is `None` when not listed, `Some(ransomware)` when listed. Base
/// scores of 0 (or not finite) are ignored, as Grype ignores them.
pub fn grype_risk(
    epss: Option<f64>,
    kev: Option<bool>,
    severity: Severity,
    cvss_base_scores: &[f64],
) -> GrypeRisk {
    let threat = match (kev, epss) {
        (Some(_), _) => 1.0,
        (None, Some(e)) if e.is_finite() => e,
        _ => 0.0,
    };
    let word = grype_severity_score(severity) / 10.0;
    let valid: Vec<f64> = cvss_base_scores
        .iter()
        .copied()
        .filter(|s| s.is_finite() && *s > 0.0)
        .collect();
    let sev = if valid.is_empty() {
        word
    } else {
        (word + valid.iter().sum::<f64>() / valid.len() as f64 / 10.0) / 2.0
    };
    let kev_modifier = match kev {
        Some(true) => 1.1,
        Some(false) => 1.05,
        None => 1.0,
    };
    GrypeRisk {
        risk: (threat * sev * kev_modifier).min(1.0) * 100.0,
        threat,
        severity: sev,
        kev_modifier,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> FusionRules {
        crate::score::Rules::embedded().fusion.clone()
    }

    fn input() -> FusionInput {
        FusionInput {
            likelihood: 0.25,
            likelihood_source: "P30".into(),
            cvss_score: Some(8.0),
            severity: Severity::High,
            criticality: Some(Criticality::High),
            data_class: Some(DataClass::Confidential),
            kev: false,
        }
    }

    #[test]
    fn hand_computed_values() {
        let r = rules();
        // L = sqrt(0.25) = 0.5; I = 0.5*0.8 + 0.3*0.75 + 0.2*0.75 = 0.775.
        let x = fuse(&input(), &r);
        assert!((x.likelihood - 0.5).abs() < 1e-12);
        assert!((x.impact - 0.775).abs() < 1e-12);
        assert!((x.score - 38.75).abs() < 1e-9, "{x:?}");
        let points: f64 = x.factors.iter().map(|f| f.points).sum();
        assert!((points - x.score).abs() < 1e-9);
        assert!((x.factors.iter().map(|f| f.share).sum::<f64>() - 1.0).abs() < 1e-9);
        // KEV lifts 0.01 to 0.5: L = sqrt(0.5).
        let kev = fuse(
            &FusionInput {
                likelihood: 0.01,
                kev: true,
                ..input()
            },
            &r,
        );
        assert!((kev.score - 100.0 * 0.5f64.sqrt() * 0.775).abs() < 1e-9);
        // Defaults: medium criticality, internal data; severity word without CVSS.
        let d = fuse(
            &FusionInput {
                likelihood: 1.0,
                cvss_score: None,
                severity: Severity::Critical,
                criticality: None,
                data_class: None,
                ..input()
            },
            &r,
        );
        assert!((d.score - 100.0 * (0.5 * 0.95 + 0.3 * 0.5 + 0.2 * 0.5)).abs() < 1e-9);
        assert!(d.factors[1].input.contains("(default)"));
    }

    fn next_of<T: Copy + PartialEq>(all: &[T], x: T) -> Option<T> {
        let i = all.iter().position(|z| *z == x)?;
        all.get(i + 1).copied()
    }

    #[test]
    fn bounds_and_monotonicity_over_a_grid() {
        let r = rules();
        let ps = [0.0, 1e-6, 0.01, 0.2, 0.5, 0.9, 1.0];
        let cvss = [None, Some(0.0), Some(3.1), Some(7.5), Some(10.0)];
        let sev = [
            Severity::Unknown,
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ];
        let crit: Vec<Option<Criticality>> = std::iter::once(None)
            .chain(Criticality::ALL.iter().copied().map(Some))
            .collect();
        let dcs: Vec<Option<DataClass>> = std::iter::once(None)
            .chain(DataClass::ALL.iter().copied().map(Some))
            .collect();
        let score = |i: &FusionInput| fuse(i, &r).score;
        for &p in &ps {
            for &c in &cvss {
                for &s in &sev {
                    for &cr in &crit {
                        for &dc in &dcs {
                            for kev in [false, true] {
                                let base = FusionInput {
                                    likelihood: p,
                                    likelihood_source: "P30".into(),
                                    cvss_score: c,
                                    severity: s,
                                    criticality: cr,
                                    data_class: dc,
                                    kev,
                                };
                                let v = score(&base);
                                assert!((0.0..=100.0).contains(&v));
                                let up = |f: &dyn Fn(&mut FusionInput)| {
                                    let mut i = base.clone();
                                    f(&mut i);
                                    score(&i)
                                };
                                assert!(up(&|i| i.kev = true) >= v);
                                assert!(up(&|i| i.likelihood = (p * 2.0).min(1.0)) >= v);
                                if let Some(x) = c {
                                    assert!(up(&|i| i.cvss_score = Some((x + 1.0).min(10.0))) >= v);
                                } else if s != Severity::Unknown && s != Severity::Critical {
                                    let next = sev[sev.iter().position(|z| *z == s).unwrap() + 1];
                                    assert!(up(&|i| i.severity = next) >= v);
                                }
                                if let Some(x) = cr.and_then(|x| next_of(Criticality::ALL, x)) {
                                    assert!(up(&|i| i.criticality = Some(x)) >= v);
                                }
                                if let Some(x) = dc.and_then(|x| next_of(DataClass::ALL, x)) {
                                    assert!(up(&|i| i.data_class = Some(x)) >= v);
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(
            score(&FusionInput {
                likelihood: 0.0,
                kev: false,
                ..input()
            }),
            0.0
        );
        let max = FusionInput {
            likelihood: 1.0,
            cvss_score: Some(10.0),
            criticality: Some(Criticality::Critical),
            data_class: Some(DataClass::Restricted),
            ..input()
        };
        assert!((score(&max) - 100.0).abs() < 1e-9);
    }

    /// The cases of Grype's `TestRiskScore`.
    #[test]
    fn grype_reference_cases() {
        let g = |e, k, s, c: &[f64]| grype_risk(e, k, s, c).risk;
        let close = |a: f64, b: f64| assert!((a - b).abs() < 0.01, "{a} vs {b}");
        close(g(None, None, Severity::High, &[7.5]), 0.0);
        // Word high (7.5) and base score 7.5 average to 0.75.
        close(g(Some(0.5), None, Severity::High, &[7.5]), 37.5);
        close(g(None, Some(false), Severity::High, &[7.5]), 78.75);
        close(g(None, Some(true), Severity::High, &[7.5]), 82.5);
        close(g(Some(0.8), None, Severity::Critical, &[]), 72.0);
        close(g(Some(0.6), None, Severity::Medium, &[6.5, 5.5]), 33.0);
        close(g(Some(0.4), None, Severity::Medium, &[0.0, 6.0]), 22.0);
        close(g(Some(0.3), None, Severity::Unknown, &[]), 15.0);
        close(g(None, Some(true), Severity::Critical, &[10.0]), 100.0);
        // TestSeverity: medium + 8.0 -> 0.65; medium + 6.0, 8.0 -> 0.6.
        close(
            grype_risk(Some(1.0), None, Severity::Medium, &[8.0]).severity,
            0.65,
        );
        close(
            grype_risk(Some(1.0), None, Severity::Medium, &[6.0, 8.0]).severity,
            0.6,
        );
        // TestThreat: KEV takes precedence over EPSS.
        assert_eq!(
            grype_risk(Some(0.5), Some(false), Severity::Low, &[]).threat,
            1.0
        );
    }

    #[test]
    fn embedded_fusion_rules_check() {
        rules().check().unwrap();
        let mut bad = rules();
        bad.weights.severity = 0.9;
        assert!(bad.check().is_err());
    }
}
