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
    let ranked = super::ranked(v);
    let shown: Vec<_> = ranked.iter().take(opts.limit).collect();
    if !shown.is_empty() {
        let mut t = table(opts.color);
        t.set_header(vec![
            "decision",
            "severity",
            "tool",
            "rule / vulnerability",
            "where",
            "message",
        ]);
        for f in &shown {
            let what = match (&f.vulnerability, &f.rule_id) {
                (Some(id), _) => id.clone(),
                (None, Some(r)) => r.clone(),
                (None, None) => String::new(),
            };
            let place = f
                .package
                .clone()
                .or_else(|| f.location.clone())
                .unwrap_or_default();
            let sev = match f.score {
                Some(s) => format!("{} {s:.1}", f.severity),
                None => f.severity.to_string(),
            };
            t.add_row(vec![
                f.decision.as_str().to_string(),
                sev,
                f.tool.clone(),
                what,
                place,
                first_line(&f.message, 80),
            ]);
        }
        writeln!(w, "{t}")?;
        if ranked.len() > shown.len() {
            writeln!(
                w,
                "… {} more findings (use --format json for all)",
                ranked.len() - shown.len()
            )?;
        }
    }
    for warning in &v.warnings {
        writeln!(w, "warning: {warning}")?;
    }
    Ok(())
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
