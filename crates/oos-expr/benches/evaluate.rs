//! Benchmarks: rendering a typical task's properties, a condition, and jq selection (cached program
//! vs compile-per-call).

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oos_expr::{
    Context, Evaluator, Value, ValueType,
    jq::{Input, Program},
};
use serde_json::json;

/// A context with a handful of parameters, one task's outputs and the usual built-ins.
struct BenchContext {
    parameters: HashMap<&'static str, Value>,
    builtins: HashMap<&'static str, Value>,
}

impl Context for BenchContext {
    fn parameter(&self, name: &str) -> Option<Value> {
        self.parameters.get(name).cloned()
    }
    fn task_output(&self, task: &str, output: &str) -> Option<Value> {
        (task == "getInstance" && output == "instanceIds").then(|| json!(["i-1", "i-2", "i-3"]))
    }
    fn task_result(&self, _task: &str) -> Option<Value> {
        None
    }
    fn builtin(&self, name: &str) -> Option<Value> {
        self.builtins.get(name).cloned()
    }
    fn store_parameter(&self, _name: &str, _secret: bool) -> Option<Value> {
        None
    }
}

fn context() -> BenchContext {
    BenchContext {
        parameters: HashMap::from([
            ("regionId", json!("cn-hangzhou")),
            ("commandType", json!("RunShellScript")),
            ("commandContent", json!("#!/bin/bash\necho hello\n")),
            ("timeout", json!(600)),
            ("enableParameter", json!(false)),
            ("parameters", json!({})),
            ("username", json!("")),
        ]),
        builtins: HashMap::from([
            ("RegionId", json!("cn-hangzhou")),
            ("TaskLoopItem", json!("i-1")),
            ("ExecutionId", json!("exec-0123456789abcdef")),
        ]),
    }
}

/// Properties of an `ACS::ECS::RunCommand`-style task from the corpus, with an Fn::If and a Join.
fn run_command_properties() -> Value {
    json!({
        "regionId": "{{ regionId }}",
        "instanceId": "{{ ACS::TaskLoopItem }}",
        "commandType": "{{ commandType }}",
        "commandContent": "{{ commandContent }}",
        "timeout": "{{ timeout }}",
        "enableParameter": "{{ enableParameter }}",
        "parameters": "{{ parameters }}",
        "username": {"Fn::If": [{"Fn::Equals": ["{{ username }}", ""]}, null, "{{ username }}"]},
        "Name": {"Fn::Join": ["-", ["oos", "{{ ACS::ExecutionId }}", "{{ ACS::TaskLoopItem }}"]]},
        "Tags": [{"Key": "execution", "Value": "{{ ACS::ExecutionId }}"}]
    })
}

fn describe_instances(count: usize) -> Value {
    let instances: Vec<Value> = (0..count)
        .map(|i| json!({"InstanceId": format!("i-{i:05}"), "Status": "Running", "RegionId": "cn-hangzhou", "Cpu": 2}))
        .collect();
    json!({"RequestId": "r-1", "TotalCount": count, "Instances": {"Instance": instances}})
}

fn benches(c: &mut Criterion) {
    let evaluator = Evaluator::new();
    let ctx = context();
    let properties = run_command_properties();
    c.bench_function("render RunCommand task properties (10 keys)", |b| {
        b.iter(|| {
            evaluator
                .evaluate(black_box(&properties), &ctx)
                .expect("evaluates")
        });
    });
    let condition = json!({"Fn::And": [{"Fn::Equals": ["{{ regionId }}", "cn-hangzhou"]}, {"Fn::Not": "{{ enableParameter }}"}]});
    c.bench_function("evaluate When condition", |b| {
        b.iter(|| {
            evaluator
                .evaluate_condition(black_box(&condition), &ctx)
                .expect("evaluates")
        });
    });
    let embedded = json!(
        "https://oos-public-{{ACS::RegionId}}.oss-{{ACS::RegionId}}-internal.aliyuncs.com/x/{{ timeout }}"
    );
    c.bench_function("render embedded string (3 refs)", |b| {
        b.iter(|| {
            evaluator
                .evaluate(black_box(&embedded), &ctx)
                .expect("evaluates")
        });
    });
    let response = describe_instances(100);
    c.bench_function(
        "jq select Instances.Instance[].InstanceId, 100 instances, cached",
        |b| {
            b.iter(|| {
                evaluator
                    .select(
                        "Instances.Instance[].InstanceId",
                        black_box(&response),
                        ValueType::List,
                    )
                    .expect("selects")
            });
        },
    );
    let converted = Input::new(&response);
    let program = evaluator
        .jq_program("Instances.Instance[].InstanceId")
        .expect("compiles");
    c.bench_function(
        "jq select Instances.Instance[].InstanceId, 100 instances, input converted once",
        |b| {
            b.iter(|| {
                program
                    .select_input(black_box(&converted), ValueType::List)
                    .expect("selects")
            });
        },
    );
    c.bench_function(
        "jq compile Instances.Instance[].InstanceId (uncached)",
        |b| {
            b.iter(|| {
                Program::compile(black_box("Instances.Instance[].InstanceId")).expect("compiles")
            });
        },
    );
    let filter = ".Instances.Instance[] | select(.Status == \"Running\") | .InstanceId";
    c.bench_function("jq select with select(), 100 instances, cached", |b| {
        b.iter(|| {
            evaluator
                .select(filter, black_box(&response), ValueType::List)
                .expect("selects")
        });
    });
}

criterion_group!(evaluate, benches);
criterion_main!(evaluate);
