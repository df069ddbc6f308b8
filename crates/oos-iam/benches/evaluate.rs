//! Benchmarks: parsing a policy near RAM's size limit, evaluating against many policies, and a full API
//! authorization through `Iam` (effective policies from the in-memory store + evaluation).

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oos_iam::identity::PolicyRef;
use oos_iam::{
    AttachTarget, AuthzRequest, Context, Iam, MasterKey, MemoryIdentityStore, Policy, PolicyType,
    Principal, evaluate,
};

fn statement(i: usize) -> String {
    format!(
        r#"{{"Effect":"Allow","Action":["oos:Get*","oos:List*","ecs:Describe{i}*"],"Resource":["acs:oos:*:*:template/team{i}-*","acs:oos:*:*:execution/*"],
            "Condition":{{"IpAddress":{{"acs:SourceIp":["10.{i}.0.0/16","192.0.2.0/24"]}},"StringLike":{{"oos:TemplateName":"team{i}-*"}}}}}}"#
    )
}

fn document(statements: usize) -> String {
    let body: Vec<String> = (0..statements).map(statement).collect();
    format!(r#"{{"Version":"1","Statement":[{}]}}"#, body.join(","))
}

fn request() -> AuthzRequest {
    AuthzRequest {
        action: "oos:GetTemplate".into(),
        resources: vec!["acs:oos:cn-hangzhou:123:template/team19-restart".into()],
        context: Context::new()
            .with("acs:SourceIp", "10.19.3.4")
            .with("oos:TemplateName", "team19-restart"),
    }
}

fn benches(c: &mut Criterion) {
    let near_limit = document(22);
    assert!(
        near_limit.len() <= 6144 && near_limit.len() > 5000,
        "{}",
        near_limit.len()
    );
    c.bench_function("parse policy (22 statements, ~6 KB)", |b| {
        b.iter(|| Policy::parse("p", PolicyType::Custom, black_box(&near_limit)).unwrap())
    });

    let policies: Vec<Policy> = (0..20)
        .map(|p| Policy::parse(&format!("p{p}"), PolicyType::Custom, &document(p + 1)).unwrap())
        .collect();
    let refs: Vec<&Policy> = policies.iter().collect();
    let statements: usize = policies.iter().map(|p| p.statements.len()).sum();
    let allowed = request();
    assert!(evaluate(&refs, &allowed).allowed);
    c.bench_function(
        &format!("evaluate allow ({statements} statements in 20 policies)"),
        |b| b.iter(|| evaluate(black_box(&refs), black_box(&allowed))),
    );
    let denied = AuthzRequest {
        action: "oos:DeleteTemplate".into(),
        ..request()
    };
    assert!(!evaluate(&refs, &denied).allowed);
    c.bench_function(
        &format!("evaluate implicit deny ({statements} statements)"),
        |b| b.iter(|| evaluate(black_box(&refs), black_box(&denied))),
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let iam = Iam::new("123", MemoryIdentityStore::default(), MasterKey::generate());
    runtime.block_on(async {
        iam.create_user("alice", "").await.unwrap();
        iam.create_group("ops", "").await.unwrap();
        iam.add_user_to_group("alice", "ops").await.unwrap();
        iam.create_policy("team", &document(5), "").await.unwrap();
        iam.attach_policy(
            &AttachTarget::User("alice".into()),
            &PolicyRef::custom("team"),
        )
        .await
        .unwrap();
        iam.attach_policy(
            &AttachTarget::Group("ops".into()),
            &PolicyRef::system("AliyunOOSReadOnlyAccess"),
        )
        .await
        .unwrap();
    });
    let alice = Principal::User("alice".into());
    let params: BTreeMap<String, String> =
        [("TemplateName".to_string(), "team3-restart".to_string())].into();
    c.bench_function(
        "Iam::require_api_action GetTemplate (user + group, memory store)",
        |b| {
            b.iter(|| {
                runtime
                    .block_on(iam.require_api_action(
                        &alice,
                        "GetTemplate",
                        &params,
                        "cn-hangzhou",
                        Context::new().with("acs:SourceIp", "10.3.0.1"),
                    ))
                    .unwrap()
            })
        },
    );
}

criterion_group!(name = iam; config = Criterion::default().sample_size(30); targets = benches);
criterion_main!(iam);
