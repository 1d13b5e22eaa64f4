//! Exploitation before fix: a two-exit absorbing Markov chain (decision model §5).
//!
//! Input: P30, the issue's severity, and fix durations observed for past
//! issues of that severity ([`MttrTable::from_durations`]; the evidence
//! store feeds it). Output: [`Markov`], the probability that the issue is
//! exploited before it is fixed within a horizon of H days.
//!
//! ```text
//! h_e = −ln(1 − P30) / 30          daily exploitation hazard (P30 spread evenly over 30 days)
//! h_f = 1 / MTTR                   daily fix hazard
//! P(exploited before fixed within H) = h_e / (h_e + h_f) · (1 − e^{−(h_e + h_f)·H})
//! ```
//!
//! MTTR is shrunk toward the severity's SLA: the posterior mean of an
//! exponential fix time whose mean has a prior worth `prior_weight`
//! observations at the SLA,
//! `MTTR = (w·SLA + Σ dᵢ) / (w + n)`. With no history MTTR is the SLA; with
//! many observations it tends to their sample mean.

use crate::model::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `rules/risk.toml` `[markov]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkovRules {
    /// SLA in days per severity word.
    pub sla_days: BTreeMap<Severity, f64>,
    /// Pseudo-observations the SLA is worth.
    pub prior_weight: f64,
    /// Horizon for the probability, days.
    pub horizon_days: f64,
    /// Why these numbers.
    pub rationale: String,
}

impl MarkovRules {
    /// Check that every severity has a positive SLA and the weights are sane.
    pub fn check(&self) -> Result<(), String> {
        for s in Severity::ALL_DESC {
            match self.sla_days.get(&s) {
                Some(d) if *d > 0.0 && d.is_finite() => {}
                _ => return Err(format!("markov.sla_days.{s} must be a number of days > 0")),
            }
        }
        if !(self.prior_weight > 0.0 && self.prior_weight.is_finite()) {
            return Err("markov.prior_weight must be > 0".into());
        }
        if !(self.horizon_days >= 0.0 && self.horizon_days.is_finite()) {
            return Err("markov.horizon_days must be >= 0".into());
        }
        Ok(())
    }

    /// The SLA of a severity.
    pub fn sla(&self, s: Severity) -> f64 {
        self.sla_days.get(&s).copied().unwrap_or(90.0)
    }
}

/// The mean time to remediate for one severity, with its basis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mttr {
    /// Estimated mean days from first seen to fixed.
    pub mttr_days: f64,
    /// Number of usable observed durations.
    pub observations: usize,
    /// The configured SLA the estimate is shrunk toward.
    pub sla_days: f64,
    /// How it was obtained.
    pub source: String,
}

/// Posterior-mean MTTR from observed fix durations (days), shrunk toward `sla_days`.
///
/// Durations that are negative, zero-length noise below one minute, or not
/// finite are ignored.
pub fn estimate_mttr(durations: &[f64], sla_days: f64, prior_weight: f64) -> Mttr {
    let usable: Vec<f64> = durations
        .iter()
        .copied()
        .filter(|d| d.is_finite() && *d >= 0.0)
        .map(|d| d.max(1.0 / 1440.0))
        .collect();
    let n = usable.len();
    let sum: f64 = usable.iter().sum();
    let mttr = (prior_weight * sla_days + sum) / (prior_weight + n as f64);
    let source = if n == 0 {
        format!("SLA {sla_days} days (no fix history)")
    } else {
        format!(
            "posterior mean of {n} observed fix time(s) (mean {:.1} days) and the SLA {sla_days} days weighted as {prior_weight} observation(s)",
            sum / n as f64
        )
    };
    Mttr {
        mttr_days: mttr,
        observations: n,
        sla_days,
        source,
    }
}

/// MTTR per severity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MttrTable {
    /// By severity.
    pub by_severity: BTreeMap<Severity, Mttr>,
}

impl MttrTable {
    /// SLAs only (no history).
    pub fn sla_only(rules: &MarkovRules) -> MttrTable {
        MttrTable::from_durations(&BTreeMap::new(), rules)
    }

    /// From observed fix durations (days) per severity.
    pub fn from_durations(
        history: &BTreeMap<Severity, Vec<f64>>,
        rules: &MarkovRules,
    ) -> MttrTable {
        MttrTable {
            by_severity: Severity::ALL_DESC
                .iter()
                .map(|&s| {
                    let d = history.get(&s).map(Vec::as_slice).unwrap_or(&[]);
                    (s, estimate_mttr(d, rules.sla(s), rules.prior_weight))
                })
                .collect(),
        }
    }

    /// The MTTR of a severity.
    pub fn get(&self, s: Severity) -> Option<&Mttr> {
        self.by_severity.get(&s)
    }
}

/// The result of the chain for one issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Markov {
    /// Daily exploitation hazard.
    pub h_exploit: f64,
    /// Daily fix hazard.
    pub h_fix: f64,
    /// Horizon, days.
    pub horizon_days: f64,
    /// P(exploited before fixed within the horizon).
    pub p_exploit_before_fix: f64,
    /// The MTTR used.
    pub mttr: Mttr,
}

/// Daily exploitation hazard of P30: −ln(1 − P30)/30 (infinite when P30 = 1).
pub fn exploit_hazard(p30: f64) -> f64 {
    let p = p30.clamp(0.0, 1.0);
    if p >= 1.0 {
        f64::INFINITY
    } else {
        -(-p).ln_1p() / 30.0
    }
}

/// P(exploited before fixed within `horizon` days) for the two hazards.
pub fn p_before(h_e: f64, h_f: f64, horizon: f64) -> f64 {
    if horizon <= 0.0 || h_e <= 0.0 {
        return 0.0;
    }
    if h_e.is_infinite() {
        return 1.0;
    }
    let total = h_e + h_f;
    (h_e / total * -(-total * horizon).exp_m1()).clamp(0.0, 1.0)
}

/// Run the chain for one issue.
pub fn exploit_before_fix(p30: f64, mttr: &Mttr, horizon_days: f64) -> Markov {
    let h_e = exploit_hazard(p30);
    let h_f = 1.0 / mttr.mttr_days.max(f64::MIN_POSITIVE);
    Markov {
        h_exploit: h_e,
        h_fix: h_f,
        horizon_days,
        p_exploit_before_fix: p_before(h_e, h_f, horizon_days),
        mttr: mttr.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64: a small seeded generator for the simulation.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
        fn exp(&mut self, rate: f64) -> f64 {
            -self.next().ln() / rate
        }
    }

    #[test]
    fn closed_form_matches_competing_clocks_simulation() {
        let mut rng = Rng(20261121);
        let trials = 200_000;
        for (p30, mttr, h) in [
            (0.3, 30.0, 30.0),
            (0.05, 7.0, 14.0),
            (0.9, 90.0, 60.0),
            (0.5, 2.0, 365.0),
        ] {
            let (h_e, h_f) = (exploit_hazard(p30), 1.0 / mttr);
            let mut hits = 0u32;
            for _ in 0..trials {
                let te = rng.exp(h_e);
                let tf = rng.exp(h_f);
                if te < tf && te <= h {
                    hits += 1;
                }
            }
            let sim = hits as f64 / trials as f64;
            let exact = p_before(h_e, h_f, h);
            let sigma = (exact * (1.0 - exact) / trials as f64).sqrt();
            assert!(
                (sim - exact).abs() <= 3.0 * sigma,
                "p30 {p30} mttr {mttr} h {h}: simulated {sim}, closed form {exact}, sigma {sigma}"
            );
        }
    }

    #[test]
    fn hazard_reproduces_p30_over_30_days() {
        for p in [0.01, 0.3, 0.99] {
            assert!((1.0 - (-exploit_hazard(p) * 30.0).exp() - p).abs() < 1e-12);
        }
    }

    #[test]
    fn edge_cases() {
        let m = estimate_mttr(&[], 30.0, 3.0);
        assert_eq!(exploit_before_fix(0.0, &m, 30.0).p_exploit_before_fix, 0.0);
        assert_eq!(exploit_before_fix(1.0, &m, 30.0).p_exploit_before_fix, 1.0);
        assert_eq!(exploit_before_fix(0.7, &m, 0.0).p_exploit_before_fix, 0.0);
        assert_eq!(exploit_before_fix(1.0, &m, 0.0).p_exploit_before_fix, 0.0);
        // Long horizons tend to the share of the exploitation hazard.
        let long = exploit_before_fix(0.5, &m, 1e6);
        assert!(
            (long.p_exploit_before_fix - long.h_exploit / (long.h_exploit + long.h_fix)).abs()
                < 1e-12
        );
        // Monotone in P30 and in MTTR.
        let slow = estimate_mttr(&[], 90.0, 3.0);
        assert!(
            exploit_before_fix(0.4, &slow, 30.0).p_exploit_before_fix
                > exploit_before_fix(0.4, &m, 30.0).p_exploit_before_fix
        );
        assert!(
            exploit_before_fix(0.4, &m, 30.0).p_exploit_before_fix
                > exploit_before_fix(0.2, &m, 30.0).p_exploit_before_fix
        );
    }

    #[test]
    fn shrinkage_limits() {
        let none = estimate_mttr(&[], 30.0, 3.0);
        assert_eq!(none.mttr_days, 30.0);
        assert_eq!(none.observations, 0);
        assert!(none.source.contains("no fix history"));
        let many: Vec<f64> = (0..100_000).map(|i| 5.0 + (i % 3) as f64).collect();
        let m = estimate_mttr(&many, 30.0, 3.0);
        assert!((m.mttr_days - 6.0).abs() < 0.01, "{m:?}");
        let few = estimate_mttr(&[10.0], 30.0, 3.0);
        assert_eq!(few.mttr_days, 25.0);
        let junk = estimate_mttr(&[f64::NAN, -1.0, f64::INFINITY], 30.0, 3.0);
        assert_eq!(junk.observations, 0);
    }

    #[test]
    fn table_covers_every_severity() {
        let rules = crate::score::Rules::embedded();
        let mut h = BTreeMap::new();
        h.insert(Severity::Critical, vec![2.0, 4.0]);
        let t = MttrTable::from_durations(&h, &rules.markov);
        assert_eq!(t.get(Severity::Critical).unwrap().observations, 2);
        assert_eq!(t.get(Severity::High).unwrap().mttr_days, 30.0);
        assert_eq!(t.by_severity.len(), Severity::ALL_DESC.len());
    }
}
