//! Lifecycle: each issue against the previous run of the same project and
//! branch (or a baseline file): `new`, `unchanged`, `reintroduced`, and the
//! issues that are now `fixed`.
//!
//! Input: a [`Correlation`] and a [`History`] (from the evidence store or a
//! baseline file). Output: [`Lifecycle`], the status of every issue, the
//! fixed issues, and the [`LifecycleUpdate`] the store applies in the same
//! transaction that records the run. Identities are sticky: an issue keeps
//! the identity it was first seen under as long as any of its fingerprints
//! matches, so regrouping does not turn an old issue into a new one. SARIF
//! `baselineState` decides when there is no history at all.

use crate::correlate::{Correlation, Identity, IssueId};
use crate::model::{BaselineState, Severity, Sym};
use crate::run::Run;
use serde::Serialize;

/// Status of an issue present in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not seen before.
    New,
    /// Open in the previous run.
    Unchanged,
    /// Fixed before, present again.
    Reintroduced,
    /// The producer says the result is absent (SARIF `baselineState: absent`).
    Absent,
}

impl Status {
    /// Lower-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Unchanged => "unchanged",
            Status::Reintroduced => "reintroduced",
            Status::Absent => "absent",
        }
    }
}

/// What is known about an issue from history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// Issue id it was first seen under.
    pub issue_id: IssueId,
    /// Severity when last recorded.
    pub severity: Sym,
    /// First seen (RFC 3339).
    pub first_seen: Sym,
    /// When it was fixed, if it is fixed now.
    pub fixed_at: Option<Sym>,
}

/// History to compare against. A fingerprint's identity is the one
/// `fingerprints` maps it to, else the identity `fp X` that names it (not
/// stored twice: see [`History::identity_of`]).
#[derive(Debug, Clone)]
pub struct History {
    /// Where it came from (`run 12`, `baseline verdict.json`, `none`).
    pub source: String,
    /// Whether there is any history (first runs have none).
    pub present: bool,
    /// Issues by identity.
    pub known: crate::model::FastMap<Sym, Known>,
    /// Fingerprint → identity, for fingerprints their identity does not name.
    pub fingerprints: crate::model::FastMap<String, Sym>,
}

impl History {
    /// The identity a fingerprint was recorded under: the one `fingerprints`
    /// maps it to, else a known identity `fp X` naming it. `scratch` is a
    /// reused buffer for that name.
    pub fn identity_of(&self, fp: &str, scratch: &mut String) -> Option<&Sym> {
        if let Some(identity) = self.fingerprints.get(fp) {
            return Some(identity);
        }
        if self.known.is_empty() {
            return None;
        }
        scratch.clear();
        scratch.push_str("fp ");
        scratch.push_str(fp);
        self.known.get_key_value(scratch.as_str()).map(|(k, _)| k)
    }

    /// What is known about an identity. `scratch` is a reused buffer for
    /// its text.
    pub fn lookup(&self, identity: &Identity, scratch: &mut String) -> Option<&Known> {
        if self.known.is_empty() {
            return None;
        }
        self.known.get(identity.text(scratch))
    }
}

impl Default for History {
    fn default() -> Self {
        History {
            source: "none".into(),
            present: false,
            known: Default::default(),
            fingerprints: Default::default(),
        }
    }
}

/// An issue that was open and is gone now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fixed {
    /// Issue id.
    pub id: String,
    /// Identity.
    pub identity: String,
    /// Severity when last seen.
    pub severity: String,
    /// First seen.
    pub first_seen: String,
    /// Days from first seen to this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_open: Option<f64>,
}

/// What an issue carries over from history: the identity it was recorded
/// under (sticky across runs), its id and when it was first seen. Kept only
/// for the issues that carry something: on a first run there is none, and
/// a 200k-issue run does not hold 200k copies of what its issues say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Carried {
    /// The issue (index into `Correlation::issues`).
    pub issue: u32,
    /// Identity (sticky across runs).
    pub identity: Identity,
    /// Issue id (sticky across runs).
    pub id: IssueId,
    /// First seen.
    pub first_seen: Sym,
}

/// The store changes that record the lifecycle (applied with the run).
#[derive(Debug, Clone, Default)]
pub struct LifecycleUpdate {
    /// `(identity, issue id, severity)` first seen now.
    pub new: Vec<(Identity, IssueId, Severity)>,
    /// Identities fixed before and seen again.
    pub reintroduced: Vec<Identity>,
    /// Identities fixed now, with days open.
    pub fixed: Vec<(String, String, Option<f64>)>,
    /// `(fingerprint, identity)` pairs not yet known.
    pub fingerprints: Vec<(Sym, Identity)>,
}

/// Lifecycle of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lifecycle {
    /// What was compared against.
    pub baseline: String,
    /// Per issue, indexed like `Correlation::issues`: its status.
    pub statuses: Vec<Status>,
    /// What issues carry over, ascending by issue, for the issues whose
    /// identity, id or first-seen time are not their own and this run's.
    /// Every other issue keeps its identity and id, and was first seen
    /// `now`.
    pub carried: Vec<Carried>,
    /// This run's time.
    pub now: Sym,
    /// Issues open before and absent now.
    pub fixed: Vec<Fixed>,
}

/// Days between two RFC 3339 times.
pub fn days_between(from: &str, to: &str) -> Option<f64> {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    let a = OffsetDateTime::parse(from, &Rfc3339).ok()?;
    let b = OffsetDateTime::parse(to, &Rfc3339).ok()?;
    Some((b - a).as_seconds_f64() / 86_400.0)
}

/// Compare a correlated run with its history.
pub fn compare(run: &Run, c: &Correlation, h: &History) -> (Lifecycle, LifecycleUpdate) {
    let now: Sym = run.meta.time.as_str().into();
    let mut statuses = Vec::with_capacity(c.issues.len());
    let mut carried = Vec::new();
    let mut update = LifecycleUpdate::default();
    // Every issue is new on a first run: reserve for all of them rather
    // than regrow and copy (capacity never written is never made resident).
    update.new.reserve(c.issues.len());
    // Only needed to find the fixed issues, which only history can have.
    let track = !h.known.is_empty();
    // Identities seen in this run: the fingerprints of `fp X` ones, and
    // the others' texts.
    let mut seen_fps: crate::model::FastSet<Sym> = Default::default();
    let mut seen_texts: crate::model::FastSet<Sym> = Default::default();
    let mut scratch = String::new();
    if track {
        seen_fps.reserve(c.issues.len());
        // With history most issues carry something over (capacity that is
        // never written is never made resident).
        carried.reserve(c.issues.len());
    }
    for (k, is) in c.issues.iter().enumerate() {
        // Sticky identity: the identity any member fingerprint was recorded
        // under (a single-fingerprint identity `fp X` names its fingerprint).
        let identity = if h.lookup(&is.identity, &mut scratch).is_some() {
            is.identity.clone()
        } else {
            is.fingerprints
                .iter()
                .find_map(|fp| h.identity_of(fp, &mut scratch).cloned())
                .map(Identity::Text)
                .unwrap_or_else(|| is.identity.clone())
        };
        let (status, known) = match h.lookup(&identity, &mut scratch) {
            Some(k) if k.fixed_at.is_none() => (Status::Unchanged, Some(k)),
            Some(k) => {
                update.reintroduced.push(identity.clone());
                (Status::Reintroduced, Some(k))
            }
            None => {
                let producer = producer_state(run, &is.members);
                let status = match (h.present, producer) {
                    (false, Some(BaselineState::Unchanged | BaselineState::Updated)) => {
                        Status::Unchanged
                    }
                    (false, Some(BaselineState::Absent)) => Status::Absent,
                    _ => Status::New,
                };
                update.new.push((identity.clone(), is.id, is.severity));
                (status, None)
            }
        };
        // Only fingerprints the identity does not already name need storing;
        // vulnerability identities need none.
        if !identity.is_vulnerability() {
            for fp in &is.fingerprints {
                if identity.fingerprint() != Some(&**fp)
                    && h.identity_of(fp, &mut scratch).is_none()
                {
                    update.fingerprints.push((fp.clone(), identity.clone()));
                }
            }
        }
        if track {
            match &identity {
                Identity::Fingerprint(f) => seen_fps.insert(f.clone()),
                Identity::Text(t) => seen_texts.insert(t.clone()),
            };
        }
        statuses.push(status);
        let (id, first_seen) = match known {
            Some(k) => (k.issue_id, k.first_seen.clone()),
            None => (is.id, now.clone()),
        };
        if known.is_some() || identity != is.identity {
            carried.push(Carried {
                issue: k as u32,
                identity,
                id,
                first_seen,
            });
        }
    }
    let mut fixed: Vec<Fixed> = h
        .known
        .iter()
        .filter(|(identity, k)| {
            let seen = seen_texts.contains(&***identity)
                || identity
                    .strip_prefix("fp ")
                    .is_some_and(|f| seen_fps.contains(f));
            k.fixed_at.is_none() && !seen
        })
        .map(|(identity, k)| Fixed {
            id: k.issue_id.to_string(),
            identity: identity.to_string(),
            severity: k.severity.to_string(),
            first_seen: k.first_seen.to_string(),
            days_open: days_between(&k.first_seen, &now),
        })
        .collect();
    fixed.sort_by(|a, b| a.identity.cmp(&b.identity));
    update.fixed = fixed
        .iter()
        .map(|f| (f.identity.clone(), f.severity.clone(), f.days_open))
        .collect();
    (
        Lifecycle {
            baseline: h.source.clone(),
            statuses,
            carried,
            now,
            fixed,
        },
        update,
    )
}

/// The producer's baseline state when every member agrees on one.
fn producer_state(run: &Run, members: &[u32]) -> Option<BaselineState> {
    let mut st = None;
    for &m in members {
        let s = run.findings[m as usize].baseline_state?;
        match st {
            None => st = Some(s),
            Some(x) if x == s => {}
            Some(_) => return None,
        }
    }
    st
}

/// History from a baseline file's issues: every issue counts as open.
pub fn history_from_issues(
    source: String,
    issues: &[(String, String, Severity, Vec<String>)],
    time: &str,
) -> History {
    let mut h = History {
        source,
        present: true,
        known: Default::default(),
        fingerprints: Default::default(),
    };
    let time: Sym = time.into();
    for (id, identity, sev, fps) in issues {
        h.known.insert(
            identity.as_str().into(),
            Known {
                issue_id: IssueId::from_text(id),
                severity: sev.as_str().into(),
                first_seen: time.clone(),
                fixed_at: None,
            },
        );
        let shared: Sym = identity.as_str().into();
        for fp in fps {
            h.fingerprints.insert(fp.clone(), shared.clone());
        }
    }
    h
}
