//! `{{ }}` references: every reference form, whole-value vs embedded typing, scanner edge cases,
//! undefined references and the static reference scan.

mod common;

use common::{parse, run, sample};
use oos_expr::{PathSegment, Reference, Value, evaluate, references};

#[test]
fn whole_value_keeps_the_json_type() {
    run(&[
        (r#""{{ instanceIds }}""#, Ok(r#"["i-1","i-2"]"#)),
        (r#""{{instanceIds}}""#, Ok(r#"["i-1","i-2"]"#)),
        (r#""{{ timeout }}""#, Ok("600")),
        (r#""{{ enable }}""#, Ok("true")),
        (
            r#""{{ targets }}""#,
            Ok(r#"{"Type":"ResourceIds","ResourceIds":["i-1"],"RegionId":"cn-beijing"}"#),
        ),
        (r#""{{ nothing }}""#, Ok("null")),
        (r#""{{ getInstance.instanceIds }}""#, Ok(r#"["i-1","i-2"]"#)),
        (r#""{{ ACS::RegionId\n }}""#, Ok(r#""cn-hangzhou""#)),
        (r#""{{\n  regionId\n}}""#, Ok(r#""cn-hangzhou""#)),
    ]);
}

#[test]
fn embedded_values_are_spliced_as_text_and_json() {
    run(&[
        (
            r#""CreateImage_from_{{ACS::ExecutionId}}""#,
            Ok(r#""CreateImage_from_exec-123""#),
        ),
        (
            r#""{\"drain_node\": {{ enable }}, \"nodes\": {{ instanceIds }}}""#,
            Ok(r#""{\"drain_node\": true, \"nodes\": [\"i-1\",\"i-2\"]}""#),
        ),
        (
            r#""[{\"instanceId\":\"{{ instanceId }}\"}]""#,
            Ok(r#""[{\"instanceId\":\"i-1\"}]""#),
        ),
        (r#""timeout={{ timeout }}s""#, Ok(r#""timeout=600s""#)),
        (r#""n={{ nothing }}""#, Ok(r#""n=null""#)),
        (
            r#""{{ regionId }}/{{ instanceId }}""#,
            Ok(r#""cn-hangzhou/i-1""#),
        ),
        (r#"" {{ timeout }}""#, Ok(r#"" 600""#)),
    ]);
}

#[test]
fn every_reference_form_resolves() {
    run(&[
        (r#""{{ runCommand.invokeId }}""#, Ok(r#""t-9""#)),
        (r#""{{ runCommand.InvokeId }}""#, Ok(r#""t-9""#)),
        (
            r#""{{ ExecuteApi }}""#,
            Ok(
                r#"{"RequestId":"r-1","Regions":{"Region":[{"RegionId":"cn-a","LocalName":"A"},{"RegionId":"cn-b","LocalName":"B"}]}}"#,
            ),
        ),
        (r#""{{ ExecuteApi.RequestId }}""#, Ok(r#""r-1""#)),
        (
            r#""{{ ExecuteApi.Regions.Region[]?.LocalName }}""#,
            Ok(r#"["A","B"]"#),
        ),
        (
            r#""{{ ExecuteApi.Regions.Region[0].RegionId }}""#,
            Ok(r#""cn-a""#),
        ),
        (
            r#""{{ getInstance.Instances.Instance[].InstanceId }}""#,
            Ok(r#"["i-1"]"#),
        ),
        (r#""{{ targets.RegionId }}""#, Ok(r#""cn-beijing""#)),
        (r#""{{ Acs::CurrentDate }}""#, Ok(r#""2024-05-01""#)),
        (r#""{{ acs::accountid }}""#, Ok(r#""1234567890""#)),
        (
            r#""{{ aCS::TaskLoopItem }}""#,
            Ok(r#"{"accountId":"acc-1"}"#),
        ),
        (
            r#""{{ oos:aliyun/services/oos/commands/install }}""#,
            Ok(r#""echo hi""#),
        ),
        (
            r#""{{oos : aliyun/services/oos/commands/install}}""#,
            Ok(r#""echo hi""#),
        ),
        (r#""{{ oos-secret:db-password }}""#, Ok(r#""s3cret""#)),
    ]);
}

#[test]
fn jinja_expressions_see_the_same_names() {
    run(&[
        (r#""{{ timeout * 2 }}""#, Ok("1200")),
        (r#""{{ regionId == 'cn-hangzhou' }}""#, Ok("true")),
        (r#""{{ instanceIds | length }}""#, Ok("2")),
        (r#""{{ getInstance.instanceIds[1] }}""#, Ok(r#""i-2""#)),
        (r#""{{ ACS::RegionId | upper }}""#, Ok(r#""CN-HANGZHOU""#)),
        (r#""{{ missing | default('d') }}""#, Ok(r#""d""#)),
        (r#""x-{{ timeout + 1 }}""#, Ok(r#""x-601""#)),
        (r#""{{ 'a' ~ }}""#, Err("InvalidTemplate.Expression")),
        (
            r#""{{ missing + 1 }}""#,
            Err("Expression.UndefinedReference"),
        ),
        (
            r#""{{ range(100000) | list | length }}""#,
            Err("Expression.FuelExhausted"),
        ),
    ]);
}

#[test]
fn literal_braces_and_plain_strings_are_untouched() {
    run(&[
        (r#""{{""#, Ok(r#""{{""#)),
        (r#""a {{ b""#, Ok(r#""a {{ b""#)),
        (r#""}} {{""#, Ok(r#""}} {{""#)),
        (r#""plain text""#, Ok(r#""plain text""#)),
        (r#""${var} and {var}""#, Ok(r#""${var} and {var}""#)),
        (
            r#"{"a": ["{{ timeout }}", 1, null, true]}"#,
            Ok(r#"{"a": [600, 1, null, true]}"#),
        ),
        (
            r#"{"{{ regionId }}-key": 1}"#,
            Ok(r#"{"cn-hangzhou-key": 1}"#),
        ),
    ]);
}

#[test]
fn undefined_references_name_the_reference() {
    let ctx = sample();
    for (input, names) in [
        (r#""{{ nope }}""#, "nope"),
        (r#""{{ getInstance.nope }}""#, "nope"),
        (r#""{{ ghost.output }}""#, "ghost"),
        (r#""{{ ghost.A.B[] }}""#, "ghost"),
        (r#""{{ ACS::ParentExecutionId }}""#, "ParentExecutionId"),
        (r#""{{ oos:missing }}""#, "missing"),
        (r#""{{ oos-secret:missing }}""#, "oos-secret:missing"),
    ] {
        let error = evaluate(&parse(input), &ctx).expect_err(input);
        assert_eq!(error.code, "Expression.UndefinedReference", "{input}");
        assert!(error.message.contains(names), "{input}: {}", error.message);
    }
}

#[test]
fn errors_carry_the_path_inside_the_value() {
    let error = evaluate(
        &parse(r#"{"Parameters": {"Ids": ["ok", "{{ nope }}"]}}"#),
        &sample(),
    )
    .expect_err("undefined");
    assert_eq!(
        error.path,
        vec![
            PathSegment::Key("Parameters".into()),
            PathSegment::Key("Ids".into()),
            PathSegment::Index(1)
        ]
    );
    assert!(error.to_string().contains(".Parameters.Ids[1]"), "{error}");
}

#[test]
fn references_are_classified_with_their_paths() {
    let value = parse(
        r#"{"RegionId": "{{ ACS::RegionId }}", "Ids": ["{{ getInstance.instanceIds }}", {"Fn::Join": [",", ["{{ a }}-{{ oos-secret:pw }}"]]}],
            "Sel": "{{ ExecuteApi.Regions.Region[]?.LocalName }}", "Expr": "{{ a + 1 }}", "Store": "{{ oos:x/y }}", "None": "{{"}"#,
    );
    let found: Vec<(String, Reference)> = references(&value)
        .into_iter()
        .map(|located| {
            (
                located.path.iter().map(ToString::to_string).collect(),
                located.value,
            )
        })
        .collect();
    let expected = vec![
        (
            ".RegionId".to_owned(),
            Reference::Builtin("RegionId".into()),
        ),
        (
            ".Ids[0]".to_owned(),
            Reference::TaskOutput {
                task: "getInstance".into(),
                output: "instanceIds".into(),
            },
        ),
        (
            ".Ids[1].Fn::Join[1][0]".to_owned(),
            Reference::Parameter("a".into()),
        ),
        (
            ".Ids[1].Fn::Join[1][0]".to_owned(),
            Reference::StoreParameter {
                name: "pw".into(),
                secret: true,
            },
        ),
        (
            ".Sel".to_owned(),
            Reference::TaskResult {
                task: "ExecuteApi".into(),
                path: Some(".Regions.Region[]?.LocalName".into()),
            },
        ),
        (".Expr".to_owned(), Reference::Expression("a + 1".into())),
        (
            ".Store".to_owned(),
            Reference::StoreParameter {
                name: "x/y".into(),
                secret: false,
            },
        ),
    ];
    assert_eq!(found, expected);
}

#[test]
fn reference_parse_handles_names_with_dashes() {
    assert_eq!(
        Reference::parse("describeForwardTableEntries.ForwardEntryId-all"),
        Reference::TaskOutput {
            task: "describeForwardTableEntries".into(),
            output: "ForwardEntryId-all".into()
        }
    );
    assert_eq!(
        Reference::parse("  acs :: executeuser "),
        Reference::Builtin("ExecuteUser".into())
    );
    assert_eq!(
        Reference::parse("ACS::SomethingNew"),
        Reference::Builtin("SomethingNew".into())
    );
    assert_eq!(
        Reference::parse("'literal'"),
        Reference::Expression("'literal'".into())
    );
    let _: Value = Value::Null;
}

#[test]
fn secrets_can_be_redacted_from_messages() {
    let error = evaluate(
        &parse(r#"{"Fn::Select": ["{{ oos-secret:db-password }}", {"a": 1}]}"#),
        &sample(),
    )
    .expect_err("missing key");
    assert!(error.message.contains("s3cret"), "{}", error.message);
    let redacted = error.redacted(["s3cret", ""]);
    assert!(!redacted.message.contains("s3cret"), "{}", redacted.message);
    assert!(redacted.message.contains("******"), "{}", redacted.message);
}
