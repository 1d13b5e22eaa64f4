//! Errors: every message names the file, the position and what was expected.
//!
//! Input: failures from any stage. Output: [`Error`], whose `Display` is the
//! one-paragraph message the CLI prints after `fixops: error:`. A BLOCK is a
//! verdict, never an error; these are for unusable input, bad usage and
//! internal failures (exit code 2).

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// A JSON pointer (RFC 6901) into the document, e.g. `/runs/0/results/3/level`.
    Pointer(String),
    /// 1-based line and column.
    LineCol {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
    /// Both, when known.
    PointerAt {
        /// JSON pointer.
        pointer: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Pointer(p) => write!(f, "at {}", pointer_or_root(p)),
            Position::LineCol { line, column } => write!(f, "line {line}, column {column}"),
            Position::PointerAt {
                pointer,
                line,
                column,
            } => write!(
                f,
                "at {} (line {line}, column {column})",
                pointer_or_root(pointer)
            ),
        }
    }
}

fn pointer_or_root(p: &str) -> &str {
    if p.is_empty() {
        "/ (the document root)"
    } else {
        p
    }
}

/// The library's error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened or read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An input file is malformed, of an unknown format or an unsupported version.
    #[error("{}", located(path, position.as_ref(), message))]
    Input {
        /// The file.
        path: PathBuf,
        /// Where in it, when known.
        position: Option<Position>,
        /// What was found and what was expected.
        message: String,
    },
    /// A configuration file or value is invalid.
    #[error("{}", located(path, position.as_ref(), message))]
    Config {
        /// The config file (or `<flags>` / `<environment>`).
        path: PathBuf,
        /// Where in it, when known.
        position: Option<Position>,
        /// What was expected.
        message: String,
    },
    /// Bad usage that clap cannot catch (conflicting inputs, empty input list, ...).
    #[error("{0}")]
    Usage(String),
    /// A policy failed to load or evaluate.
    #[error("policy: {0}")]
    Policy(String),
    /// The evidence store failed.
    #[error("evidence store {}: {message}", path.display())]
    Store {
        /// The database file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Writing output failed.
    #[error("cannot write {}: {source}", path.display())]
    Output {
        /// Destination.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn located(path: &Path, position: Option<&Position>, message: &str) -> String {
    match position {
        Some(p) => format!("{}: {p}: {message}", path.display()),
        None => format!("{}: {message}", path.display()),
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An input error without a position.
    pub fn input(path: &Path, message: impl Into<String>) -> Error {
        Error::Input {
            path: path.to_path_buf(),
            position: None,
            message: message.into(),
        }
    }

    /// An input error at a JSON pointer.
    pub fn at_pointer(
        path: &Path,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error::Input {
            path: path.to_path_buf(),
            position: Some(Position::Pointer(pointer.into())),
            message: message.into(),
        }
    }

    /// An input error at a line and column.
    pub fn at_line(path: &Path, line: usize, column: usize, message: impl Into<String>) -> Error {
        Error::Input {
            path: path.to_path_buf(),
            position: Some(Position::LineCol { line, column }),
            message: message.into(),
        }
    }
}

/// Append one RFC 6901 reference token to a JSON pointer.
pub fn push_pointer(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Deserialize JSON text into `T`, giving a positioned [`Error::Input`] on failure.
///
/// The fast path is a plain `serde_json` parse. Only when it fails is the text
/// parsed again with path tracking, so that the message carries the JSON
/// pointer of the offending value as well as its line and column.
pub fn from_json<'a, T: serde::Deserialize<'a>>(
    path: &Path,
    text: &'a str,
    what: &str,
) -> Result<T> {
    match serde_json::from_str::<T>(text) {
        Ok(v) => Ok(v),
        Err(first) => Err(json_error(path, text, first, what, |de| {
            T::deserialize(de).map(drop)
        })),
    }
}

/// Build the positioned error for a failed JSON parse. `replay` re-runs the
/// same deserialization through a path-tracking deserializer.
pub fn json_error<'a>(
    path: &Path,
    text: &'a str,
    first: serde_json::Error,
    what: &str,
    replay: impl FnOnce(
        serde_path_to_error::Deserializer<
            &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
        >,
    ) -> std::result::Result<(), serde_json::Error>,
) -> Error {
    use serde_json::error::Category;
    let (line, column) = (first.line(), first.column());
    match first.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            let msg = strip_position(&first.to_string());
            let expected = if first.classify() == Category::Eof {
                format!(
                    "the file ends early (truncated?): {msg}; expected a complete {what} JSON document"
                )
            } else {
                format!("invalid JSON: {msg}; expected a {what} JSON document")
            };
            Error::at_line(path, line, column, expected)
        }
        Category::Data => {
            let mut track = serde_path_to_error::Track::new();
            let mut de = serde_json::Deserializer::from_str(text);
            let res = replay(serde_path_to_error::Deserializer::new(&mut de, &mut track));
            let pointer = match res {
                Err(_) => pointer_of(&track.path()),
                Ok(()) => String::new(),
            };
            Error::Input {
                path: path.to_path_buf(),
                position: Some(Position::PointerAt {
                    pointer,
                    line,
                    column,
                }),
                message: format!(
                    "{}; not a valid {what} document",
                    strip_position(&first.to_string())
                ),
            }
        }
    }
}

/// Convert a serde_path_to_error path into a JSON pointer.
pub fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => push_pointer(&mut out, &index.to_string()),
            Segment::Map { key } => push_pointer(&mut out, key),
            Segment::Enum { variant } => push_pointer(&mut out, variant),
            Segment::Unknown => {}
        }
    }
    out
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Doc {
        runs: Vec<Run>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Run {
        level: u8,
    }

    #[test]
    fn data_errors_carry_pointer_and_line() {
        let text = "{\"runs\": [{\"level\": 1}, {\"level\": \"x\"}]}";
        let err = from_json::<Doc>(Path::new("a.json"), text, "test").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("a.json: at /runs/1/level (line 1, column"),
            "{msg}"
        );
        assert!(msg.contains("not a valid test document"), "{msg}");
    }

    #[test]
    fn syntax_errors_carry_line_col() {
        let err = from_json::<Doc>(Path::new("b.json"), "{\n  \"runs\": [,\n", "test").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("b.json: line 2, column"), "{msg}");
        assert!(msg.contains("invalid JSON"), "{msg}");
    }

    #[test]
    fn truncated_is_named() {
        let err = from_json::<Doc>(Path::new("c.json"), "{\"runs\": [", "test").unwrap_err();
        assert!(err.to_string().contains("ends early"), "{err}");
    }

    #[test]
    fn pointer_escapes() {
        let mut p = String::new();
        push_pointer(&mut p, "a/b~c");
        assert_eq!(p, "/a~1b~0c");
    }
}
