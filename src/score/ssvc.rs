//! SSVC: CERT/CC and CISA decision tables as data, evaluated row for row.
//!
//! Input: decision-point values, given by name (`exploitation=active`) or
//! derived from [`SsvcEvidence`] by [`derive()`]. Output: an [`Outcome`] with the
//! outcome value and the path of decision-point values that led to it.
//!
//! The tables live in `rules/ssvc/` (see `tables.toml` there) and are embedded
//! in the binary; [`Tables::load_dir`] reads the same files from a directory
//! instead. Decision-point names are matched ignoring case, spaces, hyphens,
//! underscores and a trailing version (`technical-impact`, `Technical Impact
//! v1.0.0`); values are the tables' own words (or their short keys), matched
//! the same way.

use crate::enrich::cvss::{self, AttackComplexity, AttackVector, Impact, Privileges};
use crate::enrich::cvss::{Cvss, UserInteraction, Version};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The embedded `rules/ssvc/` files, by file name.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "decision_points.toml",
        include_str!("../../rules/ssvc/decision_points.toml"),
    ),
    ("tables.toml", include_str!("../../rules/ssvc/tables.toml")),
    (
        "evidence.toml",
        include_str!("../../rules/ssvc/evidence.toml"),
    ),
    (
        "cisa_coordinator_2_0_3.csv",
        include_str!("../../rules/ssvc/cisa_coordinator_2_0_3.csv"),
    ),
    (
        "deployer_patch_application_priority_1_0_0.csv",
        include_str!("../../rules/ssvc/deployer_patch_application_priority_1_0_0.csv"),
    ),
    (
        "supplier_patch_development_priority_1_0_0.csv",
        include_str!("../../rules/ssvc/supplier_patch_development_priority_1_0_0.csv"),
    ),
    (
        "cisa_bod_26_04_1_0_0.csv",
        include_str!("../../rules/ssvc/cisa_bod_26_04_1_0_0.csv"),
    ),
    (
        "human_impact_1_0_0.csv",
        include_str!("../../rules/ssvc/human_impact_1_0_0.csv"),
    ),
    (
        "public_safety_impact_1_0_0.csv",
        include_str!("../../rules/ssvc/public_safety_impact_1_0_0.csv"),
    ),
    (
        "utility_1_0_0.csv",
        include_str!("../../rules/ssvc/utility_1_0_0.csv"),
    ),
];

/// Why SSVC data could not be loaded or a table not evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsvcError {
    /// A data file is malformed.
    #[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Data {
        /// The file (`rules/ssvc/<name>` when embedded).
        file: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A data file could not be read.
    #[error("{}: cannot read: {message}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The OS error.
        message: String,
    },
    /// No table has this id.
    #[error("no SSVC table `{id}`; tables: {valid}")]
    UnknownTable {
        /// The id asked for.
        id: String,
        /// The loaded tables' ids.
        valid: String,
    },
    /// An input names no decision point of the table.
    #[error("SSVC table `{table}` has no decision point `{name}`; it uses: {valid}")]
    UnknownDecisionPoint {
        /// Table id.
        table: String,
        /// The name given.
        name: String,
        /// The decision points the table accepts.
        valid: String,
    },
    /// A value is not one of the decision point's values.
    #[error("`{value}` is not a value of {decision_point}; expected one of: {valid}")]
    UnknownValue {
        /// Decision point name.
        decision_point: String,
        /// The value given.
        value: String,
        /// Its values, in order.
        valid: String,
    },
    /// Decision points the table needs were not given (nor derivable).
    #[error("SSVC table `{table}` needs a value for: {missing}")]
    Missing {
        /// Table id.
        table: String,
        /// The missing decision points.
        missing: String,
    },
    /// The same decision point was given two different values.
    #[error("{decision_point} given twice, as `{first}` and as `{second}`")]
    Conflict {
        /// Decision point name.
        decision_point: String,
        /// First value.
        first: String,
        /// Second value.
        second: String,
    },
    /// An evidence field has a value the derivation rules do not know.
    #[error("SSVC evidence {field} = `{value}`: expected one of: {valid}")]
    Evidence {
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
        /// The values the rules know.
        valid: String,
    },
}

type Result<T, E = SsvcError> = std::result::Result<T, E>;

/// Normalize a decision-point name or value for matching: lower case, without
/// whitespace, hyphens and underscores.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Strip a trailing ` (namespace)` and ` vX.Y.Z` from a column or user name.
fn strip_suffixes(name: &str) -> &str {
    let mut s = name.trim();
    if s.ends_with(')')
        && let Some(i) = s.rfind(" (")
    {
        s = s[..i].trim_end();
    }
    if let Some(i) = s.rfind(" v")
        && s[i + 2..].chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.len() > i + 2
    {
        s = s[..i].trim_end();
    }
    s
}

/// One value of a decision point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpValue {
    /// Short key, e.g. `P`.
    pub key: String,
    /// Name, e.g. `Public PoC`.
    pub name: String,
}

/// A decision point (or outcome group): its identity and values in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionPoint {
    /// Namespace, e.g. `ssvc` or `cisa`.
    pub namespace: String,
    /// Short key, e.g. `E`.
    pub key: String,
    /// Name as the tables spell it, e.g. `Exploitation`.
    pub name: String,
    /// Version, e.g. `1.1.0`.
    pub version: String,
    /// Other published names for the same decision point.
    pub aliases: Vec<String>,
    /// Values, lowest first.
    pub values: Vec<DpValue>,
}

impl DecisionPoint {
    /// Whether `name` (any case, spacing, hyphenation, with or without a
    /// version suffix) names this decision point.
    pub fn matches(&self, name: &str) -> bool {
        let n = norm(strip_suffixes(name));
        norm(&self.name) == n || self.aliases.iter().any(|a| norm(a) == n)
    }

    /// Index of a value given by name or key, matched like names.
    pub fn value_index(&self, value: &str) -> Result<usize> {
        let n = norm(value);
        self.values
            .iter()
            .position(|v| norm(&v.name) == n)
            .or_else(|| self.values.iter().position(|v| norm(&v.key) == n))
            .ok_or_else(|| SsvcError::UnknownValue {
                decision_point: self.name.clone(),
                value: value.to_string(),
                valid: self.value_list(),
            })
    }

    /// The values' names, comma separated, lowest first.
    pub fn value_list(&self) -> String {
        self.values
            .iter()
            .map(|v| v.name.to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `Name vX.Y.Z`.
    pub fn label(&self) -> String {
        format!("{} v{}", self.name, self.version)
    }
}

/// A decision table: input decision points, outcome group, one outcome per
/// combination of input values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionTable {
    /// Identifier used by fixops, e.g. `deployer`.
    pub id: String,
    /// Namespace, e.g. `ssvc`.
    pub namespace: String,
    /// Key, e.g. `DT_DP`.
    pub key: String,
    /// Version, e.g. `1.0.0`.
    pub version: String,
    /// Name, e.g. `Deployer Patch Application Priority`.
    pub name: String,
    /// Where the table comes from.
    pub source: String,
    /// Input decision points, in column order.
    pub decision_points: Vec<DecisionPoint>,
    /// The outcome group.
    pub outcome: DecisionPoint,
    /// Outcome value index per combination, indexed in mixed radix (first
    /// decision point most significant).
    outcomes: Vec<usize>,
}

/// The result of evaluating a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The table's id.
    pub table: String,
    /// The outcome group's name, e.g. `CISA Levels`.
    pub outcome_group: String,
    /// The outcome value's name as the table spells it, e.g. `Out-of-Cycle`.
    pub outcome: String,
    /// Its short key, e.g. `O`.
    pub outcome_key: String,
    /// The decision-point values that selected the row, in column order.
    pub path: Vec<(String, String)>,
    /// Helper-table evaluations that supplied values on the path.
    pub derived: Vec<Outcome>,
}

impl DecisionTable {
    /// Number of rows (combinations of input values).
    pub fn row_count(&self) -> usize {
        self.outcomes.len()
    }

    /// Every row as (input value names, outcome value name), in table order.
    pub fn rows(&self) -> Vec<(Vec<&str>, &str)> {
        (0..self.outcomes.len())
            .map(|i| {
                let vals = self
                    .decode(i)
                    .into_iter()
                    .zip(&self.decision_points)
                    .map(|(v, dp)| dp.values[v].name.as_str())
                    .collect();
                (vals, self.outcome.values[self.outcomes[i]].name.as_str())
            })
            .collect()
    }

    /// Value indices of combination number `i` (inverse of `index`).
    fn decode(&self, mut i: usize) -> Vec<usize> {
        let mut idx = vec![0; self.decision_points.len()];
        for (slot, dp) in idx.iter_mut().zip(&self.decision_points).rev() {
            *slot = i % dp.values.len();
            i /= dp.values.len();
        }
        idx
    }

    fn index(&self, idx: &[usize]) -> usize {
        idx.iter()
            .zip(&self.decision_points)
            .fold(0, |acc, (i, dp)| acc * dp.values.len() + i)
    }

    fn valid_names(&self) -> String {
        self.decision_points
            .iter()
            .map(|d| format!("{} ({})", d.name, d.value_list()))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Evaluate one table on `(decision point, value)` pairs.
///
/// Every name must be one of the table's decision points and every decision
/// point must be given; otherwise the error lists what is valid or missing.
pub fn evaluate(table: &DecisionTable, inputs: &[(&str, &str)]) -> Result<Outcome> {
    let mut idx: Vec<Option<usize>> = vec![None; table.decision_points.len()];
    for (name, value) in inputs {
        let Some(d) = table.decision_points.iter().position(|dp| dp.matches(name)) else {
            return Err(SsvcError::UnknownDecisionPoint {
                table: table.id.clone(),
                name: name.to_string(),
                valid: table.valid_names(),
            });
        };
        let dp = &table.decision_points[d];
        let v = dp.value_index(value)?;
        match idx[d] {
            Some(prev) if prev != v => {
                return Err(SsvcError::Conflict {
                    decision_point: dp.name.clone(),
                    first: dp.values[prev].name.clone(),
                    second: dp.values[v].name.clone(),
                });
            }
            _ => idx[d] = Some(v),
        }
    }
    let missing: Vec<String> = table
        .decision_points
        .iter()
        .zip(&idx)
        .filter(|(_, i)| i.is_none())
        .map(|(dp, _)| format!("{} ({})", dp.name, dp.value_list()))
        .collect();
    if !missing.is_empty() {
        return Err(SsvcError::Missing {
            table: table.id.clone(),
            missing: missing.join("; "),
        });
    }
    let idx: Vec<usize> = idx.into_iter().flatten().collect();
    let o = &table.outcome.values[table.outcomes[table.index(&idx)]];
    Ok(Outcome {
        table: table.id.clone(),
        outcome_group: table.outcome.name.clone(),
        outcome: o.name.clone(),
        outcome_key: o.key.clone(),
        path: table
            .decision_points
            .iter()
            .zip(&idx)
            .map(|(dp, &i)| (dp.name.clone(), dp.values[i].name.clone()))
            .collect(),
        derived: Vec::new(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DpFile {
    decision_point: Vec<DpEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DpEntry {
    namespace: String,
    key: String,
    name: String,
    version: String,
    #[serde(default)]
    aliases: Vec<String>,
    values: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TablesFile {
    table: Vec<TableEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableEntry {
    id: String,
    namespace: String,
    key: String,
    version: String,
    name: String,
    file: String,
    source: String,
}

/// All loaded decision tables plus the evidence-derivation rules.
#[derive(Debug, Clone)]
pub struct Tables {
    tables: Vec<DecisionTable>,
    evidence: EvidenceRules,
}

impl Tables {
    /// The tables shipped in the binary (`rules/ssvc/`).
    pub fn embedded() -> Result<Tables> {
        Tables::load_with(Path::new("rules/ssvc"), |name| {
            EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| SsvcError::Io {
                    file: Path::new("rules/ssvc").join(name),
                    message: "not embedded in this build".to_string(),
                })
        })
    }

    /// The same files read from `dir` (which must hold `decision_points.toml`,
    /// `tables.toml`, `evidence.toml` and the CSVs `tables.toml` names).
    pub fn load_dir(dir: &Path) -> Result<Tables> {
        Tables::load_with(dir, |name| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| SsvcError::Io {
                file: path,
                message: e.to_string(),
            })
        })
    }

    fn load_with(dir: &Path, read: impl Fn(&str) -> Result<String>) -> Result<Tables> {
        let toml_err = |name: &str, e: toml::de::Error| SsvcError::Data {
            file: dir.join(name),
            line: None,
            message: e.to_string(),
        };
        let dps: DpFile = toml::from_str(&read("decision_points.toml")?)
            .map_err(|e| toml_err("decision_points.toml", e))?;
        let dps: Vec<DecisionPoint> = dps
            .decision_point
            .into_iter()
            .map(|d| DecisionPoint {
                namespace: d.namespace,
                key: d.key,
                name: d.name,
                version: d.version,
                aliases: d.aliases,
                values: d
                    .values
                    .into_iter()
                    .map(|(key, name)| DpValue { key, name })
                    .collect(),
            })
            .collect();
        let index: TablesFile =
            toml::from_str(&read("tables.toml")?).map_err(|e| toml_err("tables.toml", e))?;
        let mut tables = Vec::new();
        for t in index.table {
            let text = read(&t.file)?;
            tables.push(parse_table(&dir.join(&t.file), &text, t, &dps)?);
        }
        let evidence = EvidenceRules::parse(&dir.join("evidence.toml"), &read("evidence.toml")?)?;
        Ok(Tables { tables, evidence })
    }

    /// All tables, in `tables.toml` order.
    pub fn all(&self) -> &[DecisionTable] {
        &self.tables
    }

    /// The evidence-derivation rules (`evidence.toml`).
    pub fn evidence_rules(&self) -> &EvidenceRules {
        &self.evidence
    }

    /// The table with this id (e.g. `cisa-coordinator`, `deployer`,
    /// `supplier`, `bod-26-04`, `human-impact`, `public-safety-impact`, `utility`).
    pub fn get(&self, id: &str) -> Result<&DecisionTable> {
        self.tables
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| SsvcError::UnknownTable {
                id: id.to_string(),
                valid: self
                    .tables
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Evaluate table `id`, computing decision points it needs but was not
    /// given from the helper tables (e.g. Human Impact from Safety Impact and
    /// Mission Impact, Utility from Automatable and Value Density) when their
    /// inputs are given. Names that neither the table nor a consulted helper
    /// uses are an error.
    pub fn evaluate(&self, id: &str, inputs: &[(&str, &str)]) -> Result<Outcome> {
        let table = self.get(id)?;
        let mut used = vec![false; inputs.len()];
        let mut direct: Vec<(&str, &str)> = Vec::new();
        for (i, (name, value)) in inputs.iter().enumerate() {
            if table.decision_points.iter().any(|dp| dp.matches(name)) {
                direct.push((name, value));
                used[i] = true;
            }
        }
        let mut derived = Vec::new();
        let mut derived_pairs: Vec<(String, String)> = Vec::new();
        for dp in &table.decision_points {
            if direct.iter().any(|(n, _)| dp.matches(n)) {
                continue;
            }
            let Some(helper) = self
                .tables
                .iter()
                .find(|h| h.id != table.id && h.outcome.matches(&dp.name))
            else {
                continue;
            };
            let sub: Vec<(usize, (&str, &str))> = inputs
                .iter()
                .enumerate()
                .filter(|(_, (n, _))| helper.decision_points.iter().any(|h| h.matches(n)))
                .map(|(i, p)| (i, *p))
                .collect();
            if sub.is_empty() {
                continue;
            }
            let pairs: Vec<(&str, &str)> = sub.iter().map(|(_, p)| *p).collect();
            let out = evaluate(helper, &pairs)?;
            for (i, _) in &sub {
                used[*i] = true;
            }
            derived_pairs.push((dp.name.clone(), out.outcome.clone()));
            derived.push(out);
        }
        if let Some(i) = used.iter().position(|u| !u) {
            let mut valid = table.valid_names();
            for dp in &table.decision_points {
                if let Some(h) = self
                    .tables
                    .iter()
                    .find(|h| h.id != table.id && h.outcome.matches(&dp.name))
                {
                    valid.push_str(&format!(
                        "; or, to compute {}: {}",
                        dp.name,
                        h.valid_names()
                    ));
                }
            }
            return Err(SsvcError::UnknownDecisionPoint {
                table: table.id.clone(),
                name: inputs[i].0.to_string(),
                valid,
            });
        }
        for (n, v) in &derived_pairs {
            direct.push((n, v));
        }
        let mut out = evaluate(table, &direct)?;
        out.derived = derived;
        Ok(out)
    }
}

/// Split one CSV line (RFC 4180 quoting, no embedded newlines).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn parse_table(
    file: &Path,
    text: &str,
    entry: TableEntry,
    dps: &[DecisionPoint],
) -> Result<DecisionTable> {
    let err = |line: usize, message: String| SsvcError::Data {
        file: file.to_path_buf(),
        line: Some(line),
        message,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| err(1, "empty table".into()))?;
    let cols = split_csv(header);
    if cols.len() < 3 || cols[0] != "row" {
        return Err(err(
            1,
            "expected a header `row,<decision point> v<version>,...,<outcome> v<version>`".into(),
        ));
    }
    let mut columns = Vec::new();
    for c in &cols[1..] {
        let base = strip_suffixes(c);
        let found = dps
            .iter()
            .find(|d| d.name == base && c.contains(&format!(" v{}", d.version)))
            .ok_or_else(|| {
                err(
                    1,
                    format!(
                        "column `{c}` names no decision point of decision_points.toml (name and version must match)"
                    ),
                )
            })?;
        columns.push(found.clone());
    }
    let outcome = columns.pop().expect("at least two columns");
    let size: usize = columns.iter().map(|d| d.values.len()).product();
    let mut outcomes: Vec<Option<usize>> = vec![None; size];
    let mut table = DecisionTable {
        id: entry.id,
        namespace: entry.namespace,
        key: entry.key,
        version: entry.version,
        name: entry.name,
        source: entry.source,
        decision_points: columns,
        outcome,
        outcomes: Vec::new(),
    };
    for (n, line) in lines {
        let fields = split_csv(line);
        if fields.len() != cols.len() {
            return Err(err(
                n + 1,
                format!("expected {} fields, found {}", cols.len(), fields.len()),
            ));
        }
        let mut idx = Vec::new();
        for (f, dp) in fields[1..].iter().zip(&table.decision_points) {
            idx.push(dp.value_index(f).map_err(|e| err(n + 1, e.to_string()))?);
        }
        let o = table
            .outcome
            .value_index(&fields[fields.len() - 1])
            .map_err(|e| err(n + 1, e.to_string()))?;
        let slot = &mut outcomes[table.index(&idx)];
        if slot.is_some() {
            return Err(err(
                n + 1,
                "this combination of values appears twice".into(),
            ));
        }
        *slot = Some(o);
    }
    if let Some(missing) = outcomes.iter().position(Option::is_none) {
        let names: Vec<String> = table
            .decode(missing)
            .into_iter()
            .zip(&table.decision_points)
            .map(|(v, dp)| dp.values[v].name.to_lowercase())
            .collect();
        return Err(SsvcError::Data {
            file: file.to_path_buf(),
            line: None,
            message: format!(
                "{} of {size} combinations have no row, e.g. {}",
                outcomes.iter().filter(|o| o.is_none()).count(),
                names.join(",")
            ),
        });
    }
    table.outcomes = outcomes.into_iter().flatten().collect();
    Ok(table)
}

/// Rules that turn evidence into decision-point values (`rules/ssvc/evidence.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRules {
    /// Exploitation rules.
    pub exploitation: ExploitationRules,
    /// Exposure rules.
    pub exposure: ExposureRules,
    /// Impact rules.
    pub impact: ImpactRules,
}

/// How exploit maturity and EPSS map to Exploitation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExploitationRules {
    /// Maturity words that mean Active.
    pub active: Vec<String>,
    /// Maturity words that mean Public PoC.
    pub public_poc: Vec<String>,
    /// EPSS probability at or above which Exploitation is at least Public PoC.
    pub epss_public_poc_min_probability: f64,
    /// EPSS percentile at or above which Exploitation is at least Public PoC
    /// (used when the probability is unknown).
    pub epss_public_poc_min_percentile: f64,
}

/// How business-context exposure maps to System Exposure and Publicly Exposed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposureRules {
    /// exposure → System Exposure value.
    pub system_exposure: BTreeMap<String, String>,
    /// exposure → Publicly Exposed value.
    pub publicly_exposed: BTreeMap<String, String>,
}

/// How criticality and data classification map to impact decision points.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactRules {
    /// Criticality words, rows of the grids.
    pub criticality: Vec<String>,
    /// Data classification words, columns of the grids.
    pub data_class: Vec<String>,
    /// Classification assumed when none is given.
    pub default_data_class: String,
    /// Mission and Well-Being Impact grid.
    pub mission_and_well_being: Vec<Vec<String>>,
    /// Human Impact grid.
    pub human_impact: Vec<Vec<String>>,
}

impl EvidenceRules {
    fn parse(file: &Path, text: &str) -> Result<EvidenceRules> {
        let rules: EvidenceRules = toml::from_str(text).map_err(|e| SsvcError::Data {
            file: file.to_path_buf(),
            line: None,
            message: e.to_string(),
        })?;
        let i = &rules.impact;
        for (name, grid) in [
            ("mission_and_well_being", &i.mission_and_well_being),
            ("human_impact", &i.human_impact),
        ] {
            if grid.len() != i.criticality.len()
                || grid.iter().any(|r| r.len() != i.data_class.len())
            {
                return Err(SsvcError::Data {
                    file: file.to_path_buf(),
                    line: None,
                    message: format!(
                        "impact.{name} must have {} rows (criticality) of {} values (data_class)",
                        i.criticality.len(),
                        i.data_class.len()
                    ),
                });
            }
        }
        Ok(rules)
    }
}

/// Evidence about one finding, as gathered by enrichment and business context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SsvcEvidence {
    /// Listed in CISA KEV.
    pub in_kev: bool,
    /// Exploit maturity word (CVSS `E`, scanner field), if any.
    pub exploit_maturity: Option<String>,
    /// A public exploit is known (exploit database, scanner flag).
    pub public_exploit: bool,
    /// EPSS probability (0–1).
    pub epss_probability: Option<f64>,
    /// EPSS percentile (0–1).
    pub epss_percentile: Option<f64>,
    /// CVSS vectors known for the vulnerability (the newest version is used).
    pub cvss_vectors: Vec<String>,
    /// Exposure: `internet`, `controlled` or `internal`.
    pub exposure: Option<String>,
    /// Service criticality: `low`, `medium`, `high` or `critical`.
    pub criticality: Option<String>,
    /// Data classification: `public`, `internal`, `confidential` or `restricted`.
    pub data_class: Option<String>,
    /// Decision-point values set by the user, by decision-point name; they
    /// replace derived values.
    pub overrides: BTreeMap<String, String>,
}

/// A decision-point value derived from evidence, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedPoint {
    /// Decision-point name as the tables spell it.
    pub name: String,
    /// Value as the tables spell it.
    pub value: String,
    /// The evidence (or override) that gave the value.
    pub source: String,
}

/// Decision points derived from evidence, and those that could not be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Derivation {
    /// Derived (or overridden) values.
    pub points: Vec<DerivedPoint>,
    /// Decision points left without a value, with the reason.
    pub unresolved: Vec<(String, String)>,
}

impl Derivation {
    /// The values that `table` (or one of its helper tables in `tables`) uses,
    /// as input for [`Tables::evaluate`].
    pub fn inputs_for<'a>(
        &'a self,
        tables: &Tables,
        table: &DecisionTable,
    ) -> Vec<(&'a str, &'a str)> {
        self.points
            .iter()
            .filter(|p| {
                table.decision_points.iter().any(|d| d.matches(&p.name))
                    || table.decision_points.iter().any(|d| {
                        tables.all().iter().any(|h| {
                            h.id != table.id
                                && h.outcome.matches(&d.name)
                                && h.decision_points.iter().any(|hd| hd.matches(&p.name))
                        })
                    })
            })
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect()
    }
}

/// Derive SSVC decision-point values from evidence (decision model §3).
///
/// Gives Exploitation, Automatable, Technical Impact and In KEV always;
/// System Exposure and Publicly Exposed when the exposure is known; Mission
/// and Well-Being Impact and Human Impact when the criticality is known.
/// Overrides replace derived values (and may name any decision point of
/// `tables`); an override with an unknown name or value is an error.
pub fn derive(evidence: &SsvcEvidence, tables: &Tables) -> Result<Derivation> {
    let rules = &tables.evidence;
    let mut d = Derivation::default();
    let mut push = |name: &str, value: &str, source: String| {
        d.points.push(DerivedPoint {
            name: name.to_string(),
            value: value.to_string(),
            source,
        })
    };

    let (value, source) = exploitation(evidence, &rules.exploitation);
    push("Exploitation", value, source);

    let (vector, ignored) = newest_vector(&evidence.cvss_vectors);
    let note = if ignored.is_empty() {
        String::new()
    } else {
        format!(" (ignored invalid: {})", ignored.join("; "))
    };
    match &vector {
        Some(c) => {
            let auto = is_automatable(c);
            push(
                "Automatable",
                if auto { "Yes" } else { "No" },
                format!(
                    "CVSS {}: {}{note}",
                    c.vector(),
                    if auto {
                        "network, low complexity, no privileges, no user interaction"
                    } else {
                        "not network / low complexity / no privileges / no user interaction"
                    }
                ),
            );
            let total = c.confidentiality() == Impact::High && c.integrity() == Impact::High;
            push(
                "Technical Impact",
                if total { "Total" } else { "Partial" },
                format!(
                    "CVSS {}: confidentiality and integrity {}{note}",
                    c.vector(),
                    if total { "both high" } else { "not both high" }
                ),
            );
        }
        None => {
            push(
                "Automatable",
                "No",
                format!("no CVSS vector: default No{note}"),
            );
            push(
                "Technical Impact",
                "Partial",
                format!("no CVSS vector: default Partial{note}"),
            );
        }
    }

    push(
        "In KEV",
        if evidence.in_kev { "Yes" } else { "No" },
        if evidence.in_kev {
            "listed in CISA KEV".to_string()
        } else {
            "not listed in CISA KEV".to_string()
        },
    );

    match &evidence.exposure {
        Some(exp) => {
            let key = lookup_word("exposure", exp, rules.exposure.system_exposure.keys())?;
            push(
                "System Exposure",
                &rules.exposure.system_exposure[&key],
                format!("exposure {key}"),
            );
            if let Some(pe) = rules.exposure.publicly_exposed.get(&key) {
                push("Publicly Exposed", pe, format!("exposure {key}"));
            }
        }
        None => {
            for name in ["System Exposure", "Publicly Exposed"] {
                d.unresolved
                    .push((name.to_string(), "no exposure given".to_string()));
            }
        }
    }

    let imp = &rules.impact;
    match &evidence.criticality {
        Some(crit) => {
            let ci = imp
                .criticality
                .iter()
                .position(|c| norm(c) == norm(crit))
                .ok_or_else(|| SsvcError::Evidence {
                    field: "criticality",
                    value: crit.clone(),
                    valid: imp.criticality.join(", "),
                })?;
            let (dc, dc_note) = match &evidence.data_class {
                Some(dc) => (dc.clone(), String::new()),
                None => (imp.default_data_class.clone(), " (default)".to_string()),
            };
            let di = imp
                .data_class
                .iter()
                .position(|c| norm(c) == norm(&dc))
                .ok_or_else(|| SsvcError::Evidence {
                    field: "data_class",
                    value: dc.clone(),
                    valid: imp.data_class.join(", "),
                })?;
            let src = format!(
                "criticality {}, data classification {}{dc_note}",
                imp.criticality[ci], imp.data_class[di]
            );
            push(
                "Mission and Well-Being Impact",
                &imp.mission_and_well_being[ci][di],
                src.clone(),
            );
            push("Human Impact", &imp.human_impact[ci][di], src);
        }
        None => {
            for name in ["Mission and Well-Being Impact", "Human Impact"] {
                d.unresolved
                    .push((name.to_string(), "no criticality given".to_string()));
            }
        }
    }

    for (name, value) in &evidence.overrides {
        let dp = tables
            .tables
            .iter()
            .flat_map(|t| t.decision_points.iter())
            .find(|dp| dp.matches(name))
            .ok_or_else(|| SsvcError::UnknownDecisionPoint {
                table: "(any)".to_string(),
                name: name.clone(),
                valid: known_decision_points(tables),
            })?;
        let v = dp.values[dp.value_index(value)?].name.clone();
        d.points.retain(|p| !dp.matches(&p.name));
        d.unresolved.retain(|(n, _)| !dp.matches(n));
        d.points.push(DerivedPoint {
            name: dp.name.clone(),
            value: v,
            source: format!("override {name}={value}"),
        });
    }
    Ok(d)
}

fn known_decision_points(tables: &Tables) -> String {
    let mut names: Vec<&str> = tables
        .tables
        .iter()
        .flat_map(|t| t.decision_points.iter().map(|d| d.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

fn lookup_word<'a>(
    field: &'static str,
    value: &str,
    keys: impl Iterator<Item = &'a String> + Clone,
) -> Result<String> {
    keys.clone()
        .find(|k| norm(k) == norm(value))
        .cloned()
        .ok_or_else(|| SsvcError::Evidence {
            field,
            value: value.to_string(),
            valid: keys.map(String::as_str).collect::<Vec<_>>().join(", "),
        })
}

fn exploitation(e: &SsvcEvidence, r: &ExploitationRules) -> (&'static str, String) {
    let maturity = e.exploit_maturity.as_deref().map(norm);
    let said = |words: &[String]| {
        maturity
            .as_ref()
            .is_some_and(|m| words.iter().any(|w| norm(w) == *m))
    };
    if e.in_kev {
        return ("Active", "listed in CISA KEV".to_string());
    }
    if said(&r.active) {
        return (
            "Active",
            format!(
                "exploit maturity `{}`",
                e.exploit_maturity.as_deref().unwrap_or_default()
            ),
        );
    }
    if e.public_exploit {
        return ("Public PoC", "public exploit known".to_string());
    }
    if said(&r.public_poc) {
        return (
            "Public PoC",
            format!(
                "exploit maturity `{}`",
                e.exploit_maturity.as_deref().unwrap_or_default()
            ),
        );
    }
    if let Some(p) = e.epss_probability
        && p >= r.epss_public_poc_min_probability
    {
        return (
            "Public PoC",
            format!(
                "EPSS probability {p} >= {}",
                r.epss_public_poc_min_probability
            ),
        );
    }
    if e.epss_probability.is_none()
        && let Some(p) = e.epss_percentile
        && p >= r.epss_public_poc_min_percentile
    {
        return (
            "Public PoC",
            format!(
                "EPSS percentile {p} >= {}",
                r.epss_public_poc_min_percentile
            ),
        );
    }
    (
        "None",
        "no KEV listing, exploit report, public exploit or high EPSS".to_string(),
    )
}

/// The newest-version vector that parses, and the vectors that did not.
fn newest_vector(vectors: &[String]) -> (Option<Cvss>, Vec<String>) {
    let mut best: Option<Cvss> = None;
    let mut bad = Vec::new();
    for v in vectors {
        match cvss::parse(v) {
            Ok(c) => {
                if best.as_ref().is_none_or(|b| c.version() > b.version()) {
                    best = Some(c);
                }
            }
            Err(e) => bad.push(e.to_string()),
        }
    }
    (best, bad)
}

/// Automatable per the decision model: network, low complexity, no
/// privileges, no user interaction (and, in v4.0, no attack requirements).
fn is_automatable(c: &Cvss) -> bool {
    c.attack_vector() == AttackVector::Network
        && c.attack_complexity() == AttackComplexity::Low
        && c.privileges_required() == Privileges::None
        && c.user_interaction() == UserInteraction::None
        && (c.version() != Version::V4_0 || c.attack_requirements_present() == Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        Tables::embedded().expect("embedded tables load")
    }

    #[test]
    fn embedded_tables_load_with_expected_sizes() {
        let t = tables();
        let sizes: Vec<(&str, usize)> = t
            .all()
            .iter()
            .map(|t| (t.id.as_str(), t.row_count()))
            .collect();
        assert_eq!(
            sizes,
            [
                ("cisa-coordinator", 36),
                ("deployer", 72),
                ("supplier", 36),
                ("bod-26-04", 16),
                ("human-impact", 16),
                ("public-safety-impact", 4),
                ("utility", 4)
            ]
        );
    }

    #[test]
    fn names_match_loosely() {
        let t = tables();
        let out = t
            .evaluate(
                "cisa-coordinator",
                &[
                    ("exploitation", "active"),
                    ("automatable", "yes"),
                    ("technical-impact", "total"),
                    ("mission-and-well-being-impact", "high"),
                ],
            )
            .unwrap();
        assert_eq!(out.outcome, "Act");
        assert_eq!(
            out.path[2],
            ("Technical Impact".to_string(), "Total".to_string())
        );
        let out = t
            .evaluate(
                "cisa-coordinator",
                &[
                    ("Exploitation v1.1.0", "Public PoC"),
                    ("AUTOMATABLE", "No"),
                    ("technical_impact", "P"),
                    ("Mission and Well-Being Impact", "medium"),
                ],
            )
            .unwrap();
        assert_eq!(out.outcome, "Track");
        let out = t
            .evaluate(
                "bod-26-04",
                &[
                    ("in-kev", "yes"),
                    ("asset exposure", "yes"),
                    ("automatable", "no"),
                    ("technical impact", "total"),
                ],
            )
            .unwrap();
        assert_eq!(out.outcome, "3 days & forensic investigation");
        assert_eq!(out.path[1].0, "Publicly Exposed");
    }

    #[test]
    fn errors_list_what_is_valid() {
        let t = tables();
        let e = t
            .evaluate("cisa-coordinator", &[("exploitability", "active")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no decision point `exploitability`"), "{e}");
        assert!(e.contains("Exploitation (none, public poc, active)"), "{e}");
        let e = t
            .evaluate("deployer", &[("exploitation", "likely")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "`likely` is not a value of Exploitation; expected one of: none, public poc, active"
        );
        let e = t
            .evaluate(
                "deployer",
                &[("exploitation", "none"), ("automatable", "no")],
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a value for: System Exposure"), "{e}");
        assert!(
            e.contains("Human Impact (low, medium, high, very high)"),
            "{e}"
        );
        let e = t.evaluate("nope", &[]).unwrap_err().to_string();
        assert!(e.contains("tables: cisa-coordinator, deployer"), "{e}");
        let e = t
            .evaluate("utility", &[("automatable", "yes"), ("automatable", "no")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("given twice"), "{e}");
    }

    #[test]
    fn helper_tables_fill_derived_points() {
        let t = tables();
        let out = t
            .evaluate(
                "deployer",
                &[
                    ("exploitation", "active"),
                    ("system exposure", "open"),
                    ("automatable", "yes"),
                    ("safety impact", "negligible"),
                    ("mission impact", "mission failure"),
                ],
            )
            .unwrap();
        assert_eq!(out.outcome, "Immediate");
        assert_eq!(out.derived[0].table, "human-impact");
        assert_eq!(out.derived[0].outcome, "Very High");
        let out = t
            .evaluate(
                "supplier",
                &[
                    ("exploitation", "none"),
                    ("automatable", "yes"),
                    ("value density", "concentrated"),
                    ("technical impact", "total"),
                    ("safety impact", "marginal"),
                ],
            )
            .unwrap();
        assert_eq!(out.path[1].1, "Super Effective");
        assert_eq!(out.path[3].1, "Significant");
        assert_eq!(out.outcome, "Out-of-Cycle");
        let e = t
            .evaluate("supplier", &[("mission impact", "degraded")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no decision point `mission impact`"), "{e}");
    }

    #[test]
    fn evidence_derivation() {
        let t = tables();
        let ev = SsvcEvidence {
            in_kev: false,
            exploit_maturity: Some("Unreported".into()),
            epss_probability: Some(0.8),
            cvss_vectors: vec![
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H".into(),
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
                "garbage".into(),
            ],
            exposure: Some("internet".into()),
            criticality: Some("high".into()),
            data_class: Some("restricted".into()),
            ..Default::default()
        };
        let d = derive(&ev, &t).unwrap();
        let get = |n: &str| d.points.iter().find(|p| p.name == n).unwrap();
        assert_eq!(get("Exploitation").value, "Public PoC");
        assert!(get("Exploitation").source.contains("EPSS probability 0.8"));
        assert_eq!(get("Automatable").value, "Yes");
        assert!(
            get("Automatable").source.contains("CVSS:4.0"),
            "{}",
            get("Automatable").source
        );
        assert!(get("Automatable").source.contains("ignored invalid"));
        assert_eq!(get("Technical Impact").value, "Total");
        assert_eq!(get("System Exposure").value, "Open");
        assert_eq!(get("Publicly Exposed").value, "Yes");
        assert_eq!(get("Mission and Well-Being Impact").value, "High");
        assert_eq!(get("Human Impact").value, "Very High");
        assert_eq!(get("In KEV").value, "No");
        assert!(d.unresolved.is_empty());
        let deployer = t.get("deployer").unwrap();
        let out = t.evaluate("deployer", &d.inputs_for(&t, deployer)).unwrap();
        assert_eq!(out.outcome, "Out-of-Cycle");
        let bod = t.get("bod-26-04").unwrap();
        assert_eq!(
            t.evaluate("bod-26-04", &d.inputs_for(&t, bod))
                .unwrap()
                .outcome,
            "3 days"
        );
    }

    #[test]
    fn evidence_defaults_and_kev() {
        let t = tables();
        let ev = SsvcEvidence {
            in_kev: true,
            cvss_vectors: vec!["CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:L/A:N".into()],
            ..Default::default()
        };
        let d = derive(&ev, &t).unwrap();
        let get = |n: &str| d.points.iter().find(|p| p.name == n).unwrap().value.clone();
        assert_eq!(get("Exploitation"), "Active");
        assert_eq!(get("Automatable"), "No");
        assert_eq!(get("Technical Impact"), "Partial");
        assert_eq!(get("In KEV"), "Yes");
        assert_eq!(d.unresolved.len(), 4);
        let e = t
            .evaluate("deployer", &d.inputs_for(&t, t.get("deployer").unwrap()))
            .unwrap_err();
        assert!(e.to_string().contains("System Exposure"), "{e}");
        // v4 with attack requirements present is not automatable.
        let ev = SsvcEvidence {
            cvss_vectors: vec![
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
            ],
            epss_percentile: Some(0.97),
            criticality: Some("medium".into()),
            ..Default::default()
        };
        let d = derive(&ev, &t).unwrap();
        let p = |n: &str| d.points.iter().find(|p| p.name == n).unwrap().clone();
        assert_eq!(p("Automatable").value, "No");
        assert_eq!(p("Exploitation").value, "Public PoC");
        assert!(p("Human Impact").source.contains("(default)"));
        assert_eq!(p("Human Impact").value, "Medium");
    }

    #[test]
    fn overrides_replace_and_validate() {
        let t = tables();
        let mut ev = SsvcEvidence {
            exposure: Some("internal".into()),
            ..Default::default()
        };
        ev.overrides
            .insert("system-exposure".into(), "controlled".into());
        ev.overrides
            .insert("human impact".into(), "very-high".into());
        let d = derive(&ev, &t).unwrap();
        let p = d
            .points
            .iter()
            .find(|p| p.name == "System Exposure")
            .unwrap();
        assert_eq!(p.value, "Controlled");
        assert_eq!(p.source, "override system-exposure=controlled");
        assert!(d.unresolved.iter().all(|(n, _)| n != "Human Impact"));
        ev.overrides.insert("exposure level".into(), "x".into());
        let e = derive(&ev, &t).unwrap_err().to_string();
        assert!(e.contains("no decision point `exposure level`"), "{e}");
        let bad = SsvcEvidence {
            exposure: Some("dmz".into()),
            ..Default::default()
        };
        let e = derive(&bad, &t).unwrap_err().to_string();
        assert_eq!(
            e,
            "SSVC evidence exposure = `dmz`: expected one of: controlled, internal, internet"
        );
    }

    #[test]
    fn csv_split_handles_quotes() {
        assert_eq!(
            split_csv(r#"row,"Defer, Scheduled v1.0.0","a""b""#),
            ["row", "Defer, Scheduled v1.0.0", "a\"b"]
        );
        assert_eq!(strip_suffixes("CISA Levels v1.1.0 (cisa)"), "CISA Levels");
        assert_eq!(strip_suffixes("Exploitation"), "Exploitation");
    }
}
