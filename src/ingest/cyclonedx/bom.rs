//! The CycloneDX document as both serializations carry it, reduced to what
//! fixops reads.
//!
//! Input: JSON text (through serde) or the XML element tree (through
//! [`super::xml`]). Output: a [`Bom`]. The types are lenient: unknown fields
//! are ignored and `null` reads as absent, but a field fixops reads must have
//! the schema's type. Each item that validation can refuse remembers where it
//! was written (`at`, a byte offset; only the XML reader fills it, the JSON
//! side names the place by JSON pointer instead).

use serde::{Deserialize, Deserializer};

/// A whole BOM.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Bom {
    /// `bomFormat` (JSON only; must be `CycloneDX`).
    #[serde(rename = "bomFormat")]
    pub bom_format: Option<String>,
    /// `specVersion` (JSON) or the version taken from the XML namespace.
    #[serde(rename = "specVersion")]
    pub spec_version: Option<String>,
    /// `serialNumber`.
    #[serde(rename = "serialNumber")]
    pub serial_number: Option<String>,
    /// `metadata`.
    #[serde(deserialize_with = "nullable")]
    pub metadata: Metadata,
    /// Top-level `components`.
    #[serde(deserialize_with = "nullable")]
    pub components: Vec<Comp>,
    /// Top-level `services`.
    #[serde(deserialize_with = "nullable")]
    pub services: Vec<Service>,
    /// `dependencies` (XML: every `<dependency>` that names dependents).
    #[serde(deserialize_with = "nullable")]
    pub dependencies: Vec<Dep>,
    /// `vulnerabilities`.
    #[serde(deserialize_with = "nullable")]
    pub vulnerabilities: Vec<Vuln>,
    /// XML: byte offset of the `<bom>` start tag.
    #[serde(skip)]
    pub at: usize,
    /// XML only: the element counts the summary reports (`<component>`,
    /// `<dependency>` and `<vulnerability>` elements anywhere in the document).
    #[serde(skip)]
    pub xml_counts: Option<XmlCounts>,
    /// Non-fatal notes from the reader.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Element counts of an XML BOM, as written.
#[derive(Debug, Default, Clone, Copy)]
pub struct XmlCounts {
    /// `<component>` elements anywhere (metadata, tools and pedigree included).
    pub components: u64,
    /// `<dependency>` elements anywhere (nested ones included).
    pub dependencies: u64,
    /// `<vulnerability>` elements anywhere (references from compositions included).
    pub vulnerabilities: u64,
}

/// `metadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// `timestamp`.
    pub timestamp: Option<String>,
    /// `tools` in either form.
    pub tools: Option<Tools>,
    /// The BOM's subject.
    pub component: Option<Comp>,
}

/// `metadata.tools`: the legacy list (≤ 1.4) or the 1.5+ object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Tools {
    /// `[{vendor, name, version}]`.
    Legacy(Vec<ToolEntry>),
    /// `{components: [...], services: [...]}`.
    Modern(ModernTools),
}

/// The 1.5+ `tools` object.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModernTools {
    /// Tools that are components.
    #[serde(deserialize_with = "nullable")]
    pub components: Vec<ToolEntry>,
    /// Tools that are services.
    #[serde(deserialize_with = "nullable")]
    pub services: Vec<ToolEntry>,
}

/// One tool, in any of the forms (legacy tool, component, service).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ToolEntry {
    /// Legacy `vendor`.
    pub vendor: Option<String>,
    /// Component / service `group`.
    pub group: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<String>,
}

/// A component (`components[]`, `metadata.component`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Comp {
    /// `bom-ref`.
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    /// `type`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `group`.
    pub group: Option<String>,
    /// `name` (required by the schema; read as empty when absent).
    pub name: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `purl`.
    pub purl: Option<String>,
    /// `cpe`.
    pub cpe: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `licenses`.
    #[serde(deserialize_with = "nullable")]
    pub licenses: Vec<LicenseChoice>,
    /// `hashes`.
    #[serde(deserialize_with = "nullable")]
    pub hashes: Vec<Hash>,
    /// Nested `components`.
    #[serde(deserialize_with = "nullable")]
    pub components: Vec<Comp>,
    /// XML: byte offset of the start tag.
    #[serde(skip)]
    pub at: usize,
}

/// One `licenses[]` entry: a license or an SPDX expression.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LicenseChoice {
    /// `license`.
    pub license: Option<License>,
    /// `expression`.
    pub expression: Option<String>,
}

/// `license`: an SPDX id or a free name.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct License {
    /// SPDX license id.
    pub id: Option<String>,
    /// Free-text name.
    pub name: Option<String>,
}

/// `hashes[]`.
#[derive(Debug, Default, Deserialize)]
pub struct Hash {
    /// Algorithm (checked against the schema's list).
    pub alg: String,
    /// Hex digest.
    pub content: String,
    /// XML: byte offset of the `<hash>` tag.
    #[serde(skip)]
    pub at: usize,
}

/// A service; only its reference and nesting matter here.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Service {
    /// `bom-ref`.
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    /// Nested `services`.
    #[serde(deserialize_with = "nullable")]
    pub services: Vec<Service>,
    /// XML: byte offset of the start tag.
    #[serde(skip)]
    pub at: usize,
}

/// `dependencies[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Dep {
    /// `ref` (required, non-empty).
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// `dependsOn`.
    #[serde(rename = "dependsOn", deserialize_with = "nullable")]
    pub depends_on: Vec<String>,
    /// `provides` (1.6+).
    #[serde(deserialize_with = "nullable")]
    pub provides: Vec<String>,
    /// XML: byte offset of the `<dependency>` tag.
    #[serde(skip)]
    pub at: usize,
}

/// `vulnerabilities[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Vuln {
    /// `id`.
    pub id: Option<String>,
    /// `source`.
    pub source: Option<Source>,
    /// `references[]`: the same vulnerability under other ids.
    #[serde(deserialize_with = "nullable")]
    pub references: Vec<VulnReference>,
    /// `ratings[]`.
    #[serde(deserialize_with = "nullable")]
    pub ratings: Vec<Rating>,
    /// `cwes[]` (numbers).
    #[serde(deserialize_with = "nullable")]
    pub cwes: Vec<u32>,
    /// `description`.
    pub description: Option<String>,
    /// `detail`.
    pub detail: Option<String>,
    /// `recommendation`.
    pub recommendation: Option<String>,
    /// `published`.
    pub published: Option<String>,
    /// `updated`.
    pub updated: Option<String>,
    /// `affects[]`.
    #[serde(deserialize_with = "nullable")]
    pub affects: Vec<Affect>,
    /// `analysis`.
    pub analysis: Option<Analysis>,
}

/// `source`: who published the vulnerability or rating.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Source {
    /// Name.
    pub name: Option<String>,
    /// URL.
    pub url: Option<String>,
}

/// `references[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VulnReference {
    /// The other id.
    pub id: Option<String>,
}

/// `ratings[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Rating {
    /// Numeric score (a JSON number; a numeric string is accepted too).
    #[serde(deserialize_with = "score")]
    pub score: Option<f64>,
    /// Severity word.
    pub severity: Option<String>,
    /// Method (`CVSSv31`, `CVSSv4`, `OWASP`, ...).
    pub method: Option<String>,
    /// Vector string.
    pub vector: Option<String>,
}

/// `affects[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Affect {
    /// `ref`: a bom-ref, a BOM-link or a purl.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// `versions[]`.
    #[serde(deserialize_with = "nullable")]
    pub versions: Vec<AffectVersion>,
}

/// `affects[].versions[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AffectVersion {
    /// A single version.
    pub version: Option<String>,
    /// A version range (`vers:`).
    pub range: Option<String>,
    /// `affected`, `unaffected` or `unknown`.
    pub status: Option<String>,
}

/// `analysis`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Analysis {
    /// `state`.
    pub state: Option<String>,
    /// `justification`.
    pub justification: Option<String>,
    /// `response[]`.
    #[serde(deserialize_with = "nullable")]
    pub response: Vec<String>,
    /// `detail`.
    pub detail: Option<String>,
    /// `lastUpdated`.
    #[serde(rename = "lastUpdated")]
    pub last_updated: Option<String>,
}

/// `null` reads as the default value.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A score: a number, or a string holding one (some producers quote it).
fn score<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        N(f64),
        S(String),
    }
    match Option::<Num>::deserialize(d)? {
        None => Ok(None),
        Some(Num::N(n)) => Ok(Some(n)),
        Some(Num::S(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("score {s:?} is not a number"))),
    }
}
