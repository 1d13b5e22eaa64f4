//! Waivers: governed exceptions that turn a decision into ALLOW until they
//! expire.
//!
//! Input: waiver sources (`[[waiver]]` in fixops.toml or a waivers file, and
//! the ignore files of other scanners: `.trivyignore`, `.trivyignore.yaml`,
//! `.grype.yaml`, `osv-scanner.toml`) plus a correlated run. Output: for
//! each issue the waiver that applies, and the warnings a team must see:
//! expired waivers (which no longer apply), waivers expiring within the
//! warning window, waivers that matched nothing, and imported entries
//! without a reason or an expiry ("ungoverned"). A fixops waiver must carry
//! `reason`, `owner` and `expires` (at most `max_days` ahead) and at least one
//! scope key; all scope keys given must match.

use crate::correlate::Correlation;
use crate::error::{Error, Position, Result};
use crate::model::Finding;
use crate::run::Run;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a waiver came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// fixops `[[waiver]]`.
    Fixops,
    /// `.trivyignore`.
    Trivyignore,
    /// `.trivyignore.yaml`.
    TrivyignoreYaml,
    /// `.grype.yaml` `ignore` rules.
    Grype,
    /// `osv-scanner.toml` `[[IgnoredVulns]]`.
    OsvScanner,
}

/// What a waiver covers; every given key must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Vulnerability id (aliases resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<String>,
    /// Rule id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Package URL (version-less matches any version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Path glob (`src/legacy/**`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Service name (the run's `--service`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Environment (the run's `--environment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// One waiver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiver {
    /// Id (given, or `<file>#<n>`).
    pub id: String,
    /// Source kind.
    pub origin: Origin,
    /// `file:line` it was read from.
    pub source: String,
    /// Scope.
    pub scope: Scope,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who owns the risk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Expiry date (YYYY-MM-DD, inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

impl Waiver {
    /// Has a reason and an expiry (and an owner, for fixops waivers).
    pub fn governed(&self) -> bool {
        self.reason.is_some()
            && self.expires.is_some()
            && (self.origin != Origin::Fixops || self.owner.is_some())
    }
}

/// A `[[waiver]]` as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverToml {
    /// Optional id.
    pub id: Option<String>,
    /// Scope: vulnerability id.
    pub vulnerability: Option<String>,
    /// Scope: rule id.
    pub rule: Option<String>,
    /// Scope: package URL.
    pub purl: Option<String>,
    /// Scope: path glob.
    pub path: Option<String>,
    /// Scope: service.
    pub service: Option<String>,
    /// Scope: environment.
    pub environment: Option<String>,
    /// Required.
    pub reason: Option<String>,
    /// Required.
    pub owner: Option<String>,
    /// Required: a date (`2026-12-31`).
    pub expires: Option<toml::Value>,
    /// Optional.
    pub ticket: Option<String>,
}

/// A standalone waivers file: `[[waiver]]` entries only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    #[serde(default)]
    waiver: Vec<WaiverToml>,
}

/// Waiver settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Longest allowed horizon of a fixops waiver, in days (default 90).
    pub max_days: i64,
    /// Warn when a waiver expires within this many days (default 14).
    pub warn_days: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_days: 90,
            warn_days: 14,
        }
    }
}

fn date_of(s: &str) -> Option<time::Date> {
    let d = s.get(..10)?;
    time::Date::parse(
        d,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn expires_string(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Datetime(d) => Some(d.to_string()),
        _ => None,
    }
}

/// Validate `[[waiver]]` entries from `path` (fixops.toml or a waivers file).
/// `text` is used to point at the offending entry.
pub fn from_toml(
    path: &Path,
    text: &str,
    entries: &[WaiverToml],
    today: time::Date,
    s: &Settings,
) -> Result<Vec<Waiver>> {
    let starts: Vec<usize> = text.match_indices("[[waiver]]").map(|(i, _)| i).collect();
    let mut out = Vec::new();
    for (n, w) in entries.iter().enumerate() {
        let pos = starts.get(n).map(|&o| {
            let (line, column) = crate::config::line_col(text, o);
            Position::LineCol { line, column }
        });
        let bad = |m: String| Error::Config {
            path: path.to_path_buf(),
            position: pos.clone(),
            message: format!("waiver {}: {m}", n + 1),
        };
        for (k, v) in [("reason", &w.reason), ("owner", &w.owner)] {
            if v.as_deref().is_none_or(|x| x.trim().is_empty()) {
                return Err(bad(format!(
                    "`{k}` is required (reason, owner and expires are all required)"
                )));
            }
        }
        let expires = w
            .expires
            .as_ref()
            .ok_or_else(|| bad("`expires` is required (a date such as 2026-12-31)".into()))?;
        let exp_s = expires_string(expires)
            .ok_or_else(|| bad("`expires` must be a date such as 2026-12-31".into()))?;
        let exp = date_of(&exp_s).ok_or_else(|| {
            bad(format!(
                "`expires = {exp_s}` is not a date such as 2026-12-31"
            ))
        })?;
        if (exp - today).whole_days() > s.max_days {
            return Err(bad(format!(
                "expires {exp} is more than {} days ahead (the maximum waiver horizon); renew it closer to the date instead",
                s.max_days
            )));
        }
        let sc = w;
        let scope = Scope {
            vulnerability: sc.vulnerability.clone(),
            rule: sc.rule.clone(),
            purl: sc.purl.clone(),
            path: sc.path.clone(),
            service: sc.service.clone(),
            environment: sc.environment.clone(),
        };
        if scope == Scope::default() {
            return Err(bad("no scope: give at least one of vulnerability, rule, purl, path, service, environment".into()));
        }
        if let Some(g) = &scope.path {
            globset::Glob::new(g).map_err(|e| bad(format!("path glob {g:?}: {e}")))?;
        }
        out.push(Waiver {
            id: w
                .id
                .clone()
                .unwrap_or_else(|| format!("{}#{}", path.display(), n + 1)),
            origin: Origin::Fixops,
            source: match &pos {
                Some(Position::LineCol { line, .. }) => format!("{}:{line}", path.display()),
                _ => path.display().to_string(),
            },
            scope,
            reason: w.reason.clone(),
            owner: w.owner.clone(),
            expires: Some(exp.to_string()),
            ticket: w.ticket.clone(),
        });
    }
    Ok(out)
}

/// Read a standalone waivers file (`[[waiver]]` entries).
pub fn read_waiver_file(path: &Path, today: time::Date, s: &Settings) -> Result<Vec<Waiver>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let f: WaiverFile = toml::from_str(&text).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        position: e.span().map(|sp| {
            let (line, column) = crate::config::line_col(&text, sp.start);
            Position::LineCol { line, column }
        }),
        message: e.message().to_string(),
    })?;
    from_toml(path, &text, &f.waiver, today, s)
}

/// Read another scanner's ignore file, recognized by its name:
/// `.trivyignore`, `.trivyignore.yaml`, `.grype.yaml`, `osv-scanner.toml`.
pub fn read_ignore_file(path: &Path) -> Result<Vec<Waiver>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        if name.contains("grype") {
            grype(path, &text)
        } else {
            trivy_yaml(path, &text)
        }
    } else if name.ends_with(".toml") {
        osv(path, &text)
    } else {
        Ok(trivyignore(path, &text))
    }
}

fn imported(path: &Path, origin: Origin, n: usize, line: Option<usize>, scope: Scope) -> Waiver {
    Waiver {
        id: format!("{}#{}", path.display(), n),
        origin,
        source: match line {
            Some(l) => format!("{}:{l}", path.display()),
            None => path.display().to_string(),
        },
        scope,
        reason: None,
        owner: None,
        expires: None,
        ticket: None,
    }
}

/// `.trivyignore`: one id per line, `exp:YYYY-MM-DD` after it; comment lines
/// directly above an entry are its reason.
fn trivyignore(path: &Path, text: &str) -> Vec<Waiver> {
    let mut out = Vec::new();
    let mut comment: Vec<String> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            comment.clear();
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            comment.push(c.trim().to_string());
            continue;
        }
        let mut parts = line.split_whitespace();
        let Some(id) = parts.next() else { continue };
        let mut w = imported(
            path,
            Origin::Trivyignore,
            out.len() + 1,
            Some(i + 1),
            id_scope(id),
        );
        for p in parts {
            if let Some(d) = p.strip_prefix("exp:") {
                w.expires = Some(d.to_string());
            }
        }
        if !comment.is_empty() {
            w.reason = Some(comment.join(" "));
        }
        comment.clear();
        out.push(w);
    }
    out
}

/// A vulnerability id scopes `vulnerability`; anything else (Trivy
/// misconfiguration or secret rule ids) scopes `rule`.
fn id_scope(id: &str) -> Scope {
    let is_vuln = [
        "CVE-", "GHSA-", "GO-", "OSV-", "PYSEC-", "RUSTSEC-", "DSA-", "USN-", "ALAS", "RHSA-",
    ]
    .iter()
    .any(|p| id.to_ascii_uppercase().starts_with(p));
    if is_vuln {
        Scope {
            vulnerability: Some(id.to_string()),
            ..Default::default()
        }
    } else {
        Scope {
            rule: Some(id.to_string()),
            ..Default::default()
        }
    }
}

fn yaml_value(path: &Path, text: &str) -> Result<serde_json::Value> {
    yaml_serde::from_str(text).map_err(|e| match e.location() {
        Some(l) => Error::at_line(path, l.line(), l.column(), format!("invalid YAML: {e}")),
        None => Error::input(path, format!("invalid YAML: {e}")),
    })
}

/// The strings of an array field (others ignored); empty when absent.
fn strings(v: &serde_json::Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn s(v: &serde_json::Value, k: &str) -> Option<String> {
    match v.get(k)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// `.trivyignore.yaml`: `vulnerabilities`, `misconfigurations`, `secrets`,
/// `licenses` lists with `id`, `paths`, `purls`, `statement`, `expired_at`.
fn trivy_yaml(path: &Path, text: &str) -> Result<Vec<Waiver>> {
    let v = yaml_value(path, text)?;
    let mut out = Vec::new();
    for section in [
        "vulnerabilities",
        "misconfigurations",
        "secrets",
        "licenses",
    ] {
        let Some(list) = v.get(section).and_then(|l| l.as_array()) else {
            continue;
        };
        for (i, e) in list.iter().enumerate() {
            let id = s(e, "id").ok_or_else(|| {
                Error::at_pointer(
                    path,
                    format!("/{section}/{i}/id"),
                    "each entry needs an `id`",
                )
            })?;
            let paths = strings(e, "paths");
            let purls = strings(e, "purls");
            let mut base = id_scope(&id);
            if section != "vulnerabilities" && base.vulnerability.is_some() {
                base = Scope {
                    rule: Some(id.clone()),
                    ..Default::default()
                };
            }
            // One waiver per path/purl combination (Trivy's "any of").
            let paths: Vec<Option<String>> = if paths.is_empty() {
                vec![None]
            } else {
                paths.into_iter().map(Some).collect()
            };
            let purls: Vec<Option<String>> = if purls.is_empty() {
                vec![None]
            } else {
                purls.into_iter().map(Some).collect()
            };
            for p in &paths {
                for u in &purls {
                    let mut w = imported(
                        path,
                        Origin::TrivyignoreYaml,
                        out.len() + 1,
                        None,
                        base.clone(),
                    );
                    w.scope.path = p.clone();
                    w.scope.purl = u.clone();
                    w.reason = s(e, "statement");
                    w.expires = s(e, "expired_at");
                    w.source = format!("{}#/{section}/{i}", path.display());
                    out.push(w);
                }
            }
        }
    }
    Ok(out)
}

/// `.grype.yaml`: `ignore` rules (`vulnerability`, `reason`, `package.{name,
/// version, type, location}`); Grype has no expiry, so every rule is
/// ungoverned.
fn grype(path: &Path, text: &str) -> Result<Vec<Waiver>> {
    let v = yaml_value(path, text)?;
    let mut out = Vec::new();
    let Some(list) = v.get("ignore").and_then(|l| l.as_array()) else {
        return Ok(out);
    };
    for (i, e) in list.iter().enumerate() {
        let mut scope = Scope {
            vulnerability: s(e, "vulnerability"),
            ..Default::default()
        };
        if let Some(p) = e.get("package") {
            if let (Some(name), Some(ty)) = (s(p, "name"), s(p, "type")) {
                scope.purl = Some(match s(p, "version") {
                    Some(ver) => format!("pkg:{ty}/{name}@{ver}"),
                    None => format!("pkg:{ty}/{name}"),
                });
            }
            scope.path = s(p, "location");
        }
        if scope == Scope::default() {
            return Err(Error::at_pointer(
                path,
                format!("/ignore/{i}"),
                "an ignore rule with no vulnerability or package",
            ));
        }
        let mut w = imported(path, Origin::Grype, i + 1, None, scope);
        w.reason = s(e, "reason");
        w.source = format!("{}#/ignore/{i}", path.display());
        out.push(w);
    }
    Ok(out)
}

/// `osv-scanner.toml`: `[[IgnoredVulns]]` with `id`, `ignoreUntil`, `reason`.
fn osv(path: &Path, text: &str) -> Result<Vec<Waiver>> {
    let v: toml::Value = toml::from_str(text).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        position: e.span().map(|sp| {
            let (line, column) = crate::config::line_col(text, sp.start);
            Position::LineCol { line, column }
        }),
        message: e.message().to_string(),
    })?;
    let mut out = Vec::new();
    let Some(list) = v.get("IgnoredVulns").and_then(|l| l.as_array()) else {
        return Ok(out);
    };
    for (i, e) in list.iter().enumerate() {
        let id = e
            .get("id")
            .and_then(|x| x.as_str())
            .ok_or_else(|| Error::Config {
                path: path.to_path_buf(),
                position: None,
                message: format!("[[IgnoredVulns]] entry {} has no `id`", i + 1),
            })?;
        let mut w = imported(path, Origin::OsvScanner, i + 1, None, id_scope(id));
        w.reason = e.get("reason").and_then(|x| x.as_str()).map(str::to_string);
        w.expires = e.get("ignoreUntil").and_then(expires_string);
        out.push(w);
    }
    Ok(out)
}

/// The run-level facts a waiver scope can name.
#[derive(Debug, Clone, Default)]
pub struct RunScope {
    /// The run's service.
    pub service: Option<String>,
    /// The run's environment.
    pub environment: Option<String>,
}

/// Outcome of applying waivers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Applied {
    /// Index into the waiver list for each issue (`None`: not waived).
    #[serde(skip)]
    pub per_issue: Vec<Option<usize>>,
    /// Warnings: expired, expiring soon, unused, ungoverned.
    pub warnings: Vec<String>,
}

fn finding_matches(
    w: &Waiver,
    glob: Option<&globset::GlobMatcher>,
    f: &Finding,
    canon: &dyn Fn(&str) -> String,
) -> bool {
    let sc = &w.scope;
    if let Some(v) = &sc.vulnerability {
        let Some(fv) = &f.vulnerability else {
            return false;
        };
        let want = canon(v);
        if canon(&fv.id) != want && !fv.aliases.iter().any(|a| canon(a) == want) {
            return false;
        }
    }
    if let Some(r) = &sc.rule
        && f.rule_id.as_deref() != Some(r.as_str())
    {
        return false;
    }
    if let Some(p) = &sc.purl {
        let purl = f
            .vulnerability
            .as_ref()
            .and_then(|v| v.package.as_ref())
            .and_then(|p| p.purl.as_deref());
        if !purl.is_some_and(|fp| crate::vex::purl_covers(p, fp)) {
            return false;
        }
    }
    if let Some(g) = glob {
        let path = f
            .primary_location()
            .and_then(|l| l.uri.as_deref())
            .map(crate::model::normalize_path);
        if !path.is_some_and(|p| g.is_match(p.trim_start_matches('/'))) {
            return false;
        }
    }
    true
}

/// Apply waivers to a correlated run on `today`.
pub fn apply(
    waivers: &[Waiver],
    run: &Run,
    c: &Correlation,
    rs: &RunScope,
    today: time::Date,
    s: &Settings,
) -> Applied {
    let canon = |id: &str| c.aliases.get(id).cloned().unwrap_or_else(|| id.to_string());
    let mut out = Applied {
        per_issue: vec![None; c.issues.len()],
        warnings: Vec::new(),
    };
    for (k, w) in waivers.iter().enumerate() {
        if !w.governed() {
            out.warnings.push(format!(
                "waiver {} ({}) is ungoverned: it has no {}",
                w.id,
                w.source,
                [
                    ("reason", w.reason.is_none()),
                    ("expiry", w.expires.is_none())
                ]
                .iter()
                .filter(|(_, missing)| *missing)
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(" and no ")
            ));
        }
        let expiry = w.expires.as_deref().and_then(date_of);
        if let Some(e) = expiry {
            let left = (e - today).whole_days();
            if left < 0 {
                out.warnings.push(format!(
                    "waiver {} ({}) expired on {e} and no longer applies",
                    w.id, w.source
                ));
                continue;
            }
            if left <= s.warn_days {
                out.warnings.push(format!(
                    "waiver {} ({}) expires in {left} days ({e})",
                    w.id, w.source
                ));
            }
        }
        if w.scope
            .service
            .as_ref()
            .is_some_and(|x| rs.service.as_ref() != Some(x))
            || w.scope
                .environment
                .as_ref()
                .is_some_and(|x| rs.environment.as_ref() != Some(x))
        {
            out.warnings
                .push(format!("waiver {} ({}) matched nothing", w.id, w.source));
            continue;
        }
        let glob = w
            .scope
            .path
            .as_deref()
            .and_then(|g| globset::Glob::new(g).ok())
            .map(|g| g.compile_matcher());
        let only_run_scope = w.scope.vulnerability.is_none()
            && w.scope.rule.is_none()
            && w.scope.purl.is_none()
            && glob.is_none();
        let mut used = false;
        for (i, is) in c.issues.iter().enumerate() {
            if out.per_issue[i].is_some() {
                continue;
            }
            let hit = only_run_scope
                || is
                    .members
                    .iter()
                    .any(|&m| finding_matches(w, glob.as_ref(), &run.findings[m as usize], &canon));
            if hit {
                out.per_issue[i] = Some(k);
                used = true;
            }
        }
        if !used {
            out.warnings
                .push(format!("waiver {} ({}) matched nothing", w.id, w.source));
        }
    }
    out
}

/// Collect waivers from fixops.toml entries, waiver files and ignore files.
pub fn load_all(
    config: Option<(&Path, &str, &[WaiverToml])>,
    waiver_files: &[PathBuf],
    ignore_files: &[PathBuf],
    today: time::Date,
    s: &Settings,
) -> Result<Vec<Waiver>> {
    let mut out = Vec::new();
    if let Some((p, text, entries)) = config {
        out.extend(from_toml(p, text, entries, today, s)?);
    }
    for f in waiver_files {
        out.extend(read_waiver_file(f, today, s)?);
    }
    for f in ignore_files {
        out.extend(read_ignore_file(f)?);
    }
    Ok(out)
}

/// Today's date from an RFC 3339 time.
pub fn today(time: &str) -> time::Date {
    date_of(time).unwrap_or(time::Date::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/waivers")
            .join(name)
    }

    fn day(s: &str) -> time::Date {
        date_of(s).unwrap()
    }

    #[test]
    fn fixops_waivers_require_reason_owner_expiry_and_a_horizon() {
        let ws = read_waiver_file(
            &fixture("waivers.toml"),
            day("2026-11-21"),
            &Settings::default(),
        )
        .unwrap();
        assert_eq!(ws.len(), 2);
        assert!(ws.iter().all(Waiver::governed));
        assert_eq!(
            ws[0].source,
            format!("{}:1", fixture("waivers.toml").display())
        );
        // The same file, read 60 days earlier, is beyond the 90-day horizon.
        let err = read_waiver_file(
            &fixture("waivers.toml"),
            day("2026-08-01"),
            &Settings::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("more than 90 days ahead"), "{err}");
        let bad = |body: &str| {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("w.toml");
            std::fs::write(&p, body).unwrap();
            read_waiver_file(&p, day("2026-11-21"), &Settings::default())
                .unwrap_err()
                .to_string()
        };
        assert!(
            bad("[[waiver]]\nrule = \"x\"\nowner = \"o\"\nexpires = 2026-12-01\n")
                .contains("`reason` is required")
        );
        assert!(
            bad("[[waiver]]\nrule = \"x\"\nreason = \"r\"\nexpires = 2026-12-01\n")
                .contains("`owner` is required")
        );
        assert!(
            bad("[[waiver]]\nrule = \"x\"\nreason = \"r\"\nowner = \"o\"\n")
                .contains("`expires` is required")
        );
        assert!(
            bad("[[waiver]]\nreason = \"r\"\nowner = \"o\"\nexpires = 2026-12-01\n")
                .contains("no scope")
        );
        let e = bad(
            "[[waiver]]\nrule = \"x\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2026-12-01\nowners = 1\n",
        );
        assert!(e.contains("line 6"), "{e}");
    }

    #[test]
    fn trivyignore_keeps_expiry_and_comment_reason() {
        let ws = read_ignore_file(&fixture(".trivyignore")).unwrap();
        assert_eq!(ws.len(), 3);
        assert_eq!(ws[0].scope.vulnerability.as_deref(), Some("CVE-2021-23337"));
        assert_eq!(ws[0].expires.as_deref(), Some("2026-12-01"));
        assert!(ws[0].reason.as_deref().unwrap().contains("_.template"));
        assert!(ws[0].governed());
        assert!(!ws[1].governed(), "no reason, no expiry");
        assert_eq!(ws[2].scope.rule.as_deref(), Some("AVD-DS-0002"));
    }

    #[test]
    fn trivyignore_yaml_grype_and_osv() {
        let t = read_ignore_file(&fixture(".trivyignore.yaml")).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[0].scope.purl.as_deref(),
            Some("pkg:maven/org.apache.logging.log4j/log4j-core")
        );
        assert_eq!(t[0].expires.as_deref(), Some("2026-11-30"));
        assert!(t[0].governed());
        assert!(t[1].scope.path.is_some() && !t[1].governed());
        assert_eq!(t[2].scope.rule.as_deref(), Some("AVD-DS-0001"));
        let g = read_ignore_file(&fixture(".grype.yaml")).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(
            g[1].scope.purl.as_deref(),
            Some("pkg:npm/body-parser@1.20.3")
        );
        assert!(
            g.iter().all(|w| !w.governed()),
            "grype rules carry no expiry"
        );
        let o = read_ignore_file(&fixture("osv-scanner.toml")).unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].expires.as_deref(), Some("2026-12-15"));
        assert!(o[0].governed() && !o[1].governed());
    }

    #[test]
    fn expiry_follows_the_injected_clock() {
        use crate::ingest::Ingested;
        use crate::model::*;
        use crate::run::{Run, RunMeta};
        use std::sync::Arc;
        let mut run = Run::assemble(
            RunMeta {
                project: "p".into(),
                branch: None,
                time: "t".into(),
                command: "decide".into(),
            },
            Ingested::default(),
        );
        let mut f = Finding::new(
            Tool {
                name: Arc::from("CodeQL"),
                version: None,
            },
            Some(Arc::from("js/unused-local-variable")),
            "m",
            Fingerprint::for_code("r", "p", "b", FingerprintSource::Message),
        );
        f.level = Level::Note;
        f.severity = Severity::Info;
        f.locations = vec![Location {
            uri: Some(Arc::from("src/legacy/a.js")),
            start_line: Some(3),
            ..Default::default()
        }]
        .into();
        std::sync::Arc::make_mut(&mut run.findings).push(f.clone());
        f.locations[0].uri = Some(Arc::from("src/new/b.js"));
        f.fingerprint = Fingerprint::for_code("r", "q", "b", FingerprintSource::Message);
        std::sync::Arc::make_mut(&mut run.findings).push(f);
        run.finding_input = vec![0, 0];
        let c = crate::correlate::correlate(&run, &Default::default());
        let ws = read_waiver_file(
            &fixture("waivers.toml"),
            day("2026-11-21"),
            &Settings::default(),
        )
        .unwrap();
        let s = Settings::default();
        let before = apply(&ws, &run, &c, &RunScope::default(), day("2026-11-21"), &s);
        assert_eq!(
            before.per_issue,
            vec![Some(1), None],
            "only the legacy path is waived"
        );
        assert!(
            before
                .warnings
                .iter()
                .any(|w| w.contains("W-legacy") && w.contains("expires in 4 days"))
        );
        assert!(
            before
                .warnings
                .iter()
                .any(|w| w.contains("W-log4j") && w.contains("matched nothing"))
        );
        let after = apply(&ws, &run, &c, &RunScope::default(), day("2026-11-26"), &s);
        assert_eq!(after.per_issue, vec![None, None]);
        assert!(
            after
                .warnings
                .iter()
                .any(|w| w.contains("W-legacy") && w.contains("expired on 2026-11-25"))
        );
    }
}
