//! No input makes parsing or validation panic: arbitrary text, and real templates with random
//! mutations. Case count: `PROPTEST_CASES` (proptest's default when unset).

mod support;

use std::sync::OnceLock;

use oos_template::{DirectoryLibrary, ValidateOptions, parse, validate};
use proptest::prelude::*;

fn corpus() -> &'static [support::CorpusFile] {
    static CORPUS: OnceLock<Vec<support::CorpusFile>> = OnceLock::new();
    CORPUS.get_or_init(support::corpus_templates)
}

fn library() -> &'static DirectoryLibrary {
    static LIBRARY: OnceLock<DirectoryLibrary> = OnceLock::new();
    LIBRARY.get_or_init(|| DirectoryLibrary::load(&support::product_actions_dir()).expect("product actions"))
}

/// Fragments that are meaningful to the template language, to make mutations interesting.
const TOKENS: &[&str] = &[
    "{{", "}}", "{{ ACS::RegionId }}", "{{ a.b }}", ":", ": ", "- ", "\n", "\n  ", "\t", "[", "]", "{", "}",
    "'", "\"", ",", "&anchor ", "*anchor", "<<: ", "Fn::If", "Fn::Jq", "ACS::END", "ACS::NEXT", "Tasks",
    "Name", "Action", "Loop", "Items", "RateControl", "OnError", "Outputs", "ValueSelector", "Type",
    "Default", "null", "~", "!!binary ", "? ", "|", ">", "#", "\u{feff}", "é", "0x", "1e999", "-1",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    DuplicateLine { line: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

/// The nearest char boundary at or below `at` (modulo the length).
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, mutation: &Mutation) {
    match *mutation {
        Mutation::Delete { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, (start + len).min(text.len()));
            text.replace_range(start..end.max(start), "");
        }
        Mutation::Insert { at, token } => {
            let at = boundary(text, at);
            text.insert_str(at, TOKENS[token % TOKENS.len()]);
        }
        Mutation::DuplicateLine { line } => {
            let lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let index = line % lines.len();
                let mut out: Vec<&str> = lines[..=index].to_vec();
                out.extend_from_slice(&lines[index..]);
                *text = out.join("\n");
            }
        }
        Mutation::Truncate { at } => {
            let at = boundary(text, at);
            text.truncate(at);
        }
    }
}

fn exercise(text: &str) {
    let validation = validate(text, &ValidateOptions { library: Some(library()), ..ValidateOptions::default() });
    // Whatever validate says, parse must agree on whether the text is readable at all.
    for diagnostic in &validation.diagnostics {
        let _ = diagnostic.to_string();
    }
    if parse(text).is_ok() {
        assert!(!validation.diagnostics.iter().any(|d| d.code == oos_template::codes::SYNTAX));
    }
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_token_soup_never_panics(tokens in proptest::collection::vec(0usize..TOKENS.len(), 0..64)) {
        let mut text = String::from("FormatVersion: OOS-2019-06-01\n");
        text.extend(tokens.iter().map(|index| TOKENS[*index]));
        exercise(&text);
    }

    #[test]
    fn mutated_corpus_templates_never_panic(
        file in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let mut text = corpus[file % corpus.len()].text.clone();
        for mutation in &mutations {
            apply(&mut text, mutation);
        }
        exercise(&text);
    }
}
