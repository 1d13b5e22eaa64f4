//! Threat-intelligence feeds: CISA KEV JSON and FIRST EPSS CSV.
//!
//! Input: the bytes of a feed file (plain or gzip), from disk or fetched.
//! Output: [`Feed`], a parsed snapshot with its version, date and digest,
//! ready for the evidence store. Fetching (`fetch`) is the only network code
//! in fixops and runs only when the user asks (`fixops feeds update`).

use crate::error::{Error, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// Official CISA KEV JSON feed.
pub const KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// Official FIRST EPSS daily CSV (gzip).
pub const EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

/// Which feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// CISA Known Exploited Vulnerabilities.
    Kev,
    /// FIRST Exploit Prediction Scoring System.
    Epss,
}

impl Source {
    /// `kev` or `epss`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Kev => "kev",
            Source::Epss => "epss",
        }
    }
}

/// One KEV catalog entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevEntry {
    /// `CVE-…`
    pub cve: String,
    /// Date added to the catalog.
    pub date_added: String,
    /// Remediation due date for federal agencies.
    pub due_date: Option<String>,
    /// `knownRansomwareCampaignUse` is "Known".
    pub ransomware: bool,
    /// Vendor / project.
    pub vendor: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Vulnerability name.
    pub name: Option<String>,
    /// CWE ids (newer catalogs).
    pub cwes: Vec<String>,
}

/// One EPSS row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpssEntry {
    /// Index into [`Feed::cves`].
    pub cve: u32,
    /// Probability of exploitation activity in the next 30 days.
    pub epss: f64,
    /// Percentile among all scored CVEs.
    pub percentile: f64,
}

/// A parsed feed snapshot.
#[derive(Debug, Clone)]
pub struct Feed {
    /// Which feed.
    pub source: Source,
    /// KEV `catalogVersion`, EPSS `model_version`.
    pub version: Option<String>,
    /// KEV `dateReleased`, EPSS `score_date`.
    pub date: Option<String>,
    /// SHA-256 of the bytes as read (before decompression).
    pub sha256: String,
    /// KEV entries.
    pub kev: Vec<KevEntry>,
    /// EPSS CVE ids (kept apart so rows stay small).
    pub cves: Vec<String>,
    /// EPSS rows.
    pub epss: Vec<EpssEntry>,
}

impl Feed {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.kev.len() + self.epss.len()
    }

    /// Whether the snapshot has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Parse feed bytes, detecting KEV JSON or EPSS CSV (gzip or plain) by content.
pub fn parse(path: &Path, raw: &[u8]) -> Result<Feed> {
    let sha256 = hex::encode(Sha256::digest(raw));
    let bytes: std::borrow::Cow<'_, [u8]> = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 3);
        flate2::read::MultiGzDecoder::new(raw)
            .read_to_end(&mut out)
            .map_err(|e| Error::input(path, format!("corrupt or truncated gzip stream: {e}")))?;
        out.into()
    } else {
        raw.into()
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Error::input(
            path,
            format!(
                "not UTF-8 text at byte {}; expected KEV JSON or EPSS CSV",
                e.valid_up_to()
            ),
        )
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(Error::input(
            path,
            "empty file; expected a CISA KEV JSON catalog or a FIRST EPSS CSV",
        ));
    }
    let mut feed = if trimmed.starts_with('{') {
        parse_kev(path, text)?
    } else {
        parse_epss(path, text)?
    };
    feed.sha256 = sha256;
    Ok(feed)
}

#[derive(Deserialize)]
struct KevCatalog {
    #[serde(rename = "catalogVersion")]
    catalog_version: String,
    #[serde(rename = "dateReleased")]
    date_released: Option<String>,
    count: Option<u64>,
    vulnerabilities: Vec<KevJson>,
}

#[derive(Deserialize)]
struct KevJson {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(rename = "vendorProject")]
    vendor_project: Option<String>,
    product: Option<String>,
    #[serde(rename = "vulnerabilityName")]
    vulnerability_name: Option<String>,
    #[serde(rename = "dateAdded")]
    date_added: String,
    #[serde(rename = "dueDate")]
    due_date: Option<String>,
    #[serde(rename = "knownRansomwareCampaignUse")]
    ransomware: Option<String>,
    #[serde(default)]
    cwes: Vec<String>,
}

fn parse_kev(path: &Path, text: &str) -> Result<Feed> {
    let cat: KevCatalog = crate::error::from_json(path, text, "CISA KEV catalog")?;
    if let Some(n) = cat.count
        && n as usize != cat.vulnerabilities.len()
    {
        return Err(Error::at_pointer(
            path,
            "/count",
            format!(
                "the catalog says count {n} but lists {} vulnerabilities (truncated download?)",
                cat.vulnerabilities.len()
            ),
        ));
    }
    let mut kev = Vec::with_capacity(cat.vulnerabilities.len());
    for (i, v) in cat.vulnerabilities.into_iter().enumerate() {
        if !v.cve_id.starts_with("CVE-") {
            return Err(Error::at_pointer(
                path,
                format!("/vulnerabilities/{i}/cveID"),
                format!("{:?} is not a CVE id", v.cve_id),
            ));
        }
        kev.push(KevEntry {
            cve: v.cve_id,
            date_added: v.date_added,
            due_date: v.due_date,
            ransomware: v
                .ransomware
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case("known")),
            vendor: v.vendor_project,
            product: v.product,
            name: v.vulnerability_name,
            cwes: v.cwes,
        });
    }
    Ok(Feed {
        source: Source::Kev,
        version: Some(cat.catalog_version),
        date: cat.date_released,
        sha256: String::new(),
        kev,
        cves: Vec::new(),
        epss: Vec::new(),
    })
}

fn parse_epss(path: &Path, text: &str) -> Result<Feed> {
    let mut version = None;
    let mut date = None;
    let mut lines = text.lines().enumerate().peekable();
    if let Some(meta) = lines.peek().and_then(|(_, first)| first.strip_prefix('#')) {
        for part in meta.split(',') {
            if let Some((k, v)) = part.split_once(':') {
                match k.trim() {
                    "model_version" => version = Some(v.trim().to_string()),
                    "score_date" => date = Some(v.trim().to_string()),
                    _ => {}
                }
            }
        }
        lines.next();
    }
    let (hline, header) = lines
        .next()
        .ok_or_else(|| Error::input(path, "no header line; expected `cve,epss,percentile`"))?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let find = |name: &str| cols.iter().position(|c| c.eq_ignore_ascii_case(name));
    let (Some(ci), Some(ei), Some(pi)) = (find("cve"), find("epss"), find("percentile")) else {
        return Err(Error::at_line(
            path,
            hline + 1,
            1,
            format!(
                "header {header:?}; expected KEV JSON, or an EPSS CSV with columns cve,epss,percentile"
            ),
        ));
    };
    let mut cves = Vec::with_capacity(text.len() / 32);
    let mut epss = Vec::with_capacity(text.len() / 32);
    for (n, line) in lines {
        if line.is_empty() {
            continue;
        }
        let mut f = [""; 8];
        let mut k = 0;
        for part in line.split(',') {
            if k < f.len() {
                f[k] = part;
            }
            k += 1;
        }
        let bad = |what: &str| {
            Error::at_line(
                path,
                n + 1,
                1,
                format!("{what} in {line:?}; expected cve,epss,percentile"),
            )
        };
        if k <= ci.max(ei).max(pi) {
            return Err(bad("too few fields"));
        }
        let cve = f[ci].trim();
        if !cve.starts_with("CVE-") {
            return Err(bad("not a CVE id"));
        }
        let p = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
        };
        let (Some(e), Some(pc)) = (p(f[ei]), p(f[pi])) else {
            return Err(bad("a score outside 0..1"));
        };
        epss.push(EpssEntry {
            cve: cves.len() as u32,
            epss: e,
            percentile: pc,
        });
        cves.push(cve.to_string());
    }
    if epss.is_empty() {
        return Err(Error::input(path, "the EPSS CSV has a header but no rows"));
    }
    Ok(Feed {
        source: Source::Epss,
        version,
        date,
        sha256: String::new(),
        kev: Vec::new(),
        cves,
        epss,
    })
}

/// Fetch a URL (proxy from the environment, timeouts, a few retries on
/// transient failures). The error names the URL and what went wrong.
pub fn fetch(url: &str, timeout: Duration, retries: u32) -> Result<Vec<u8>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .proxy(ureq::Proxy::try_from_env())
        .http_status_as_error(false)
        .build()
        .into();
    let name = Path::new(url);
    let mut last = String::new();
    for attempt in 0..=retries {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(250 * (1 << attempt.min(4))));
        }
        match agent.get(url).call() {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                if status == 200 {
                    let mut body = Vec::new();
                    resp.body_mut()
                        .as_reader()
                        .take(2 << 30)
                        .read_to_end(&mut body)
                        .map_err(|e| Error::input(name, format!("download interrupted: {e}")))?;
                    return Ok(body);
                }
                last = format!("HTTP {status}");
                if status < 500 && status != 429 {
                    break;
                }
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(Error::input(
        name,
        format!(
            "cannot fetch ({last}); check the network or proxy (HTTPS_PROXY), or download the file and use `fixops feeds import`"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epss_with_and_without_comment() {
        let a = parse(Path::new("a.csv"), b"#model_version:v2025.03.14,score_date:2025-03-20T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.94358,0.99957\n").unwrap();
        assert_eq!(a.version.as_deref(), Some("v2025.03.14"));
        assert_eq!(a.date.as_deref(), Some("2025-03-20T00:00:00+0000"));
        assert_eq!(a.epss[0].epss, 0.94358);
        let b = parse(
            Path::new("b.csv"),
            b"cve,epss,percentile\nCVE-1999-0001,0.1,0.5\n",
        )
        .unwrap();
        assert_eq!(b.version, None);
        assert_eq!(b.cves, vec!["CVE-1999-0001"]);
    }

    #[test]
    fn epss_errors_have_lines() {
        let e = parse(
            Path::new("c.csv"),
            b"cve,epss,percentile\nCVE-1,0.1,0.5\nCVE-2,1.7,0.5\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.csv: line 3, column 1: a score outside 0..1"),
            "{e}"
        );
        let e = parse(Path::new("d.csv"), b"id,score\nx,1\n").unwrap_err();
        assert!(e.to_string().contains("columns cve,epss,percentile"), "{e}");
    }

    #[test]
    fn kev_count_mismatch_is_truncation() {
        let e = parse(
            Path::new("k.json"),
            br#"{"catalogVersion":"1","count":2,"vulnerabilities":[{"cveID":"CVE-1","dateAdded":"2024-01-01"}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("/count"), "{e}");
    }
}
