//! Every code in `src/codes.rs` has a row in `docs/error-codes.md`.

#[test]
fn every_code_is_documented() {
    let source = include_str!("../src/codes.rs");
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/error-codes.md")).expect("docs/error-codes.md");
    let codes: Vec<&str> = source
        .lines()
        .filter_map(|line| line.strip_prefix("pub const ")?.split('"').nth(1))
        .collect();
    assert!(codes.len() > 40, "found only {} codes", codes.len());
    let missing: Vec<&&str> = codes.iter().filter(|code| !doc.contains(&format!("| `{code}` |"))).collect();
    assert!(missing.is_empty(), "undocumented codes: {missing:?}");
}
