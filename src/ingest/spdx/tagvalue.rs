//! SPDX 2.x tag-value → the raw SPDX form, then normalized.
//!
//! Lines are `Tag: value`; a value may be a `<text>…</text>` block spanning
//! lines; `#` lines are comments. `PackageName` starts a package (the
//! following `SPDXID`, `PackageVersion`, ... belong to it), `FileName` a
//! file and `SnippetSPDXID` a snippet. Unknown tags are ignored. Errors name
//! the line and column.
//!
//! Producer quirk: spdx-sbom-generator writes `Relationship A TYPE B`
//! without the colon. Those lines are read as relationships (with one
//! warning) but, not being `Relationship:` lines, are not counted in
//! `DocStats::relationships`.

use super::lenient::Text;
use super::{RawChecksum, RawCreation, RawDoc, RawExternalRef, RawPackage, RawRelationship};
use crate::error::{Error, Result};
use crate::model::{Document, Format};
use serde::de::IgnoredAny;
use std::path::Path;

/// Which element the current tags describe.
enum Current {
    Document,
    Package(usize),
    /// A file, snippet, extracted license or annotation: its tags are not read.
    Other,
}

/// Parse SPDX 2.x tag-value.
pub(super) fn parse(path: &Path, text: &str) -> Result<Document> {
    let lines: Vec<&str> = text.lines().collect();
    let mut raw = RawDoc::default();
    let mut current = Current::Document;
    let mut version_at = None;
    let mut written_relationships = 0u64;
    let mut loose_relationships = 0u64;
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i].trim_start_matches('\u{feff}');
        i += 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let tag_end = line.find(':').filter(|&c| {
            let tag = line[..c].trim();
            !tag.is_empty() && !tag.contains(char::is_whitespace)
        });
        let Some(colon) = tag_end else {
            if let Some(rest) = trimmed.strip_prefix("Relationship ") {
                let col = line.len() - line.trim_start().len() + "Relationship ".len() + 1;
                raw.relationships
                    .push(relationship(path, rest, lineno, col)?);
                loose_relationships += 1;
                continue;
            }
            return Err(Error::at_line(
                path,
                lineno,
                1,
                format!("expected `Tag: value`, found {:?}", clip(trimmed)),
            ));
        };
        let tag = line[..colon].trim();
        let after = &line[colon + 1..];
        let value_start = colon + 1 + (after.len() - after.trim_start().len());
        let col = line[..value_start].chars().count() + 1;
        let mut value = line[value_start..].trim_end().to_string();
        if let Some(body) = value.strip_prefix("<text>") {
            value = match body.find("</text>") {
                Some(end) => body[..end].to_string(),
                None => {
                    let mut acc = body.to_string();
                    loop {
                        let Some(next) = lines.get(i) else {
                            return Err(Error::at_line(
                                path,
                                lineno,
                                col,
                                format!("<text> opened for {tag} is never closed with </text>"),
                            ));
                        };
                        i += 1;
                        acc.push('\n');
                        if let Some(end) = next.find("</text>") {
                            acc.push_str(&next[..end]);
                            break;
                        }
                        acc.push_str(next);
                    }
                    acc
                }
            };
        }
        let v = || Some(Text(value.trim().to_string()));
        match tag {
            "SPDXVersion" => {
                raw.spdx_version = v();
                version_at = Some((lineno, col));
            }
            "SPDXID" => match current {
                Current::Document => raw.spdx_id = v(),
                Current::Package(p) => raw.packages[p].spdx_id = v(),
                Current::Other => {}
            },
            "Creator" => raw
                .creation_info
                .get_or_insert_with(RawCreation::default)
                .creators
                .push(Text(value.trim().to_string())),
            "PackageName" => {
                raw.packages.push(RawPackage {
                    name: v(),
                    ..RawPackage::default()
                });
                current = Current::Package(raw.packages.len() - 1);
            }
            "FileName" => {
                raw.files.push(IgnoredAny);
                current = Current::Other;
            }
            "SnippetSPDXID" => {
                raw.snippets.push(IgnoredAny);
                current = Current::Other;
            }
            "LicenseID" => current = Current::Other,
            "Relationship" => {
                raw.relationships
                    .push(relationship(path, &value, lineno, col)?);
                written_relationships += 1;
            }
            "PackageVersion"
            | "PackageSupplier"
            | "PackageLicenseConcluded"
            | "PackageLicenseDeclared"
            | "PrimaryPackagePurpose" => {
                let Some(p) = package(&mut raw, &current) else {
                    if matches!(current, Current::Document) {
                        return Err(Error::at_line(
                            path,
                            lineno,
                            1,
                            format!("{tag} outside a package (no PackageName before it)"),
                        ));
                    }
                    continue;
                };
                let slot = match tag {
                    "PackageVersion" => &mut p.version_info,
                    "PackageSupplier" => &mut p.supplier,
                    "PackageLicenseConcluded" => &mut p.license_concluded,
                    "PackageLicenseDeclared" => &mut p.license_declared,
                    _ => &mut p.primary_package_purpose,
                };
                *slot = v();
            }
            "PackageChecksum" => {
                let Some((algo, hex)) = value.split_once(':') else {
                    return Err(Error::at_line(
                        path,
                        lineno,
                        col,
                        "expected `ALGORITHM: value`, e.g. `SHA256: 0d89…`",
                    ));
                };
                if let Some(p) = package(&mut raw, &current) {
                    p.checksums.push(RawChecksum {
                        algorithm: Some(Text(algo.trim().to_string())),
                        checksum_value: Some(Text(hex.trim().to_string())),
                    });
                }
            }
            "ExternalRef" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                let [category, ty, locator, ..] = parts[..] else {
                    return Err(Error::at_line(
                        path,
                        lineno,
                        col,
                        "expected `CATEGORY TYPE LOCATOR`, e.g. `PACKAGE-MANAGER purl pkg:npm/a@1.0`",
                    ));
                };
                if let Some(p) = package(&mut raw, &current) {
                    p.external_refs.push(RawExternalRef {
                        reference_category: Some(Text(category.to_string())),
                        reference_type: Some(Text(ty.to_string())),
                        reference_locator: Some(Text(locator.to_string())),
                    });
                }
            }
            _ => {}
        }
    }
    let version = raw
        .spdx_version
        .as_ref()
        .map(|t| t.0.as_str())
        .unwrap_or("");
    if let Err(m) = super::check_version(version) {
        let (line, col) = version_at.unwrap_or((1, 1));
        return Err(Error::at_line(path, line, col, m));
    }
    let mut doc = super::normalize(raw, Format::SpdxTagValue);
    doc.stats.relationships = Some(written_relationships);
    if loose_relationships > 0 {
        doc.warnings.push(format!(
            "{loose_relationships} `Relationship` lines without a colon read as relationships (not counted as written `Relationship:` lines)"
        ));
    }
    Ok(doc)
}

/// The package the current tags describe, if any.
fn package<'r>(raw: &'r mut RawDoc, current: &Current) -> Option<&'r mut RawPackage> {
    match current {
        Current::Package(p) => raw.packages.get_mut(*p),
        _ => None,
    }
}

/// `A TYPE B` (a trailing comment after B is ignored).
fn relationship(path: &Path, value: &str, line: usize, col: usize) -> Result<RawRelationship> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [a, ty, b, ..] = parts[..] else {
        return Err(Error::at_line(
            path,
            line,
            col,
            format!(
                "expected `SPDXRef-A TYPE SPDXRef-B`, found {:?}",
                clip(value.trim())
            ),
        ));
    };
    Ok(RawRelationship {
        spdx_element_id: Some(Text(a.to_string())),
        relationship_type: Some(Text(ty.to_string())),
        related_spdx_element: Some(Text(b.to_string())),
    })
}

/// At most 60 characters of a line, for messages.
fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RelationshipKind;

    fn p() -> &'static Path {
        Path::new("t.spdx")
    }

    const DOC: &str = "SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentComment: <text>first line
Tag: looks like a tag but is text
last</text>
Creator: Tool: trivy-0.38.1
## Relationships
Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-app

PackageName: app
SPDXID: SPDXRef-app
PackageVersion: 1.0
PackageChecksum: SHA256: 0d89
PackageLicenseDeclared: MIT
PackageLicenseConcluded: NOASSERTION
ExternalRef: PACKAGE-MANAGER purl pkg:golang/example.com/app@1.0
PackageComment: <text>multi
line</text>

PackageName: lib
SPDXID: SPDXRef-lib
FileName: ./lib.go
SPDXID: SPDXRef-file
SnippetSPDXID: SPDXRef-snip
Relationship: SPDXRef-lib DEPENDENCY_OF SPDXRef-app
Relationship SPDXRef-app DEPENDS_ON SPDXRef-other
";

    #[test]
    fn tag_value_packages_and_multiline_text() {
        let d = parse(p(), DOC).unwrap();
        assert_eq!(d.format, Format::SpdxTagValue);
        assert_eq!(d.stats.packages, Some(2));
        assert_eq!(d.stats.files, Some(1));
        assert_eq!(d.stats.snippets, Some(1));
        assert_eq!(
            d.stats.relationships,
            Some(2),
            "only `Relationship:` lines are counted"
        );
        let app = &d.components[0];
        assert_eq!(app.bom_ref, "SPDXRef-app");
        assert!(app.is_root);
        assert_eq!(app.version.as_deref(), Some("1.0"));
        assert_eq!(app.purl.as_deref(), Some("pkg:golang/example.com/app@1.0"));
        assert_eq!(app.hashes, vec![("SHA256".into(), "0d89".into())]);
        assert_eq!(app.licenses, vec!["MIT".to_string()]);
        assert_eq!(
            d.components[1].bom_ref, "SPDXRef-lib",
            "a file's SPDXID does not rename the package"
        );
        assert_eq!(d.producers[0].name.as_ref(), "trivy");
        let deps: Vec<_> = d
            .relationships
            .iter()
            .filter(|r| r.kind == RelationshipKind::DependsOn)
            .map(|r| (r.from.as_str(), r.to.as_str()))
            .collect();
        assert_eq!(
            deps,
            vec![
                ("SPDXRef-app", "SPDXRef-lib"),
                ("SPDXRef-app", "SPDXRef-other")
            ]
        );
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    }

    #[test]
    fn unterminated_text_points_at_its_start() {
        let e = parse(
            p(),
            "SPDXVersion: SPDX-2.3\nPackageName: a\nPackageComment: <text>never\nclosed\n",
        )
        .unwrap_err();
        let m = e.to_string();
        assert!(m.contains("line 3, column 17"), "{m}");
        assert!(m.contains("never closed"), "{m}");
    }

    #[test]
    fn bad_lines_have_line_and_column() {
        let e = parse(p(), "SPDXVersion: SPDX-2.3\nthis is not a tag\n").unwrap_err();
        assert!(e.to_string().contains("line 2, column 1"), "{e}");
        let e = parse(
            p(),
            "SPDXVersion: SPDX-2.3\nRelationship: SPDXRef-a DEPENDS_ON\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("line 2, column 15"), "{e}");
        let e = parse(p(), "DataLicense: CC0-1.0\nSPDXVersion:  SPDX-1.2\n").unwrap_err();
        assert!(e.to_string().contains("line 2, column 15"), "{e}");
        let e = parse(p(), "SPDXVersion: SPDX-2.3\nPackageVersion: 1\n").unwrap_err();
        assert!(e.to_string().contains("outside a package"), "{e}");
    }
}
