//! CVSS vectors: parse v3.0, v3.1 and v4.0 vectors and compute base scores.
//!
//! Input: a vector string such as `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`.
//! Output: [`Cvss`], which keeps the vector and gives its version, base score,
//! severity and the base metrics SSVC needs.
//!
//! Scoring is done by RustSec's `cvss` crate, which implements all three
//! FIRST specifications: v3.0 rounding (`ceil(x * 10) / 10`), v3.1 rounding
//! (the integer Roundup of Appendix A) and the v4.0 MacroVector lookup
//! table with its interpolation. This module validates the base metrics
//! first so that an error names the metric and the values it allows, and it
//! scores v4.0 vectors on their base metrics only (CVSS-B), even when the
//! vector also carries threat, environmental or supplemental metrics.

use crate::model::Severity;
use std::fmt;

/// A CVSS version this module scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// CVSS v3.0.
    V3_0,
    /// CVSS v3.1.
    V3_1,
    /// CVSS v4.0.
    V4_0,
}

impl Version {
    /// The version as written after `CVSS:` in a vector.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V3_0 => "3.0",
            Version::V3_1 => "3.1",
            Version::V4_0 => "4.0",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Qualitative severity rating of a CVSS score (the FIRST scale, shared by v3 and v4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rating {
    /// 0.0
    None,
    /// 0.1 – 3.9
    Low,
    /// 4.0 – 6.9
    Medium,
    /// 7.0 – 8.9
    High,
    /// 9.0 – 10.0
    Critical,
}

impl Rating {
    /// The rating of a score on the 0–10 scale.
    pub fn of_score(score: f64) -> Rating {
        if score >= 9.0 {
            Rating::Critical
        } else if score >= 7.0 {
            Rating::High
        } else if score >= 4.0 {
            Rating::Medium
        } else if score > 0.0 {
            Rating::Low
        } else {
            Rating::None
        }
    }

    /// The project's severity for this rating (`None` becomes `Info`).
    pub fn severity(self) -> Severity {
        match self {
            Rating::None => Severity::Info,
            Rating::Low => Severity::Low,
            Rating::Medium => Severity::Medium,
            Rating::High => Severity::High,
            Rating::Critical => Severity::Critical,
        }
    }
}

/// Attack Vector (AV), in v3 and v4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttackVector {
    /// `N`
    Network,
    /// `A`
    Adjacent,
    /// `L`
    Local,
    /// `P`
    Physical,
}

/// Attack Complexity (AC), in v3 and v4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttackComplexity {
    /// `L`
    Low,
    /// `H`
    High,
}

/// Privileges Required (PR), in v3 and v4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Privileges {
    /// `N`
    None,
    /// `L`
    Low,
    /// `H`
    High,
}

/// User Interaction (UI): v3 has `N`/`R`, v4 has `N`/`P`/`A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserInteraction {
    /// `N`
    None,
    /// v3 `R`
    Required,
    /// v4 `P`
    Passive,
    /// v4 `A`
    Active,
}

/// A Confidentiality, Integrity or Availability impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Impact {
    /// `N`
    None,
    /// `L`
    Low,
    /// `H`
    High,
}

/// Why a vector was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    /// The vector does not start with `CVSS:3.0/`, `CVSS:3.1/` or `CVSS:4.0/`.
    #[error(
        "CVSS vector `{vector}`: expected a prefix `CVSS:3.0/`, `CVSS:3.1/` or `CVSS:4.0/`{found}"
    )]
    Prefix {
        /// The vector.
        vector: String,
        /// What was found instead, as a suffix for the message.
        found: String,
    },
    /// A component is not of the form `METRIC:VALUE`.
    #[error("CVSS vector `{vector}`: component `{component}` is not of the form METRIC:VALUE")]
    Component {
        /// The vector.
        vector: String,
        /// The offending component.
        component: String,
    },
    /// A base metric has a value outside its allowed set.
    #[error(
        "CVSS vector `{vector}`: metric {metric} ({name}) has value `{value}`; CVSS {version} allows {allowed}"
    )]
    Value {
        /// The vector.
        vector: String,
        /// CVSS version.
        version: Version,
        /// Metric abbreviation, e.g. `AV`.
        metric: String,
        /// Metric name, e.g. `Attack Vector`.
        name: &'static str,
        /// The value found.
        value: String,
        /// The allowed values, e.g. `N, A, L, P`.
        allowed: String,
    },
    /// Base metrics are missing.
    #[error("CVSS vector `{vector}`: missing base metric(s) {missing} required by CVSS {version}")]
    Missing {
        /// The vector.
        vector: String,
        /// CVSS version.
        version: Version,
        /// The missing metrics, e.g. `S (Scope), C (Confidentiality)`.
        missing: String,
    },
    /// A metric appears twice.
    #[error("CVSS vector `{vector}`: metric {metric} appears more than once")]
    Duplicate {
        /// The vector.
        vector: String,
        /// The repeated metric.
        metric: String,
    },
    /// A non-base metric is unknown or invalid (reported by the scoring crate).
    #[error("CVSS vector `{vector}`: {message}")]
    Other {
        /// The vector.
        vector: String,
        /// The scoring crate's message.
        message: String,
    },
}

/// One base metric: abbreviation, name, allowed values.
struct BaseMetric {
    key: &'static str,
    name: &'static str,
    values: &'static [&'static str],
}

const fn m(key: &'static str, name: &'static str, values: &'static [&'static str]) -> BaseMetric {
    BaseMetric { key, name, values }
}

const CIA: &[&str] = &["H", "L", "N"];

/// Base metrics of CVSS v3.0 and v3.1 (specification §2, §6).
const V3_BASE: &[BaseMetric] = &[
    m("AV", "Attack Vector", &["N", "A", "L", "P"]),
    m("AC", "Attack Complexity", &["L", "H"]),
    m("PR", "Privileges Required", &["N", "L", "H"]),
    m("UI", "User Interaction", &["N", "R"]),
    m("S", "Scope", &["U", "C"]),
    m("C", "Confidentiality", CIA),
    m("I", "Integrity", CIA),
    m("A", "Availability", CIA),
];

/// Base metrics of CVSS v4.0 (specification §2, §7).
const V4_BASE: &[BaseMetric] = &[
    m("AV", "Attack Vector", &["N", "A", "L", "P"]),
    m("AC", "Attack Complexity", &["L", "H"]),
    m("AT", "Attack Requirements", &["N", "P"]),
    m("PR", "Privileges Required", &["N", "L", "H"]),
    m("UI", "User Interaction", &["N", "P", "A"]),
    m("VC", "Vulnerable System Confidentiality", CIA),
    m("VI", "Vulnerable System Integrity", CIA),
    m("VA", "Vulnerable System Availability", CIA),
    m("SC", "Subsequent System Confidentiality", CIA),
    m("SI", "Subsequent System Integrity", CIA),
    m("SA", "Subsequent System Availability", CIA),
];

/// A parsed, validated CVSS v3.0, v3.1 or v4.0 vector with its base score.
#[derive(Debug, Clone, PartialEq)]
pub struct Cvss {
    vector: String,
    version: Version,
    /// Base metric values in the order of [`V3_BASE`] / [`V4_BASE`].
    base: Vec<&'static str>,
    base_score: f64,
}

/// Parse a CVSS v3.0, v3.1 or v4.0 vector and compute its base score.
///
/// Leading and trailing whitespace is ignored. Temporal / threat,
/// environmental and supplemental metrics are accepted (and validated by the
/// scoring crate) but do not change [`Cvss::base_score`].
pub fn parse(vector: &str) -> Result<Cvss, CvssError> {
    let vector = vector.trim();
    let (version, rest) = split_prefix(vector)?;
    let table = match version {
        Version::V4_0 => V4_BASE,
        Version::V3_0 | Version::V3_1 => V3_BASE,
    };
    let mut base: Vec<Option<&'static str>> = vec![None; table.len()];
    let mut seen: Vec<&str> = Vec::new();
    for component in rest.split('/') {
        let Some((key, value)) = component.split_once(':') else {
            return Err(CvssError::Component {
                vector: vector.to_string(),
                component: component.to_string(),
            });
        };
        if seen.contains(&key) {
            return Err(CvssError::Duplicate {
                vector: vector.to_string(),
                metric: key.to_string(),
            });
        }
        seen.push(key);
        if let Some(i) = table.iter().position(|bm| bm.key == key) {
            let bm = &table[i];
            let Some(v) = bm.values.iter().find(|v| **v == value) else {
                return Err(CvssError::Value {
                    vector: vector.to_string(),
                    version,
                    metric: key.to_string(),
                    name: bm.name,
                    value: value.to_string(),
                    allowed: bm.values.join(", "),
                });
            };
            base[i] = Some(v);
        }
    }
    let missing: Vec<String> = table
        .iter()
        .zip(&base)
        .filter(|(_, v)| v.is_none())
        .map(|(bm, _)| format!("{} ({})", bm.key, bm.name))
        .collect();
    if !missing.is_empty() {
        return Err(CvssError::Missing {
            vector: vector.to_string(),
            version,
            missing: missing.join(", "),
        });
    }
    let base: Vec<&'static str> = base.into_iter().flatten().collect();
    // Let the crate validate the whole vector (including non-base metrics) ...
    vector.parse::<cvss::Cvss>().map_err(|e| CvssError::Other {
        vector: vector.to_string(),
        message: e.to_string(),
    })?;
    // ... and score the base metrics alone.
    let base_vector = format!(
        "CVSS:{}/{}",
        version,
        table
            .iter()
            .zip(&base)
            .map(|(bm, v)| format!("{}:{v}", bm.key))
            .collect::<Vec<_>>()
            .join("/")
    );
    let scored = base_vector
        .parse::<cvss::Cvss>()
        .map_err(|e| CvssError::Other {
            vector: vector.to_string(),
            message: e.to_string(),
        })?;
    Ok(Cvss {
        vector: vector.to_string(),
        version,
        base,
        base_score: scored.score(),
    })
}

fn split_prefix(vector: &str) -> Result<(Version, &str), CvssError> {
    for (prefix, version) in [
        ("CVSS:3.0/", Version::V3_0),
        ("CVSS:3.1/", Version::V3_1),
        ("CVSS:4.0/", Version::V4_0),
    ] {
        if let Some(rest) = vector.strip_prefix(prefix) {
            return Ok((version, rest));
        }
    }
    let found = match vector.split('/').next() {
        Some(head) if head.starts_with("CVSS:") => {
            format!(", found `{head}` (unsupported version)")
        }
        _ if vector.starts_with("AV:") => {
            ", found no prefix (a CVSS v2 vector, or a v3 vector without its prefix?)".to_string()
        }
        _ => String::new(),
    };
    Err(CvssError::Prefix {
        vector: vector.to_string(),
        found,
    })
}

impl Cvss {
    /// The vector as given (trimmed).
    pub fn vector(&self) -> &str {
        &self.vector
    }

    /// The CVSS version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The base score (CVSS-B for v4.0), 0.0–10.0 with one decimal.
    pub fn base_score(&self) -> f64 {
        self.base_score
    }

    /// The qualitative rating of the base score.
    pub fn rating(&self) -> Rating {
        Rating::of_score(self.base_score)
    }

    /// The project's severity of the base score (`None` becomes `Info`).
    pub fn severity(&self) -> Severity {
        self.rating().severity()
    }

    fn metric(&self, key: &str) -> &'static str {
        let table = match self.version {
            Version::V4_0 => V4_BASE,
            Version::V3_0 | Version::V3_1 => V3_BASE,
        };
        table
            .iter()
            .position(|bm| bm.key == key)
            .map(|i| self.base[i])
            .unwrap_or("N")
    }

    /// Attack Vector (AV).
    pub fn attack_vector(&self) -> AttackVector {
        match self.metric("AV") {
            "N" => AttackVector::Network,
            "A" => AttackVector::Adjacent,
            "L" => AttackVector::Local,
            _ => AttackVector::Physical,
        }
    }

    /// Attack Complexity (AC).
    pub fn attack_complexity(&self) -> AttackComplexity {
        match self.metric("AC") {
            "L" => AttackComplexity::Low,
            _ => AttackComplexity::High,
        }
    }

    /// Attack Requirements (AT): `Some(true)` for `AT:P`, `Some(false)` for
    /// `AT:N`, `None` for v3 vectors, which have no such metric.
    pub fn attack_requirements_present(&self) -> Option<bool> {
        match self.version {
            Version::V4_0 => Some(self.metric("AT") == "P"),
            Version::V3_0 | Version::V3_1 => None,
        }
    }

    /// Privileges Required (PR).
    pub fn privileges_required(&self) -> Privileges {
        match self.metric("PR") {
            "N" => Privileges::None,
            "L" => Privileges::Low,
            _ => Privileges::High,
        }
    }

    /// User Interaction (UI).
    pub fn user_interaction(&self) -> UserInteraction {
        match self.metric("UI") {
            "N" => UserInteraction::None,
            "R" => UserInteraction::Required,
            "P" => UserInteraction::Passive,
            _ => UserInteraction::Active,
        }
    }

    fn impact(&self, v3: &str, v4: &str) -> Impact {
        let key = match self.version {
            Version::V4_0 => v4,
            Version::V3_0 | Version::V3_1 => v3,
        };
        match self.metric(key) {
            "H" => Impact::High,
            "L" => Impact::Low,
            _ => Impact::None,
        }
    }

    /// Confidentiality impact: `C` in v3, `VC` (vulnerable system) in v4.
    pub fn confidentiality(&self) -> Impact {
        self.impact("C", "VC")
    }

    /// Integrity impact: `I` in v3, `VI` (vulnerable system) in v4.
    pub fn integrity(&self) -> Impact {
        self.impact("I", "VI")
    }

    /// Availability impact: `A` in v3, `VA` (vulnerable system) in v4.
    pub fn availability(&self) -> Impact {
        self.impact("A", "VA")
    }
}

impl fmt::Display for Cvss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.vector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_each_version() {
        let v31 = parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert_eq!(v31.version(), Version::V3_1);
        assert_eq!(v31.base_score(), 9.8);
        assert_eq!(v31.severity(), Severity::Critical);
        let v30 = parse("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L").unwrap();
        assert_eq!(v30.version(), Version::V3_0);
        assert_eq!(v30.base_score(), 5.6);
        let v40 = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        assert_eq!(v40.version(), Version::V4_0);
        assert_eq!(v40.base_score(), 9.3);
    }

    #[test]
    fn zero_impact_is_info() {
        let c = parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N").unwrap();
        assert_eq!(c.base_score(), 0.0);
        assert_eq!(c.rating(), Rating::None);
        assert_eq!(c.severity(), Severity::Info);
    }

    #[test]
    fn v4_threat_metrics_do_not_change_the_base_score() {
        let b = parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        let bt =
            parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U").unwrap();
        assert_eq!(b.base_score(), bt.base_score());
    }

    #[test]
    fn accessors() {
        let c = parse("CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N").unwrap();
        assert_eq!(c.attack_vector(), AttackVector::Adjacent);
        assert_eq!(c.attack_complexity(), AttackComplexity::High);
        assert_eq!(c.attack_requirements_present(), Some(true));
        assert_eq!(c.privileges_required(), Privileges::Low);
        assert_eq!(c.user_interaction(), UserInteraction::Passive);
        assert_eq!(c.confidentiality(), Impact::High);
        assert_eq!(c.integrity(), Impact::Low);
        assert_eq!(c.availability(), Impact::None);
        let v3 = parse("CVSS:3.1/AV:P/AC:L/PR:H/UI:R/S:C/C:N/I:H/A:L").unwrap();
        assert_eq!(v3.attack_vector(), AttackVector::Physical);
        assert_eq!(v3.attack_requirements_present(), None);
        assert_eq!(v3.user_interaction(), UserInteraction::Required);
        assert_eq!(v3.integrity(), Impact::High);
    }

    #[test]
    fn bad_value_names_metric_and_allowed_values() {
        let e = parse("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("AV (Attack Vector)"), "{msg}");
        assert!(msg.contains("allows N, A, L, P"), "{msg}");
        let e =
            parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:R/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap_err();
        assert!(e.to_string().contains("UI (User Interaction)"), "{e}");
        assert!(e.to_string().contains("allows N, P, A"), "{e}");
    }

    #[test]
    fn missing_and_duplicate_and_prefix() {
        let e = parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H").unwrap_err();
        assert!(e.to_string().contains("S (Scope), A (Availability)"), "{e}");
        let e = parse("CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap_err();
        assert!(e.to_string().contains("AV appears more than once"), "{e}");
        let e = parse("CVSS:2.0/AV:N").unwrap_err();
        assert!(e.to_string().contains("unsupported version"), "{e}");
        let e = parse("AV:N/AC:L/Au:N/C:P/I:P/A:P").unwrap_err();
        assert!(e.to_string().contains("CVSS v2 vector"), "{e}");
        let e = parse("CVSS:3.1/AV:N/AC").unwrap_err();
        assert!(e.to_string().contains("METRIC:VALUE"), "{e}");
    }

    #[test]
    fn bad_temporal_metric_is_reported() {
        let e = parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Z").unwrap_err();
        assert!(matches!(e, CvssError::Other { .. }), "{e}");
    }
}
