//! XML plumbing for SPDX: a pull reader over quick-xml that yields
//! start / text / end events with entities resolved, nesting bounded and
//! errors at line:column; and the SPDX 2 XML → JSON value mapping.
//!
//! SPDX 2 XML mirrors the JSON field names: an element holding only text is
//! a string, an element with children an object, and a repeated element a
//! list. The resulting value is read by the same lenient types as JSON.

use crate::error::{Error, Result};
use quick_xml::events::Event;
use serde_json::{Map, Value};
use std::path::Path;

/// Deepest element nesting accepted.
pub(super) const MAX_DEPTH: usize = 256;

/// One simplified XML event.
#[derive(Debug)]
pub(super) enum XmlEvent {
    /// An element opens (empty elements give `Start` then `End`).
    Start {
        /// Local name (prefix dropped).
        name: String,
        /// Attributes as (local name, value), `xmlns` declarations left out.
        attrs: Vec<(String, String)>,
    },
    /// Character data (entities resolved, CDATA included).
    Text(String),
    /// The innermost open element closes.
    End,
}

/// Pull reader over an XML text.
pub(super) struct XmlReader<'a> {
    path: &'a Path,
    text: &'a str,
    reader: quick_xml::Reader<&'a [u8]>,
    depth: usize,
}

impl<'a> XmlReader<'a> {
    /// A reader over `text`, for errors naming `path`.
    pub(super) fn new(path: &'a Path, text: &'a str) -> XmlReader<'a> {
        let mut reader = quick_xml::Reader::from_str(text);
        reader.config_mut().expand_empty_elements = true;
        XmlReader {
            path,
            text,
            reader,
            depth: 0,
        }
    }

    /// An input error at a byte offset, as line:column.
    pub(super) fn error_at(&self, offset: u64, message: impl Into<String>) -> Error {
        let (line, col) = line_col(self.text, offset as usize);
        Error::at_line(self.path, line, col, message)
    }

    /// An input error at the current position.
    pub(super) fn error_here(&self, message: impl Into<String>) -> Error {
        self.error_at(self.reader.buffer_position(), message)
    }

    /// The next event, or `None` at the end of the document.
    pub(super) fn next(&mut self) -> Result<Option<XmlEvent>> {
        loop {
            let ev = match self.reader.read_event() {
                Ok(ev) => ev,
                Err(e) => {
                    let at = self.reader.error_position();
                    return Err(self.error_at(at, format!("invalid XML: {e}")));
                }
            };
            return Ok(Some(match ev {
                Event::Start(s) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(self.error_here(format!(
                            "elements nested more than {MAX_DEPTH} deep; expected an SPDX document"
                        )));
                    }
                    let name = local(&String::from_utf8_lossy(s.name().as_ref())).to_string();
                    let mut attrs = Vec::new();
                    for a in s.attributes() {
                        let a =
                            a.map_err(|e| self.error_here(format!("invalid XML attribute: {e}")))?;
                        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                        if key == "xmlns" || key.starts_with("xmlns:") {
                            continue;
                        }
                        let value = a.unescape_value().map_err(|e| {
                            self.error_here(format!("invalid XML attribute value: {e}"))
                        })?;
                        attrs.push((local(&key).to_string(), value.into_owned()));
                    }
                    XmlEvent::Start { name, attrs }
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    XmlEvent::End
                }
                Event::Text(t) => {
                    let s = t
                        .xml_content()
                        .map_err(|e| self.error_here(format!("invalid text: {e}")))?;
                    XmlEvent::Text(s.into_owned())
                }
                Event::CData(c) => {
                    let s = c
                        .decode()
                        .map_err(|e| self.error_here(format!("invalid CDATA: {e}")))?;
                    XmlEvent::Text(s.into_owned())
                }
                Event::GeneralRef(r) => {
                    let name = r
                        .decode()
                        .map_err(|e| self.error_here(format!("invalid entity: {e}")))?;
                    if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => XmlEvent::Text(c.to_string()),
                            _ => {
                                return Err(self
                                    .error_here(format!("invalid character reference &{name};")));
                            }
                        }
                    } else if let Some(s) = quick_xml::escape::resolve_xml_entity(&name) {
                        XmlEvent::Text(s.to_string())
                    } else {
                        return Err(self.error_here(format!("unknown entity &{name};")));
                    }
                }
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(
                            self.error_here("the document ends inside an element (truncated?)")
                        );
                    }
                    return Ok(None);
                }
                Event::Empty(_)
                | Event::Comment(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::DocType(_) => {
                    continue;
                }
            }));
        }
    }
}

/// The part of a qualified name after its prefix.
pub(super) fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Read SPDX 2 XML into the JSON value it mirrors (the root element's content).
pub(super) fn to_json_value(path: &Path, text: &str) -> Result<Value> {
    let mut r = XmlReader::new(path, text);
    // Open elements: (name, child fields, text).
    let mut stack: Vec<(String, Map<String, Value>, String)> = Vec::new();
    let mut root: Option<Value> = None;
    while let Some(ev) = r.next()? {
        match ev {
            XmlEvent::Start { name, .. } => {
                if root.is_some() {
                    return Err(r.error_here("content after the root element"));
                }
                stack.push((name, Map::new(), String::new()));
            }
            XmlEvent::Text(t) => match stack.last_mut() {
                Some(top) => top.2.push_str(&t),
                None if t.trim().is_empty() => {}
                None => return Err(r.error_here("text outside the root element")),
            },
            XmlEvent::End => {
                let Some((name, fields, text)) = stack.pop() else {
                    return Err(r.error_here("closing tag without an open element"));
                };
                let value = if fields.is_empty() {
                    Value::String(text.trim().to_string())
                } else {
                    Value::Object(fields)
                };
                match stack.last_mut() {
                    Some(parent) => add_field(&mut parent.1, name, value),
                    None => root = Some(value),
                }
            }
        }
    }
    match root {
        Some(v @ Value::Object(_)) => Ok(v),
        _ => Err(Error::input(
            path,
            "the root element holds no SPDX fields; expected <Document> with <spdxVersion>, <packages>, ...",
        )),
    }
}

/// Add a child element's value; a repeated name becomes a list.
fn add_field(fields: &mut Map<String, Value>, name: String, value: Value) {
    match fields.get_mut(&name) {
        None => {
            fields.insert(name, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.spdx.xml")
    }

    #[test]
    fn xml_document_reads_like_json() {
        let x = r#"<?xml version="1.0"?>
<Document>
  <spdxVersion>SPDX-2.3</spdxVersion>
  <SPDXID>SPDXRef-DOCUMENT</SPDXID>
  <documentDescribes>SPDXRef-a</documentDescribes>
  <packages>
    <SPDXID>SPDXRef-a</SPDXID><name>a &amp; b</name><versionInfo>1.0</versionInfo>
    <externalRefs>
      <referenceCategory>PACKAGE-MANAGER</referenceCategory>
      <referenceType>purl</referenceType>
      <referenceLocator>pkg:npm/a@1.0</referenceLocator>
    </externalRefs>
  </packages>
  <packages><SPDXID>SPDXRef-b</SPDXID><name>b</name></packages>
  <relationships>
    <spdxElementId>SPDXRef-b</spdxElementId>
    <relationshipType>DEPENDENCY_OF</relationshipType>
    <relatedSpdxElement>SPDXRef-a</relatedSpdxElement>
  </relationships>
</Document>"#;
        let d = super::super::parse_xml(p(), x).unwrap();
        assert_eq!(d.stats.packages, Some(2));
        assert_eq!(d.stats.relationships, Some(1));
        assert_eq!(d.components[0].name, "a & b");
        assert_eq!(d.components[0].purl.as_deref(), Some("pkg:npm/a@1.0"));
        assert!(d.components[0].is_root);
        assert!(
            d.relationships
                .iter()
                .any(|r| r.from == "SPDXRef-a" && r.to == "SPDXRef-b")
        );
    }

    #[test]
    fn xml_errors_have_line_and_column() {
        let e = to_json_value(p(), "<Document>\n  <a>x</b>\n</Document>").unwrap_err();
        assert!(e.to_string().contains("line 2, column"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let x = "<a>".repeat(MAX_DEPTH + 1);
        let e = to_json_value(p(), &x).unwrap_err();
        assert!(e.to_string().contains("nested more than"), "{e}");
    }
}
