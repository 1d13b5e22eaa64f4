//! The verdict as terminal tables (comfy-table).

use super::Options;
use crate::verdict::{Decision, Verdict};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use std::io::Write;

fn table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(120);
    if !color {
        t.force_no_tty();
    }
    t
}

/// Write the summary line, reasons, counts and the top findings.
pub fn write(v: &Verdict, opts: &Options, w: &mut dyn Write) -> std::io::Result<()> {
    let c = &v.counts;
    let n = |d: Decision| c.by_decision.get(&d).copied().unwrap_or(0);
    writeln!(
        w,
        "fixops {}: {} (exit {}) — {} findings from {} inputs: {} block, {} defer, {} allow",
        v.project,
        v.verdict.as_str(),
        v.exit_code,
        c.findings,
        c.inputs,
        n(Decision::Block),
        n(Decision::Defer),
        n(Decision::Allow)
    )?;
    let l = |k: &str| c.by_lifecycle.get(k).copied().unwrap_or(0);
    writeln!(
        w,
        "{} issues ({:.0}% fewer than findings): {} new, {} unchanged, {} reintroduced, {} fixed since {}; {} suppressed by VEX, {} waived",
        c.issues,
        v.noise.reduction * 100.0,
        l("new"),
        l("unchanged"),
        l("reintroduced"),
        l("fixed"),
        v.baseline,
        c.vex_suppressed,
        c.waived
    )?;
    if !v.reasons.is_empty() {
        let mut t = table(opts.color);
        t.set_header(vec!["decision", "rule", "findings", "reason"]);
        for r in &v.reasons {
            t.add_row(vec![
                r.decision.as_str().to_string(),
                r.rule.clone(),
                r.findings.to_string(),
                r.message.clone(),
            ]);
        }
        writeln!(w, "{t}")?;
    }
    let mut t = table(opts.color);
    t.set_header(vec!["severity", "findings"]);
    for (s, n) in c.by_severity.iter().rev() {
        if *n > 0 {
            t.add_row(vec![s.as_str().to_string(), n.to_string()]);
        }
    }
    if c.suppressed > 0 {
        t.add_row(vec!["(suppressed)".to_string(), c.suppressed.to_string()]);
    }
    if c.findings > 0 {
        writeln!(w, "{t}")?;
    }
    let (shown, total) = super::ranked(v, opts.limit);
    if !shown.is_empty() {
        let mut t = table(opts.color);
        t.set_header(vec![
            "decision",
            "status",
            "severity",
            "risk · P30 · SSVC · KEV/EPSS",
            "tool: rule / vulnerability",
            "where",
            "message",
        ]);
        let risk_of = |i: usize| {
            let o = v.outcomes.get(i)?;
            v.issues.get(o.issue as usize)?.risk.as_deref()
        };
        for f in &shown {
            let what = match (&f.vulnerability, &f.rule_id) {
                (Some(id), _) => format!("{}: {id}", f.tool),
                (None, Some(r)) => format!("{}: {r}", f.tool),
                (None, None) => f.tool.to_string(),
            };
            let place = match (f.package, f.location) {
                (Some(p), _) => p.to_string(),
                (None, Some(l)) => l.to_string(),
                (None, None) => String::new(),
            };
            let sev = match f.score {
                Some(s) => format!("{} {s:.1}", f.severity),
                None => f.severity.to_string(),
            };
            t.add_row(vec![
                f.decision.as_str().to_string(),
                status(f),
                sev,
                risk_of(f.index).map(glance).unwrap_or_default(),
                what,
                place,
                first_line(f.message, 80),
            ]);
        }
        writeln!(w, "{t}")?;
        if total > shown.len() {
            writeln!(
                w,
                "… {} more findings (use --format json for all)",
                total - shown.len()
            )?;
        }
    }
    // Warnings go to stderr (the CLI prints them), not into the report.
    Ok(())
}

/// Scoring at a glance: `72 · P30 0.12 · Act · KEV · EPSS 0.94`.
pub fn glance(r: &crate::score::RiskSummary) -> String {
    let mut s = format!("{:.0} · P30 {:.2}", r.risk, r.p30);
    if let Some(o) = r.ssvc.get("cisa").or_else(|| r.ssvc.get("deployer")) {
        s.push_str(" · ");
        s.push_str(o);
    }
    if r.kev {
        s.push_str(if r.ransomware {
            " · KEV (ransomware)"
        } else {
            " · KEV"
        });
    }
    if let Some(e) = r.epss {
        s.push_str(&format!(" · EPSS {e:.2}"));
    }
    s
}

/// Lifecycle plus what exempts the finding: `new`, `unchanged · VEX
/// not_affected`, `new · waived W-1`.
pub fn status(f: &crate::verdict::FindingVerdict) -> String {
    let mut s = f.lifecycle.as_str().to_string();
    if let Some(v) = f.vex {
        s.push_str(" · VEX ");
        s.push_str(v.as_str());
    }
    if let Some(w) = &f.waiver {
        s.push_str(" · waived ");
        s.push_str(w);
    }
    if f.suppressed {
        s.push_str(" · suppressed in source");
    }
    s
}

/// First line of `s`, cut to `max` characters.
pub fn first_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() > max {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}
