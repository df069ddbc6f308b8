//! The embedded library is the repository's `library/` directory, and every template in it is a
//! valid OOS template whose product actions are checked against OpenOOS's own (the order `oos run`
//! finds them in), named as it is embedded, with parameters constrained and a spec beside it.

use std::collections::BTreeSet;
use std::path::Path;

use oos_template::{DirectoryLibrary, TemplateLibrary, ValidateOptions, validate};

fn library_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../library")
}

#[test]
fn every_file_of_the_library_directory_is_embedded_with_its_spec() {
    let mut on_disk = BTreeSet::new();
    for entry in std::fs::read_dir(library_dir()).expect("the library directory") {
        let name = entry
            .expect("an entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        on_disk.insert(name);
    }
    let embedded: BTreeSet<String> = oos_library::templates()
        .iter()
        .flat_map(|template| {
            [
                format!("{}.yml", template.name),
                format!("{}.test.yml", template.name),
            ]
        })
        .collect();
    assert_eq!(on_disk, embedded, "library/ and the embedded table differ");
}

#[test]
fn every_template_is_valid_and_its_product_actions_and_children_are_found() {
    let directory = DirectoryLibrary::load(&library_dir()).expect("the library directory");
    let library = oos_product_actions::AfterLibrary::new(directory);
    for template in oos_library::templates() {
        let validation = validate(
            template.content,
            &ValidateOptions {
                library: Some(&library as &dyn TemplateLibrary),
                ..ValidateOptions::default()
            },
        );
        let problems: Vec<String> = validation
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(problems.is_empty(), "{}: {problems:#?}", template.name);
        let parsed = validation.template.expect("a parsed template");
        for task in &parsed.tasks {
            let child = task
                .properties
                .get("TemplateName")
                .and_then(|name| name.as_str());
            if let Some(child) = child {
                assert!(
                    oos_library::find(child).is_some(),
                    "{}: task {} runs {child}, which is not in the library",
                    template.name,
                    task.name
                );
            }
        }
    }
}

#[test]
fn templates_are_named_as_embedded_and_constrain_their_parameters() {
    for template in oos_library::templates() {
        assert!(
            oos_library::is_library_name(template.name),
            "{}",
            template.name
        );
        assert!(
            template
                .content
                .contains(&format!("name-en: {}\n", template.name)),
            "{}: name-en differs",
            template.name
        );
        assert!(
            template
                .content
                .starts_with("FormatVersion: OOS-2019-06-01\n"),
            "{}",
            template.name
        );
        assert!(
            !oos_library::summary(template).is_empty(),
            "{}: no description",
            template.name
        );
        let constrained = [
            "AllowedValues:",
            "AllowedPattern:",
            "MinValue:",
            "MinLength:",
        ]
        .iter()
        .any(|key| template.content.contains(key));
        assert!(
            constrained,
            "{}: no parameter is constrained",
            template.name
        );
        if template.content.contains("    Loop:\n") {
            assert!(
                template.content.contains("      RateControl:"),
                "{}: a loop without rate control",
                template.name
            );
        }
        assert!(
            template
                .spec
                .contains(&format!("template: {}.yml\n", template.name)),
            "{}: its spec tests another template",
            template.name
        );
        assert!(
            template.spec.contains("\ntests:\n"),
            "{}: its spec has no tests",
            template.name
        );
    }
}

#[test]
fn the_namespace_is_reserved_whatever_the_case() {
    assert!(oos_library::is_library_name("openoos-ECS-Anything"));
    assert!(!oos_library::is_library_name("OpenOOS"));
    assert!(!oos_library::is_library_name("my-OpenOOS-copy"));
    assert!(
        oos_library::find("openoos-ecs-scheduledstartstopbytag").is_none(),
        "find is exact"
    );
}
