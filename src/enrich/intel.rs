//! Threat-intelligence lookups: CISA KEV and FIRST EPSS for one CVE.
//!
//! Input: one KEV and one EPSS snapshot, loaded once from the evidence store
//! ([`Intel::load`], one query per 500 CVE ids) or built in memory
//! ([`Intel::from_rows`]). Output: [`Lookup`] per CVE id, each fact carrying
//! the snapshot it came from (source, version, date), and freshness warnings
//! when a snapshot is older than [`MaxAge`] allows.

use crate::evidence::store::{EpssRow, IntelRows, Snapshot, Store};
use crate::ingest::feeds::KevEntry;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Which snapshot a fact came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotRef {
    /// `CISA KEV` or `FIRST EPSS`.
    pub source: &'static str,
    /// Store row id of the snapshot.
    pub id: i64,
    /// KEV `catalogVersion` / EPSS `model_version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// KEV `dateReleased` / EPSS `score_date`, as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// What KEV says about one CVE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KevFacts {
    /// The CVE id matched (empty in assessments shared by several issues).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cve: String,
    /// Date added to the catalog.
    pub date_added: String,
    /// Federal remediation due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Known to be used in ransomware campaigns.
    pub ransomware: bool,
    /// The snapshot.
    pub snapshot: SnapshotRef,
}

/// What EPSS says about one CVE.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpssFacts {
    /// The CVE id matched (empty in assessments shared by several issues).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days.
    pub epss: f64,
    /// Percentile among scored CVEs.
    pub percentile: f64,
    /// The snapshot.
    pub snapshot: SnapshotRef,
}

/// KEV and EPSS facts about one CVE (or the strongest over an issue's ids).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Lookup {
    /// KEV listing, when listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevFacts>,
    /// EPSS score, when scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssFacts>,
}

/// Maximum snapshot ages before a warning, in days (`rules/risk.toml` `[intel]`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct MaxAge {
    /// EPSS.
    #[serde(rename = "epss_max_age_days")]
    pub epss_days: i64,
    /// KEV.
    #[serde(rename = "kev_max_age_days")]
    pub kev_days: i64,
}

impl Default for MaxAge {
    fn default() -> MaxAge {
        crate::score::Rules::embedded().intel_max_age
    }
}

/// Snapshot ages in whole days, when the snapshot and its date are known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Ages {
    /// KEV.
    pub kev: Option<i64>,
    /// EPSS.
    pub epss: Option<i64>,
}

#[derive(Debug, Clone)]
struct KevValue {
    date_added: String,
    due_date: Option<String>,
    ransomware: bool,
}

/// KEV and EPSS of one snapshot pair, in hash maps keyed by upper-case CVE id.
#[derive(Debug, Clone, Default)]
pub struct Intel {
    kev_snapshot: Option<SnapshotRef>,
    epss_snapshot: Option<SnapshotRef>,
    kev: HashMap<String, KevValue>,
    epss: HashMap<String, (f64, f64)>,
}

impl Intel {
    /// No intelligence: every lookup is empty.
    pub fn empty() -> Intel {
        Intel::default()
    }

    /// Load the given snapshots (or the newest of each) from the store,
    /// restricted to `cves` when given.
    pub fn load(
        store: &Store,
        kev_snapshot: Option<i64>,
        epss_snapshot: Option<i64>,
        cves: Option<&[String]>,
    ) -> crate::error::Result<Intel> {
        let upper: Option<Vec<String>> =
            cves.map(|c| c.iter().map(|s| s.trim().to_ascii_uppercase()).collect());
        let rows = store.load_intel(kev_snapshot, epss_snapshot, upper.as_deref())?;
        Ok(Intel::from_rows(rows))
    }

    /// Build from rows already read.
    pub fn from_rows(rows: IntelRows) -> Intel {
        let mut intel = Intel::default();
        if let Some((snap, entries)) = rows.kev {
            intel.kev_snapshot = Some(snapshot_ref("CISA KEV", &snap));
            intel.kev = entries
                .into_iter()
                .map(|k: KevEntry| {
                    (
                        k.cve.to_ascii_uppercase(),
                        KevValue {
                            date_added: k.date_added,
                            due_date: k.due_date,
                            ransomware: k.ransomware,
                        },
                    )
                })
                .collect();
        }
        if let Some((snap, entries)) = rows.epss {
            intel.epss_snapshot = Some(snapshot_ref("FIRST EPSS", &snap));
            intel.epss = entries
                .into_iter()
                .map(|r: EpssRow| (r.cve.to_ascii_uppercase(), (r.epss, r.percentile)))
                .collect();
        }
        intel
    }

    /// The KEV snapshot in use.
    pub fn kev_snapshot(&self) -> Option<&SnapshotRef> {
        self.kev_snapshot.as_ref()
    }

    /// The EPSS snapshot in use.
    pub fn epss_snapshot(&self) -> Option<&SnapshotRef> {
        self.epss_snapshot.as_ref()
    }

    /// KEV and EPSS facts for one CVE id (case-insensitive).
    pub fn lookup(&self, cve: &str) -> Lookup {
        let key = cve.trim().to_ascii_uppercase();
        Lookup {
            kev: self.kev.get(&key).map(|k| KevFacts {
                cve: key.clone(),
                date_added: k.date_added.clone(),
                due_date: k.due_date.clone(),
                ransomware: k.ransomware,
                snapshot: self.kev_snapshot.clone().unwrap_or_else(unknown_kev),
            }),
            epss: self.epss.get(&key).map(|&(epss, percentile)| EpssFacts {
                cve: key.clone(),
                epss,
                percentile,
                snapshot: self.epss_snapshot.clone().unwrap_or_else(unknown_epss),
            }),
        }
    }

    /// The strongest facts over several ids of one issue (a CVE and its
    /// aliases): any KEV listing (ransomware preferred), the highest EPSS.
    pub fn lookup_any<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Lookup {
        let mut best = Lookup::default();
        for id in ids {
            let l = self.lookup(id);
            if let Some(k) = l.kev
                && best
                    .kev
                    .as_ref()
                    .is_none_or(|b| !b.ransomware && k.ransomware)
            {
                best.kev = Some(k);
            }
            if let Some(e) = l.epss
                && best.epss.as_ref().is_none_or(|b| e.epss > b.epss)
            {
                best.epss = Some(e);
            }
        }
        best
    }

    /// Age of each snapshot at `now`, from its published date.
    pub fn age_days(&self, now: time::Date) -> Ages {
        let age = |s: &Option<SnapshotRef>| {
            s.as_ref()
                .and_then(|s| s.date.as_deref())
                .and_then(parse_date)
                .map(|d| (now - d).whole_days())
        };
        Ages {
            kev: age(&self.kev_snapshot),
            epss: age(&self.epss_snapshot),
        }
    }

    /// Warnings for missing, undated or stale snapshots.
    pub fn freshness_warnings(&self, now: time::Date, max: &MaxAge) -> Vec<String> {
        let ages = self.age_days(now);
        let mut out = Vec::new();
        for (name, snap, age, limit) in [
            ("CISA KEV", &self.kev_snapshot, ages.kev, max.kev_days),
            ("FIRST EPSS", &self.epss_snapshot, ages.epss, max.epss_days),
        ] {
            match (snap, age) {
                (None, _) => out.push(format!(
                    "no {name} snapshot in the store: run `fixops feeds update` or `fixops feeds import`"
                )),
                (Some(s), None) => out.push(format!(
                    "{name} snapshot {} has no usable date; its freshness is unknown",
                    s.id
                )),
                (Some(s), Some(a)) if a > limit => out.push(format!(
                    "{name} snapshot {} is {a} days old (dated {}), older than the {limit}-day maximum",
                    s.id,
                    s.date.as_deref().unwrap_or_default()
                )),
                _ => {}
            }
        }
        out
    }
}

fn snapshot_ref(source: &'static str, s: &Snapshot) -> SnapshotRef {
    SnapshotRef {
        source,
        id: s.id,
        version: s.version.clone(),
        date: s.date.clone(),
    }
}

fn unknown_kev() -> SnapshotRef {
    SnapshotRef {
        source: "CISA KEV",
        id: 0,
        version: None,
        date: None,
    }
}

fn unknown_epss() -> SnapshotRef {
    SnapshotRef {
        source: "FIRST EPSS",
        id: 0,
        version: None,
        date: None,
    }
}

/// The calendar date at the start of a published date or timestamp
/// (`2025-03-20`, `2025-03-20T00:00:00+0000`, `2024-01-05T17:01:50.6433Z`).
pub fn parse_date(s: &str) -> Option<time::Date> {
    let head = s.trim().get(..10)?;
    time::Date::parse(
        head,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(id: i64, source: &str, date: &str) -> Snapshot {
        Snapshot {
            id,
            source: source.into(),
            version: Some("v1".into()),
            date: Some(date.into()),
            fetched_at: "2026-11-20T00:00:00Z".into(),
            origin: "test".into(),
            sha256: "00".into(),
            entries: 1,
        }
    }

    fn kev(cve: &str, ransomware: bool) -> KevEntry {
        KevEntry {
            cve: cve.into(),
            date_added: "2021-12-10".into(),
            due_date: Some("2021-12-24".into()),
            ransomware,
            vendor: None,
            product: None,
            name: None,
            cwes: vec![],
        }
    }

    fn sample() -> Intel {
        Intel::from_rows(IntelRows {
            kev: Some((
                snap(1, "kev", "2026-11-01T10:00:00.000Z"),
                vec![kev("CVE-2021-44228", true)],
            )),
            epss: Some((
                snap(2, "epss", "2026-11-19T00:00:00+0000"),
                vec![
                    EpssRow {
                        cve: "CVE-2021-44228".into(),
                        epss: 0.94,
                        percentile: 0.999,
                    },
                    EpssRow {
                        cve: "CVE-2020-0001".into(),
                        epss: 0.01,
                        percentile: 0.5,
                    },
                ],
            )),
        })
    }

    #[test]
    fn lookups_carry_their_snapshot() {
        let i = sample();
        let l = i.lookup("cve-2021-44228");
        let k = l.kev.unwrap();
        assert!(k.ransomware);
        assert_eq!(k.snapshot.source, "CISA KEV");
        assert_eq!(k.snapshot.version.as_deref(), Some("v1"));
        let e = l.epss.unwrap();
        assert_eq!(e.epss, 0.94);
        assert_eq!(e.snapshot.date.as_deref(), Some("2026-11-19T00:00:00+0000"));
        assert_eq!(i.lookup("CVE-1999-0001"), Lookup::default());
        let any = i.lookup_any(["GHSA-x", "CVE-2020-0001", "CVE-2021-44228"]);
        assert_eq!(any.epss.unwrap().cve, "CVE-2021-44228");
    }

    #[test]
    fn freshness_is_measured_from_the_published_date() {
        let i = sample();
        let now = time::macros::date!(2026 - 11 - 21);
        assert_eq!(
            i.age_days(now),
            Ages {
                kev: Some(20),
                epss: Some(2)
            }
        );
        let w = i.freshness_warnings(
            now,
            &MaxAge {
                epss_days: 7,
                kev_days: 14,
            },
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("CISA KEV snapshot 1 is 20 days old"), "{w:?}");
        assert_eq!(
            Intel::empty()
                .freshness_warnings(now, &MaxAge::default())
                .len(),
            2
        );
    }

    #[test]
    fn store_loads_newest_or_given_snapshots_for_a_cve_set() {
        use crate::ingest::feeds;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let csv = |date: &str, score: &str| {
            format!(
                "#model_version:v2025.03.14,score_date:{date}T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,{score},0.99\nCVE-2022-0001,0.02,0.4\n"
            )
        };
        let old = feeds::parse(
            std::path::Path::new("old.csv"),
            csv("2026-11-01", "0.5").as_bytes(),
        )
        .unwrap();
        let new = feeds::parse(
            std::path::Path::new("new.csv"),
            csv("2026-11-20", "0.9").as_bytes(),
        )
        .unwrap();
        let old_id = match store.import_feed(&old, "old.csv", "t").unwrap() {
            crate::evidence::store::Imported::New(s) => s.id,
            other => panic!("{other:?}"),
        };
        store.import_feed(&new, "new.csv", "t").unwrap();
        // 1200 ids: three batches of at most 500.
        let mut ids: Vec<String> = (0..1199).map(|n| format!("CVE-2000-{n:05}")).collect();
        ids.push("cve-2021-44228".into());
        let newest = Intel::load(&store, None, None, Some(&ids)).unwrap();
        assert_eq!(newest.lookup("CVE-2021-44228").epss.unwrap().epss, 0.9);
        assert!(
            newest.lookup("CVE-2022-0001").epss.is_none(),
            "not asked for"
        );
        assert!(newest.kev_snapshot().is_none());
        let pinned = Intel::load(&store, None, Some(old_id), None).unwrap();
        assert_eq!(pinned.lookup("CVE-2021-44228").epss.unwrap().epss, 0.5);
        assert_eq!(pinned.lookup("CVE-2022-0001").epss.unwrap().epss, 0.02);
        let err = Intel::load(&store, Some(old_id), None, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is from the epss feed, not kev"), "{err}");
    }
}
