//! The verdict as Markdown, rendered by minijinja from
//! `templates/verdict.md.j2` (compiled in) or a user template.

use super::Options;
use crate::verdict::Verdict;
use std::io::Write;

/// The shipped template.
pub const TEMPLATE: &str = include_str!("../../templates/verdict.md.j2");

/// Render with the shipped template or `opts.template`.
pub fn write(v: &Verdict, opts: &Options, w: &mut dyn Write) -> std::io::Result<()> {
    let mut env = minijinja::Environment::new();
    env.add_filter("mdcell", |s: String| {
        s.replace('|', "\\|").replace(['\n', '\r'], " ")
    });
    env.add_filter("firstline", |s: String| super::table::first_line(&s, 120));
    let source = opts.template.as_deref().unwrap_or(TEMPLATE);
    let mut render = || -> Result<String, minijinja::Error> {
        env.add_template("verdict.md", source)?;
        let (shown, total) = super::ranked(v, opts.limit);
        env.get_template("verdict.md")?.render(minijinja::context! {
            v => minijinja::value::Serde(v),
            findings => minijinja::value::Serde(&shown),
            more => total > shown.len(),
        })
    };
    let out = render().map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("markdown template: {e:#}"),
        )
    })?;
    w.write_all(out.as_bytes())
}
