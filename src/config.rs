//! Configuration: `fixops.toml` → settings, with the precedence written down
//! in one place: flags > `FIXOPS_*` environment > `--config` file or the
//! nearest `fixops.toml` (from the working directory up to the repository
//! root) > defaults. There is no per-user config file, so a verdict does not
//! depend on whose machine ran it.
//!
//! Input: the raw flag/env values (clap merges those two) and the working
//! directory. Output: the [`Loaded`] file config, which the CLI merges under
//! flags and environment.

use crate::error::{Error, Position, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `fixops.toml`, as written. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `[store]`
    #[serde(default)]
    pub store: StoreConfig,
    /// `[project]`
    #[serde(default)]
    pub project: ProjectConfig,
    /// `[decide]`
    #[serde(default)]
    pub decide: DecideConfig,
    /// `[[waiver]]` entries.
    #[serde(default)]
    pub waiver: Vec<crate::waiver::WaiverToml>,
    /// `[context]`: business context defaults and per-service overrides
    /// (same shape as a `--context` file; see [`crate::enrich::context`]).
    #[serde(default)]
    pub context: crate::enrich::context::Context,
}

/// `[store]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Database file, relative to the config file.
    pub path: Option<PathBuf>,
}

/// `[project]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// Project key.
    pub key: Option<String>,
    /// Branch.
    pub branch: Option<String>,
}

/// `[decide]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideConfig {
    /// Output format.
    pub format: Option<String>,
    /// Exit code for DEFER.
    pub defer_exit_code: Option<u8>,
    /// Extra policy files or directories, relative to the config file.
    #[serde(default)]
    pub policies: Vec<PathBuf>,
    /// Load the shipped policies (default true).
    pub builtin_policies: Option<bool>,
    /// Correlation merge threshold (default 0.8).
    pub merge_threshold: Option<f64>,
    /// Longest waiver horizon in days (default 90).
    pub waiver_max_days: Option<i64>,
    /// Warn about waivers expiring within this many days (default 14).
    pub waiver_warn_days: Option<i64>,
    /// A KEV snapshot older than this many days is stale (default in `rules/risk.toml`: 14).
    pub kev_max_age_days: Option<i64>,
    /// An EPSS snapshot older than this many days is stale (default in `rules/risk.toml`: 7).
    pub epss_max_age_days: Option<i64>,
}

/// A loaded config file.
#[derive(Debug)]
pub struct Loaded {
    /// Where it was found.
    pub path: PathBuf,
    /// Its contents.
    pub config: FileConfig,
    /// SHA-256 of its text (goes into the evidence).
    pub sha256: String,
    /// Its text (for positions in later validation).
    pub text: String,
}

impl Loaded {
    /// Resolve a path written in the config relative to the config's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.path.parent().unwrap_or(Path::new(".")).join(p)
        }
    }
}

/// Load `explicit`, or find the nearest `fixops.toml` from `cwd` upwards,
/// stopping at the repository root (a directory holding `.git`).
pub fn load(explicit: Option<&Path>, cwd: &Path) -> Result<Option<Loaded>> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match discover(cwd) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
        path: path.clone(),
        source: e,
    })?;
    let config: FileConfig = toml::from_str(&text).map_err(|e| {
        let position = e.span().map(|s| {
            let (line, column) = line_col(&text, s.start);
            Position::LineCol { line, column }
        });
        Error::Config {
            path: path.clone(),
            position,
            message: e.message().to_string(),
        }
    })?;
    use sha2::Digest;
    Ok(Some(Loaded {
        path,
        config,
        sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
        text,
    }))
}

fn discover(cwd: &Path) -> Option<PathBuf> {
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        let candidate = d.join("fixops.toml");
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

/// The project key when none is configured: the `origin` remote's
/// `owner/name` when the working directory is in a git checkout, else the
/// directory's name.
pub fn default_project(cwd: &Path) -> String {
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        let cfg = d.join(".git").join("config");
        if cfg.is_file() {
            if let Some(key) = std::fs::read_to_string(&cfg)
                .ok()
                .and_then(|t| origin_key(&t))
            {
                return key;
            }
            break;
        }
        dir = d.parent();
    }
    cwd.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "default".to_string())
}

fn origin_key(git_config: &str) -> Option<String> {
    let mut in_origin = false;
    for line in git_config.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_origin = l == "[remote \"origin\"]";
            continue;
        }
        if !in_origin {
            continue;
        }
        if let Some(url) = l
            .strip_prefix("url")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('='))
        {
            let url = url.trim().trim_end_matches('/').trim_end_matches(".git");
            let mut parts = url.rsplit(['/', ':']);
            let name = parts.next()?;
            let owner = parts.next()?;
            return Some(format!("{owner}/{name}"));
        }
    }
    None
}

/// Current time as RFC 3339 (UTC, seconds), or `FIXOPS_NOW`-style override.
pub fn now(override_time: Option<&str>) -> Result<String> {
    use time::format_description::well_known::Rfc3339;
    match override_time {
        Some(t) => {
            let parsed = time::OffsetDateTime::parse(t, &Rfc3339).map_err(|e| Error::Config {
                path: PathBuf::from("--now / FIXOPS_NOW"),
                position: None,
                message: format!("{t:?} is not an RFC 3339 time such as 2026-01-31T12:00:00Z: {e}"),
            })?;
            Ok(parsed
                .to_offset(time::UtcOffset::UTC)
                .format(&Rfc3339)
                .unwrap_or_else(|_| t.to_string()))
        }
        None => {
            let now = time::OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            Ok(now.format(&Rfc3339).unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_keys() {
        let c =
            "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:acme/shop.git\n";
        assert_eq!(origin_key(c).as_deref(), Some("acme/shop"));
        let c = "[remote \"origin\"]\n  url = https://gitlab.example.com/group/sub/api/\n";
        assert_eq!(origin_key(c).as_deref(), Some("sub/api"));
        assert_eq!(origin_key("[remote \"upstream\"]\nurl = x/y\n"), None);
    }

    #[test]
    fn unknown_keys_are_positioned_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fixops.toml");
        std::fs::write(&p, "[decide]\nformat = \"json\"\nbogus = 1\n").unwrap();
        let err = load(Some(&p), dir.path()).unwrap_err().to_string();
        assert!(err.contains("line 3, column 1"), "{err}");
        assert!(err.contains("bogus"), "{err}");
    }

    #[test]
    fn discovery_stops_at_repo_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fixops.toml"), "").unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("sub")).unwrap();
        assert!(load(None, &repo.join("sub")).unwrap().is_none());
        std::fs::write(repo.join("fixops.toml"), "[project]\nkey = \"k\"\n").unwrap();
        let l = load(None, &repo.join("sub")).unwrap().unwrap();
        assert_eq!(l.config.project.key.as_deref(), Some("k"));
    }

    #[test]
    fn now_is_injectable() {
        assert_eq!(
            now(Some("2026-01-02T03:04:05+01:00")).unwrap(),
            "2026-01-02T02:04:05Z"
        );
        assert!(now(Some("yesterday")).is_err());
    }
}
