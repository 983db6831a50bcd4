//! Speed target of issue 3 (docs/BENCHMARKS.md): loading the demo catalog at start, under
//! 50 ms. Reads, parses and cross-checks every module folder of the repository's `catalog/`
//! (files come from the page cache after the first iteration).
//!
//! Run: `cargo bench -p backend --bench catalog_load`.

use backend::catalog::load_catalog;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog");

fn load(c: &mut Criterion) {
    let dir = Path::new(CATALOG);
    let environments: Vec<String> = ["dev", "staging", "prod"].map(str::to_owned).to_vec();
    let catalog = load_catalog(dir, &environments);
    assert!(catalog.errors.is_empty(), "{:#?}", catalog.errors);
    assert!(catalog.modules.len() >= 8, "the demo catalog has at least 8 modules");
    c.bench_function("load_catalog/demo_catalog", |b| {
        b.iter(|| load_catalog(black_box(dir), black_box(&environments)));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).sample_size(50);
    targets = load
}
criterion_main!(benches);
