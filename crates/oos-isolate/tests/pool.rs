//! The pool against real child processes (this test binary serves as the child when its first
//! argument is `__isolate`): jobs that exhaust memory or time end their child only, the next job
//! gets a new child, and every other job's answer is unaffected.

use std::collections::BTreeMap;
use std::time::Instant;

use oos_expr::codes;
use oos_expr::isolation::{Isolation, Job};
use oos_isolate::Pool;
use serde_json::{Value, json};

fn main() {
    if std::env::args().nth(1).as_deref() == Some(oos_isolate::ARGUMENT) {
        oos_isolate::serve().expect("serving jobs");
        return;
    }
    let tests: &[(&str, fn(&Pool))] = &[
        ("answers_jq_and_jinja_jobs", answers_jq_and_jinja_jobs),
        ("unbounded_allocation_ends_only_its_child", unbounded_allocation_ends_only_its_child),
        ("a_spinning_native_is_ended_by_the_watchdog", a_spinning_native_is_ended_by_the_watchdog),
        ("budgets_inside_the_child_answer_without_killing_it", budgets_inside_the_child_answer_without_killing_it),
        ("concurrent_jobs_share_the_children", concurrent_jobs_share_the_children),
    ];
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    for (name, test) in tests {
        if filter.as_deref().is_some_and(|filter| !name.contains(filter)) {
            continue;
        }
        let pool = Pool::new(std::env::current_exe().expect("test binary"), vec![oos_isolate::ARGUMENT.to_owned()], 2);
        let started = Instant::now();
        test(&pool);
        println!("test {name} ... ok ({} ms)", started.elapsed().as_millis());
    }
}

fn jq(program: &str, input: Value) -> Job {
    Job::Jq { program: program.to_owned(), input }
}

fn answers_jq_and_jinja_jobs(pool: &Pool) {
    assert_eq!(pool.evaluate(&jq(".a + 1", json!({"a": 41}))).unwrap(), json!([42]));
    assert_eq!(pool.evaluate(&jq(".[] | . * 2", json!([1, 2]))).unwrap(), json!([2, 4]));
    let names = BTreeMap::from([("count".to_owned(), json!(3))]);
    assert_eq!(pool.evaluate(&Job::Jinja { expression: "count * 2".into(), names, missing: vec![] }).unwrap(), json!(6));
    let error = pool.evaluate(&jq("error(\"boom\")", json!(null))).unwrap_err();
    assert_eq!(error.code, codes::JQ_RUNTIME);
    assert!(error.message.contains("boom"), "{}", error.message);
    assert_eq!(pool.children_started(), 1, "one child answers job after job");
}

fn unbounded_allocation_ends_only_its_child(pool: &Pool) {
    let error = pool.evaluate(&jq("\"x\" * 1000000000000 | length", json!(null))).unwrap_err();
    assert_eq!(error.code, codes::MEMORY_LIMIT, "{}", error.message);
    let error = pool.evaluate(&jq("[range(200) | \"y\" * 10000000] | length", json!(null))).unwrap_err();
    assert_eq!(error.code, codes::MEMORY_LIMIT, "{}", error.message);
    assert_eq!(pool.evaluate(&jq(".a", json!({"a": "still here"}))).unwrap(), json!(["still here"]));
    assert_eq!(pool.children_started(), 3, "each death is followed by a new child");
}

fn a_spinning_native_is_ended_by_the_watchdog(pool: &Pool) {
    // 2^60 leaves shared in 60 steps; `tojson` walks them all inside one native call.
    let started = Instant::now();
    let error = pool.evaluate(&jq("reduce range(60) as $i ([1]; [., .]) | tojson | length", json!(null))).unwrap_err();
    assert!([codes::TIME_LIMIT, codes::MEMORY_LIMIT].contains(&error.code), "{}: {}", error.code, error.message);
    assert!(started.elapsed().as_secs() < 30, "the watchdog took {:?}", started.elapsed());
    assert_eq!(pool.evaluate(&jq("1 + 1", json!(null))).unwrap(), json!([2]));
}

fn budgets_inside_the_child_answer_without_killing_it(pool: &Pool) {
    for (program, code) in [("last(range(1e12))", codes::STEP_LIMIT), ("def f: f + 1; f", codes::RECURSION_LIMIT), ("[limit(1e9; repeat(1))] | length", codes::STEP_LIMIT)] {
        let error = pool.evaluate(&jq(program, json!(null))).unwrap_err();
        assert_eq!(error.code, code, "{program}: {}", error.message);
    }
    assert!(pool.children_started() <= 2, "step and recursion budgets answer without a child dying");
}

fn concurrent_jobs_share_the_children(pool: &Pool) {
    std::thread::scope(|scope| {
        for worker in 0..8 {
            scope.spawn(move || {
                for item in 0..25 {
                    let n = worker * 100 + item;
                    assert_eq!(pool.evaluate(&jq("[.n, .n * 2]", json!({"n": n}))).unwrap(), json!([[n, n * 2]]));
                }
            });
        }
    });
    assert_eq!(pool.children_started(), 2);
}
