//! Every automation template of the real corpus parses into the model.

mod support;

#[test]
fn every_corpus_template_parses() {
    let files = support::corpus_templates();
    assert!(files.len() > 900, "corpus not found or incomplete: {} files", files.len());
    let mut failures = Vec::new();
    for file in &files {
        if let Err(error) = oos_template::parse(&file.text) {
            failures.push(format!("{}: {error}", file.relative));
        }
    }
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}
