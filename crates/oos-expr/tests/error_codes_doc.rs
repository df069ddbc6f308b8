//! Every expression code (`oos_expr::codes::ALL`) has a row in `docs/error-codes.md`.

#[test]
fn every_expression_code_is_documented() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/error-codes.md")).expect("docs/error-codes.md");
    let missing: Vec<&&str> = oos_expr::codes::ALL.iter().filter(|code| !doc.contains(&format!("| `{code}` |"))).collect();
    assert!(missing.is_empty(), "undocumented codes: {missing:?}");
}
