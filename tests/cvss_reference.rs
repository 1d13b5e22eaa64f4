//! Base scores of `fixtures/cvss/reference.tsv` (vectors from the corpus and a
//! sample of the whole v3.0 / v3.1 / v4.0 base space; see the file's header
//! for where each expected score comes from).

use fixops::enrich::cvss;

#[test]
fn reference_vectors_score_as_expected() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cvss/reference.tsv");
    let text = std::fs::read_to_string(path).expect("read fixtures/cvss/reference.tsv");
    let mut checked = [0usize; 3];
    let mut failures = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(vector), Some(expected)) = (cols.next(), cols.next()) else {
            panic!("{path}:{}: expected vector<TAB>score", n + 1);
        };
        let expected: f64 = expected.parse().expect("score");
        match cvss::parse(vector) {
            Ok(c) => {
                checked[match c.version() {
                    cvss::Version::V3_0 => 0,
                    cvss::Version::V3_1 => 1,
                    cvss::Version::V4_0 => 2,
                }] += 1;
                if c.base_score() != expected {
                    failures.push(format!("{vector}: got {}, want {expected}", c.base_score()));
                }
                assert_eq!(c.rating(), cvss::Rating::of_score(expected));
            }
            Err(e) => failures.push(format!("{vector}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        checked.iter().sum::<usize>(),
        344,
        "rows checked: {checked:?}"
    );
    assert!(
        checked.iter().all(|&n| n >= 50),
        "each version covered: {checked:?}"
    );
}
