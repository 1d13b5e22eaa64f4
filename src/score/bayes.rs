//! Bayesian exploitation probability P30 (decision model §4).
//!
//! Input: [`BayesInput`] (EPSS, finding class, KEV, context, dependency depth,
//! VEX) and [`BayesRules`] (`rules/bayes.toml`). Output: [`P30`], the prior,
//! the posterior and every factor's contribution in log-odds.
//!
//! ```text
//! prior   = EPSS                        when the issue has a CVE with EPSS
//!         = base rate of its class      otherwise (secret, injection, sast, iac, sca)
//! odds    = prior/(1-prior) × Π ratio_i  (KEV, exposure, environment, depth, VEX affected,
//!                                         public exploit only when the prior is not EPSS)
//! p30     = max(odds/(1+odds), KEV floor when listed)
//! ```
//!
//! The factors' log-odds always sum to logit(p30) − logit(prior): when the
//! KEV floor binds it appears as its own factor, `kev floor`, and
//! [`P30::floor_applied`] says so.

use crate::enrich::context::{Environment, Exposure};
use serde::{Deserialize, Serialize};

/// Probabilities are kept inside [`P_MIN`, 1 − `P_MIN`] so that log-odds stay finite.
pub const P_MIN: f64 = 1e-6;

/// A number from `rules/` with why it has that value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced {
    /// The number.
    pub value: f64,
    /// Published source or fixops's rationale.
    #[serde(alias = "source")]
    pub rationale: String,
}

/// A likelihood ratio with its rationale.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ratio {
    /// The likelihood ratio (> 0).
    pub ratio: f64,
    /// Published source or fixops's rationale.
    #[serde(alias = "source")]
    pub rationale: String,
}

/// Base rates by finding class.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Priors {
    /// Leaked secrets.
    pub secret: Sourced,
    /// Injection-class CWEs.
    pub injection: Sourced,
    /// Other static-analysis findings.
    pub sast: Sourced,
    /// Infrastructure-as-code misconfigurations.
    pub iac: Sourced,
    /// Dependency vulnerabilities without EPSS.
    pub sca: Sourced,
}

/// `[injection]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Injection {
    /// CWE ids (`CWE-89`).
    pub cwes: Vec<String>,
    /// Why these.
    pub rationale: String,
}

/// `[kev]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kev {
    /// Likelihood ratio.
    pub ratio: f64,
    /// Minimum P30 when listed.
    pub floor: f64,
    /// Why.
    pub rationale: String,
}

/// `[exposure.*]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposureRatios {
    /// Internet-facing.
    pub internet: Ratio,
    /// Controlled access.
    pub controlled: Ratio,
    /// Internal only.
    pub internal: Ratio,
}

/// `[environment.*]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentRatios {
    /// Production.
    pub production: Ratio,
    /// Staging.
    pub staging: Ratio,
    /// Development.
    pub dev: Ratio,
}

/// `[depth]`: ratio by dependency depth (1 = direct).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepthRatios {
    /// Depth 1.
    pub direct: f64,
    /// Depth 2.
    pub transitive: f64,
    /// Multiplier per level beyond 2.
    pub per_level: f64,
    /// Lower bound.
    pub min: f64,
    /// Why.
    pub rationale: String,
}

impl DepthRatios {
    /// The ratio at `depth` (0 and 1 are direct), non-increasing in depth.
    pub fn at(&self, depth: u32) -> f64 {
        match depth {
            0 | 1 => self.direct,
            d => (self.transitive * self.per_level.powi(d as i32 - 2)).max(self.min),
        }
    }
}

/// `[vex]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VexRatios {
    /// Ratio for a VEX `affected` statement.
    pub affected: f64,
    /// Why.
    pub rationale: String,
}

/// `rules/bayes.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BayesRules {
    /// Base rates.
    pub prior: Priors,
    /// Injection-class CWEs.
    pub injection: Injection,
    /// KEV.
    pub kev: Kev,
    /// Exposure.
    pub exposure: ExposureRatios,
    /// Environment.
    pub environment: EnvironmentRatios,
    /// Dependency depth.
    pub depth: DepthRatios,
    /// VEX.
    pub vex: VexRatios,
    /// Public exploit code (only without an EPSS prior).
    pub public_exploit: Ratio,
}

/// The embedded `rules/bayes.toml`.
pub const EMBEDDED: &str = include_str!("../../rules/bayes.toml");

impl BayesRules {
    /// Parse and check the rules: probabilities in (0, 1), ratios > 0, and
    /// ratios ordered so that more exposure, a later environment and a
    /// shallower dependency never lower P30.
    pub fn parse(text: &str) -> Result<BayesRules, String> {
        let r: BayesRules = toml::from_str(text).map_err(|e| e.to_string())?;
        let p = &r.prior;
        for (name, v) in [
            ("prior.secret", p.secret.value),
            ("prior.injection", p.injection.value),
            ("prior.sast", p.sast.value),
            ("prior.iac", p.iac.value),
            ("prior.sca", p.sca.value),
            ("kev.floor", r.kev.floor),
        ] {
            if !(v > 0.0 && v < 1.0) {
                return Err(format!("{name} = {v}: must be a probability in (0, 1)"));
            }
        }
        let ratios = [
            ("kev.ratio", r.kev.ratio),
            ("exposure.internal", r.exposure.internal.ratio),
            ("exposure.controlled", r.exposure.controlled.ratio),
            ("exposure.internet", r.exposure.internet.ratio),
            ("environment.dev", r.environment.dev.ratio),
            ("environment.staging", r.environment.staging.ratio),
            ("environment.production", r.environment.production.ratio),
            ("depth.direct", r.depth.direct),
            ("depth.transitive", r.depth.transitive),
            ("depth.min", r.depth.min),
            ("vex.affected", r.vex.affected),
            ("public_exploit.ratio", r.public_exploit.ratio),
        ];
        for (name, v) in ratios {
            if !(v > 0.0 && v.is_finite()) {
                return Err(format!("{name} = {v}: a likelihood ratio must be > 0"));
            }
        }
        for (lo, hi) in [(1, 2), (2, 3), (4, 5), (5, 6), (8, 7)] {
            if ratios[lo].1 > ratios[hi].1 {
                return Err(format!(
                    "{} ({}) must not exceed {} ({})",
                    ratios[lo].0, ratios[lo].1, ratios[hi].0, ratios[hi].1
                ));
            }
        }
        if r.kev.ratio < 1.0 || r.vex.affected < 1.0 || r.public_exploit.ratio < 1.0 {
            return Err("kev.ratio, vex.affected and public_exploit.ratio must be >= 1".into());
        }
        if !(r.depth.per_level > 0.0 && r.depth.per_level <= 1.0) {
            return Err("depth.per_level must be in (0, 1]".into());
        }
        Ok(r)
    }

    /// Whether a CWE id (`CWE-89`, `cwe-89`, `89`) is injection-class.
    pub fn is_injection(&self, cwe: &str) -> bool {
        let n = cwe
            .trim()
            .trim_start_matches(['C', 'c'])
            .trim_start_matches(['W', 'w'])
            .trim_start_matches(['E', 'e'])
            .trim_start_matches('-');
        self.injection
            .cwes
            .iter()
            .any(|c| c.trim_start_matches("CWE-") == n)
    }
}

/// What kind of finding an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Static analysis of source code.
    Sast,
    /// A vulnerable dependency.
    Sca,
    /// A leaked secret.
    Secret,
    /// An infrastructure-as-code misconfiguration.
    Iac,
}

/// Evidence for P30.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BayesInput {
    /// EPSS probability of the issue's CVE, when scored.
    pub epss: Option<f64>,
    /// Finding class (`None`: treated as SAST).
    pub category: Option<Category>,
    /// CWE ids.
    pub cwes: Vec<crate::model::Sym>,
    /// Listed in CISA KEV.
    pub kev: bool,
    /// Exposure, when known.
    pub exposure: Option<Exposure>,
    /// Environment, when known.
    pub environment: Option<Environment>,
    /// Dependency depth (1 = direct), when known.
    pub depth: Option<u32>,
    /// A VEX statement says `affected`.
    pub vex_affected: bool,
    /// A public exploit is known (used only without an EPSS prior).
    pub public_exploit: bool,
}

/// One contribution to a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    /// What it is (`kev`, `exposure`, ...).
    pub name: String,
    /// The evidence value (`internet`, `depth 3`, `listed`).
    pub value: String,
    /// Its contribution in natural-log odds (ln of the likelihood ratio).
    pub log_odds: f64,
    /// Source or rationale of the number.
    pub source: String,
}

/// The result: prior, posterior and factors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct P30 {
    /// Prior probability.
    pub prior: f64,
    /// Where the prior came from (`EPSS` or `base rate: <class>`).
    pub prior_source: String,
    /// Posterior probability of exploitation within 30 days.
    pub p30: f64,
    /// Each factor's log-odds contribution; they sum to logit(p30) − logit(prior).
    pub factors: Vec<Factor>,
    /// Whether the KEV floor raised the result (shown as the `kev floor` factor).
    pub floor_applied: bool,
}

/// ln(p / (1 − p)), with p clamped to [`P_MIN`, 1 − `P_MIN`].
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(P_MIN, 1.0 - P_MIN);
    (p / (1.0 - p)).ln()
}

/// 1 / (1 + e^−x).
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Compute P30 for one issue.
pub fn p30(input: &BayesInput, rules: &BayesRules) -> P30 {
    let (prior, prior_source) = match input.epss {
        Some(e) if e.is_finite() => (
            e.clamp(P_MIN, 1.0 - P_MIN),
            "EPSS (FIRST): probability of exploitation activity in 30 days".to_string(),
        ),
        _ => {
            let (name, s) = base_rate(input, rules);
            (s.value, format!("base rate: {name} ({})", s.rationale))
        }
    };
    let mut factors = Vec::new();
    let mut push = |name: &str, value: String, ratio: f64, source: &str| {
        factors.push(Factor {
            name: name.to_string(),
            value,
            log_odds: ratio.ln(),
            source: source.to_string(),
        })
    };
    if input.kev {
        push(
            "kev",
            "listed".into(),
            rules.kev.ratio,
            &rules.kev.rationale,
        );
    }
    if let Some(x) = input.exposure {
        let r = match x {
            Exposure::Internet => &rules.exposure.internet,
            Exposure::Controlled => &rules.exposure.controlled,
            Exposure::Internal => &rules.exposure.internal,
        };
        push("exposure", x.to_string(), r.ratio, &r.rationale);
    }
    if let Some(env) = input.environment {
        let r = match env {
            Environment::Production => &rules.environment.production,
            Environment::Staging => &rules.environment.staging,
            Environment::Dev => &rules.environment.dev,
        };
        push("environment", env.to_string(), r.ratio, &r.rationale);
    }
    if let Some(d) = input.depth {
        let kind = if d <= 1 { "direct" } else { "transitive" };
        push(
            "dependency depth",
            format!("{kind}, depth {d}"),
            rules.depth.at(d),
            &rules.depth.rationale,
        );
    }
    if input.vex_affected {
        push(
            "vex",
            "affected".into(),
            rules.vex.affected,
            &rules.vex.rationale,
        );
    }
    if input.public_exploit && input.epss.is_none() {
        push(
            "public exploit",
            "known".into(),
            rules.public_exploit.ratio,
            &rules.public_exploit.rationale,
        );
    }
    let raw = logit(prior) + factors.iter().map(|f| f.log_odds).sum::<f64>();
    let bound = logit(1.0 - P_MIN);
    let posterior = raw.clamp(-bound, bound);
    if posterior != raw {
        factors.push(Factor {
            name: "probability bound".into(),
            value: format!("P30 kept within [{P_MIN}, 1 - {P_MIN}]"),
            log_odds: posterior - raw,
            source: "numerical: keeps log-odds finite".into(),
        });
    }
    let mut p = logistic(posterior);
    let mut floor_applied = false;
    if input.kev && p < rules.kev.floor {
        factors.push(Factor {
            name: "kev floor".into(),
            value: format!("P30 >= {}", rules.kev.floor),
            log_odds: logit(rules.kev.floor) - logit(p),
            source: rules.kev.rationale.clone(),
        });
        p = rules.kev.floor;
        floor_applied = true;
    }
    P30 {
        prior,
        prior_source,
        p30: p,
        factors,
        floor_applied,
    }
}

fn base_rate<'r>(input: &BayesInput, rules: &'r BayesRules) -> (&'static str, &'r Sourced) {
    let p = &rules.prior;
    match input.category {
        Some(Category::Secret) => ("secret", &p.secret),
        Some(Category::Iac) => ("iac", &p.iac),
        Some(Category::Sca) => ("sca without EPSS", &p.sca),
        Some(Category::Sast) | None => {
            if input.cwes.iter().any(|c| rules.is_injection(c)) {
                ("injection-class CWE", &p.injection)
            } else {
                ("sast", &p.sast)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> BayesRules {
        BayesRules::parse(EMBEDDED).unwrap()
    }

    fn sum(p: &P30) -> f64 {
        p.factors.iter().map(|f| f.log_odds).sum()
    }

    fn grid() -> Vec<BayesInput> {
        let mut out = Vec::new();
        for epss in [
            None,
            Some(0.0),
            Some(0.001),
            Some(0.2),
            Some(0.97),
            Some(1.0),
        ] {
            for category in [
                Category::Sast,
                Category::Sca,
                Category::Secret,
                Category::Iac,
            ] {
                for kev in [false, true] {
                    for exposure in [None, Some(Exposure::Internal), Some(Exposure::Internet)] {
                        for environment in
                            [None, Some(Environment::Dev), Some(Environment::Production)]
                        {
                            for depth in [None, Some(1), Some(4)] {
                                out.push(BayesInput {
                                    epss,
                                    category: Some(category),
                                    cwes: vec!["CWE-89".into()],
                                    kev,
                                    exposure,
                                    environment,
                                    depth,
                                    vex_affected: depth == Some(4),
                                    public_exploit: kev,
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn embedded_rules_parse_and_misordered_ratios_are_rejected() {
        let r = rules();
        assert!(r.is_injection("CWE-89") && r.is_injection("cwe-79") && r.is_injection("78"));
        assert!(!r.is_injection("CWE-798"));
        let bad = EMBEDDED.replacen("ratio = 0.4", "ratio = 9.0", 1);
        let err = BayesRules::parse(&bad).unwrap_err();
        assert!(err.contains("exposure.internal"), "{err}");
    }

    #[test]
    fn factors_sum_to_the_log_odds_change() {
        let r = rules();
        for input in grid() {
            let p = p30(&input, &r);
            let diff = logit(p.p30) - logit(p.prior);
            assert!((sum(&p) - diff).abs() < 1e-6, "{input:?}: {p:?}");
            assert!(p.p30 > 0.0 && p.p30 < 1.0);
            assert_eq!(
                p.floor_applied,
                p.factors.iter().any(|f| f.name == "kev floor")
            );
        }
    }

    #[test]
    fn kev_floor_binds_and_says_so() {
        let r = rules();
        let p = p30(
            &BayesInput {
                epss: Some(0.0005),
                category: Some(Category::Sca),
                kev: true,
                exposure: Some(Exposure::Internal),
                environment: Some(Environment::Dev),
                depth: Some(5),
                ..Default::default()
            },
            &r,
        );
        assert_eq!(p.p30, r.kev.floor);
        assert!(p.floor_applied);
        // Without the floor factor the sum is the unfloored change.
        let unfloored: f64 = p
            .factors
            .iter()
            .filter(|f| f.name != "kev floor")
            .map(|f| f.log_odds)
            .sum();
        assert!(logistic(logit(p.prior) + unfloored) < r.kev.floor);
        let high = p30(
            &BayesInput {
                epss: Some(0.9),
                kev: true,
                ..Default::default()
            },
            &r,
        );
        assert!(!high.floor_applied && high.p30 > 0.9);
    }

    #[test]
    fn monotone_in_kev_exposure_environment_depth() {
        let r = rules();
        for base in grid() {
            let p = |i: &BayesInput| p30(i, &r).p30;
            let with = |f: &dyn Fn(&mut BayesInput)| {
                let mut i = base.clone();
                f(&mut i);
                p(&i)
            };
            assert!(
                with(&|i| i.kev = true) >= with(&|i| i.kev = false),
                "{base:?}"
            );
            let exp = [
                None,
                Some(Exposure::Internal),
                Some(Exposure::Controlled),
                Some(Exposure::Internet),
            ];
            let e: Vec<f64> = exp[1..]
                .iter()
                .map(|x| with(&|i| i.exposure = *x))
                .collect();
            assert!(e.windows(2).all(|w| w[0] <= w[1]), "{base:?} {e:?}");
            let env = [
                Environment::Dev,
                Environment::Staging,
                Environment::Production,
            ];
            let v: Vec<f64> = env
                .iter()
                .map(|x| with(&|i| i.environment = Some(*x)))
                .collect();
            assert!(v.windows(2).all(|w| w[0] <= w[1]), "{base:?} {v:?}");
            let d: Vec<f64> = (1..8).map(|x| with(&|i| i.depth = Some(x))).collect();
            assert!(d.windows(2).all(|w| w[0] >= w[1]), "{base:?} {d:?}");
        }
    }

    #[test]
    fn epss_prior_ignores_public_exploit_and_base_rates_follow_class() {
        let r = rules();
        let with_epss = BayesInput {
            epss: Some(0.1),
            public_exploit: true,
            ..Default::default()
        };
        let p = p30(&with_epss, &r);
        assert!(p.factors.is_empty());
        assert!((p.p30 - 0.1).abs() < 1e-12);
        assert!(p.prior_source.starts_with("EPSS"));
        let secret = p30(
            &BayesInput {
                category: Some(Category::Secret),
                ..Default::default()
            },
            &r,
        );
        assert_eq!(secret.prior, r.prior.secret.value);
        let sqli = p30(
            &BayesInput {
                category: Some(Category::Sast),
                cwes: vec!["CWE-89".into()],
                ..Default::default()
            },
            &r,
        );
        assert_eq!(sqli.prior, r.prior.injection.value);
        assert!(sqli.prior_source.contains("injection"));
        let sca = p30(
            &BayesInput {
                category: Some(Category::Sca),
                public_exploit: true,
                ..Default::default()
            },
            &r,
        );
        assert_eq!(sca.factors[0].name, "public exploit");
    }
}
