//! The functions of a module and the two entry points of the `scalar` interface,
//! `describe` and `call`, in plain Rust: the ABI glue only converts types around
//! these, so everything a call does is testable natively.

use crate::function::{Args, ScalarFunction};
use crate::layout::{Batch, CallError, Output};
use crate::types::FunctionDef;

/// The functions a module exports.
#[derive(Default)]
pub struct Registry {
    functions: Vec<(FunctionDef, Box<dyn ScalarFunction>)>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.functions.iter().map(|(def, _)| def.signature())).finish()
    }
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds a function. Its `def()` is taken once, here.
    ///
    /// # Panics
    ///
    /// When a function of the same name (ignoring case) is registered already: a
    /// module whose `describe` lists a name twice is a bug of the module, found on its
    /// first native test run.
    pub fn register(&mut self, function: impl ScalarFunction) -> &mut Registry {
        let def = function.def();
        assert!(self.find(&def.name).is_none(), "function {} is registered twice", def.name);
        self.functions.push((def, Box::new(function)));
        self
    }

    fn find(&self, name: &str) -> Option<&(FunctionDef, Box<dyn ScalarFunction>)> {
        self.functions.iter().find(|(def, _)| def.name.eq_ignore_ascii_case(name))
    }

    /// `describe`: every function, in registration order.
    pub fn describe(&self) -> Vec<FunctionDef> {
        self.functions.iter().map(|(def, _)| def.clone()).collect()
    }

    /// `call`: evaluates `function` over `batch`, checking the argument count before
    /// and the result's row count after.
    pub fn call(&self, function: &str, batch: Batch<'_>) -> Result<Output, CallError> {
        let (def, f) = self.find(function).ok_or_else(|| {
            let known: Vec<&str> = self.functions.iter().map(|(d, _)| d.name.as_str()).collect();
            CallError::UnknownFunction(format!("{function} (this module has: {})", known.join(", ")))
        })?;
        let params = def.params.len();
        let args = batch.args as usize;
        let fits = if def.variadic { args + 1 >= params } else { args == params };
        if !fits {
            let expected = if def.variadic { format!("at least {}", params - 1) } else { params.to_string() };
            return Err(CallError::InvalidArguments(format!(
                "{} takes {expected} arguments, the call passed {args}",
                def.signature()
            )));
        }
        if batch.columns.len() < args {
            return Err(CallError::InvalidArguments(format!(
                "{args} arguments but {} columns in the batch",
                batch.columns.len()
            )));
        }
        let output = f.invoke(&Args::new(batch))?;
        match output.result() {
            Some(result) if result.len == batch.rows => Ok(output),
            Some(result) => Err(CallError::Failed(format!(
                "{} returned {} rows for a batch of {}",
                def.name, result.len, batch.rows
            ))),
            None => Err(CallError::Failed(format!("{} returned no result column", def.name))),
        }
    }
}
