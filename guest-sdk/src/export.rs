//! The registration macros: [`export!`](crate::export) for plain functions and
//! [`export_registry!`](crate::export_registry) for a hand-built [`Registry`].
//!
//! [`Registry`]: crate::Registry

/// Exports plain Rust functions as SQL functions.
///
/// Wrap the functions in the macro; they stay ordinary functions of the module
/// (callable and unit-testable natively) and become the module's `describe` and
/// `call`. Parameter types ([`ArgValue`](crate::ArgValue)) and the return type
/// ([`ResultValue`](crate::ResultValue)) give the SQL types; parameter names and the
/// first doc line go into `describe`:
///
/// ```
/// wasp_guest::export! {
///     /// Repeats `text` `times` times; a negative count is a per-row error.
///     fn repeat(text: &str, times: i32) -> Result<String, String> {
///         let times = usize::try_from(times).map_err(|_| format!("negative count {times}"))?;
///         Ok(text.repeat(times))
///     }
///
///     /// The length in bytes; NULL for NULL (an `Option` parameter sees NULLs).
///     fn byte_len(text: Option<&str>) -> Option<i64> {
///         text.map(|t| t.len() as i64)
///     }
/// }
///
/// assert_eq!(repeat("ab", 2).unwrap(), "abab");
/// let defs = udf_registry().describe();
/// assert_eq!(defs[0].signature(), "repeat(text STRING, times INTEGER) RETURNS STRING");
/// ```
///
/// The macro also defines `pub fn udf_registry() -> wasp_guest::Registry` in the
/// module, and on `wasm32` the component's exports. Use it once per crate, at the
/// crate root or in one module. Parameters are plain identifiers (no patterns).
/// Functions it registers are deterministic; a nondeterministic one, or one over a
/// whole batch, implements [`ScalarFunction`](crate::ScalarFunction) and goes
/// through [`export_registry!`](crate::export_registry).
///
/// The other form lists functions annotated with [`#[udf]`](crate::udf) by name,
/// in the module that defines them:
///
/// ```ignore
/// #[wasp::udf]
/// fn mask_email(email: &str) -> String { /* ... */ }
///
/// wasp::export!(mask_email);
/// ```
#[macro_export]
macro_rules! export {
    // The functions `#[udf]` annotated, by name.
    ($($name:ident),+ $(,)?) => {
        /// The SQL functions of this module, as `#[udf]` declared them.
        pub fn udf_registry() -> $crate::Registry {
            let mut registry = $crate::Registry::new();
            // `#[udf]` defined a struct of each function's name (a type, so it
            // lives beside the function of that name).
            $(registry.register($name {});)+
            registry
        }

        $crate::export_registry!(udf_registry);
    };

    ($(
        $(#[doc = $doc:literal])*
        $vis:vis fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) -> $ret:ty $body:block
    )*) => {
        $(
            $(#[doc = $doc])*
            $vis fn $name($($arg: $ty),*) -> $ret $body
        )*

        /// The SQL functions of this module, as `wasp_guest::export!` registered them.
        pub fn udf_registry() -> $crate::Registry {
            let mut registry = $crate::Registry::new();
            $(
                registry.register({
                    $crate::plain_function!(Function, stringify!($name), $name, ($($arg: $ty),*) -> $ret, [$($doc),*]);
                    Function {}
                });
            )*
            registry
        }

        $crate::export_registry!(udf_registry);
    };
}

/// Defines `struct $struct` implementing [`ScalarFunction`](crate::ScalarFunction)
/// for the plain Rust function `$function`, registered under the SQL name `$sql`:
/// the batch loop both [`export!`](crate::export) and `#[udf]` expand to. Not a
/// public API.
#[doc(hidden)]
#[macro_export]
macro_rules! plain_function {
    ($struct:ident, $sql:expr, $function:path, ($($arg:ident : $ty:ty),*) -> $ret:ty, [$($doc:expr),*]) => {
        // Braces: a type only, so it may share the function's name.
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        pub struct $struct {}

        impl $crate::ScalarFunction for $struct {
            fn def(&self) -> $crate::FunctionDef {
                $crate::__private::plain_def(
                    $sql,
                    vec![$((stringify!($arg), <$ty as $crate::ArgValue<'_>>::sql_type(), <$ty as $crate::ArgValue<'_>>::NULLABLE)),*],
                    <$ret as $crate::ResultValue>::sql_type(),
                    &[$($doc),*],
                )
            }

            // With no parameters the column counter is never read.
            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn invoke(&self, args: &$crate::Args<'_>) -> ::std::result::Result<$crate::Output, $crate::CallError> {
                use $crate::ColumnBuilder as _;
                let rows = args.rows();
                let mut next_column = 0usize;
                $(
                    let $arg = {
                        let column = args.column(next_column)?;
                        next_column += 1;
                        (<$ty as $crate::ArgValue<'_>>::view(&column)?, column.step())
                    };
                )*
                let mut out = <<$ret as $crate::ResultValue>::Builder>::with_capacity(rows);
                let mut row_errors = ::std::vec::Vec::new();
                for row in 0..rows {
                    $(
                        // A NULL for a non-`Option` parameter: NULL, not called.
                        let Some($arg) = <$ty as $crate::ArgValue<'_>>::get(&$arg.0, row * $arg.1) else {
                            out.append_null();
                            continue;
                        };
                    )*
                    if let Err(message) = $crate::ResultValue::append_to($function($($arg),*), &mut out) {
                        out.append_null();
                        row_errors.push($crate::RowError { row: row as u32, message });
                    }
                }
                Ok($crate::Output { columns: vec![out.finish()], row_errors })
            }
        }
    };
}

/// Exports the functions of a [`Registry`](crate::Registry) built by hand, for
/// functions that implement [`ScalarFunction`](crate::ScalarFunction) themselves:
///
/// ```ignore
/// fn functions() -> wasp_guest::Registry {
///     let mut registry = wasp_guest::Registry::new();
///     registry.register(MyKernel);
///     registry
/// }
/// wasp_guest::export_registry!(functions);
/// ```
///
/// The registry is built once per instance, on the first `describe` or `call`. On
/// targets other than `wasm32` this expands to nothing.
#[macro_export]
macro_rules! export_registry {
    ($registry:path) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct Component;

            impl $crate::__private::abi::Guest for Component {
                fn describe() -> ::std::vec::Vec<$crate::__private::abi::FunctionDef> {
                    $crate::__private::abi::describe(registry())
                }

                fn call(
                    function: ::std::string::String,
                    args: $crate::__private::abi::Batch,
                ) -> ::std::result::Result<$crate::__private::abi::Output, $crate::__private::abi::CallError> {
                    $crate::__private::abi::call(registry(), &function, args)
                }
            }

            fn registry() -> &'static $crate::Registry {
                static REGISTRY: ::std::sync::OnceLock<$crate::Registry> = ::std::sync::OnceLock::new();
                REGISTRY.get_or_init($registry)
            }

    $crate::__private::abi::export!(Component with_types_in $crate::__private::abi::bindings);
        };
    };
}
