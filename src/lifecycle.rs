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

/// What is known about an issue from history. Its words (severity and
/// times) are indices into [`History`]'s shared list, read with
/// [`History::severity`], [`History::first_seen`] and [`History::fixed_at`]:
/// 24 bytes, where three shared strings took 60, for each of the 200k issues
/// a large project's history holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// Issue id it was first seen under.
    pub issue_id: IssueId,
    severity: u32,
    first_seen: u32,
    /// `NOT_FIXED` when open.
    fixed_at: u32,
}

const NOT_FIXED: u32 = u32::MAX;

/// History to compare against. A fingerprint's identity is the one
/// `fingerprints` maps it to, else the identity `fp X` that names it (not
/// stored twice: see [`History::identity_of`]).
#[derive(Debug, Clone)]
pub struct History {
    /// Where it came from (`run 12`, `baseline verdict.json`, `none`).
    pub source: String,
    /// Whether there is any history (first runs have none).
    pub present: bool,
    /// Issues by identity, for identities `fp X` whose X is a digest as
    /// fixops writes them (32 lowercase hex digits): keyed by its 16 bytes,
    /// not by a 35-byte string each.
    known_fp: crate::model::FastMap<[u8; 16], Known>,
    /// Issues by identity, for every other identity.
    known: crate::model::FastMap<Sym, Known>,
    /// Fingerprint → identity, for fingerprints their identity does not name.
    pub fingerprints: crate::model::FastMap<String, Sym>,
    /// The words [`Known`] entries refer to, each once.
    words: Vec<Sym>,
    word_index: crate::model::FastMap<Sym, u32>,
    no_word: Sym,
}

impl History {
    /// Record what is known about `identity` (replacing what was).
    pub fn insert(
        &mut self,
        identity: &str,
        issue_id: IssueId,
        severity: &str,
        first_seen: &str,
        fixed_at: Option<&str>,
    ) {
        let known = Known {
            issue_id,
            severity: self.word(severity),
            first_seen: self.word(first_seen),
            fixed_at: fixed_at.map_or(NOT_FIXED, |t| self.word(t)),
        };
        // (A digest identity is kept by its bytes: no text is made for it.)
        match identity.strip_prefix("fp ").and_then(digest_bytes) {
            Some(d) => self.known_fp.insert(d, known),
            None => self.known.insert(identity.into(), known),
        };
    }

    /// Number of known issues.
    pub fn known_len(&self) -> usize {
        self.known_fp.len() + self.known.len()
    }

    /// The index of `w` in the word list, added if new.
    fn word(&mut self, w: &str) -> u32 {
        if let Some(&i) = self.word_index.get(w) {
            return i;
        }
        // (Four billion distinct words would not fit in memory first.)
        let i = match u32::try_from(self.words.len()) {
            Ok(i) if i < NOT_FIXED => i,
            _ => return 0,
        };
        let sym = Sym::from(w);
        self.words.push(sym.clone());
        self.word_index.insert(sym, i);
        i
    }

    fn word_of(&self, i: u32) -> &Sym {
        // Every index was handed out by `word` (a `Known` from another
        // history reads as the empty word).
        self.words.get(i as usize).unwrap_or(&self.no_word)
    }

    /// Severity of a known issue when last recorded.
    pub fn severity(&self, k: &Known) -> &Sym {
        self.word_of(k.severity)
    }

    /// When a known issue was first seen (RFC 3339).
    pub fn first_seen(&self, k: &Known) -> &Sym {
        self.word_of(k.first_seen)
    }

    /// When a known issue was fixed, if it is fixed now.
    pub fn fixed_at(&self, k: &Known) -> Option<&Sym> {
        (k.fixed_at != NOT_FIXED).then(|| self.word_of(k.fixed_at))
    }

    /// The identity a fingerprint was recorded under: the one `fingerprints`
    /// maps it to, else a known identity `fp X` naming it. `scratch` is a
    /// reused buffer for that name.
    pub fn identity_of(&self, fp: &Sym, scratch: &mut String) -> Option<Identity> {
        if let Some(identity) = self.fingerprints.get(&**fp) {
            return Some(Identity::Text(identity.clone()));
        }
        // (Nothing is known on a first run: skip decoding the digest.)
        if self.known_len() == 0 {
            return None;
        }
        if let Some(d) = digest_bytes(fp) {
            return self
                .known_fp
                .contains_key(&d)
                .then(|| Identity::Fingerprint(fp.clone()));
        }
        if self.known.is_empty() {
            return None;
        }
        scratch.clear();
        scratch.push_str("fp ");
        scratch.push_str(fp);
        self.known
            .get_key_value(scratch.as_str())
            .map(|(k, _)| Identity::Text(k.clone()))
    }

    /// What is known about an identity. `scratch` is a reused buffer for
    /// its text.
    pub fn lookup(&self, identity: &Identity, scratch: &mut String) -> Option<&Known> {
        if self.known_len() == 0 {
            return None;
        }
        self.lookup_digest(
            identity,
            identity.fingerprint().and_then(digest_bytes),
            scratch,
        )
    }

    /// [`History::lookup`] with the identity's digest bytes, if it names a
    /// digest, already decoded.
    fn lookup_digest(
        &self,
        identity: &Identity,
        digest: Option<[u8; 16]>,
        scratch: &mut String,
    ) -> Option<&Known> {
        if let Some(d) = digest {
            return self.known_fp.get(&d);
        }
        if self.known.is_empty() {
            return None;
        }
        self.known.get(identity.text(scratch))
    }
}

/// The 16 bytes of a digest written as 32 lowercase hex digits; `None` for
/// any other text (which then keeps its own spelling).
fn digest_bytes(hex: &str) -> Option<[u8; 16]> {
    let b: &[u8; 32] = hex.as_bytes().try_into().ok()?;
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        *o = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

impl Default for History {
    fn default() -> Self {
        History {
            source: "none".into(),
            present: false,
            known_fp: Default::default(),
            known: Default::default(),
            fingerprints: Default::default(),
            words: Vec::new(),
            word_index: Default::default(),
            no_word: Sym::from(""),
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

/// What an issue carries over from history: when it was first seen, and
/// the identity and id it was recorded under (sticky across runs) where
/// they are not its own. Kept only for the issues that carry something: on
/// a first run there is none, and a 200k-issue run does not hold 200k
/// copies of what its issues say. 16 bytes: with history, every issue of a
/// run carries its first sighting (a 200k-issue run holds 3 MB of them, not
/// the 11 MB of an identity, an id and a time each).
#[derive(Debug, Clone, PartialEq)]
pub struct Carried {
    /// The issue (index into `Correlation::issues`).
    pub issue: u32,
    /// First seen: an index into [`Lifecycle`]'s words, or `NOW`.
    first_seen: u32,
    /// The identity and id it was recorded under, where either is not the
    /// issue's own.
    pub recorded: Option<Box<(Identity, IssueId)>>,
}

/// First seen by this run.
const NOW: u32 = u32::MAX;

/// An issue first seen now: `(identity, issue id, severity)`.
pub type NewIssue = (Identity, IssueId, Severity);

/// The store changes that record the lifecycle (applied with the run).
#[derive(Debug, Clone, Default)]
pub struct LifecycleUpdate {
    /// `(identity, issue id, severity)` first seen now (until
    /// [`LifecycleUpdate::shed_new`]; then see [`LifecycleUpdate::new_entries`]).
    pub new: Vec<NewIssue>,
    /// The issue (index into the correlation's issues, which the verdict's
    /// keep) of each entry of `new`, as [`compare`] made them.
    pub(crate) new_issues: Vec<u32>,
    /// Whether `new` was dropped for `new_issues`.
    pub(crate) new_shed: bool,
    /// Identities fixed before and seen again.
    pub reintroduced: Vec<Identity>,
    /// Identities fixed now, with days open.
    pub fixed: Vec<(String, String, Option<f64>)>,
    /// `(fingerprint, identity)` pairs not yet known.
    pub fingerprints: Vec<(Sym, Identity)>,
}

impl LifecycleUpdate {
    /// Drop the entries of `new`, keeping which issues they are: the
    /// verdict's issues hold the same identity, id and severity (see
    /// [`LifecycleUpdate::new_entries`]). Shed once the verdict is made and
    /// the next state was encoded ahead of it: a first run of 200k issues
    /// then renders and records without 8 MB of copies (`new_issues` keeps
    /// 0.8 MB). Only an update that [`compare`] made can be shed; any other
    /// is left as it is.
    pub fn shed_new(&mut self) {
        if self.new_issues.len() == self.new.len() {
            self.new = Vec::new();
            self.new_shed = true;
        }
    }

    /// The entries of `new`: as they are, or, once shed, from the issues
    /// of the verdict made with this update.
    pub fn new_entries<'a>(
        &'a self,
        issues: Option<&[crate::verdict::IssueVerdict]>,
    ) -> std::result::Result<std::borrow::Cow<'a, [NewIssue]>, String> {
        if !self.new_shed || self.new_issues.is_empty() {
            return Ok(std::borrow::Cow::Borrowed(&self.new));
        }
        let missing = || "the lifecycle's new issues are not in the verdict recorded with it";
        let issues = issues.ok_or_else(missing)?;
        self.new_issues
            .iter()
            .map(|&k| {
                let is = issues.get(k as usize).ok_or_else(missing)?;
                Ok((is.identity.clone(), is.id, is.severity))
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(std::borrow::Cow::Owned)
    }
}

/// Lifecycle of a run.
#[derive(Debug, Clone, PartialEq)]
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
    /// The times [`Carried`] entries refer to (history's words).
    words: Vec<Sym>,
    /// Issues open before and absent now.
    pub fixed: Vec<Fixed>,
}

impl Lifecycle {
    /// When an issue that carries something over was first seen.
    pub fn first_seen(&self, c: &Carried) -> &Sym {
        match c.first_seen {
            NOW => &self.now,
            i => self.words.get(i as usize).unwrap_or(&self.now),
        }
    }
}

/// Days between two RFC 3339 times.
pub fn days_between(from: &str, to: &str) -> Option<f64> {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    let a = OffsetDateTime::parse(from, &Rfc3339).ok()?;
    let b = OffsetDateTime::parse(to, &Rfc3339).ok()?;
    Some((b - a).as_seconds_f64() / 86_400.0)
}

/// The identities a run has: of those that name a fingerprint (`fp X`), X
/// by its 16 bytes when it is a digest (as [`History`] keeps them), else as
/// text; every other identity's text.
#[derive(Default)]
struct Seen {
    digests: crate::model::FastSet<[u8; 16]>,
    fingerprints: crate::model::FastSet<Sym>,
    texts: crate::model::FastSet<Sym>,
}

impl Seen {
    fn has_fingerprint(&self, fp: &str) -> bool {
        match digest_bytes(fp) {
            Some(d) => self.digests.contains(&d),
            None => self.fingerprints.contains(fp),
        }
    }
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
    update.new_issues.reserve(c.issues.len());
    // Only needed to find the fixed issues, which only history can have.
    let track = h.known_len() > 0;
    let mut seen = Seen::default();
    let mut scratch = String::new();
    if track {
        seen.digests.reserve(c.issues.len());
        // With history most issues carry something over (capacity that is
        // never written is never made resident).
        carried.reserve(c.issues.len());
    }
    for (k, is) in c.issues.iter().enumerate() {
        // Sticky identity: the identity any member fingerprint was recorded
        // under (a single-fingerprint identity `fp X` names its fingerprint).
        // (Decoded once, and only where there is history to match.)
        let own = if track {
            is.identity.fingerprint().and_then(digest_bytes)
        } else {
            None
        };
        let (identity, known, digest) = match h.lookup_digest(&is.identity, own, &mut scratch) {
            Some(k) => (is.identity.clone(), Some(k), own),
            None => match is
                .fingerprints
                .iter()
                .find_map(|fp| h.identity_of(fp, &mut scratch))
            {
                Some(identity) => {
                    let digest = identity.fingerprint().and_then(digest_bytes);
                    let known = h.lookup_digest(&identity, digest, &mut scratch);
                    (identity, known, digest)
                }
                None => (is.identity.clone(), None, own),
            },
        };
        let (status, known) = match known {
            Some(k) if h.fixed_at(k).is_none() => (Status::Unchanged, Some(k)),
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
                update.new_issues.push(k as u32);
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
            // An identity `fp X` counts as its fingerprint however it is
            // held: history keeps digest identities by their bytes.
            // (`digest` is that of the fingerprint the identity names.)
            if let Some(d) = digest {
                seen.digests.insert(d);
            } else if let Some(f) = identity.fingerprint() {
                seen.fingerprints.insert(f.into());
            } else if let Identity::Text(t) = &identity {
                seen.texts.insert(t.clone());
            }
        }
        statuses.push(status);
        let (id, first_seen) = match known {
            Some(k) => (k.issue_id, k.first_seen),
            None => (is.id, NOW),
        };
        let own = identity == is.identity && id == is.id;
        if known.is_some() || !own {
            carried.push(Carried {
                issue: k as u32,
                first_seen,
                recorded: (!own).then(|| Box::new((identity, id))),
            });
        }
    }
    let gone = |identity: String, k: &Known| Fixed {
        id: k.issue_id.to_string(),
        identity,
        severity: h.severity(k).to_string(),
        first_seen: h.first_seen(k).to_string(),
        days_open: days_between(h.first_seen(k), &now),
    };
    let mut fixed: Vec<Fixed> = Vec::new();
    for (d, k) in &h.known_fp {
        if h.fixed_at(k).is_none() && !seen.digests.contains(d) {
            fixed.push(gone(format!("fp {}", hex::encode(d)), k));
        }
    }
    for (identity, k) in &h.known {
        let was_seen = seen.texts.contains(&**identity)
            || identity
                .strip_prefix("fp ")
                .is_some_and(|f| seen.has_fingerprint(f));
        if h.fixed_at(k).is_none() && !was_seen {
            fixed.push(gone(identity.to_string(), k));
        }
    }
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
            words: h.words.clone(),
            fixed,
        },
        update,
    )
}

/// The producer's baseline state when every member agrees on one.
fn producer_state(run: &Run, members: &[u32]) -> Option<BaselineState> {
    let mut st = None;
    for &m in members {
        let s = run.findings[m as usize].baseline_state()?;
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
        ..History::default()
    };
    for (id, identity, sev, fps) in issues {
        h.insert(identity, IssueId::from_text(id), sev.as_str(), time, None);
        let shared: Sym = identity.as_str().into();
        for fp in fps {
            h.fingerprints.insert(fp.clone(), shared.clone());
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_read_from_32_lowercase_hex_digits_only() {
        let d: [u8; 16] = *b"\x00\x01\x7f\x80\xff\x10\xab\xcd\xef\x12\x34\x56\x78\x9a\xbc\xde";
        let text = hex::encode(d);
        assert_eq!(digest_bytes(&text), Some(d));
        assert_eq!(digest_bytes(&text.to_uppercase()), None);
        assert_eq!(digest_bytes(&text[..31]), None);
        assert_eq!(digest_bytes(&format!("{text}0")), None);
        assert_eq!(digest_bytes(&format!("{}g", &text[..31])), None);
        assert_eq!(digest_bytes(&format!("{}é", &text[..30])), None);
    }

    fn at(h: &History, id: &str) -> Known {
        *h.lookup(&Identity::Text(id.into()), &mut String::new())
            .expect("known")
    }

    #[test]
    fn history_keeps_each_word_once_and_reads_it_back() {
        let mut h = History::default();
        let t1 = "2026-01-01T00:00:00Z";
        h.insert("fp a", IssueId::derive("a"), "high", t1, None);
        h.insert("fp b", IssueId::derive("b"), "high", t1, Some("2026-02-01"));
        h.insert("vuln x", IssueId::derive("x"), "low", "2026-03-01", None);
        // high, t1, 2026-02-01, low, 2026-03-01
        assert_eq!(h.words.len(), 5);
        let (a, b) = (at(&h, "fp a"), at(&h, "fp b"));
        assert_eq!(&**h.severity(&a), "high");
        assert_eq!(&**h.first_seen(&a), t1);
        assert_eq!(h.fixed_at(&a), None);
        assert_eq!(h.fixed_at(&b).map(|s| &**s), Some("2026-02-01"));
        assert!(std::sync::Arc::ptr_eq(h.first_seen(&a), h.first_seen(&b)));
        assert_eq!(&**h.severity(&at(&h, "vuln x")), "low");
        // Replacing an entry keeps the newest facts.
        h.insert("fp a", IssueId::derive("a"), "low", t1, Some("2026-04-01"));
        assert_eq!(&**h.severity(&at(&h, "fp a")), "low");
        assert_eq!(h.words.len(), 6);
        assert_eq!(h.known_len(), 3);
        // An entry is an id and three indices: 200k of them are 4.8 MB.
        assert_eq!(size_of::<Known>(), 24);
    }

    #[test]
    fn digest_identities_are_kept_as_bytes_and_found_by_either_spelling() {
        let fp = "0123456789abcdef0123456789abcdef";
        // Upper case is not how fixops writes a digest: kept as text.
        let upper = "0123456789ABCDEF0123456789ABCDEF";
        let mut h = History::default();
        for d in [fp, upper] {
            h.insert(&format!("fp {d}"), IssueId::derive(d), "high", "t", None);
        }
        assert_eq!((h.known_fp.len(), h.known.len()), (1, 1));
        let mut scratch = String::new();
        for id in [
            Identity::Fingerprint(fp.into()),
            Identity::Text(format!("fp {fp}").into()),
        ] {
            assert_eq!(
                h.lookup(&id, &mut scratch).map(|k| k.issue_id),
                Some(IssueId::derive(fp))
            );
        }
        assert_eq!(
            h.identity_of(&Sym::from(fp), &mut scratch),
            Some(Identity::Fingerprint(fp.into()))
        );
        assert_eq!(
            h.identity_of(&Sym::from(upper), &mut scratch)
                .map(|i| i.to_string()),
            Some(format!("fp {upper}"))
        );
        assert_eq!(
            h.identity_of(&Sym::from("ffffffffffffffffffffffffffffffff"), &mut scratch),
            None
        );
        // Each spelling finds its own entry.
        assert_eq!(
            h.lookup(&Identity::Fingerprint(upper.into()), &mut scratch)
                .map(|k| k.issue_id),
            Some(IssueId::derive(upper))
        );
    }
}
