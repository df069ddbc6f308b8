//! `oos library install` against a real `oos server`: the library's templates are created through
//! the API and listed by ListTemplates as OOS lists public templates (ShareType Public, TemplateType
//! Automation); a second install changes nothing; a user allowed only to list templates reads them;
//! and nobody — not even root — changes or deletes them, or creates another `OpenOOS-` template.

mod cli_support;

use std::path::Path;

use cli_support::oos;
use oos_testkit::OosProcess;
use serde_json::Value;

fn json(home: &Path, args: &[&str]) -> Value {
    let output = oos(home, &[args, &["--output", "json"]].concat());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "oos {args:?} failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("oos {args:?} printed no JSON ({error}): {stdout}"))
}

/// Runs a command that must fail and returns its stderr.
fn refused(home: &Path, args: &[&str]) -> String {
    let output = oos(home, args);
    assert!(
        !output.status.success(),
        "oos {args:?} succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn names(listed: &Value) -> Vec<String> {
    let mut names: Vec<String> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["TemplateName"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[test]
fn installed_library_templates_are_public_readable_by_listers_and_read_only() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let data = home.join("data");
    let server = OosProcess::spawn(
        env!("CARGO_BIN_EXE_oos"),
        &[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ],
    )
    .expect("oos server starts");
    let endpoint = format!("http://{}", server.endpoint());
    let login = oos(
        home,
        &[
            "login",
            "--endpoint",
            &endpoint,
            "--credentials-file",
            data.join("root-credentials.json").to_str().unwrap(),
        ],
    );
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );

    let library = json(home, &["library", "list"]);
    let mut expected = names(&library);
    assert_eq!(expected.len(), 13, "{library}");

    let first = json(home, &["library", "install", "--all"]);
    assert!(
        first.as_array().is_some_and(|rows| rows
            .iter()
            .all(|row| row["Result"] == "installed" && row["TemplateVersion"] == "v1")),
        "{first}"
    );
    let again = json(home, &["library", "install", "--all"]);
    assert!(
        again.as_array().is_some_and(|rows| rows
            .iter()
            .all(|row| row["Result"] == "unchanged" && row["TemplateVersion"] == "v1")),
        "{again}"
    );

    // One template of the account's own beside them.
    let own = home.join("own.yml");
    std::fs::write(&own, "FormatVersion: OOS-2019-06-01\nTasks:\n  - {Name: nap, Action: 'ACS::Sleep', Properties: {Duration: PT1S}}\n").unwrap();
    json(
        home,
        &["template", "create", "own", "--file", own.to_str().unwrap()],
    );

    let public = json(home, &["template", "list", "--share-type", "Public"]);
    assert_eq!(names(&public), expected, "{public}");
    for template in public.as_array().unwrap() {
        assert_eq!(
            (
                template["ShareType"].as_str(),
                template["TemplateType"].as_str()
            ),
            (Some("Public"), Some("Automation")),
            "{template}"
        );
        assert!(
            template["Description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{template}"
        );
    }
    assert_eq!(
        names(&json(
            home,
            &["template", "list", "--share-type", "Private"]
        )),
        vec!["own".to_owned()]
    );
    expected.push("own".to_owned());
    expected.sort();
    assert_eq!(names(&json(home, &["template", "list"])), expected);

    // A user who may list templates, and nothing else, reads a library template but not `own`.
    let policy = home.join("lister.json");
    std::fs::write(&policy, r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oos:ListTemplates", "Resource": "*"}]}"#).unwrap();
    json(home, &["iam", "user", "create", "lister"]);
    json(
        home,
        &[
            "iam",
            "policy",
            "create",
            "list-only",
            "--document",
            policy.to_str().unwrap(),
        ],
    );
    assert!(
        oos(
            home,
            &["iam", "policy", "attach", "list-only", "--user", "lister"]
        )
        .status
        .success()
    );
    let key = json(home, &["iam", "accesskey", "create", "--user", "lister"]);
    let (id, secret) = (
        key["AccessKeyId"].as_str().unwrap().to_owned(),
        key["AccessKeySecret"].as_str().unwrap().to_owned(),
    );
    let as_lister = |args: &[&'static str]| -> Vec<String> {
        args.iter()
            .map(|arg| (*arg).to_owned())
            .chain([
                "--access-key-id".to_owned(),
                id.clone(),
                "--access-key-secret".to_owned(),
                secret.clone(),
            ])
            .collect()
    };
    let get = as_lister(&[
        "template",
        "get",
        "OpenOOS-ECS-SnapshotBeforeChange",
        "--content",
    ]);
    let read = oos(home, &get.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&read.stdout).trim_end(),
        oos_library::find("OpenOOS-ECS-SnapshotBeforeChange")
            .unwrap()
            .content
            .trim_end()
    );
    let get_own = as_lister(&["template", "get", "own"]);
    assert!(
        refused(
            home,
            &get_own.iter().map(String::as_str).collect::<Vec<_>>()
        )
        .contains("Forbidden.RAM")
    );

    // Read-only for everyone: another content, a delete, a new name in the namespace.
    let changed = home.join("changed.yml");
    std::fs::write(
        &changed,
        oos_library::find("OpenOOS-ECS-SnapshotBeforeChange")
            .unwrap()
            .content
            .replace("Default: 7", "Default: 1"),
    )
    .unwrap();
    let changed = changed.to_str().unwrap();
    assert!(
        refused(
            home,
            &[
                "template",
                "update",
                "OpenOOS-ECS-SnapshotBeforeChange",
                "--file",
                changed
            ]
        )
        .contains("Forbidden.PublicTemplate")
    );
    assert!(
        refused(
            home,
            &["template", "create", "openoos-ecs-mine", "--file", changed]
        )
        .contains("Forbidden.PublicTemplate")
    );
    assert!(
        refused(
            home,
            &["template", "delete", "OpenOOS-ECS-SnapshotBeforeChange"]
        )
        .contains("Forbidden.PublicTemplate")
    );
    let versions = json(
        home,
        &["template", "versions", "OpenOOS-ECS-SnapshotBeforeChange"],
    );
    assert_eq!(versions.as_array().map(Vec::len), Some(1), "{versions}");
    server.stop().expect("the server stops");
}
