//! Business context: what each service means to the organisation.
//!
//! Input: a TOML file (`--context FILE`) or the `[context]` table of
//! `fixops.toml`, both of the same shape:
//!
//! ```toml
//! [context]                       # defaults for every service
//! criticality = "medium"          # low | medium | high | critical
//! exposure = "internal"           # internal | controlled | internet
//! data_class = "internal"         # public | internal | confidential | restricted
//! environment = "production"      # dev | staging | production
//!
//! [context.services.checkout]     # overrides for one service
//! criticality = "critical"
//! exposure = "internet"
//! ```
//!
//! Output: [`Context`], which resolves one service's [`Resolved`] values,
//! each with where it came from. Unknown keys are errors, positioned in the
//! file; unknown words list the valid ones.

use crate::error::{Error, Position, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $word $(, alias = $alias)*)] $variant),+
        }

        impl $name {
            /// Every value, lowest first.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word used in files, JSON and policies.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(
    /// How much the organisation depends on the service.
    Criticality {
        /// `low`
        Low = "low",
        /// `medium`
        Medium = "medium",
        /// `high`
        High = "high",
        /// `critical`
        Critical = "critical",
    }
);

word_enum!(
    /// Who can reach the service.
    Exposure {
        /// `internal`: only from inside the network.
        Internal = "internal",
        /// `controlled`: VPN, allow-list or authenticated gateway.
        Controlled = "controlled",
        /// `internet`: anyone.
        Internet = "internet" | "public",
    }
);

word_enum!(
    /// The most sensitive data the service holds.
    DataClass {
        /// `public`
        Public = "public",
        /// `internal`
        Internal = "internal",
        /// `confidential`
        Confidential = "confidential",
        /// `restricted`
        Restricted = "restricted",
    }
);

word_enum!(
    /// Where the service runs.
    Environment {
        /// `dev`
        Dev = "dev" | "development",
        /// `staging`
        Staging = "staging" | "stage",
        /// `production`
        Production = "production" | "prod",
    }
);

/// One table of context values (the defaults or one service); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceContext {
    /// Criticality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    /// Exposure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    /// Data classification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_class: Option<DataClass>,
    /// Environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
}

/// The `[context]` table: defaults plus per-service overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// Default criticality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    /// Default exposure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
    /// Default data classification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_class: Option<DataClass>,
    /// Default environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// Per-service overrides, by service name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceContext>,
}

/// A value with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// `service <name>` or `default`.
    pub source: String,
}

/// One service's context after applying the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The service asked for, when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Criticality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Sourced<Criticality>>,
    /// Exposure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Sourced<Exposure>>,
    /// Data classification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_class: Option<Sourced<DataClass>>,
    /// Environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Sourced<Environment>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    #[serde(default)]
    context: Context,
}

impl Context {
    /// Parse a context file's text (a `[context]` table, as in `fixops.toml`).
    pub fn parse(path: &Path, text: &str) -> Result<Context> {
        toml::from_str::<ContextFile>(text)
            .map(|f| f.context)
            .map_err(|e| {
                let position = e.span().map(|s| {
                    let (line, column) = crate::config::line_col(text, s.start);
                    Position::LineCol { line, column }
                });
                Error::Config {
                    path: path.to_path_buf(),
                    position,
                    message: explain(e.message()),
                }
            })
    }

    /// Read and parse a context file.
    pub fn load(path: &Path) -> Result<Context> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Context::parse(path, &text)
    }

    /// The context of `service` (or the defaults when `None` or not listed).
    pub fn resolve(&self, service: Option<&str>) -> Resolved {
        let over = service.and_then(|s| self.services.get(s));
        fn pick<T: Copy>(
            over: Option<T>,
            default: Option<T>,
            service: Option<&str>,
        ) -> Option<Sourced<T>> {
            match (over, default) {
                (Some(v), _) => Some(Sourced {
                    value: v,
                    source: format!("service {}", service.unwrap_or_default()),
                }),
                (None, Some(v)) => Some(Sourced {
                    value: v,
                    source: "default".to_string(),
                }),
                (None, None) => None,
            }
        }
        let d = self;
        Resolved {
            service: service.map(str::to_string),
            criticality: pick(over.and_then(|o| o.criticality), d.criticality, service),
            exposure: pick(over.and_then(|o| o.exposure), d.exposure, service),
            data_class: pick(over.and_then(|o| o.data_class), d.data_class, service),
            environment: pick(over.and_then(|o| o.environment), d.environment, service),
        }
    }
}

/// Add the field's valid words to serde's "unknown variant" message, and name
/// the valid keys for unknown fields.
fn explain(msg: &str) -> String {
    if msg.contains("unknown field") && !msg.contains("expected") {
        return format!(
            "{msg}; valid keys: criticality, exposure, data_class, environment, services"
        );
    }
    msg.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[context]
criticality = "medium"
exposure = "internal"
environment = "prod"

[context.services.checkout]
criticality = "critical"
exposure = "internet"
data_class = "restricted"
"#;

    #[test]
    fn services_override_defaults_with_sources() {
        let c = Context::parse(Path::new("c.toml"), FILE).unwrap();
        let r = c.resolve(Some("checkout"));
        assert_eq!(r.criticality.as_ref().unwrap().value, Criticality::Critical);
        assert_eq!(r.criticality.unwrap().source, "service checkout");
        assert_eq!(
            r.environment.as_ref().unwrap().value,
            Environment::Production
        );
        assert_eq!(r.environment.unwrap().source, "default");
        let other = c.resolve(Some("search"));
        assert_eq!(other.exposure.unwrap().value, Exposure::Internal);
        assert!(other.data_class.is_none());
        assert!(Context::default().resolve(None).criticality.is_none());
    }

    #[test]
    fn unknown_words_list_valid_ones_with_position() {
        let err = Context::parse(Path::new("c.toml"), "[context]\ncriticality = \"severe\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml: line 2, column 15"), "{err}");
        for w in ["low", "medium", "high", "critical"] {
            assert!(err.contains(w), "{err}");
        }
        let err = Context::parse(
            Path::new("c.toml"),
            "[context.services.api]\nexposure = \"internet\"\nowner = \"x\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 3, column 1"), "{err}");
        assert!(err.contains("owner"), "{err}");
    }

    #[test]
    fn words_order_from_low_to_high() {
        assert!(Exposure::Internet > Exposure::Controlled);
        assert!(Environment::Production > Environment::Staging);
        assert_eq!(Criticality::ALL.len(), 4);
        assert_eq!(DataClass::Restricted.as_str(), "restricted");
    }
}
