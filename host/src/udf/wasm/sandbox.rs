//! The sandbox: one wasmtime [`Store`] per instance, with a memory cap, an epoch
//! deadline per call, and WASI stand-ins that give nothing away.
//!
//! A [`Runtime`] (one per wasp engine) holds the wasmtime `Engine`, the modules it
//! compiled, and the one ticker thread that advances its epoch every [`TICK`]; a
//! store's deadline is a number of ticks, so a guest that loops is interrupted at its
//! own deadline and no other store waits on it. With a cache directory, compiled
//! code is also kept on disk (wasmtime's cache, keyed by a hash of the module, the
//! compiler's settings and its version), so a restarted server does not recompile
//! the modules it stored. Functions get no filesystem (no preopens), no network, no environment, no
//! arguments, no stdin; stdout and stderr go nowhere; the wall clock is fixed at the
//! Unix epoch, the monotonic clock stands still, randomness is a fixed seeded stream.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::module::Code;
use wasmtime::{Cache, CacheConfig, Config, Engine, ResourceLimiter, Store};
use wasmtime_wasi::random::Deterministic;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, ResourceTable, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How often the epoch advances: the granularity of call deadlines.
pub const TICK: Duration = Duration::from_millis(5);

/// The default memory cap of an instance.
pub const DEFAULT_MEMORY_LIMIT: usize = 64 << 20;

/// The default deadline of one call (one batch).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// The most stack a guest may use, so deep recursion traps instead of crashing.
const MAX_WASM_STACK: usize = 1 << 20;

/// The limits of one function's instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory (all memories together) and table elements, per instance.
    pub memory_bytes: usize,
    /// The deadline of one call into the guest.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory_bytes: DEFAULT_MEMORY_LIMIT, timeout: DEFAULT_TIMEOUT }
    }
}

impl Limits {
    /// The deadline in epoch ticks (at least one).
    pub fn ticks(&self) -> u64 {
        (self.timeout.as_nanos() / TICK.as_nanos()).max(1) as u64 + 1
    }
}

/// The wasmtime engine functions compile and run on, what it compiled, and its
/// epoch ticker.
pub struct Runtime {
    engine: Engine,
    /// Compiled modules by digest, so a module created again (a replace with the
    /// same bytes, several functions of one module) is compiled once.
    compiled: Mutex<HashMap<String, Code>>,
    /// The disk cache, when there is one (its hit and miss counters).
    cache: Option<Cache>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runtime")
    }
}

impl Runtime {
    /// A process-wide runtime with no disk cache, for tools and tests that load
    /// modules outside an engine.
    pub fn shared() -> Result<Arc<Runtime>, String> {
        static RUNTIME: OnceLock<Result<Arc<Runtime>, String>> = OnceLock::new();
        RUNTIME.get_or_init(|| Runtime::new(None)).clone()
    }

    /// A runtime whose compiled code is also cached in `cache_dir` (created if
    /// missing); the ticker thread ends when the runtime is dropped.
    pub fn new(cache_dir: Option<&Path>) -> Result<Arc<Runtime>, String> {
        let mut config = Config::new();
        config.wasm_component_model(true).epoch_interruption(true).max_wasm_stack(MAX_WASM_STACK);
        if std::env::var_os("WASP_WASM_PERFMAP").is_some() {
            // Names the compiled guest code in /tmp/perf-<pid>.map, for `perf report`.
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let mut disk = None;
        if let Some(dir) = cache_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the compiled-module cache {}: {e}", dir.display()))?;
            let mut cache = CacheConfig::new();
            cache.with_directory(dir);
            let cache = Cache::new(cache)
                .map_err(|e| format!("cannot open the compiled-module cache {}: {e:#}", dir.display()))?;
            config.cache(Some(cache.clone()));
            disk = Some(cache);
        }
        let engine = Engine::new(&config).map_err(|e| format!("cannot start the WebAssembly runtime: {e}"))?;
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(TICK);
                match ticker.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => return,
                }
            })
            .map_err(|e| format!("cannot start the epoch ticker: {e}"))?;
        Ok(Arc::new(Runtime { engine, compiled: Mutex::new(HashMap::new()), cache: disk }))
    }

    /// The code compiled from the module of `digest`, compiling it with `compile` on
    /// the first call.
    pub(super) fn compiled(
        &self,
        digest: &str,
        compile: impl FnOnce() -> Result<Code, String>,
    ) -> Result<Code, String> {
        if let Some(code) = self.compiled.lock().unwrap_or_else(|p| p.into_inner()).get(digest) {
            return Ok(code.clone());
        }
        let code = compile()?;
        self.compiled.lock().unwrap_or_else(|p| p.into_inner()).insert(digest.to_owned(), code.clone());
        Ok(code)
    }

    /// How many compilations the disk cache answered and missed.
    pub fn cache_hits_and_misses(&self) -> (usize, usize) {
        self.cache.as_ref().map_or((0, 0), |c| (c.cache_hits(), c.cache_misses()))
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A fresh store with `limits`.
    pub fn store(&self, limits: Limits) -> Store<StoreState> {
        let mut store = Store::new(&self.engine, StoreState::new(limits));
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(limits.ticks());
        store
    }
}

/// What a store holds: the WASI stand-ins and the memory limiter.
pub struct StoreState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: MemoryLimiter,
}

impl StoreState {
    fn new(limits: Limits) -> StoreState {
        let wasi = WasiCtxBuilder::new()
            .wall_clock(FixedClock)
            .monotonic_clock(FixedClock)
            .secure_random(Deterministic::new(SEED.to_vec()))
            .insecure_random(Deterministic::new(SEED.iter().rev().copied().collect()))
            .insecure_random_seed(0x7761_7370)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        StoreState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter { limit: limits.memory_bytes, exceeded: false },
        }
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// The seed of the deterministic random streams.
const SEED: [u8; 32] = *b"wasp: randomness fixed per store";

/// A clock that always reads the Unix epoch (wall) or zero (monotonic).
struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Caps an instance's memories; remembers whether a guest hit the cap, so a trap
/// that follows is reported as memory exhaustion.
pub struct MemoryLimiter {
    limit: usize,
    pub exceeded: bool,
}

impl MemoryLimiter {
    pub fn limit(&self) -> usize {
        self.limit
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            return Err(wasmtime::Error::msg(format!("memory limit of {} exceeded", bytes(self.limit))));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// `64 MiB`, `512 KiB`, `100 bytes`.
pub fn bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n.is_multiple_of(1 << 20) => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n.is_multiple_of(1 << 10) => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}
