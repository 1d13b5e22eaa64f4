//! Lifecycle through the real store over several runs, and VEX precedence.

use fixops::evidence::store::Store;
use fixops::gate::{self, Options};
use fixops::ingest::Ingested;
use fixops::lifecycle::Status;
use fixops::model::*;
use fixops::policy::{Policy, PolicyConfig};
use fixops::run::{Run, RunMeta};
use std::sync::Arc;

fn finding(rule: &str, path: &str) -> Finding {
    let mut f = Finding::new(
        Tool {
            name: Arc::from("Semgrep"),
            version: None,
        },
        Some(Arc::from(rule)),
        format!("{rule} in {path}"),
        Fingerprint::for_code(rule, path, "window", FingerprintSource::Message),
    );
    f.level = Level::Error;
    f.severity = Severity::Critical;
    f.score = Some(9.5);
    f.locations = vec![Location {
        uri: Some(Arc::from(path)),
        start_line: Some(10),
        ..Default::default()
    }]
    .into();
    f
}

fn run(time: &str, findings: Vec<Finding>) -> Run {
    let mut r = Run::assemble(
        RunMeta {
            project: "acme/shop".into(),
            branch: Some("main".into()),
            time: time.into(),
            command: "decide".into(),
        },
        Ingested::default(),
    );
    r.finding_input = vec![0; findings.len()];
    r.findings = findings.into();
    r
}

fn shipped_policy() -> Policy {
    Policy::load(&PolicyConfig {
        builtin: true,
        paths: vec![],
    })
    .unwrap()
}

fn decide(store: &mut Store, mut r: Run, new_only: bool) -> fixops::verdict::Verdict {
    let history = store.history("acme/shop", Some("main")).unwrap();
    let mut policy = shipped_policy();
    let opts = Options {
        new_only,
        defer_exit_code: 3,
        ..Default::default()
    };
    let d = gate::decide(&mut r, history, &mut policy, &opts).unwrap();
    // Recorded from an update whose new issues were shed: they are read
    // back from the verdict's issues, the same as the update held them.
    let mut update = d.update.clone();
    update.shed_new();
    assert!(update.new.is_empty());
    let issues = Some(&d.verdict.issues[..]);
    assert_eq!(update.new_entries(issues).unwrap()[..], d.update.new[..]);
    if !d.update.new.is_empty() {
        assert!(update.new_entries(None).is_err());
    }
    store.record(&r, Some(&d.verdict), Some(&update)).unwrap();
    d.verdict
}

fn status_of(v: &fixops::verdict::Verdict, rule: &str) -> Status {
    let f = v.findings().find(|f| f.rule_id == Some(rule)).unwrap();
    v.issues
        .iter()
        .find(|i| i.id == *f.issue)
        .unwrap()
        .lifecycle
}

#[test]
fn new_unchanged_fixed_reintroduced_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let a = || finding("sqli", "app/db.py");
    let b = || finding("xss", "app/web.py");

    let v1 = decide(
        &mut store,
        run("2026-11-01T00:00:00Z", vec![a(), b()]),
        false,
    );
    assert_eq!(
        (status_of(&v1, "sqli"), status_of(&v1, "xss")),
        (Status::New, Status::New)
    );
    assert!(v1.baseline.starts_with("none"), "{}", v1.baseline);

    let v2 = decide(
        &mut store,
        run("2026-11-02T00:00:00Z", vec![a(), b()]),
        false,
    );
    assert_eq!(
        (status_of(&v2, "sqli"), status_of(&v2, "xss")),
        (Status::Unchanged, Status::Unchanged)
    );
    assert!(v2.baseline.contains("run 1"), "{}", v2.baseline);
    assert_eq!(&*v2.issues[0].first_seen, "2026-11-01T00:00:00Z");
    // Without --new-only, unchanged critical issues still block.
    assert_eq!(v2.verdict, fixops::verdict::Decision::Block);

    let v3 = decide(&mut store, run("2026-11-06T00:00:00Z", vec![a()]), true);
    assert_eq!(status_of(&v3, "sqli"), Status::Unchanged);
    assert_eq!(v3.fixed.len(), 1);
    assert_eq!(v3.fixed[0].days_open, Some(5.0));
    assert_eq!(
        v3.verdict,
        fixops::verdict::Decision::Allow,
        "unchanged issues do not gate with --new-only"
    );

    let v4 = decide(
        &mut store,
        run("2026-11-07T00:00:00Z", vec![a(), b()]),
        true,
    );
    assert_eq!(status_of(&v4, "xss"), Status::Reintroduced);
    assert_eq!(
        v4.verdict,
        fixops::verdict::Decision::Block,
        "reintroduced issues gate with --new-only"
    );
    assert_eq!(v4.counts.by_lifecycle["reintroduced"], 1);

    let durations = store.fix_durations("acme/shop").unwrap();
    assert_eq!(durations["critical"], vec![5.0]);
    assert_eq!(store.verify_chain().unwrap(), Ok(4));
}

#[test]
fn only_issues_with_history_carry_anything_over() {
    use fixops::lifecycle::{Carried, History, compare, history_from_issues};
    let findings = || vec![finding("sqli", "app/db.py"), finding("xss", "app/web.py")];
    let r1 = run("2026-11-01T00:00:00Z", findings());
    let c1 = fixops::correlate::correlate(&r1, &Default::default());
    let (life, update) = compare(&r1, &c1, &History::default());
    // A first run: every issue is new, keeps its own identity and id, and
    // nothing is held per issue beyond its status.
    assert_eq!(life.statuses, vec![Status::New; 2]);
    assert!(life.carried.is_empty());
    assert_eq!(&*life.now, "2026-11-01T00:00:00Z");
    assert_eq!(update.new.len(), 2);
    assert_eq!(update.new[0].1, c1.issues[0].id);

    // Recorded before under other ids: both are carried over.
    let recorded: Vec<_> = c1
        .issues
        .iter()
        .enumerate()
        .map(|(k, is)| {
            (
                format!("I-00000000000{k}"),
                is.identity.to_string(),
                is.severity,
                is.fingerprints.iter().map(|f| f.to_string()).collect(),
            )
        })
        .collect();
    let h = history_from_issues("baseline".into(), &recorded, "2026-10-01T00:00:00Z");
    let r2 = run("2026-11-02T00:00:00Z", findings());
    let c2 = fixops::correlate::correlate(&r2, &Default::default());
    let (life, update) = compare(&r2, &c2, &h);
    assert_eq!(life.statuses, vec![Status::Unchanged; 2]);
    assert!(update.new.is_empty());
    let carried: Vec<(u32, String, String)> = life
        .carried
        .iter()
        .map(|c| {
            let (_, id) = **c.recorded.as_ref().expect("recorded under another id");
            (c.issue, id.to_string(), life.first_seen(c).to_string())
        })
        .collect();
    assert_eq!(
        carried,
        vec![
            (0, "I-000000000000".into(), "2026-10-01T00:00:00Z".into()),
            (1, "I-000000000001".into(), "2026-10-01T00:00:00Z".into()),
        ]
    );
    assert_eq!(
        life.carried[1].recorded.as_ref().unwrap().0,
        c2.issues[1].identity
    );
    // Seen again under the ids and identities it has now: only the first
    // sighting is carried over.
    let recorded: Vec<_> = c1
        .issues
        .iter()
        .map(|is| {
            (
                is.id.to_string(),
                is.identity.to_string(),
                is.severity,
                is.fingerprints.iter().map(|f| f.to_string()).collect(),
            )
        })
        .collect();
    let h = history_from_issues("baseline".into(), &recorded, "2026-10-01T00:00:00Z");
    let (life, _) = compare(&r2, &c2, &h);
    assert_eq!(life.carried.len(), 2);
    for c in &life.carried {
        assert!(c.recorded.is_none());
        assert_eq!(&**life.first_seen(c), "2026-10-01T00:00:00Z");
    }
    assert!(size_of::<Carried>() <= 16, "{}", size_of::<Carried>());
}

#[test]
fn another_branch_has_its_own_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    decide(
        &mut store,
        run("2026-11-01T00:00:00Z", vec![finding("sqli", "a.py")]),
        false,
    );
    let h = store.history("acme/shop", Some("feature")).unwrap();
    assert!(!h.present && h.known_len() == 0);
}

fn sca(id: &str, purl: &str) -> Finding {
    let mut f = finding(id, "package-lock.json");
    let pp = parse_purl(purl).unwrap();
    f.fingerprint = Fingerprint::for_package(id, &pp.base(), pp.version.as_deref().unwrap_or(""));
    f.vulnerability = Some(Box::new(VulnerabilityRef {
        id: id.into(),
        aliases: vec![],
        package: Some(PackageRef {
            name: Some(Arc::from(pp.name.as_str())),
            version: pp.version.as_deref().map(Arc::from),
            purl: Some(Arc::from(purl)),
            fixed_version: None,
        }),
        cvss_vectors: vec![],
    }));
    f
}

fn statement(status: VexStatus, ts: &str, product: &str) -> VexStatement {
    VexStatement {
        vulnerability: "CVE-2021-23337".into(),
        aliases: vec![],
        products: vec![product.into()],
        subcomponents: vec![],
        status,
        justification: Some(format!("{} at {ts}", status.as_str())),
        impact_statement: None,
        action_statement: None,
        timestamp: Some(ts.into()),
    }
}

/// Decide with the shipped policy and no history.
fn decide_without_history(r: &mut Run) -> gate::Decided {
    let mut policy = shipped_policy();
    gate::decide(r, Default::default(), &mut policy, &Options::default()).unwrap()
}

#[test]
fn latest_vex_statement_wins_whatever_the_order() {
    for order in [false, true] {
        let mut r = run(
            "2026-11-21T00:00:00Z",
            vec![sca("CVE-2021-23337", "pkg:npm/lodash@4.17.20")],
        );
        let older = statement(
            VexStatus::Affected,
            "2026-10-01T00:00:00Z",
            "pkg:npm/lodash",
        );
        let newer = statement(
            VexStatus::NotAffected,
            "2026-11-01T00:00:00Z",
            "pkg:npm/lodash@4.17.20",
        );
        r.statements = if order {
            vec![(0, newer), (0, older)]
        } else {
            vec![(0, older), (0, newer)]
        };
        let d = decide_without_history(&mut r);
        let vex = d.verdict.issues[0].vex().unwrap();
        assert_eq!(vex.status, VexStatus::NotAffected);
        assert!(vex.suppresses);
        assert_eq!(vex.timestamp.as_deref(), Some("2026-11-01T00:00:00Z"));
        assert_eq!(d.verdict.verdict, fixops::verdict::Decision::Allow);
        assert_eq!(d.verdict.counts.vex_suppressed, 1);
    }
    // A statement for another version, or with other qualifiers, does not apply.
    let mut r = run(
        "2026-11-21T00:00:00Z",
        vec![sca("CVE-2021-23337", "pkg:npm/lodash@4.17.20")],
    );
    r.statements = vec![(
        0,
        statement(
            VexStatus::NotAffected,
            "2026-11-01T00:00:00Z",
            "pkg:npm/lodash@4.17.21",
        ),
    )];
    let d = decide_without_history(&mut r);
    assert!(d.verdict.issues[0].vex().is_none());
    assert_eq!(d.verdict.verdict, fixops::verdict::Decision::Block);
}

#[test]
fn an_issue_found_through_a_recorded_fingerprint_is_unchanged_not_fixed() {
    // History: issue `fp Y` (a digest) whose other fingerprint Z was
    // recorded as pointing at it. This run holds only the finding with Z.
    let f = finding("sqli", "app/db.py");
    let z = f.fingerprint.value.to_string();
    let y = "0123456789abcdef0123456789abcdef";
    let history = fixops::lifecycle::history_from_issues(
        "baseline".into(),
        &[(
            "I-0123456789ab".into(),
            format!("fp {y}"),
            Severity::High,
            vec![z],
        )],
        "2026-01-01T00:00:00Z",
    );
    let mut r = run("2026-01-02T00:00:00Z", vec![f]);
    let mut policy = shipped_policy();
    let d = gate::decide(&mut r, history, &mut policy, &Options::default()).unwrap();
    let v = &d.verdict;
    assert_eq!(v.issues[0].lifecycle, Status::Unchanged);
    assert_eq!(v.issues[0].identity.to_string(), format!("fp {y}"));
    assert!(
        v.fixed.is_empty(),
        "a present issue reported fixed: {:?}",
        v.fixed
    );
    assert!(d.update.fixed.is_empty());
}
