//! Loading a module: recognizing a component or a core module, compiling it (once
//! per content digest and runtime; see [`Runtime::compiled`]), refusing imports
//! functions may not have, and reading what functions it provides.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{ExternType, Module, Store, ValType};
use wasp_sql::DataType;

use super::bindings::{Determinism, NullHandling, UdfPre};
use super::sandbox::{Limits, Runtime, StoreState};
use super::types::from_wit;

/// How a module talks to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// A component of the world `wasp:udf/udf@1.0.0`: batched calls, any SQL type.
    Component,
    /// A plain core module with numeric exports, called once per row.
    Core,
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Language::Component => "component",
            Language::Core => "core",
        })
    }
}

/// A function as the module describes it (a component's `describe`, or a core
/// module's export, typed by the declared signature).
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// As the module spells it; calls pass this name.
    pub name: String,
    pub params: Vec<(String, DataType)>,
    pub variadic: bool,
    pub returns: DataType,
    pub null_on_null: bool,
    pub deterministic: bool,
    pub description: String,
}

/// A core module's export: the numeric types of its parameters and result.
#[derive(Debug, Clone)]
pub struct CoreExport {
    pub name: String,
    pub params: Vec<ValType>,
    pub result: ValType,
}

/// A compiled module.
pub struct WasmModule {
    /// Lower-case hex SHA-256 of the module's bytes.
    pub digest: String,
    pub language: Language,
    pub(super) code: Code,
    /// What a component's `describe` returned (empty for a core module).
    pub described: Vec<Described>,
    /// The runtime that compiled it, where its instances run.
    pub runtime: Arc<Runtime>,
}

impl std::fmt::Debug for WasmModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmModule").field("digest", &self.digest).field("language", &self.language).finish()
    }
}

#[derive(Clone)]
pub(super) enum Code {
    Component(UdfPre<StoreState>),
    Core(Module),
}

/// The SHA-256 of `bytes`, lower-case hex.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl WasmModule {
    /// Compiles and checks `bytes`; for a component, instantiates it once (under
    /// `limits`) and asks it to describe its functions.
    pub fn load(runtime: &Arc<Runtime>, bytes: &[u8], limits: Limits) -> Result<Arc<WasmModule>, String> {
        let language = match bytes.get(..8) {
            Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => Language::Core,
            Some([0, b'a', b's', b'm', _, _, 1, 0]) => Language::Component,
            Some([0, b'a', b's', b'm', ..]) => {
                return Err("not a WebAssembly module or component this host understands (unknown version)".into())
            }
            _ => return Err("not WebAssembly: the bytes do not start with \\0asm".into()),
        };
        let digest = digest(bytes);
        let code = runtime.compiled(&digest, || compile(runtime, bytes, language))?;
        let described = match &code {
            Code::Component(pre) => describe(runtime, pre, limits)?,
            Code::Core(_) => Vec::new(),
        };
        Ok(Arc::new(WasmModule { digest, language, code, described, runtime: runtime.clone() }))
    }

    /// A core module's exported function called `name` (case-insensitively), with
    /// numeric parameters and one numeric result.
    pub fn core_export(&self, name: &str) -> Result<CoreExport, String> {
        let Code::Core(module) = &self.code else {
            return Err("not a core module".into());
        };
        let mut names = Vec::new();
        for export in module.exports() {
            let ExternType::Func(f) = export.ty() else { continue };
            names.push(export.name().to_owned());
            if !export.name().eq_ignore_ascii_case(name) {
                continue;
            }
            let params: Vec<ValType> = f.params().collect();
            let results: Vec<ValType> = f.results().collect();
            for (i, p) in params.iter().enumerate() {
                if !is_numeric(p) {
                    return Err(format!("export '{}' parameter {} is {p}, not i32/i64/f32/f64", export.name(), i + 1));
                }
            }
            let result = match results.as_slice() {
                [r] if is_numeric(r) => r.clone(),
                other => {
                    return Err(format!(
                        "export '{}' returns {} values, a SQL function needs exactly one i32/i64/f32/f64",
                        export.name(),
                        other.len()
                    ))
                }
            };
            return Ok(CoreExport { name: export.name().to_owned(), params, result });
        }
        Err(format!("the module exports no function '{name}' (it exports: {})", names.join(", ")))
    }
}

fn is_numeric(t: &ValType) -> bool {
    matches!(t, ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64)
}

fn compile(runtime: &Runtime, bytes: &[u8], language: Language) -> Result<Code, String> {
    match language {
        Language::Core => {
            let module = Module::new(runtime.engine(), bytes).map_err(|e| format!("invalid WebAssembly: {e:#}"))?;
            if let Some(import) = module.imports().next() {
                return Err(format!(
                    "the module imports {}::{}, which functions may not import (a core module gets no imports)",
                    import.module(),
                    import.name()
                ));
            }
            Ok(Code::Core(module))
        }
        Language::Component => {
            let component =
                Component::new(runtime.engine(), bytes).map_err(|e| format!("invalid WebAssembly component: {e:#}"))?;
            // The linker has WASI's sockets (denying every address), but a function
            // that asks for the network at all is refused up front, by name.
            let ty = component.component_type();
            for (name, _) in ty.imports(runtime.engine()) {
                if DENIED_IMPORTS.iter().any(|p| name.starts_with(p)) {
                    return Err(format!("the module imports {name}, which functions may not use (no network)"));
                }
            }
            let pre = component_linker(runtime)?
                .instantiate_pre(&component)
                .map_err(|e| format!("the module imports what functions may not use: {e:#}"))?;
            let pre = UdfPre::new(pre).map_err(|e| {
                format!("the component does not export wasp:udf/scalar@1.0.0 as the world wasp:udf/udf needs: {e:#}")
            })?;
            Ok(Code::Component(pre))
        }
    }
}

/// Interfaces a component may not import although the linker could satisfy them.
const DENIED_IMPORTS: &[&str] = &["wasi:sockets/"];

/// The linker of components: the WASI stand-ins of [`StoreState`], nothing else.
fn component_linker(runtime: &Runtime) -> Result<Linker<StoreState>, String> {
    let mut linker = Linker::new(runtime.engine());
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| format!("cannot link WASI: {e}"))?;
    Ok(linker)
}

fn describe(runtime: &Runtime, pre: &UdfPre<StoreState>, limits: Limits) -> Result<Vec<Described>, String> {
    let mut store: Store<StoreState> = runtime.store(limits);
    let udf = pre.instantiate(&mut store).map_err(|e| format!("the module failed to start: {e:#}"))?;
    let defs = udf.wasp_udf_scalar().call_describe(&mut store).map_err(|e| format!("describe trapped: {e:#}"))?;
    let mut out = Vec::with_capacity(defs.len());
    for d in defs {
        let ty = |t, what: &str| from_wit(t).map_err(|e| format!("describe: function {}: {what}: {e}", d.name));
        let mut params = Vec::with_capacity(d.params.len());
        for p in &d.params {
            params.push((p.name.clone(), ty(&p.ty, &format!("parameter {}", p.name))?));
        }
        let returns = ty(&d.returns, "return type")?;
        out.push(Described {
            name: d.name.clone(),
            params,
            variadic: d.variadic,
            returns,
            null_on_null: d.null_handling == NullHandling::NullOnNull,
            deterministic: d.determinism == Determinism::Deterministic,
            description: d.description.clone(),
        });
    }
    Ok(out)
}
