//! Unit tests of the CycloneDX reader over small inline documents.

use super::*;
use crate::model::{Fingerprint, RelationshipKind, Severity, VexStatus};

fn json(body: &str) -> Result<Document> {
    parse_json(Path::new("bom.json"), body)
}

fn xml(body: &str) -> Result<Document> {
    parse_xml(Path::new("bom.xml"), body)
}

fn err(r: Result<Document>) -> String {
    match r {
        Ok(d) => panic!("expected an error, got {d:?}"),
        Err(e) => e.to_string(),
    }
}

fn j(version: &str, rest: &str) -> String {
    format!(r#"{{"bomFormat": "CycloneDX", "specVersion": "{version}", "version": 1{rest}}}"#)
}

fn x(version: &str, inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/{version}\" version=\"1\">\n{inner}\n</bom>\n"
    )
}

#[test]
fn json_versions_accepted_and_refused() {
    for v in ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"] {
        let d = json(&j(v, "")).unwrap();
        assert_eq!(d.spec_version, v);
        assert_eq!(d.format, Format::CyclonedxJson);
        assert_eq!(d.stats.components, Some(0));
    }
    for v in ["1.1", "2.0", "1.8"] {
        let m = err(json(&j(v, "")));
        assert!(m.contains("at /specVersion"), "{m}");
        assert!(
            m.contains(&format!("{v:?}")) && m.contains("1.2, 1.3"),
            "{m}"
        );
    }
    let m = err(json(
        r#"{"bomFormat": "AnotherFormat", "specVersion": "1.6"}"#,
    ));
    assert!(
        m.contains("at /bomFormat")
            && m.contains("\"AnotherFormat\"")
            && m.contains("expected \"CycloneDX\""),
        "{m}"
    );
    let m = err(json(r#"{"bomFormat": "CycloneDX"}"#));
    assert!(m.contains("specVersion is missing"), "{m}");
}

#[test]
fn xml_versions_accepted_and_refused() {
    for v in ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"] {
        let d = xml(&x(v, "<components/>")).unwrap();
        assert_eq!(d.spec_version, v);
        assert_eq!(d.format, Format::CyclonedxXml);
    }
    let m = err(xml(&x("1.8", "")));
    assert!(m.starts_with("bom.xml: line 2, column 1:"), "{m}");
    assert!(m.contains("expected <bom>"), "{m}");
    let m = err(xml("<bom xmlns=\"urn:other\"/>"));
    assert!(m.contains("\"urn:other\""), "{m}");
}

#[test]
fn malformed_and_mistyped_input_is_refused() {
    let m = err(json(
        "{\n \"bomFormat\": \"CycloneDX\",\n \"specVersion\": \"1.6\",\n ,}",
    ));
    assert!(m.starts_with("bom.json: line 4"), "{m}");
    let m = err(json(&j("1.6", r#", "components": {"name": "x"}"#)));
    assert!(m.contains("at /components"), "{m}");
    let m = err(json(&j(
        "1.6",
        r#", "components": [{"name": "a", "version": 3}]"#,
    )));
    assert!(m.contains("/components/0/version"), "{m}");
    let m = err(xml(&x(
        "1.6",
        "<components><component type=\"library\"><name>a</name></components>",
    )));
    assert!(m.starts_with("bom.xml: line"), "{m}");
    assert!(m.contains("invalid XML"), "{m}");
    let m = err(xml(&x("1.6", "<components>").replace("</bom>\n", "")));
    assert!(m.contains("ends early") || m.contains("invalid XML"), "{m}");
    let m = err(xml(&x(
        "1.6",
        "<metadata><timestamp>&bogus;</timestamp></metadata>",
    )));
    assert!(m.contains("bogus"), "{m}");
}

#[test]
fn hostile_nesting_is_refused_without_overflow() {
    let depth = 10_000;
    let mut s = j("1.6", r#", "components": "#);
    s.truncate(s.len() - 1);
    for _ in 0..depth {
        s.push_str(r#"[{"name": "a", "components": "#);
    }
    s.push_str("[]");
    for _ in 0..depth {
        s.push_str("}]");
    }
    s.push('}');
    assert!(json(&s).is_err());

    let mut inner = String::from("<components>");
    for _ in 0..depth {
        inner.push_str("<component type=\"library\"><name>a</name><components>");
    }
    for _ in 0..depth {
        inner.push_str("</components></component>");
    }
    inner.push_str("</components>");
    let m = err(xml(&x("1.6", &inner)));
    assert!(m.contains("nested more than"), "{m}");

    // 65 levels of components is beyond the bound, 64 is fine.
    let nest = |n: usize| {
        let mut s = String::from("<components>");
        for i in 0..n {
            s.push_str(&format!(
                "<component type=\"library\"><name>c{i}</name><components>"
            ));
        }
        for _ in 0..n {
            s.push_str("</components></component>");
        }
        s + "</components>"
    };
    assert_eq!(xml(&x("1.6", &nest(64))).unwrap().components.len(), 64);
    assert!(err(xml(&x("1.6", &nest(65)))).contains("components nested more than 64 deep"));
}

#[test]
fn nested_components_get_parents_and_contains_edges() {
    let d = json(&j(
        "1.6",
        r#", "metadata": {"component": {"bom-ref": "app", "type": "application", "name": "app", "version": "1"}},
        "components": [
          {"bom-ref": "a", "type": "library", "group": "org", "name": "a", "version": "1", "scope": "required",
           "components": [{"bom-ref": "a1", "name": "a1", "components": [{"bom-ref": "a11", "name": "a11"}]}]},
          {"bom-ref": "b", "name": "b"}
        ]"#,
    ))
    .unwrap();
    let refs: Vec<&str> = d.components.iter().map(|c| c.bom_ref.as_str()).collect();
    assert_eq!(refs, ["app", "a", "a1", "a11", "b"]);
    assert!(d.components[0].is_root && !d.components[1].is_root);
    assert_eq!(d.components[2].parent.as_deref(), Some("a"));
    assert_eq!(d.components[3].parent.as_deref(), Some("a1"));
    assert_eq!(d.components[1].group.as_deref(), Some("org"));
    assert_eq!(d.components[1].scope.as_deref(), Some("required"));
    let contains: Vec<(&str, &str)> = d
        .relationships
        .iter()
        .filter(|r| r.kind == RelationshipKind::Contains)
        .map(|r| (r.from.as_str(), r.to.as_str()))
        .collect();
    assert_eq!(contains, [("a", "a1"), ("a1", "a11")]);
    assert_eq!(d.stats.components, Some(4), "metadata component excluded");
}

#[test]
fn dependency_edges_json_and_xml() {
    let d = json(&j(
        "1.6",
        r#", "components": [{"bom-ref": "a", "name": "a"}, {"bom-ref": "b", "name": "b"}],
        "dependencies": [{"ref": "a", "dependsOn": ["b"]}, {"ref": "b", "dependsOn": ["a"]}, {"ref": "b"}]"#,
    ))
    .unwrap();
    let deps: Vec<(&str, &str)> = d
        .relationships
        .iter()
        .filter(|r| r.kind == RelationshipKind::DependsOn)
        .map(|r| (r.from.as_str(), r.to.as_str()))
        .collect();
    assert_eq!(deps, [("a", "b"), ("b", "a")], "a cycle is just two edges");
    assert_eq!(d.stats.dependencies, Some(3));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);

    let d = xml(&x(
        "1.6",
        r#"<components><component type="library" bom-ref="a"><name>a</name></component>
           <component type="library" bom-ref="b"><name>b</name></component>
           <component type="library" bom-ref="c"><name>c</name></component></components>
           <dependencies><dependency ref="a"><dependency ref="b"><dependency ref="c"/></dependency></dependency>
           <dependency ref="c"/></dependencies>"#,
    ))
    .unwrap();
    let deps: Vec<(&str, &str)> = d
        .relationships
        .iter()
        .filter(|r| r.kind == RelationshipKind::DependsOn)
        .map(|r| (r.from.as_str(), r.to.as_str()))
        .collect();
    assert_eq!(deps, [("a", "b"), ("b", "c")]);
    assert_eq!(d.stats.dependencies, Some(4), "every <dependency> element");
}

#[test]
fn license_forms() {
    let d = json(&j(
        "1.4",
        r#", "components": [{"name": "a", "licenses": [
            {"license": {"id": "MIT"}}, {"license": {"name": "Custom"}}, {"expression": "Apache-2.0 OR GPL-2.0-only"}]}]"#,
    ))
    .unwrap();
    assert_eq!(
        d.components[0].licenses,
        ["MIT", "Custom", "Apache-2.0 OR GPL-2.0-only"]
    );
    let d = xml(&x(
        "1.4",
        r#"<components><component type="library"><name>a</name><licenses>
           <license><id>MIT</id></license><license><name>Custom</name></license></licenses></component>
           <component type="library"><name>b</name><licenses><expression>EPL-2.0 OR GPL-2.0 WITH Classpath-exception-2.0</expression></licenses></component></components>"#,
    ))
    .unwrap();
    assert_eq!(d.components[0].licenses, ["MIT", "Custom"]);
    assert_eq!(
        d.components[1].licenses,
        ["EPL-2.0 OR GPL-2.0 WITH Classpath-exception-2.0"]
    );
}

#[test]
fn tools_both_forms() {
    let names = |d: &Document| -> Vec<String> {
        d.producers
            .iter()
            .map(|t| format!("{}@{}", t.name, t.version.as_deref().unwrap_or("-")))
            .collect()
    };
    let legacy = json(&j(
        "1.4",
        r#", "metadata": {"tools": [{"vendor": "v", "name": "grype", "version": "0.41.0"}]}"#,
    ))
    .unwrap();
    assert_eq!(names(&legacy), ["grype@0.41.0"]);
    let modern = json(&j(
        "1.6",
        r#", "metadata": {"tools": {"components": [{"type": "application", "name": "trivy", "version": "dev"}],
            "services": [{"name": "Signer"}]}}"#,
    ))
    .unwrap();
    assert_eq!(names(&modern), ["trivy@dev", "Signer@-"]);
    let x_legacy = xml(&x("1.2", "<metadata><tools><tool><vendor>anchore</vendor><name>grype</name><version>0.7.0</version></tool></tools></metadata>")).unwrap();
    assert_eq!(names(&x_legacy), ["grype@0.7.0"]);
    let x_modern = xml(&x(
        "1.6",
        "<metadata><tools><components><component type=\"application\"><name>cdxgen</name><version>10</version></component></components></tools></metadata>",
    ))
    .unwrap();
    assert_eq!(names(&x_modern), ["cdxgen@10"]);
    assert_eq!(
        x_modern.stats.components,
        Some(1),
        "XML counts every <component> element"
    );
}

const VULN_BOM: &str = r#", "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "metadata": {"tools": [{"name": "scanner", "version": "2"}]},
  "components": [
    {"bom-ref": "jd", "name": "jackson-databind", "version": "2.9.4",
     "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4?type=jar"},
    {"bom-ref": "lodash", "name": "lodash", "version": "4.17.4", "purl": "pkg:npm/lodash@4.17.4"}
  ],
  "vulnerabilities": [
    {"id": "CVE-2018-7489", "source": {"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2018-7489"},
     "references": [{"id": "GHSA-xxxx"}],
     "ratings": [{"severity": "medium"}, {"score": 9.8, "severity": "critical", "method": "CVSSv31",
                  "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, {"score": 5.0}],
     "cwes": [184, 502], "description": "Deserialization flaw",
     "affects": [{"ref": "jd", "versions": [{"version": "2.9.5", "status": "unaffected"}]},
                 {"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#lodash"},
                 {"ref": "pkg:pypi/django@1.11"}],
     "analysis": {"state": "exploitable", "response": ["update"], "lastUpdated": "2024-01-02T00:00:00Z"}},
    {"id": "CVE-2019-10744", "ratings": [{"severity": "high"}], "recommendation": "Upgrade lodash to version 4.17.12",
     "affects": [{"ref": "pkg:npm/lodash@4.17.4"}]}
  ]"#;

#[test]
fn vulnerabilities_become_findings() {
    let d = json(&j("1.5", VULN_BOM)).unwrap();
    assert_eq!(d.format, Format::CyclonedxJson);
    assert_eq!(d.stats.vulnerabilities, Some(2));
    assert_eq!(d.findings.len(), 4);
    let f = &d.findings[0];
    assert_eq!(&*f.tool.name, "scanner");
    assert_eq!(f.rule_id.as_deref(), Some("CVE-2018-7489"));
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.score, Some(9.8));
    assert_eq!(&*f.message, "Deserialization flaw");
    assert_eq!(
        f.cwes.iter().map(|c| &**c).collect::<Vec<_>>(),
        ["CWE-184", "CWE-502"]
    );
    let v = f.vulnerability.as_ref().unwrap();
    assert_eq!(v.aliases, ["GHSA-xxxx"]);
    assert_eq!(
        v.cvss_vectors,
        ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"]
    );
    let p = v.package.as_ref().unwrap();
    assert_eq!(p.name.as_deref(), Some("jackson-databind"));
    assert_eq!(p.version.as_deref(), Some("2.9.4"));
    assert_eq!(p.fixed_version.as_deref(), Some("2.9.5"));
    assert_eq!(
        f.fingerprint,
        Fingerprint::for_package(
            "CVE-2018-7489",
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind",
            "2.9.4"
        )
    );
    // A BOM-link into this BOM resolves; a purl outside it is read as a purl.
    let p1 = d.findings[1]
        .vulnerability
        .as_ref()
        .unwrap()
        .package
        .as_ref()
        .unwrap();
    assert_eq!(p1.purl.as_deref(), Some("pkg:npm/lodash@4.17.4"));
    let p2 = d.findings[2]
        .vulnerability
        .as_ref()
        .unwrap()
        .package
        .as_ref()
        .unwrap();
    assert_eq!(
        (p2.name.as_deref(), p2.version.as_deref()),
        (Some("django"), Some("1.11"))
    );
    // Severity word only; fixed version from the recommendation; purl ref resolves.
    let g = &d.findings[3];
    assert_eq!((g.severity, g.score), (Severity::High, None));
    let pg = g.vulnerability.as_ref().unwrap().package.as_ref().unwrap();
    assert_eq!(pg.name.as_deref(), Some("lodash"));
    assert_eq!(pg.fixed_version.as_deref(), Some("4.17.12"));
    // The analysed vulnerability also yields a statement.
    assert_eq!(d.statements.len(), 1);
    let s = &d.statements[0];
    assert_eq!(s.status, VexStatus::Affected);
    assert_eq!(
        s.products,
        [
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4?type=jar",
            "pkg:npm/lodash@4.17.4",
            "pkg:pypi/django@1.11"
        ]
    );
    assert_eq!(s.action_statement.as_deref(), Some("update"));
    assert_eq!(s.timestamp.as_deref(), Some("2024-01-02T00:00:00Z"));
}

#[test]
fn pure_vex_yields_statements_only() {
    let states = [
        ("resolved", VexStatus::Fixed),
        ("resolved_with_pedigree", VexStatus::Fixed),
        ("exploitable", VexStatus::Affected),
        ("in_triage", VexStatus::UnderInvestigation),
        ("false_positive", VexStatus::NotAffected),
        ("not_affected", VexStatus::NotAffected),
    ];
    let vulns: Vec<String> = states
        .iter()
        .enumerate()
        .map(|(i, (s, _))| {
            format!(
                r#"{{"id": "CVE-2020-{i}", "updated": "2023-01-0{}T00:00:00Z", "analysis": {{"state": "{s}", "justification": "code_not_reachable", "detail": "why"}},
                "affects": [{{"ref": "urn:cdx:2c385cf7-e1ee-46e9-a51c-13de1ecb380a/1#acme-product-1"}}]}}"#,
                i + 1
            )
        })
        .collect();
    let d = json(&j(
        "1.4",
        &format!(
            r#", "metadata": {{"timestamp": "2022-01-01T00:00:00Z"}}, "vulnerabilities": [{}]"#,
            vulns.join(",")
        ),
    ))
    .unwrap();
    assert_eq!(d.format, Format::CyclonedxVex);
    assert!(d.findings.is_empty() && d.components.is_empty());
    assert_eq!(d.stats.statements, Some(6));
    for ((_, want), s) in states.iter().zip(&d.statements) {
        assert_eq!(s.status, *want);
        assert_eq!(s.justification.as_deref(), Some("code_not_reachable"));
        assert_eq!(s.impact_statement.as_deref(), Some("why"));
        assert_eq!(
            s.products,
            ["urn:cdx:2c385cf7-e1ee-46e9-a51c-13de1ecb380a/1#acme-product-1"]
        );
    }
    assert_eq!(
        d.statements[0].timestamp.as_deref(),
        Some("2023-01-01T00:00:00Z")
    );
}

#[test]
fn xml_vulnerabilities_match_json() {
    let d = xml(&x(
        "1.6",
        r#"<components><component type="library" bom-ref="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4">
             <name>jackson-databind</name><version>2.9.4</version>
             <purl>pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4</purl></component></components>
           <vulnerabilities><vulnerability bom-ref="v1"><id>SNYK-1</id>
             <references><reference><id>CVE-2018-7489</id></reference></references>
             <ratings><rating><score>9.8</score><severity>critical</severity><method>CVSSv3</method>
               <vector>AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</vector></rating></ratings>
             <cwes><cwe>502</cwe></cwes><description>RCE &amp; more</description>
             <analysis><state>not_affected</state><justification>code_not_reachable</justification>
               <responses><response>will_not_fix</response><response>update</response></responses></analysis>
             <affects><target><ref>pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4</ref></target></affects>
           </vulnerability></vulnerabilities>"#,
    ))
    .unwrap();
    assert_eq!(d.findings.len(), 1);
    let f = &d.findings[0];
    assert_eq!((f.severity, f.score), (Severity::Critical, Some(9.8)));
    assert_eq!(&*f.message, "RCE & more");
    assert_eq!(&*f.tool.name, "CycloneDX");
    assert_eq!(f.cwes[0].as_ref(), "CWE-502");
    assert_eq!(f.vulnerability.as_ref().unwrap().aliases, ["CVE-2018-7489"]);
    let s = &d.statements[0];
    assert_eq!(s.status, VexStatus::NotAffected);
    assert_eq!(s.action_statement.as_deref(), Some("will_not_fix, update"));
}

#[test]
fn bom_ref_refusals_name_the_place() {
    let m = err(json(&j(
        "1.6",
        r#", "components": [{"bom-ref": "123", "name": "a"}, {"bom-ref": "", "name": "b"}]"#,
    )));
    assert!(
        m.contains("at /components/1/bom-ref") && m.contains("empty"),
        "{m}"
    );
    let m = err(json(&j(
        "1.6",
        r#", "components": [{"bom-ref": "123", "name": "a", "components": [{"bom-ref": "123", "name": "b"}]}]"#,
    )));
    assert!(m.contains("at /components/0/components/0/bom-ref"), "{m}");
    assert!(
        m.contains("\"123\" is used twice (first at /components/0)"),
        "{m}"
    );
    let m = err(xml(&x(
        "1.6",
        "<components>\n<component type=\"library\" bom-ref=\"123\"><name>a</name></component>\n  <component type=\"library\" bom-ref=\"123\"><name>b</name></component>\n</components>",
    )));
    assert!(m.starts_with("bom.xml: line 5, column 3:"), "{m}");
    assert!(m.contains("first at line 4, column 1"), "{m}");
}

#[test]
fn hash_dependency_and_serial_refusals_name_the_place() {
    let m = err(json(&j(
        "1.6",
        r#", "components": [{"name": "a", "hashes": [{"alg": "SHA-1", "content": "00"}, {"alg": "FOO", "content": "00"}]}]"#,
    )));
    assert!(
        m.contains("at /components/0/hashes/1/alg") && m.contains("\"FOO\" is not one of MD5"),
        "{m}"
    );
    let m = err(xml(&x(
        "1.6",
        "<components><component type=\"library\"><name>a</name><hashes>\n    <hash alg=\"FOO\">00</hash></hashes></component></components>",
    )));
    assert!(m.starts_with("bom.xml: line 4, column 5:"), "{m}");
    // Case of a known algorithm is not held against a file.
    let d = json(&j(
        "1.6",
        r#", "components": [{"name": "a", "hashes": [{"alg": "sha-256", "content": "00"}]}]"#,
    ))
    .unwrap();
    assert_eq!(
        d.components[0].hashes,
        [("SHA-256".to_string(), "00".to_string())]
    );

    let m = err(json(&j("1.6", r#", "dependencies": [{"dependsOn": []}]"#)));
    assert!(
        m.contains("at /dependencies/0:") && m.contains("no ref"),
        "{m}"
    );
    let m = err(json(&j(
        "1.6",
        r#", "dependencies": [{"ref": "a", "dependsOn": ["b"]}, {"ref": "", "dependsOn": []}]"#,
    )));
    assert!(m.contains("at /dependencies/1/ref"), "{m}");
    let m = err(xml(&x(
        "1.6",
        "<dependencies>\n  <dependency/>\n</dependencies>",
    )));
    assert!(
        m.starts_with("bom.xml: line 4, column 3:") && m.contains("no ref"),
        "{m}"
    );
    let m = err(xml(&x(
        "1.6",
        "<dependencies><dependency ref=\"a\">\n <dependency ref=\"\"/></dependency></dependencies>",
    )));
    assert!(
        m.starts_with("bom.xml: line 4, column 2:") && m.contains("empty"),
        "{m}"
    );

    let m = err(json(&j(
        "1.6",
        r#", "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f""#,
    )));
    assert!(
        m.contains("at /serialNumber") && m.contains("8-4-4-4-12"),
        "{m}"
    );
    let m = err(xml(
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"\n     serialNumber=\"urn:uuid:x\"/>",
    ));
    assert!(m.starts_with("bom.xml: line 1, column 1:"), "{m}");
    assert!(
        json(&j(
            "1.6",
            r#", "serialNumber": "urn:uuid:3E671687-395B-41F5-A30F-A58921A69B79""#
        ))
        .is_ok()
    );
}

#[test]
fn missing_refs_are_synthesized_stably_and_uniquely() {
    let body = j(
        "1.6",
        r#", "components": [
          {"name": "a", "version": "1", "purl": "pkg:npm/a@1"},
          {"name": "a", "version": "1", "purl": "pkg:npm/a@1"},
          {"group": "g", "name": "b", "version": "2"},
          {"bom-ref": "g/c@3", "name": "x"},
          {"group": "g", "name": "c", "version": "3"}
        ], "dependencies": [{"ref": "pkg:npm/a@1", "dependsOn": ["g/b@2"]}]"#,
    );
    let d = json(&body).unwrap();
    let refs: Vec<&str> = d.components.iter().map(|c| c.bom_ref.as_str()).collect();
    assert_eq!(
        refs,
        ["pkg:npm/a@1", "pkg:npm/a@1#2", "g/b@2", "g/c@3", "g/c@3#2"]
    );
    assert_eq!(json(&body).unwrap().components, d.components);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn services_are_counted_and_xml_extension_vulnerabilities_noted() {
    let d = json(&j(
        "1.6",
        r#", "services": [{"bom-ref": "s", "name": "api", "services": [{"name": "inner"}]}]"#,
    ))
    .unwrap();
    assert_eq!(d.stats.services, Some(2));
    let d = parse_xml(
        Path::new("g.xml"),
        r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.2" xmlns:v="http://cyclonedx.org/schema/ext/vulnerability/1.0">
        <components><component type="library"><name>a</name><version>1</version>
        <v:vulnerabilities><v:vulnerability ref="x"><v:id>CVE-1</v:id></v:vulnerability></v:vulnerabilities>
        </component></components></bom>"#,
    )
    .unwrap();
    assert_eq!(d.stats.vulnerabilities, Some(0));
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("1 vulnerabilities in the pre-1.4")),
        "{:?}",
        d.warnings
    );
    assert_eq!(d.components[0].bom_ref, "a@1");
}
