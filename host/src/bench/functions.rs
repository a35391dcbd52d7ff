//! `wasp bench --functions`: the cost of a scalar function as a built-in and as its
//! WebAssembly twins (Rust, Python, JavaScript), in ns per row at batch sizes 64,
//! 1,024 and 8,192, measured in one run, with the ratio to the built-in; then the
//! benchmark query engine-only with `UCASE` swapped for its Rust twin.
//!
//! The twins are the guests `udfs/ucase/*` (string) and `udfs/geo-distance/*`
//! (numeric), built by `scripts/build-udfs` into `target/udfs` (or
//! `$WASP_UDFS_DIR`), deployed with `CREATE FUNCTION` as a user deploys them. Only
//! the projection that calls the function is timed: the batches are decoded before.
//!
//! `WASP_BENCH_TWINS=rust,rows` (any of `rust`, `python`, `js`, `rows`) measures only
//! those twins, for profiling one of them; the others print `-`.
//! `WASP_BENCH_CASES=string` (or `numeric`) measures only that function and skips
//! the query of (g); `WASP_BENCH_BATCHES=1024` measures only those batch sizes.
//! `WASP_BENCH_REPEAT=n` runs each timed batch through the projection `n` times, so a
//! profile of the run is mostly the function call.
//!
//! A pass over the rows takes well under a millisecond for the built-in and the Rust
//! twin, so one pass each would measure the VM's moment as much as the code: they
//! run [`ROUNDS`] passes each, alternately (built-in, Rust, built-in, ...), and the
//! figures are the medians, the ratio the median of each round's ratio. Python,
//! JavaScript and the per-row form, 10x to 4,000x slower, run one pass.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{engine_only_with, record, CREATE_IN, QUERY};
use crate::api::RequestProperties;
use crate::batch::Batch;
use crate::connectors::memory::MemoryBroker;
use crate::connectors::Broker;
use crate::engine::{Engine, EngineConfig};
use crate::operators::OpContext;

/// The languages each twin is deployed in, with the suffix of its SQL name.
const LANGUAGES: [&str; 3] = ["rust", "python", "js"];

/// Alternating passes of the built-in and the Rust twin per batch size.
const ROUNDS: usize = 15;

/// One function measured: the built-in call and the twin's call, `{}` standing for
/// the twin's SQL name.
struct Case {
    kind: &'static str,
    builtin: &'static str,
    twin: &'static str,
    /// The guest's function and file stem (`<module>-<lang>.wasm`).
    module: &'static str,
    signature: &'static str,
    /// The Rust guest's plain per-row form of the function, when its main export
    /// is a column kernel: measured as one more twin, `rust rows`.
    rows_export: Option<&'static str>,
}

const CASES: [Case; 2] = [
    Case {
        kind: "string",
        builtin: "UCASE(name)",
        twin: "{}(name)",
        module: "ucase",
        signature: "(s VARCHAR) RETURNS VARCHAR",
        rows_export: Some("ucase_rows"),
    },
    Case {
        kind: "numeric",
        builtin: "GEO_DISTANCE(amount - 50, amount, 51.5, -0.1)",
        twin: "{}(amount - 50, amount, 51.5, -0.1)",
        module: "geo_distance",
        signature: "(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) RETURNS DOUBLE",
        rows_export: None,
    },
];

/// Where the built guests are: `$WASP_UDFS_DIR`, else `target/udfs` of the checkout.
pub fn udfs_dir() -> PathBuf {
    std::env::var_os("WASP_UDFS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/udfs"))
}

/// Runs the function benchmark over `n` rows per measurement.
pub fn run(n: usize) -> Result<(), String> {
    let dir = udfs_dir();
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("the built guests are not in {} ({e}): run scripts/build-udfs first", dir.display()))?;
    let memory = MemoryBroker::new();
    memory.create_topic("bench_in", 1, 1).map_err(|e| e.to_string())?;
    let config = EngineConfig { functions_dir: Some(dir.clone()), ..EngineConfig::default() };
    let engine = Engine::open(config, Arc::new(memory)).map_err(|e| e.to_string())?;
    let props = RequestProperties::new();
    engine.execute_sync(CREATE_IN, &props).map_err(|e| e.error.to_string())?;
    let wanted = std::env::var("WASP_BENCH_TWINS").ok();
    let measured = |twin: &str| wanted.as_deref().is_none_or(|w| w.split(',').any(|t| t.trim() == twin));
    let only = std::env::var("WASP_BENCH_CASES").ok();
    let cases: Vec<&Case> =
        CASES.iter().filter(|c| only.as_deref().is_none_or(|o| o.split(',').any(|k| k.trim() == c.kind))).collect();
    let batch_sizes: Vec<usize> = match std::env::var("WASP_BENCH_BATCHES") {
        Ok(b) => b.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => vec![64, 1024, 8192],
    };
    for case in &cases {
        for lang in LANGUAGES.into_iter().filter(|l| measured(l)) {
            let file = dir.join(format!("{}-{lang}.wasm", case.module));
            let sql = format!(
                "CREATE FUNCTION {}_{lang}{} AS WASM FROM 'file://{}' WITH (EXPORT='{}');",
                case.module,
                case.signature,
                file.display(),
                case.module
            );
            engine.execute_sync(&sql, &props).map_err(|e| format!("{sql}: {}", e.error))?;
        }
        if let Some(export) = case.rows_export.filter(|_| measured("rows")) {
            let sql = format!(
                "CREATE FUNCTION {}_rust_rows{} AS WASM FROM 'file://{}' WITH (EXPORT='{export}');",
                case.module,
                case.signature,
                dir.join(format!("{}-rust.wasm", case.module)).display(),
            );
            engine.execute_sync(&sql, &props).map_err(|e| format!("{sql}: {}", e.error))?;
        }
    }

    let records: Vec<String> = (0..n).map(record).collect();
    println!("(f) scalar functions, built-in and WebAssembly, ns per row of the projection that calls them");
    print!("  {:<8} {:>6} {:>9}", "function", "batch", "built-in");
    for lang in LANGUAGES {
        print!(" {:>16}", lang);
    }
    println!(" {:>16}", "rust rows");
    for case in &cases {
        for batch_size in batch_sizes.iter().copied() {
            let twin = |lang: &str| case.twin.replace("{}", &format!("{}_{lang}", case.module));
            let mut builtin = Projection::new(&engine, case.builtin, &records, batch_size)?;
            let mut rust =
                measured("rust").then(|| Projection::new(&engine, &twin("rust"), &records, batch_size)).transpose()?;
            let (mut base, mut fast, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                let b = builtin.pass()?;
                base.push(b);
                if let Some(rust) = &mut rust {
                    let r = rust.pass()?;
                    fast.push(r);
                    ratios.push(r / b);
                }
            }
            let builtin = median(&mut base);
            print!("  {:<8} {batch_size:>6} {builtin:>9.1}", case.kind);
            for lang in LANGUAGES {
                if !measured(lang) {
                    print!(" {:>16}", "-");
                } else if lang == "rust" {
                    print!(" {:>8.1} ({:>4.1}x)", median(&mut fast), median(&mut ratios));
                } else {
                    let ns = Projection::new(&engine, &twin(lang), &records, batch_size)?.pass()?;
                    print!(" {:>8.1} ({:>4.1}x)", ns, ns / builtin);
                }
            }
            match case.rows_export {
                Some(_) if measured("rows") => {
                    let ns = Projection::new(&engine, &twin("rust_rows"), &records, batch_size)?.pass()?;
                    println!(" {:>8.1} ({:>4.1}x)", ns, ns / builtin);
                }
                _ => println!(" {:>16}", "-"),
            }
        }
    }
    engine.shutdown();
    if only.is_some() {
        return Ok(());
    }

    let swapped = QUERY.replace("UCASE(name)", "ucase_rust(name)");
    println!("(g) the benchmark query with UCASE swapped for its Rust twin, engine only");
    let functions = [format!(
        "CREATE FUNCTION ucase_rust(s VARCHAR) RETURNS VARCHAR AS WASM FROM 'file://{}' WITH (EXPORT='ucase');",
        dir.join("ucase-rust.wasm").display()
    )];
    let base = engine_only_with(QUERY, 1_000_000, None, &[])?;
    let twin = engine_only_with(&swapped, 1_000_000, Some(&dir), &functions)?;
    println!(
        "  built-in UCASE {base:.0} rows/s per core, ucase_rust {twin:.0} rows/s per core: ratio {:.2}",
        twin / base
    );
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The projection `SELECT <call> AS v FROM bench_in`, compiled once, over `records`
/// decoded beforehand into batches of `batch_size`.
struct Projection {
    pipeline: crate::planner::Pipeline,
    batches: Vec<Batch>,
    call: String,
    ctx: OpContext,
}

impl Projection {
    /// The projection, its first batch run once untimed (a WebAssembly function
    /// instantiates its module on first use).
    fn new(engine: &Engine, call: &str, records: &[String], batch_size: usize) -> Result<Projection, String> {
        let sql = format!("CREATE STREAM bench_out AS SELECT {call} AS v FROM bench_in;");
        let (mut pipeline, _) = engine.compile_query(&sql).map_err(|e| format!("{sql}: {e}"))?;
        let mut batches: Vec<Batch> = Vec::new();
        for (c, chunk) in records.chunks(batch_size).enumerate() {
            for (i, r) in chunk.iter().enumerate() {
                pipeline.decoder.decode(None, Some(r.as_bytes()), 0, 0, (c * batch_size + i) as i64)?;
            }
            batches.push(pipeline.decoder.finish());
        }
        let mut p = Projection { pipeline, batches, call: call.to_owned(), ctx: OpContext::default() };
        if let Some(first) = p.batches.first().cloned() {
            p.run(first)?;
        }
        Ok(p)
    }

    fn run(&mut self, mut batch: Batch) -> Result<Duration, String> {
        let started = Instant::now();
        for stage in &mut self.pipeline.stages {
            self.ctx.origin_columns = stage.origin_columns;
            stage.operator.process(&mut batch, &mut self.ctx);
        }
        let took = started.elapsed();
        if !self.ctx.failures.is_empty() {
            return Err(format!("{} failed: {}", self.call, self.ctx.failures[0].message));
        }
        std::hint::black_box(&batch);
        Ok(took)
    }

    /// ns per row of one pass over every batch but the first.
    fn pass(&mut self) -> Result<f64, String> {
        let repeat: usize = std::env::var("WASP_BENCH_REPEAT").ok().and_then(|r| r.parse().ok()).unwrap_or(1).max(1);
        let (mut timed, mut rows) = (Duration::ZERO, 0usize);
        for i in 1..self.batches.len() {
            for _ in 0..repeat {
                let input = self.batches[i].clone();
                rows += input.rows;
                timed += self.run(input)?;
            }
        }
        Ok(timed.as_nanos() as f64 / rows.max(1) as f64)
    }
}
