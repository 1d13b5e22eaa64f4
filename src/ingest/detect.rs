//! Content-based format detection.
//!
//! Input: decoded text. Output: [`Detected`]. Detection reads as little as it
//! can: for JSON it walks the top-level object's keys, skipping values by
//! bracket matching, and stops at the first key that decides the format, so a
//! 120 MB SARIF log is not parsed twice.

/// What an input's text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// SARIF JSON (any version; the parser checks it).
    Sarif,
    /// CycloneDX JSON.
    CyclonedxJson,
    /// CycloneDX XML.
    CyclonedxXml,
    /// SPDX 2.x JSON.
    SpdxJson,
    /// SPDX 2.x tag-value.
    SpdxTagValue,
    /// SPDX 2.x YAML.
    SpdxYaml,
    /// SPDX 2.x XML.
    SpdxXml,
    /// SPDX RDF/XML.
    SpdxRdf,
    /// SPDX 3 JSON-LD.
    Spdx3,
    /// OpenVEX JSON.
    OpenvexJson,
    /// OpenVEX YAML.
    OpenvexYaml,
    /// CSAF 2.x JSON.
    Csaf,
    /// A DSSE envelope (payload to be unwrapped).
    Dsse,
    /// An in-toto Statement (predicate to be unwrapped).
    InToto,
    /// Several JSON documents, one per line.
    JsonLines,
}

/// Detect the format of `text`; `Err` carries a short description of what
/// was seen, for the "unrecognized format" message.
pub fn detect(text: &str) -> Result<Detected, String> {
    let t = text.trim_start();
    if t.is_empty() {
        return Err("the file is empty".into());
    }
    if t.starts_with('<') {
        return detect_xml(t);
    }
    if t.starts_with('{') {
        return detect_json(t);
    }
    if t.starts_with('[') {
        return Err("a JSON array at the top level".into());
    }
    detect_lines(t)
}

fn detect_xml(t: &str) -> Result<Detected, String> {
    let head = prefix(t, 16 * 1024);
    if head.contains("cyclonedx.org/schema/bom") {
        return Ok(Detected::CyclonedxXml);
    }
    if head.contains("rdf:RDF") || head.contains("<RDF") {
        if head.contains("spdx.org/rdf") {
            return Ok(Detected::SpdxRdf);
        }
        return Err("an RDF/XML document without the SPDX namespace".into());
    }
    if head.contains("<spdxVersion>") || head.contains("<SPDXID>") {
        return Ok(Detected::SpdxXml);
    }
    Err(match root_element(head) {
        Some(r) => format!("an XML document with root element <{r}>"),
        None => "an XML document".into(),
    })
}

fn root_element(head: &str) -> Option<&str> {
    let mut rest = head;
    loop {
        let i = rest.find('<')?;
        rest = &rest[i + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        return Some(&rest[..end]);
    }
}

fn detect_lines(t: &str) -> Result<Detected, String> {
    let mut yaml_openvex_context = false;
    for line in t.lines().take(400) {
        let l = line.trim_start_matches('\u{feff}');
        if l.starts_with("SPDXVersion:") {
            return Ok(Detected::SpdxTagValue);
        }
        if l.starts_with("spdxVersion:") || l.starts_with("\"spdxVersion\":") {
            return Ok(Detected::SpdxYaml);
        }
        let lt = l.trim_start();
        if (lt.starts_with("'@context':")
            || lt.starts_with("\"@context\":")
            || lt.starts_with("@context:"))
            && lt.contains("openvex")
        {
            yaml_openvex_context = true;
        }
    }
    if yaml_openvex_context {
        return Ok(Detected::OpenvexYaml);
    }
    let first: String = t.lines().next().unwrap_or("").chars().take(60).collect();
    Err(format!("text starting with {first:?}"))
}

fn prefix(t: &str, n: usize) -> &str {
    if t.len() <= n {
        return t;
    }
    let mut end = n;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    &t[..end]
}

/// One top-level key with its value's raw text (for short values only).
struct Entry<'a> {
    key: &'a str,
    value: &'a str,
}

fn detect_json(t: &str) -> Result<Detected, String> {
    if let Some(nl) = t.find('\n') {
        let first = t[..nl].trim();
        if first.len() > 1 && first.ends_with('}') && t[nl..].trim_start().starts_with('{') {
            let mut s = TopLevel::new(first);
            while s.next_entry().is_some() {}
            if !s.broken && !s.trailing_value {
                return Ok(Detected::JsonLines);
            }
        }
    }
    let mut seen: Vec<String> = Vec::new();
    // Keys that decide the format whatever their value: the scan stops at
    // them rather than skipping a value that may be the whole file.
    let mut scanner = TopLevel::new(t).decisive(&["runs", "bomFormat", "spdxVersion", "@graph"]);
    let mut context: Option<String> = None;
    let mut schema: Option<String> = None;
    while let Some(e) = scanner.next_entry() {
        let v = e.value.trim();
        match e.key {
            "runs" => return Ok(Detected::Sarif),
            "bomFormat" => return Ok(Detected::CyclonedxJson),
            "spdxVersion" => return Ok(Detected::SpdxJson),
            "payloadType" | "signatures" if !seen.iter().any(|k| k == "_type") => {
                return Ok(Detected::Dsse);
            }
            "_type" | "predicateType" | "predicate"
                if v.contains("in-toto") || e.key != "_type" =>
            {
                return Ok(Detected::InToto);
            }
            "document" if v.contains("csaf_version") => return Ok(Detected::Csaf),
            "@graph" => return Ok(Detected::Spdx3),
            "statements" if context.as_deref().is_some_and(|c| c.contains("openvex")) => {
                return Ok(Detected::OpenvexJson);
            }
            "@context" => {
                if v.contains("openvex") {
                    return Ok(Detected::OpenvexJson);
                }
                if v.contains("spdx.org/rdf/3") {
                    return Ok(Detected::Spdx3);
                }
                context = Some(v.to_string());
            }
            "$schema" => {
                if v.contains("cyclonedx") {
                    return Ok(Detected::CyclonedxJson);
                }
                if v.contains("csaf") {
                    return Ok(Detected::Csaf);
                }
                schema = Some(v.to_string());
            }
            _ => {}
        }
        seen.push(e.key.to_string());
    }
    if scanner.broken {
        // Not even the top level is well-formed; the JSON parser of the most
        // likely format will report the exact position.
        if schema.as_deref().is_some_and(|s| s.contains("sarif")) {
            return Ok(Detected::Sarif);
        }
        if seen.iter().any(|k| k == "version" || k == "$schema") && t.contains("\"runs\"") {
            return Ok(Detected::Sarif);
        }
        if t.contains("\"bomFormat\"") {
            return Ok(Detected::CyclonedxJson);
        }
        if t.contains("\"spdxVersion\"") {
            return Ok(Detected::SpdxJson);
        }
    } else if scanner.trailing_value {
        return Ok(Detected::JsonLines);
    }
    if schema.as_deref().is_some_and(|s| s.contains("sarif")) {
        return Ok(Detected::Sarif);
    }
    if seen.is_empty() {
        return Err("a JSON object with no recognizable keys".into());
    }
    seen.truncate(8);
    Err(format!(
        "a JSON object with top-level keys {}",
        seen.join(", ")
    ))
}

/// Minimal scanner over a JSON object's top-level entries.
struct TopLevel<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    started: bool,
    done: bool,
    broken: bool,
    trailing_value: bool,
    /// Keys returned (with an empty value) without scanning their value;
    /// the scan ends there.
    decisive: &'static [&'static str],
}

impl<'a> TopLevel<'a> {
    fn new(text: &'a str) -> Self {
        TopLevel {
            s: text.as_bytes(),
            text,
            i: 0,
            started: false,
            done: false,
            broken: false,
            trailing_value: false,
            decisive: &[],
        }
    }

    fn decisive(mut self, keys: &'static [&'static str]) -> Self {
        self.decisive = keys;
        self
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn fail(&mut self) -> Option<Entry<'a>> {
        self.broken = true;
        self.done = true;
        None
    }

    /// Skip a string starting at `self.i` (which is a quote); return its contents.
    fn string(&mut self) -> Option<&'a str> {
        let start = self.i + 1;
        let mut j = start;
        loop {
            let k = memchr::memchr2(b'"', b'\\', &self.s[j..])?;
            j += k;
            if self.s[j] == b'\\' {
                j += 2;
                if j > self.s.len() {
                    return None;
                }
            } else {
                self.i = j + 1;
                return Some(&self.text[start..j]);
            }
        }
    }

    fn skip_value(&mut self) -> bool {
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return false;
        };
        match c {
            b'"' => self.string().is_some(),
            b'{' | b'[' => {
                let mut depth = 0usize;
                while self.i < self.s.len() {
                    match self.s[self.i] {
                        b'"' => {
                            if self.string().is_none() {
                                return false;
                            }
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return true;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                false
            }
            _ => {
                while self.i < self.s.len() && !matches!(self.s[self.i], b',' | b'}' | b']') {
                    self.i += 1;
                }
                self.i < self.s.len()
            }
        }
    }

    fn next_entry(&mut self) -> Option<Entry<'a>> {
        if self.done {
            return None;
        }
        self.ws();
        if !self.started {
            if self.s.get(self.i) != Some(&b'{') {
                return self.fail();
            }
            self.i += 1;
            self.started = true;
        } else {
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.done = true;
                    self.ws();
                    self.trailing_value = self.i < self.s.len();
                    return None;
                }
                _ => return self.fail(),
            }
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'"') => {}
            Some(b'}') => {
                self.i += 1;
                self.done = true;
                self.ws();
                self.trailing_value = self.i < self.s.len();
                return None;
            }
            _ => return self.fail(),
        }
        let Some(key) = self.string() else {
            return self.fail();
        };
        self.ws();
        if self.s.get(self.i) != Some(&b':') {
            return self.fail();
        }
        self.i += 1;
        self.ws();
        if self.decisive.contains(&key) {
            self.done = true;
            return Some(Entry { key, value: "" });
        }
        let vstart = self.i;
        if !self.skip_value() {
            return self.fail();
        }
        let raw = &self.text[vstart..self.i];
        let value = if raw.len() <= 4096 { raw } else { "" };
        Some(Entry { key, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert_eq!(
            detect(r#"{"version":"2.1.0","runs":[]}"#),
            Ok(Detected::Sarif)
        );
        assert_eq!(
            detect(
                r#"{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0"}"#
            ),
            Ok(Detected::Sarif)
        );
        assert_eq!(
            detect(r#"{"specVersion":"1.6","bomFormat":"CycloneDX"}"#),
            Ok(Detected::CyclonedxJson)
        );
        assert_eq!(
            detect(r#"{"spdxVersion":"SPDX-2.3"}"#),
            Ok(Detected::SpdxJson)
        );
        assert_eq!(
            detect(r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[]}"#),
            Ok(Detected::OpenvexJson)
        );
        assert_eq!(
            detect(r#"{"payloadType":"application/vnd.in-toto+json","payload":"e30="}"#),
            Ok(Detected::Dsse)
        );
        assert_eq!(
            detect(
                r#"{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","predicate":{}}"#
            ),
            Ok(Detected::InToto)
        );
        assert_eq!(
            detect("{\"payloadType\":\"x\"}\n{\"payloadType\":\"y\"}\n"),
            Ok(Detected::JsonLines)
        );
        assert_eq!(
            detect("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n"),
            Ok(Detected::SpdxTagValue)
        );
        assert_eq!(
            detect("---\nspdxVersion: SPDX-2.3\n"),
            Ok(Detected::SpdxYaml)
        );
        assert_eq!(
            detect("<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\">"),
            Ok(Detected::CyclonedxXml)
        );
        assert!(detect("").is_err());
        assert!(detect("hello").unwrap_err().contains("hello"));
        let e = detect(r#"{"name":"x","items":[1,2,{"a":"}"}]}"#).unwrap_err();
        assert!(e.contains("name, items"), "{e}");
    }

    #[test]
    fn decisive_key_after_large_value() {
        let big = "x".repeat(100_000);
        let t = format!(r#"{{"$schema":"s","inlineData":"{big}","runs":[{{"a":"]}}"}}]}}"#);
        assert_eq!(detect(&t), Ok(Detected::Sarif));
    }

    #[test]
    fn broken_json_still_routes_to_parser() {
        assert_eq!(
            detect("{\"version\": \"2.1.0\",\n \"runs\": [ {,"),
            Ok(Detected::Sarif)
        );
        assert_eq!(
            detect("{\n  \"bomFormat\": \"CycloneDX\", {"),
            Ok(Detected::CyclonedxJson)
        );
    }
}
