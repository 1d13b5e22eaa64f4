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
        // Only the verdict fields the template names are converted for it:
        // a summary of a 200k-finding run need not convert every finding.
        let used = fields_named(source);
        let keep = |name: &str| used.as_ref().is_none_or(|u| u.contains(name));
        let (shown, total) = super::ranked(v, opts.limit);
        env.get_template("verdict.md")?.render(minijinja::context! {
            v => minijinja::value::Serde(v.only(&keep)),
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

/// The top-level verdict fields a template names as `v.<field>`, found in
/// its source text: `None` (convert all of it) when `v` appears any other
/// way (`{{ v | tojson }}`, `{% set x = v %}`, `v["issues"]`). A text scan
/// rather than the parsed template: it can only name too much, never too
/// little (a `v` in plain text or a string literal counts as a use).
fn fields_named(source: &str) -> Option<std::collections::HashSet<&str>> {
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = source.as_bytes();
    let mut fields = std::collections::HashSet::new();
    for (i, _) in source.match_indices('v') {
        if (i > 0 && ident(b[i - 1])) || b.get(i + 1).is_some_and(|&c| ident(c)) {
            continue; // part of a longer name
        }
        let rest = source[i + 1..].trim_start();
        let field = rest.strip_prefix('.').map(|r| {
            let r = r.trim_start();
            &r[..r.bytes().position(|c| !ident(c)).unwrap_or(r.len())]
        });
        match field {
            Some(f) if !f.is_empty() => {
                fields.insert(f);
            }
            _ => return None,
        }
    }
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_named_by_a_template() {
        let f = fields_named(TEMPLATE).expect("the shipped template names fields only");
        let mut f: Vec<_> = f.into_iter().collect();
        f.sort_unstable();
        assert_eq!(
            f,
            [
                "counts", "policy", "project", "reasons", "time", "tool", "verdict"
            ]
        );
        let named = |src| {
            fields_named(src).map(|f| {
                let mut f: Vec<_> = f.into_iter().collect();
                f.sort_unstable();
                f
            })
        };
        // Paths, with spaces and slices; other names with a `v` in them.
        assert_eq!(
            named("{{ v . issues[:3] }}{% for x in v.findings %}{{ x.vex }}{{ nv }}{% endfor %}"),
            Some(vec!["findings", "issues"])
        );
        // `v` used whole, aliased or subscripted: everything.
        assert_eq!(named("{{ v | tojson }}"), None);
        assert_eq!(named("{% set x = v %}{{ x.issues }}"), None);
        assert_eq!(named("{{ v[\"issues\"] }}"), None);
        assert_eq!(named("{{ v }}"), None);
        assert_eq!(named("no verdict here"), Some(vec![]));
    }

    #[test]
    fn a_template_sees_the_lists_it_names() {
        let mut v = super::super::tests::example_verdict(&["scan.sarif"]);
        let out = |v: &Verdict, src: &str| {
            let opts = Options {
                limit: 5,
                template: Some(src.to_owned()),
                color: false,
            };
            let mut buf = Vec::new();
            write(v, &opts, &mut buf).unwrap();
            String::from_utf8(buf).unwrap()
        };
        let n = v.issues.len();
        assert!(n > 0);
        assert_eq!(out(&v, "{{ v.issues | length }}"), n.to_string());
        assert_eq!(
            out(&v, "{{ v.verdict }} {{ v.issues | length }}"),
            format!("{} {n}", v.verdict.as_str())
        );
        v.issues.clear();
        assert_eq!(out(&v, "{{ v.issues | length }}"), "0");
    }
}
