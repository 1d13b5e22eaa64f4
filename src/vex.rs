//! VEX application: statements → the issues they cover.
//!
//! Input: a [`Run`] (its VEX statements, with the file each came from) and
//! its [`Correlation`]. Output: for each issue, the statement that decides
//! its VEX status, if any. A statement covers an issue when its vulnerability
//! matches the issue's (aliases too) and one of its subcomponents — or, when
//! it names none, one of its products — matches the issue's package:
//! version-less purls match any version, and qualifiers must match when the
//! statement gives them. A product that is the SBOM's root component covers
//! every package of it. When several statements cover an issue, the latest
//! (by timestamp, then by input order) wins. `not_affected` and `fixed`
//! suppress; `affected` and `under_investigation` do not.

use crate::correlate::Correlation;
use crate::model::{VexStatement, VexStatus};
use crate::run::Run;
use serde::Serialize;
use std::collections::HashMap;

/// The statement applied to an issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    /// Status.
    pub status: VexStatus,
    /// Whether the status suppresses the issue.
    pub suppresses: bool,
    /// Justification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Impact statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact_statement: Option<String>,
    /// Action statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_statement: Option<String>,
    /// Timestamp of the statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The file the statement came from.
    pub source: String,
    /// What it matched on (the product or subcomponent).
    pub matched: String,
    /// Index into the run's statements.
    #[serde(skip)]
    pub statement: usize,
}

/// Whether a statement's purl covers a package purl.
pub fn purl_covers(statement: &str, package: &str) -> bool {
    use std::str::FromStr;
    let (Ok(s), Ok(p)) = (
        packageurl::PackageUrl::from_str(statement.trim()),
        packageurl::PackageUrl::from_str(package.trim()),
    ) else {
        return statement == package;
    };
    if !s.ty().eq_ignore_ascii_case(p.ty())
        || s.name() != p.name()
        || s.namespace() != p.namespace()
    {
        return false;
    }
    if let Some(v) = s.version()
        && p.version() != Some(v)
    {
        return false;
    }
    s.qualifiers()
        .iter()
        .all(|(k, v)| p.qualifiers().get(k) == Some(v))
}

/// Whether a statement's purl covers a package: by purl when the package
/// has one, else by name (last segment, case-insensitive) and, when the
/// statement gives one, version.
pub fn package_covers(statement: &str, pkg: &crate::model::PackageRef) -> bool {
    if let Some(p) = pkg.purl.as_deref() {
        return purl_covers(statement, p);
    }
    let (Some(s), Some(name)) = (crate::model::parse_purl(statement), pkg.name.as_deref()) else {
        return false;
    };
    let last = name.rsplit(['/', ':']).next().unwrap_or(name);
    s.name.eq_ignore_ascii_case(last)
        && s.version
            .as_deref()
            .is_none_or(|v| pkg.version.as_deref() == Some(v))
}

/// Apply the run's statements to its issues.
/// Boxed: most issues have no statement, and an empty slot stays one word.
pub fn apply(run: &Run, c: &Correlation) -> Vec<Option<Box<Applied>>> {
    let canon = |id: &str| c.aliases.get(id).cloned().unwrap_or_else(|| id.to_string());
    // Statements by canonical vulnerability (their own aliases resolved too).
    let mut by_vuln: HashMap<String, Vec<usize>> = HashMap::new();
    for (k, (_, s)) in run.statements.iter().enumerate() {
        let mut ids: Vec<String> = std::iter::once(&s.vulnerability)
            .chain(&s.aliases)
            .map(|v| canon(v))
            .collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            by_vuln.entry(id).or_default().push(k);
        }
    }
    let roots: Vec<(&str, Option<&str>)> = run
        .components
        .iter()
        .filter(|(_, c)| c.is_root)
        .map(|(_, c)| (c.bom_ref.as_str(), c.purl.as_deref()))
        .collect();
    let covers_root = |product: &str| {
        roots.iter().any(|(r, p)| {
            *r == product || p.is_some_and(|p| purl_covers(product, p) || purl_covers(p, product))
        })
    };
    c.issues
        .iter()
        .map(|is| {
            let vuln = is.vulnerability.as_ref()?;
            let candidates = by_vuln.get(&**vuln)?;
            let f = &run.findings[is.members[0] as usize];
            let pkg = f.vulnerability.as_ref().and_then(|v| v.package.as_ref());
            let mut best: Option<(usize, String)> = None;
            for &k in candidates {
                let s: &VexStatement = &run.statements[k].1;
                let matched = if !s.subcomponents.is_empty() {
                    pkg.and_then(|p| {
                        s.subcomponents
                            .iter()
                            .find(|sc| package_covers(sc, p))
                            .cloned()
                    })
                } else {
                    pkg.and_then(|p| s.products.iter().find(|pr| package_covers(pr, p)).cloned())
                        .or_else(|| s.products.iter().find(|pr| covers_root(pr)).cloned())
                };
                let Some(m) = matched else { continue };
                let later = match &best {
                    None => true,
                    Some((b, _)) => {
                        let bs = &run.statements[*b].1;
                        (s.timestamp.as_deref().unwrap_or(""), k)
                            >= (bs.timestamp.as_deref().unwrap_or(""), *b)
                    }
                };
                if later {
                    best = Some((k, m));
                }
            }
            let (k, matched) = best?;
            let (input, s) = &run.statements[k];
            Some(Box::new(Applied {
                status: s.status,
                suppresses: matches!(s.status, VexStatus::NotAffected | VexStatus::Fixed),
                justification: s.justification.clone(),
                impact_statement: s.impact_statement.clone(),
                action_statement: s.action_statement.clone(),
                timestamp: s.timestamp.clone(),
                source: run
                    .inputs
                    .get(*input as usize)
                    .map(|i| i.path.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                matched,
                statement: k,
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_matching_rules() {
        assert!(purl_covers("pkg:npm/lodash", "pkg:npm/lodash@4.17.20"));
        assert!(purl_covers(
            "pkg:npm/lodash@4.17.20",
            "pkg:npm/lodash@4.17.20"
        ));
        assert!(!purl_covers(
            "pkg:npm/lodash@4.17.21",
            "pkg:npm/lodash@4.17.20"
        ));
        assert!(purl_covers(
            "pkg:deb/debian/curl?arch=amd64",
            "pkg:deb/debian/curl@7.1?arch=amd64&distro=bookworm"
        ));
        assert!(!purl_covers(
            "pkg:deb/debian/curl?arch=arm64",
            "pkg:deb/debian/curl@7.1?arch=amd64"
        ));
        assert!(purl_covers(
            "pkg:deb/debian/curl",
            "pkg:deb/debian/curl@7.1?arch=amd64"
        ));
        assert!(!purl_covers("pkg:npm/lodash", "pkg:pypi/lodash@1"));
        assert!(purl_covers("not-a-purl", "not-a-purl"));
    }
}
