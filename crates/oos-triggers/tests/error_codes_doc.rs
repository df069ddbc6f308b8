//! Every `InvalidTrigger.*` code the crate's sources name has a row in `docs/error-codes.md`.

#[test]
fn every_code_is_documented() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/error-codes.md")).expect("docs/error-codes.md");
    let sources = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src")).expect("src").map(|entry| {
        let path = entry.expect("src entry").path();
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    });
    let mut codes: Vec<String> = sources
        .flat_map(|source| {
            source.split("\"InvalidTrigger.").skip(1).filter_map(|rest| Some(format!("InvalidTrigger.{}", rest.split('"').next()?))).collect::<Vec<_>>()
        })
        .collect();
    codes.sort();
    codes.dedup();
    assert!(codes.len() >= 4, "found only {codes:?}");
    let missing: Vec<&String> = codes.iter().filter(|code| !doc.contains(&format!("| `{code}` |"))).collect();
    assert!(missing.is_empty(), "undocumented codes: {missing:?}");
}
