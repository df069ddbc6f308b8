//! Parse + validate of the whole real corpus. Criterion measures one pass over every template;
//! afterwards each template is timed on its own and the median per template is printed.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use oos_template::{DirectoryLibrary, ValidateOptions, validate};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/oos-templates")
}

fn collect(dir: &Path, texts: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|entry| entry.path()) {
        if path.is_dir() {
            collect(&path, texts);
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "yml" | "yaml"))
            && let Ok(text) = std::fs::read_to_string(&path)
            && text.contains("OOS-2019-06-01")
            && !text.contains("OOS-2019-06-01-State")
        {
            texts.push(text);
        }
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    values[values.len() / 2]
}

fn main() {
    let mut texts = Vec::new();
    collect(&corpus_dir(), &mut texts);
    assert!(!texts.is_empty(), "corpus not found at {}", corpus_dir().display());
    let library = DirectoryLibrary::load(&corpus_dir().join("aliyun__oos-templates/CloudProductActions")).expect("library");
    let options = ValidateOptions { library: Some(&library), ..ValidateOptions::default() };

    // First pass: jq programs are compiled into the shared cache (what a fresh process pays once).
    let cold = Instant::now();
    for text in &texts {
        black_box(validate(black_box(text), &options));
    }
    println!("first (cold jq cache) pass over {} templates: {:?}", texts.len(), cold.elapsed());

    let mut criterion = Criterion::default().configure_from_args().sample_size(20);
    let mut group = criterion.benchmark_group("corpus");
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function("parse+validate all templates", |b| {
        b.iter(|| {
            for text in &texts {
                black_box(validate(black_box(text), &options));
            }
        });
    });
    group.finish();
    criterion.final_summary();

    let per_template: Vec<Duration> = texts
        .iter()
        .map(|text| {
            let runs: Vec<Duration> = (0..15)
                .map(|_| {
                    let start = Instant::now();
                    black_box(validate(black_box(text), &options));
                    start.elapsed()
                })
                .collect();
            median(runs)
        })
        .collect();
    let mut sorted = per_template.clone();
    sorted.sort_unstable();
    let p90 = sorted[sorted.len() * 9 / 10];
    let max = sorted[sorted.len() - 1];
    let sizes: Vec<usize> = texts.iter().map(String::len).collect();
    println!(
        "per template over {} templates: median {:?}, p90 {:?}, max {:?} (mean size {} bytes)",
        texts.len(),
        median(per_template),
        p90,
        max,
        sizes.iter().sum::<usize>() / sizes.len()
    );
}
