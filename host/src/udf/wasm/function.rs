//! [`WasmFunction`]: a WebAssembly function as a [`ScalarUdf`], and its per-query
//! binding that owns the guest instance.
//!
//! The registry holds one `WasmFunction` per SQL name. It points at a shared
//! [`Slot`]: the current resolved module and a version counter that
//! `CREATE OR REPLACE FUNCTION` bumps. A query compiles its expressions once and
//! [`bind`](ScalarUdf::bind)s each function then: the binding owns its instance and
//! store (no lock shared with other queries on the call path; its own mutex is
//! uncontended), and at each batch compares the slot's version with its own, so a
//! replaced module takes over at a batch boundary.
//!
//! A call that traps, times out or runs out of memory discards the instance and is
//! retried on halves of the batch until the failing rows are found; those rows are
//! NULL with the failure in their row error (hence the processing log), the rest are
//! computed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{new_null_array, Array, ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array};
use wasmtime::{Store, Trap, Val, ValType};
use wasp_sql::DataType;

use super::bindings::{Batch, Udf};
use super::lift::lift;
use super::lower::{lower_into, placeholder, Lowered};
use super::module::{Code, CoreExport, Described, Language, WasmModule};
use super::sandbox::{bytes, Limits, StoreState};
use super::stats::FunctionStats;
use crate::columnar::{to_arrow, Operand};
use crate::udf::{ScalarArgs, ScalarUdf, UdfError};

/// A row error message is cut to this many bytes.
const MAX_MESSAGE: usize = 1024;

/// Timeouts one batch may spend beyond what finding one looping row by bisection
/// takes (log2 of the rows, plus one); after that the remaining failing parts are not
/// split further, as each split waits a whole deadline again.
const SPARE_TIMEOUTS_PER_BATCH: u32 = 2;

/// One SQL function resolved against a module: what to call and its signature.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub module: Arc<WasmModule>,
    pub target: Target,
    pub params: Vec<(String, DataType)>,
    pub variadic: bool,
    pub returns: DataType,
    pub null_on_null: bool,
    pub description: String,
    pub limits: Limits,
}

/// What a call enters.
#[derive(Debug, Clone)]
pub enum Target {
    /// A component's function, by the name `describe` gave it.
    Component(String),
    /// A core module's export.
    Core(CoreExport),
}

/// A declared signature: `name(p1 TYPE, ...) RETURNS TYPE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    pub params: Vec<(String, DataType)>,
    pub returns: DataType,
}

impl Resolved {
    /// `NAME(a STRING, b INT) -> STRING`.
    pub fn signature(&self, name: &str) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .enumerate()
            .map(|(i, (n, t))| {
                let dots = if self.variadic && i + 1 == self.params.len() { "..." } else { "" };
                format!("{n} {t}{dots}")
            })
            .collect();
        format!("{name}({}) -> {}", params.join(", "), self.returns)
    }

    /// The declared type of argument `i`.
    fn param_type(&self, i: usize) -> Option<&DataType> {
        match self.params.get(i) {
            Some((_, t)) => Some(t),
            None if self.variadic => self.params.last().map(|(_, t)| t),
            None => None,
        }
    }

    /// The result type for these argument types, or why they do not fit.
    pub fn return_type(&self, name: &str, args: &[DataType]) -> Result<DataType, String> {
        let n = self.params.len();
        let count_ok = if self.variadic { args.len() + 1 >= n } else { args.len() == n };
        let fits = count_ok && args.iter().enumerate().all(|(i, a)| self.param_type(i).is_some_and(|p| a.widens_to(p)));
        if fits {
            return Ok(self.returns.clone());
        }
        let got: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        Err(format!(
            "Function '{name}' does not accept parameters ({}); it takes {}",
            got.join(", "),
            self.signature(name)
        ))
    }
}

/// Resolves the SQL functions a `CREATE FUNCTION name ...` makes of `module`:
/// with a declared signature, the one function `export` (default: `name`), checked
/// against what the module describes; without one, every function a component
/// describes, under its own name. Returns (upper-case SQL name, resolved).
pub fn resolve(
    module: &Arc<WasmModule>,
    name: &str,
    declared: Option<&Declared>,
    export: Option<&str>,
    limits: Limits,
) -> Result<Vec<(String, Resolved)>, String> {
    let sql_name = name.to_ascii_uppercase();
    match module.language {
        Language::Component => {
            let by_name = |wanted: &str| -> Result<&Described, String> {
                module.described.iter().find(|d| d.name.eq_ignore_ascii_case(wanted)).ok_or_else(|| {
                    let names: Vec<&str> = module.described.iter().map(|d| d.name.as_str()).collect();
                    format!("the module describes no function '{wanted}' (it describes: {})", names.join(", "))
                })
            };
            let from = |d: &Described| Resolved {
                module: module.clone(),
                target: Target::Component(d.name.clone()),
                params: d.params.clone(),
                variadic: d.variadic,
                returns: d.returns.clone(),
                null_on_null: d.null_on_null,
                description: d.description.clone(),
                limits,
            };
            match (declared, export) {
                (Some(decl), _) => {
                    let d = by_name(export.unwrap_or(name))?;
                    check_signature(&sql_name, decl, d)?;
                    let mut r = from(d);
                    r.params = decl.params.clone();
                    Ok(vec![(sql_name, r)])
                }
                (None, Some(export)) => Ok(vec![(sql_name, from(by_name(export)?))]),
                (None, None) => {
                    if module.described.is_empty() {
                        return Err("the module describes no functions".into());
                    }
                    Ok(module.described.iter().map(|d| (d.name.to_ascii_uppercase(), from(d))).collect())
                }
            }
        }
        Language::Core => {
            let decl = declared.ok_or_else(|| {
                format!(
                    "a core module does not describe its functions: declare the signature, e.g. CREATE FUNCTION {sql_name}(x DOUBLE) RETURNS DOUBLE AS WASM ..."
                )
            })?;
            let export = module.core_export(export.unwrap_or(name))?;
            if export.params.len() != decl.params.len() {
                return Err(format!(
                    "function {sql_name}: export '{}' takes {} parameters, the declaration has {}",
                    export.name,
                    export.params.len(),
                    decl.params.len()
                ));
            }
            for (i, ((pname, ty), vt)) in decl.params.iter().zip(&export.params).enumerate() {
                if !core_fits(ty, vt) {
                    return Err(format!(
                        "function {sql_name}: parameter {} ({pname}) is declared {ty}, the export '{}' takes {vt} ({})",
                        i + 1,
                        export.name,
                        core_hint(vt)
                    ));
                }
            }
            if !core_fits(&decl.returns, &export.result) {
                return Err(format!(
                    "function {sql_name}: the return type is declared {}, the export '{}' returns {} ({})",
                    decl.returns,
                    export.name,
                    export.result,
                    core_hint(&export.result)
                ));
            }
            let description = format!("core WebAssembly export '{}'", export.name);
            Ok(vec![(
                sql_name,
                Resolved {
                    module: module.clone(),
                    target: Target::Core(export),
                    params: decl.params.clone(),
                    variadic: false,
                    returns: decl.returns.clone(),
                    null_on_null: true,
                    description,
                    limits,
                },
            )])
        }
    }
}

/// Whether a core value type carries a SQL type: INT as i32, BIGINT as i64, DOUBLE
/// as f64 or f32.
fn core_fits(t: &DataType, v: &ValType) -> bool {
    matches!(
        (t, v),
        (DataType::Int, ValType::I32)
            | (DataType::BigInt, ValType::I64)
            | (DataType::Double, ValType::F64)
            | (DataType::Double, ValType::F32)
    )
}

fn core_hint(v: &ValType) -> &'static str {
    match v {
        ValType::I32 => "declare INT",
        ValType::I64 => "declare BIGINT",
        ValType::F32 | ValType::F64 => "declare DOUBLE",
        _ => "not a SQL type",
    }
}

fn check_signature(name: &str, decl: &Declared, d: &Described) -> Result<(), String> {
    let found: Vec<String> = d.params.iter().map(|(n, t)| format!("{n} {t}")).collect();
    if decl.params.len() != d.params.len() {
        return Err(format!(
            "function {name}: declared with {} parameters, the module's {} takes {} ({})",
            decl.params.len(),
            d.name,
            d.params.len(),
            found.join(", ")
        ));
    }
    for (i, ((pname, want), (fname, got))) in decl.params.iter().zip(&d.params).enumerate() {
        if want != got {
            return Err(format!(
                "function {name}: parameter {} ({pname}) is declared {want}, the module's {} takes {got} ({fname})",
                i + 1,
                d.name
            ));
        }
    }
    if decl.returns != d.returns {
        return Err(format!(
            "function {name}: the return type is declared {}, the module's {} returns {}",
            decl.returns, d.name, d.returns
        ));
    }
    Ok(())
}

/// Where running bindings find the current code of a function.
#[derive(Debug)]
pub struct Slot {
    version: AtomicU64,
    current: RwLock<Arc<Resolved>>,
    pub stats: Arc<FunctionStats>,
}

impl Slot {
    fn current(&self) -> Arc<Resolved> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A WebAssembly function in the registry.
#[derive(Debug)]
pub struct WasmFunction {
    name: String,
    /// The name of the `CREATE FUNCTION` that made it (a module without a declared
    /// signature makes several functions under one name).
    pub group: String,
    slot: Arc<Slot>,
    description: String,
}

impl WasmFunction {
    pub fn new(name: &str, group: &str, resolved: Resolved) -> WasmFunction {
        let description = resolved.description.clone();
        WasmFunction {
            name: name.to_ascii_uppercase(),
            group: group.to_ascii_uppercase(),
            slot: Arc::new(Slot {
                version: AtomicU64::new(0),
                current: RwLock::new(Arc::new(resolved)),
                stats: Arc::new(FunctionStats::default()),
            }),
            description,
        }
    }

    /// The current code and signature.
    pub fn resolved(&self) -> Arc<Resolved> {
        self.slot.current()
    }

    pub fn stats(&self) -> &FunctionStats {
        &self.slot.stats
    }

    /// How many times the code was replaced.
    pub fn version(&self) -> u64 {
        self.slot.version.load(Ordering::Acquire)
    }

    /// Swaps in new code; running queries take it at their next batch.
    pub fn replace(&self, resolved: Resolved) {
        *self.slot.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(resolved);
        self.slot.version.fetch_add(1, Ordering::AcqRel);
    }

    fn binding(&self) -> Bound {
        let version = self.slot.version.load(Ordering::Acquire);
        Bound {
            name: self.name.clone(),
            description: self.description.clone(),
            slot: self.slot.clone(),
            state: Mutex::new(BindState { version, resolved: self.slot.current(), instance: None }),
        }
    }
}

impl ScalarUdf for WasmFunction {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn category(&self) -> &str {
        "WEBASSEMBLY"
    }

    fn signatures(&self) -> Vec<String> {
        vec![self.resolved().signature(&self.name)]
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, String> {
        self.resolved().return_type(&self.name, args)
    }

    fn invoke(&self, args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
        // Unbound use (a one-off evaluation): a throwaway instance.
        self.binding().invoke(args)
    }

    fn bind(&self) -> Option<Arc<dyn ScalarUdf>> {
        Some(Arc::new(self.binding()))
    }
}

/// A query's binding of a function: its own instance.
struct Bound {
    name: String,
    description: String,
    slot: Arc<Slot>,
    state: Mutex<BindState>,
}

struct BindState {
    version: u64,
    resolved: Arc<Resolved>,
    instance: Option<Instance>,
}

enum Instance {
    Component { store: Store<StoreState>, udf: Udf },
    Core { store: Store<StoreState>, func: wasmtime::Func },
}

/// Why a call did not return.
enum Failure {
    Trap(String),
    Timeout,
    OutOfMemory(String),
}

impl Failure {
    fn message(&self, limits: &Limits) -> String {
        match self {
            Failure::Trap(m) => format!("trapped: {m}"),
            Failure::Timeout => format!("timed out: the call exceeded its {} ms deadline", limits.timeout.as_millis()),
            Failure::OutOfMemory(m) => format!("out of memory: {m}"),
        }
    }
}

fn classify(e: &wasmtime::Error, store: &Store<StoreState>) -> Failure {
    if store.data().limiter.exceeded {
        return Failure::OutOfMemory(format!("memory limit of {} exceeded", bytes(store.data().limiter.limit())));
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Failure::Timeout,
        Some(t) => Failure::Trap(t.to_string()),
        None => Failure::Trap(e.root_cause().to_string()),
    }
}

fn cut(mut s: String) -> String {
    if s.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

impl ScalarUdf for Bound {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn category(&self) -> &str {
        "WEBASSEMBLY"
    }

    fn signatures(&self) -> Vec<String> {
        vec![self.slot.current().signature(&self.name)]
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, String> {
        self.slot.current().return_type(&self.name, args)
    }

    fn invoke(&self, args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
        let start = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // A batch boundary: take a replaced module now.
        let version = self.slot.version.load(Ordering::Acquire);
        if version != state.version {
            state.resolved = self.slot.current();
            state.version = version;
            state.instance = None;
        }
        let resolved = state.resolved.clone();
        let rows = args.rows;
        let operands = cast_operands(&resolved, args.args, &self.name)?;
        let max_timeouts = (usize::BITS - rows.leading_zeros()) + SPARE_TIMEOUTS_PER_BATCH;
        let mut run =
            Run { state: &mut state, resolved: &resolved, stats: &self.slot.stats, timeouts: 0, max_timeouts };
        let mut errors = Vec::new();
        let out = if rows == 0 {
            new_null_array(&to_arrow(&resolved.returns), 0)
        } else {
            run.rows(&operands, rows, 0, &mut errors)
        };
        self.slot.stats.errors.fetch_add(errors.len() as u64, Ordering::Relaxed);
        for (row, message) in errors {
            args.errors.push(row, message);
        }
        self.slot.stats.record_batch(rows, start.elapsed().as_nanos() as u64);
        Ok(out)
    }
}

/// The arguments as the declared parameter types (a narrower argument, INT for a
/// BIGINT parameter, is widened here once per batch).
fn cast_operands(resolved: &Resolved, args: &[Operand], name: &str) -> Result<Vec<Operand>, UdfError> {
    let mut out = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let Some(ty) = resolved.param_type(i) else {
            return Err(UdfError::Failed {
                function: name.into(),
                message: format!("too many arguments ({})", args.len()),
            });
        };
        let want = to_arrow(ty);
        if a.data_type() == &want {
            out.push(a.clone());
            continue;
        }
        let cast = arrow_cast::cast(a.array().as_ref(), &want).map_err(|e| UdfError::Failed {
            function: name.into(),
            message: format!("argument {} cannot be passed as {ty}: {e}", i + 1),
        })?;
        out.push(match a {
            Operand::Array(_) => Operand::Array(cast),
            Operand::Scalar(_) => Operand::Scalar(cast),
        });
    }
    Ok(out)
}

fn slice(args: &[Operand], offset: usize, len: usize) -> Vec<Operand> {
    args.iter()
        .map(|a| match a {
            Operand::Array(x) => Operand::Array(x.slice(offset, len)),
            Operand::Scalar(x) => Operand::Scalar(x.clone()),
        })
        .collect()
}

/// One batch's evaluation.
struct Run<'a> {
    state: &'a mut BindState,
    resolved: &'a Resolved,
    stats: &'a FunctionStats,
    timeouts: u32,
    max_timeouts: u32,
}

impl Run<'_> {
    /// Rows `base..base + rows` of the batch; failures of single rows into `errors`.
    fn rows(&mut self, args: &[Operand], rows: usize, base: usize, errors: &mut Vec<(usize, String)>) -> ArrayRef {
        let null = || new_null_array(&to_arrow(&self.resolved.returns), rows);
        let failure = match &self.resolved.target {
            Target::Core(export) => return self.core_rows(export, args, rows, base, errors),
            Target::Component(name) => match self.component_call(name, args, rows) {
                Ok(Ok((array, row_errors))) => {
                    if row_errors.is_empty() {
                        return array;
                    }
                    // Failed rows are NULL whatever the result column holds.
                    let mut failed = vec![false; rows];
                    for (row, message) in row_errors {
                        if row < rows {
                            failed[row] = true;
                            errors.push((base + row, cut(message)));
                        }
                    }
                    return match arrow_select::nullif::nullif(array.as_ref(), &BooleanArray::from(failed)) {
                        Ok(a) => a,
                        Err(_) => null(),
                    };
                }
                Ok(Err(message)) => {
                    errors.extend((0..rows).map(|r| (base + r, message.clone())));
                    return null();
                }
                Err(failure) => failure,
            },
        };
        self.state.instance = None;
        self.count(&failure);
        if rows == 1 || self.timeouts >= self.max_timeouts {
            let message = failure.message(&self.resolved.limits);
            errors.extend((0..rows).map(|r| (base + r, message.clone())));
            return null();
        }
        let mid = rows / 2;
        let left = self.rows(&slice(args, 0, mid), mid, base, errors);
        let right = self.rows(&slice(args, mid, rows - mid), rows - mid, base + mid, errors);
        match arrow_select::concat::concat(&[left.as_ref(), right.as_ref()]) {
            Ok(a) => a,
            Err(e) => {
                errors.extend((0..rows).map(|r| (base + r, format!("cannot join results: {e}"))));
                null()
            }
        }
    }

    fn count(&mut self, failure: &Failure) {
        self.stats.traps.fetch_add(1, Ordering::Relaxed);
        if matches!(failure, Failure::Timeout) {
            self.timeouts += 1;
            self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn instance(&mut self) -> Result<&mut Instance, Failure> {
        if self.state.instance.is_none() {
            let mut store = self.resolved.module.runtime.store(self.resolved.limits);
            let instance = match &self.resolved.module.code {
                Code::Component(pre) => match pre.instantiate(&mut store) {
                    Ok(udf) => Instance::Component { store, udf },
                    Err(e) => return Err(classify(&e, &store)),
                },
                Code::Core(module) => {
                    let Target::Core(export) = &self.resolved.target else {
                        return Err(Failure::Trap("a core module bound as a component".into()));
                    };
                    let instance = match wasmtime::Instance::new(&mut store, module, &[]) {
                        Ok(i) => i,
                        Err(e) => return Err(classify(&e, &store)),
                    };
                    let Some(func) = instance.get_func(&mut store, &export.name) else {
                        return Err(Failure::Trap(format!("the module lost its export '{}'", export.name)));
                    };
                    Instance::Core { store, func }
                }
            };
            self.state.instance = Some(instance);
        }
        self.state.instance.as_mut().ok_or_else(|| Failure::Trap("no instance".into()))
    }

    /// One call into a component: the result and its row errors, a call error, or
    /// a failure.
    fn component_call(
        &mut self,
        name: &str,
        args: &[Operand],
        rows: usize,
    ) -> Result<Result<(ArrayRef, Vec<(usize, String)>), String>, Failure> {
        let mut columns = vec![placeholder(); args.len()];
        for (i, a) in args.iter().enumerate() {
            if let Err(e) = lower_into(a.array().as_ref(), i, &mut columns) {
                return Ok(Err(format!("argument {} cannot be passed: {e}", i + 1)));
            }
        }
        let params: Vec<_> = columns.iter().map(Lowered::param).collect();
        let batch = Batch { rows: rows as u32, args: args.len() as u32, columns: &params };
        let limits = self.resolved.limits;
        let returns = self.resolved.returns.clone();
        let Instance::Component { store, udf } = self.instance()? else {
            return Err(Failure::Trap("a component bound as a core module".into()));
        };
        store.set_epoch_deadline(limits.ticks());
        let output = match udf.wasp_udf_scalar().call_call(&mut *store, name, batch) {
            Ok(Ok(output)) => output,
            Ok(Err(e)) => return Ok(Err(format!("call failed: {}", cut(call_error(e))))),
            Err(e) => return Err(classify(&e, store)),
        };
        let mut output = output;
        let array = match lift(&mut output.columns, &returns, rows) {
            Ok(a) => a,
            Err(e) => return Ok(Err(format!("returned an invalid result: {e}"))),
        };
        let row_errors = output.row_errors.into_iter().map(|e| (e.row as usize, e.message)).collect();
        Ok(Ok((array, row_errors)))
    }

    /// A core module: one call per row, inside this one host call. A row that traps
    /// is that row's error; the instance is replaced and the loop goes on.
    fn core_rows(
        &mut self,
        export: &CoreExport,
        args: &[Operand],
        rows: usize,
        base: usize,
        errors: &mut Vec<(usize, String)>,
    ) -> ArrayRef {
        let limits = self.resolved.limits;
        let mut params: Vec<Val> = export.params.iter().map(zero).collect();
        let mut results = [zero(&export.result)];
        let mut out: Vec<Option<Val>> = Vec::with_capacity(rows);
        let mut deadline_set = false;
        for row in 0..rows {
            let mut null = false;
            for (i, a) in args.iter().enumerate() {
                let idx = a.index(row);
                let arr = a.array();
                if arr.is_null(idx) {
                    null = true;
                    break;
                }
                params[i] = read(arr.as_ref(), idx, &export.params[i]);
            }
            if null {
                out.push(None);
                continue;
            }
            let call = match self.instance() {
                Ok(Instance::Core { store, func }) => {
                    if !deadline_set {
                        store.set_epoch_deadline(limits.ticks());
                        deadline_set = true;
                    }
                    func.call(&mut *store, &params, &mut results).map_err(|e| classify(&e, store))
                }
                Ok(Instance::Component { .. }) => Err(Failure::Trap("a component bound as a core module".into())),
                Err(f) => Err(f),
            };
            match call {
                Ok(()) => out.push(Some(results[0])),
                Err(failure) => {
                    self.state.instance = None;
                    deadline_set = false;
                    self.count(&failure);
                    errors.push((base + row, failure.message(&limits)));
                    out.push(None);
                }
            }
        }
        build_core_result(&self.resolved.returns, out)
    }
}

fn call_error(e: super::bindings::CallError) -> String {
    use super::bindings::CallError;
    match e {
        CallError::UnknownFunction(m) => format!("unknown function: {m}"),
        CallError::InvalidArguments(m) => format!("invalid arguments: {m}"),
        CallError::Failed(m) => m,
    }
}

fn zero(t: &ValType) -> Val {
    match t {
        ValType::I64 => Val::I64(0),
        ValType::F32 => Val::F32(0),
        ValType::F64 => Val::F64(0),
        _ => Val::I32(0),
    }
}

/// Row `i` of an INT, BIGINT or DOUBLE array as the core type `t`.
fn read(a: &dyn Array, i: usize, t: &ValType) -> Val {
    match t {
        ValType::I32 => Val::I32(a.as_primitive_opt::<Int32Type>().map(|a| a.value(i)).unwrap_or(0)),
        ValType::I64 => Val::I64(a.as_primitive_opt::<Int64Type>().map(|a| a.value(i)).unwrap_or(0)),
        ValType::F32 => {
            Val::F32((a.as_primitive_opt::<Float64Type>().map(|a| a.value(i)).unwrap_or(0.0) as f32).to_bits())
        }
        _ => Val::F64(a.as_primitive_opt::<Float64Type>().map(|a| a.value(i)).unwrap_or(0.0).to_bits()),
    }
}

fn build_core_result(returns: &DataType, out: Vec<Option<Val>>) -> ArrayRef {
    match returns {
        DataType::Int => Arc::new(out.into_iter().map(|v| v.and_then(|v| v.i32())).collect::<Int32Array>()),
        DataType::BigInt => Arc::new(out.into_iter().map(|v| v.and_then(|v| v.i64())).collect::<Int64Array>()),
        _ => Arc::new(
            out.into_iter()
                .map(|v| {
                    v.and_then(|v| match v {
                        Val::F32(b) => Some(f32::from_bits(b) as f64),
                        Val::F64(b) => Some(f64::from_bits(b)),
                        _ => None,
                    })
                })
                .collect::<Float64Array>(),
        ),
    }
}
