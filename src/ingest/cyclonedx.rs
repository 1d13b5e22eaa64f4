//! CycloneDX reader: JSON (spec 1.2–1.7) and XML (spec 1.0–1.7) → [`Document`].
//!
//! Input: the decoded text of a file detected as CycloneDX. Output: one
//! [`Document`] with the metadata component (`is_root`), every component with
//! nesting flattened (`parent` set, `Contains` edges), the dependency graph as
//! `DependsOn` edges, the tools as producers, and the vulnerabilities as SCA
//! [`crate::model::Finding`]s, one per affected component, plus a
//! [`crate::model::VexStatement`] for each vulnerability with an
//! `analysis.state`. A document with such analyses and no components is a
//! pure VEX document ([`Format::CyclonedxVex`]): statements only.
//!
//! Both serializations are read into the same lenient `bom::Bom` and
//! normalized by one function (`build::build`), so they agree by
//! construction. Validation refuses what the schema refuses and fixops would
//! otherwise misread: a wrong `bomFormat` or `specVersion`, a malformed
//! `serialNumber`, an empty or repeated `bom-ref`, a hash algorithm outside
//! the schema's list, a dependency without `ref`. Errors name a JSON pointer
//! (JSON) or a line and column (XML).
//!
//! Counts ([`crate::model::DocStats`]) follow what each serialization writes:
//! JSON counts the components under `/components` at every nesting level
//! (the metadata component excluded), the top-level `dependencies` entries
//! and the top-level `vulnerabilities`; XML counts `<component>`,
//! `<dependency>` and `<vulnerability>` elements wherever they appear (so the
//! metadata component, tool components and pedigree ancestors are included,
//! as are nested dependency elements and the vulnerability references of
//! compositions). That is how the corpus MANIFEST counts each serialization;
//! the normalized lists (components, edges, findings) do not depend on it.

mod bom;
mod build;
mod xml;

use crate::error::{Error, Result};
use crate::model::{Document, Format};
use build::{Locator, Origin};
use std::path::Path;

/// Spec versions that have a JSON serialization.
const JSON_VERSIONS: [&str; 6] = ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"];

/// Parse CycloneDX JSON text (`bomFormat` `CycloneDX`, `specVersion` 1.2–1.7).
pub fn parse_json(path: &Path, text: &str) -> Result<Document> {
    let bom: bom::Bom = crate::error::from_json(path, text, "CycloneDX")?;
    match bom.bom_format.as_deref() {
        Some("CycloneDX") => {}
        Some(other) => {
            return Err(Error::at_pointer(
                path,
                "/bomFormat",
                format!("bomFormat is {other:?}; expected \"CycloneDX\""),
            ));
        }
        None => {
            return Err(Error::at_pointer(
                path,
                "/bomFormat",
                "bomFormat is missing; expected \"CycloneDX\"",
            ));
        }
    }
    let version = match bom.spec_version.as_deref() {
        Some(v) if JSON_VERSIONS.contains(&v) => v.to_string(),
        found => {
            let found = found.map_or_else(|| "missing".to_string(), |v| format!("{v:?}"));
            return Err(Error::at_pointer(
                path,
                "/specVersion",
                format!(
                    "specVersion is {found}; expected one of {} (CycloneDX JSON exists from 1.2)",
                    JSON_VERSIONS.join(", ")
                ),
            ));
        }
    };
    let loc = Locator {
        path,
        origin: Origin::Json,
    };
    build::build(&loc, bom, Format::CyclonedxJson, version)
}

/// Parse CycloneDX XML text (namespace `http://cyclonedx.org/schema/bom/1.0` … `1.7`).
pub fn parse_xml(path: &Path, text: &str) -> Result<Document> {
    let loc = Locator {
        path,
        origin: Origin::Xml(text),
    };
    let (bom, version) = xml::read(&loc, text)?;
    build::build(&loc, bom, Format::CyclonedxXml, version)
}

#[cfg(test)]
mod tests;
