//! `CREATE [OR REPLACE] FUNCTION ... AS WASM` and `DROP FUNCTION`: fetching a module,
//! storing it content-addressed in the data directory, registering its functions, and
//! swapping them under running queries.
//!
//! The command log records a created function with its module by digest
//! (`FROM 'sha256:<hex>'`), so a restart reloads the stored bytes, not the original
//! file or URL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use wasp_sql::ast::{CreateFunction, ModuleSource};
use wasp_sql::BoundExpr;

use super::*;
use crate::catalog::FunctionEntry;
use crate::udf::wasm::sandbox::Runtime;
use crate::udf::wasm::{self, Declared, Limits, WasmFunction, WasmModule};

/// The largest module `CREATE FUNCTION` takes.
pub const MAX_MODULE_BYTES: usize = 100 << 20;

/// The `WITH` properties of `CREATE FUNCTION`.
const FUNCTION_PROPERTIES: &[&str] = &["EXPORT", "MEMORY_LIMIT", "TIMEOUT_MS"];

/// Every function call in a plan: (name, argument types, result type).
fn plan_calls(plan: &LogicalPlan, out: &mut Vec<(String, Vec<DataType>, DataType)>) {
    let mut visit = |e: &BoundExpr| {
        e.visit(&mut |e| {
            if let BoundExpr::Function { name, args, data_type } = e {
                out.push((
                    name.to_ascii_uppercase(),
                    args.iter().map(BoundExpr::data_type).collect(),
                    data_type.clone(),
                ));
            }
        })
    };
    let mut node = plan;
    loop {
        match node {
            LogicalPlan::Source { .. } => return,
            LogicalPlan::Filter { input, predicate } => {
                visit(predicate);
                node = input;
            }
            LogicalPlan::Project { input, exprs, .. } | LogicalPlan::Repartition { input, keys: exprs, .. } => {
                exprs.iter().for_each(&mut visit);
                node = input;
            }
            LogicalPlan::Aggregate { input, keys, calls, .. } => {
                keys.iter().chain(calls.iter().flat_map(|c| &c.args)).for_each(&mut visit);
                node = input;
            }
            LogicalPlan::Limit { input, .. } => node = input,
            LogicalPlan::Join { left, left_key, .. } => {
                visit(left_key);
                node = left;
            }
        }
    }
}

/// `32MB`, `64MiB`, `512KB`, `1GB` or a number of bytes.
fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim().to_ascii_uppercase();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: usize = t[..digits].parse().ok()?;
    let unit = match t[digits..].trim() {
        "" | "B" => 1,
        "KB" | "KIB" | "K" => 1 << 10,
        "MB" | "MIB" | "M" => 1 << 20,
        "GB" | "GIB" | "G" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(unit).filter(|n| *n > 0)
}

impl Engine {
    /// The directory of stored modules.
    fn modules_dir(&self) -> Option<PathBuf> {
        self.config.data_dir.as_ref().map(|d| d.join("functions"))
    }

    /// The runtime of this engine's WebAssembly functions; its compiled code is
    /// cached in `<data dir>/functions/compiled`, so a restart does not recompile.
    fn wasm_runtime(&self) -> Result<Arc<Runtime>, String> {
        if let Some(runtime) = self.wasm_runtime.get() {
            return Ok(runtime.clone());
        }
        let cache = self.modules_dir().map(|d| d.join("compiled"));
        let runtime = Runtime::new(cache.as_deref())?;
        Ok(self.wasm_runtime.get_or_init(|| runtime).clone())
    }

    /// Which persistent queries call any of `names`.
    fn queries_calling(&self, names: &[String]) -> Vec<(String, String, Vec<DataType>, DataType)> {
        let st = self.lock();
        let mut out = Vec::new();
        for q in st.catalog.queries.values() {
            let mut calls = Vec::new();
            plan_calls(&q.plan, &mut calls);
            for (name, args, ret) in calls {
                if names.contains(&name) {
                    out.push((q.id.clone(), name, args, ret));
                }
            }
        }
        out
    }

    fn is_builtin(&self, name: &str) -> bool {
        self.functions.get(name).is_some() && !self.wasm_functions().contains_key(name)
    }

    fn wasm_functions(&self) -> MutexGuard<'_, BTreeMap<String, Arc<WasmFunction>>> {
        self.wasm.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The WebAssembly function registered as `name`.
    pub fn wasm_function(&self, name: &str) -> Option<Arc<WasmFunction>> {
        self.wasm_functions().get(&name.to_ascii_uppercase()).cloned()
    }

    fn fetch_module(&self, source: &ModuleSource) -> Result<Vec<u8>, String> {
        let bytes = match source {
            ModuleSource::Base64(text) => {
                let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                if compact.len() / 4 * 3 > MAX_MODULE_BYTES + 3 {
                    return Err(format!(
                        "the module is larger than the limit of {}",
                        wasm::sandbox::bytes(MAX_MODULE_BYTES)
                    ));
                }
                base64::engine::general_purpose::STANDARD
                    .decode(compact.as_bytes())
                    .map_err(|e| format!("the BASE64 module is malformed: {e}"))?
            }
            ModuleSource::Url(url) => {
                if let Some(path) = url.strip_prefix("file://") {
                    self.read_module_file(url, Path::new(path))?
                } else if let Some(hex) = url.strip_prefix("sha256:") {
                    let dir = self.modules_dir().ok_or("no data directory holds stored modules")?;
                    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                        return Err(format!("'{url}' is not a SHA-256 digest"));
                    }
                    let path = dir.join(format!("{}.wasm", hex.to_ascii_lowercase()));
                    std::fs::read(&path).map_err(|e| format!("no stored module {url} ({}: {e})", path.display()))?
                } else if url.starts_with("http://") || url.starts_with("https://") {
                    fetch_http(url)?
                } else {
                    return Err(format!(
                        "cannot load a module from '{url}': use 'file:///path', 'http://...', 'https://...', 'sha256:<digest>' or BASE64 '...'"
                    ));
                }
            }
        };
        if bytes.len() > MAX_MODULE_BYTES {
            return Err(format!(
                "the module is {} bytes, larger than the limit of {}",
                bytes.len(),
                wasm::sandbox::bytes(MAX_MODULE_BYTES)
            ));
        }
        Ok(bytes)
    }

    /// Reads a `file://` module, which must lie inside the functions directory.
    fn read_module_file(&self, url: &str, path: &Path) -> Result<Vec<u8>, String> {
        let Some(dir) = &self.config.functions_dir else {
            return Err(format!(
                "cannot read {url}: file:// modules are disabled; set the functions directory (--functions-dir, WASP_FUNCTIONS_DIR or functions_dir) to the directory that holds them"
            ));
        };
        let dir =
            dir.canonicalize().map_err(|e| format!("the functions directory {} is unusable: {e}", dir.display()))?;
        let full = path.canonicalize().map_err(|e| format!("cannot read module {url}: {e}"))?;
        if !full.starts_with(&dir) {
            return Err(format!(
                "{url} is outside the functions directory {}; file:// modules must lie inside it",
                dir.display()
            ));
        }
        let meta = std::fs::metadata(&full).map_err(|e| format!("cannot read module {url}: {e}"))?;
        if meta.len() > MAX_MODULE_BYTES as u64 {
            return Err(format!(
                "{url} is {} bytes, larger than the limit of {}",
                meta.len(),
                wasm::sandbox::bytes(MAX_MODULE_BYTES)
            ));
        }
        std::fs::read(&full).map_err(|e| format!("cannot read module {url}: {e}"))
    }

    fn limits(with: &Properties) -> Result<Limits, EngineError> {
        let mut limits = Limits::default();
        if let Some(text) = with.get_str("MEMORY_LIMIT") {
            limits.memory_bytes = parse_size(&text).ok_or_else(|| {
                EngineError::Statement(format!("MEMORY_LIMIT must be a size such as '32MB' or '64MiB', got '{text}'"))
            })?;
        }
        if let Some(ms) = Self::int_property(with, "TIMEOUT_MS")? {
            limits.timeout = Duration::from_millis(ms as u64);
        }
        Ok(limits)
    }

    pub(super) fn create_function(&self, c: &CreateFunction, mode: Mode) -> Result<(Outcome, String), EngineError> {
        let name = c.name.to_ascii_uppercase();
        let command_id = format!("function/`{name}`/create");
        let fail = |reason: String| EngineError::Statement(format!("Cannot create function {name}: {reason}"));
        if self.is_builtin(&name) {
            return Err(EngineError::Statement(format!("{name} is a built-in function; it cannot be replaced")));
        }
        let existing = self.lock().catalog.functions.get(&name).cloned();
        if existing.is_some() && !c.or_replace {
            return Err(EngineError::Conflict(format!(
                "Function {name} already exists; use CREATE OR REPLACE FUNCTION to replace it"
            )));
        }
        Self::check_properties(&c.with, FUNCTION_PROPERTIES)?;
        let limits = Self::limits(&c.with)?;
        let export = c.with.get_str("EXPORT");
        let bytes = self.fetch_module(&c.source).map_err(fail)?;
        let module = WasmModule::load(&self.wasm_runtime().map_err(fail)?, &bytes, limits).map_err(fail)?;
        let declared = c.signature.as_ref().map(|s| Declared { params: s.params.clone(), returns: s.returns.clone() });
        let resolved = wasm::resolve(&module, &name, declared.as_ref(), export.as_deref(), limits).map_err(fail)?;
        let new_names: Vec<String> = resolved.iter().map(|(n, _)| n.clone()).collect();
        {
            let st = self.lock();
            for n in &new_names {
                if self.is_builtin(n) {
                    return Err(fail(format!("the module's function {n} has the name of a built-in function")));
                }
                if let Some(owner) = st.catalog.functions.values().find(|f| f.name != name && f.names.contains(n)) {
                    return Err(EngineError::Conflict(format!(
                        "Cannot create function {name}: {n} already exists, created by CREATE FUNCTION {}",
                        owner.name
                    )));
                }
            }
        }
        // A replacement must still fit every running query that calls the old code.
        if let Some(old) = &existing {
            for (query, fname, args, ret) in self.queries_calling(&old.names) {
                let fits = resolved
                    .iter()
                    .find(|(n, _)| *n == fname)
                    .map(|(_, r)| r.return_type(&fname, &args).map(|t| t == ret));
                match fits {
                    Some(Ok(true)) => {}
                    Some(Ok(false)) | Some(Err(_)) | None => {
                        let why = match fits {
                            None => format!("the new module has no function {fname}"),
                            Some(Err(e)) => e,
                            _ => format!("{fname} would no longer return {ret}"),
                        };
                        return Err(EngineError::Conflict(format!(
                            "Cannot replace function {name}: query {query} calls {fname}({}) -> {ret}, and {why}. Terminate the query first.",
                            args.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
                        )));
                    }
                }
            }
        }
        if mode == Mode::Live {
            if let Some(dir) = self.modules_dir() {
                let path = dir.join(format!("{}.wasm", module.digest));
                if !path.exists() {
                    std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &bytes)).map_err(|e| {
                        EngineError::Internal(format!("cannot store the module in {}: {e}", dir.display()))
                    })?;
                }
            }
        }
        let mut wasm_fns = self.wasm_functions();
        if let Some(old) = &existing {
            for n in old.names.iter().filter(|n| !new_names.contains(n)) {
                wasm_fns.remove(n);
                self.functions.remove(n);
            }
        }
        for (n, r) in resolved {
            match wasm_fns.get(&n) {
                // Running queries take the new code at their next batch.
                Some(f) => f.replace(r),
                None => {
                    let f = Arc::new(WasmFunction::new(&n, &name, r));
                    self.functions.register(f.clone());
                    wasm_fns.insert(n, f);
                }
            }
        }
        drop(wasm_fns);
        let logged = Statement::CreateFunction(CreateFunction {
            source: ModuleSource::Url(format!("sha256:{}", module.digest)),
            ..c.clone()
        })
        .to_string();
        self.lock().catalog.functions.insert(
            name.clone(),
            FunctionEntry {
                name: name.clone(),
                names: new_names.clone(),
                digest: module.digest.clone(),
                statement: logged.clone(),
            },
        );
        let verb = if existing.is_some() { "replaced" } else { "created" };
        let message = format!("Function {name} {verb} ({}): {}", module.language, new_names.join(", "));
        Ok((status(command_id, message, None), logged))
    }

    pub(super) fn drop_function(
        &self,
        if_exists: bool,
        name: &str,
        mode: Mode,
    ) -> Result<(Outcome, bool), EngineError> {
        let name = name.to_ascii_uppercase();
        let command_id = format!("function/`{name}`/drop");
        if self.is_builtin(&name) {
            return Err(EngineError::Statement(format!("{name} is a built-in function; it cannot be dropped")));
        }
        let entry = {
            let st = self.lock();
            match st.catalog.functions.get(&name) {
                Some(e) => e.clone(),
                None => {
                    if let Some(owner) = st.catalog.functions.values().find(|f| f.names.contains(&name)) {
                        return Err(EngineError::Statement(format!(
                            "{name} was created by CREATE FUNCTION {0}; drop {0} instead",
                            owner.name
                        )));
                    }
                    if if_exists || mode == Mode::Replay {
                        return Ok((status(command_id, format!("Function {name} does not exist."), None), false));
                    }
                    return Err(EngineError::Statement(format!("Function {name} does not exist.")));
                }
            }
        };
        let mut users: Vec<String> = self.queries_calling(&entry.names).into_iter().map(|(q, ..)| q).collect();
        users.dedup();
        if !users.is_empty() {
            return Err(EngineError::Conflict(format!(
                "Cannot drop function {name}: the following queries use it: [{}]. Terminate them first.",
                users.join(", ")
            )));
        }
        let mut wasm_fns = self.wasm_functions();
        for n in &entry.names {
            wasm_fns.remove(n);
            self.functions.remove(n);
        }
        drop(wasm_fns);
        self.lock().catalog.functions.remove(&name);
        Ok((status(command_id, format!("Function {name} was dropped."), None), true))
    }
}

/// GETs a module over HTTP(S).
fn fetch_http(url: &str) -> Result<Vec<u8>, String> {
    let get = async {
        let resp = reqwest::get(url).await.map_err(|e| format!("cannot fetch {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("cannot fetch {url}: HTTP {}", resp.status()));
        }
        if resp.content_length().is_some_and(|n| n > MAX_MODULE_BYTES as u64) {
            return Err(format!("{url} is larger than the limit of {}", wasm::sandbox::bytes(MAX_MODULE_BYTES)));
        }
        resp.bytes().await.map(|b| b.to_vec()).map_err(|e| format!("cannot fetch {url}: {e}"))
    };
    // A thread of its own, with a runtime of its own: callable from any context.
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot fetch {url}: {e}"))?
                .block_on(get)
        })
        .join()
        .unwrap_or_else(|_| Err(format!("fetching {url} failed")))
    })
}

#[cfg(test)]
#[path = "functions_tests.rs"]
mod tests;
