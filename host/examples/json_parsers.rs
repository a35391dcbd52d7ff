//! Decoding the benchmark's JSON records three ways, in one run: serde_json and
//! sonic-rs deserializing the six fields the benchmark query reads into a borrowed
//! struct (the other two skipped, as their parsers skip them), and wasp's own decoder
//! filling Arrow builders (it also type-checks the two fields it skips). Prints ns per
//! record of each, the best of five rounds, and the ratio to serde_json.
//!
//! ```sh
//! cargo run --release -p wasp-host --example json_parsers [records]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use wasp_host::api::RequestProperties;
use wasp_host::bench::{record, CREATE_IN, QUERY};
use wasp_host::connectors::memory::MemoryBroker;
use wasp_host::connectors::Broker;
use wasp_host::engine::{Engine, EngineConfig};

/// The fields the benchmark query reads. Field names match the records' keys
/// ignoring case, as wasp matches them; serde needs them spelled as they are.
#[derive(Deserialize)]
#[allow(dead_code)] // read only by the parsers
struct Row<'a> {
    id: i64,
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    amount: f64,
    #[serde(borrow)]
    status: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    country: std::borrow::Cow<'a, str>,
    ts: i64,
}

fn best_of<F: FnMut() -> usize>(rounds: usize, records: usize, mut f: F) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(f());
        best = best.min(t.elapsed());
    }
    best.as_nanos() as f64 / records as f64
}

fn main() -> Result<(), String> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let records: Vec<String> = (0..n).map(record).collect();

    let serde = best_of(5, n, || {
        records.iter().map(|r| serde_json::from_str::<Row<'_>>(r).map(|row| row.id as usize).unwrap_or(0)).sum()
    });
    let sonic = best_of(5, n, || {
        records.iter().map(|r| sonic_rs::from_str::<Row<'_>>(r).map(|row| row.id as usize).unwrap_or(0)).sum()
    });
    // sonic-rs's own lazy API: its SIMD skips a value without building it.
    let sonic_lazy = best_of(5, n, || {
        use sonic_rs::JsonValueTrait;
        let mut sum = 0usize;
        for r in &records {
            for entry in sonic_rs::to_object_iter(r.as_str()) {
                let Ok((key, value)) = entry else { return 0 };
                sum += match key.as_ref() {
                    "id" | "ts" => value.as_i64().unwrap_or(0) as usize,
                    "amount" => value.as_f64().unwrap_or(0.0) as usize,
                    "name" | "status" | "country" => value.as_str().map_or(0, str::len),
                    _ => 0,
                };
            }
        }
        sum
    });

    let memory = MemoryBroker::new();
    memory.create_topic("bench_in", 1, 1).map_err(|e| e.to_string())?;
    let engine = Engine::open(EngineConfig::default(), Arc::new(memory)).map_err(|e| e.to_string())?;
    engine.execute_sync(CREATE_IN, &RequestProperties::new()).map_err(|e| e.error.to_string())?;
    let (mut pipeline, _) = engine.compile_query(QUERY).map_err(|e| e.to_string())?;
    engine.shutdown();
    let wasp = best_of(5, n, || {
        let mut rows = 0;
        for (c, chunk) in records.chunks(1024).enumerate() {
            for (i, r) in chunk.iter().enumerate() {
                let offset = (c * 1024 + i) as i64;
                if pipeline.decoder.decode(None, Some(r.as_bytes()), 0, 0, offset).is_err() {
                    return 0;
                }
            }
            rows += pipeline.decoder.finish().rows;
        }
        rows
    });

    println!("{n} records of ~188 bytes, the six fields the benchmark query reads, best of 5 rounds");
    println!("  serde_json (borrowed struct)        {serde:>7.1} ns per record  1.00x");
    println!("  sonic-rs (borrowed struct)          {sonic:>7.1} ns per record  {:.2}x", sonic / serde);
    println!("  sonic-rs (lazy object iterator)     {sonic_lazy:>7.1} ns per record  {:.2}x", sonic_lazy / serde);
    println!("  wasp decoder (Arrow, batch 1,024)   {wasp:>7.1} ns per record  {:.2}x", wasp / serde);
    Ok(())
}
