//! Whole calls through the registry, natively: what the host sees of a module.

use crate::*;

crate::export! {
    /// Masks the local part of an e-mail address.
    fn mask(email: &str) -> String {
        match email.split_once('@') {
            Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
            None => "***".into(),
        }
    }

    /// Scales a value; a negative factor is a per-row error.
    fn scale(x: f64, factor: i64) -> Result<f64, String> {
        if factor < 0 {
            return Err(format!("negative factor {factor}"));
        }
        Ok(x * factor as f64)
    }

    /// Coalesces to a default; sees NULLs.
    fn or_default(text: Option<&str>, default: &str) -> String {
        text.unwrap_or(default).to_string()
    }

    fn is_even(n: i32) -> Option<bool> {
        if n == 0 { None } else { Some(n % 2 == 0) }
    }
}

fn strings(values: &[Option<&str>]) -> OwnedColumn {
    let mut b = StringBuilder::with_capacity(values.len());
    values.iter().for_each(|v| b.append_option(*v));
    b.finish()
}

fn call(function: &str, rows: u32, columns: &[OwnedColumn]) -> Result<Output, CallError> {
    let refs: Vec<ColumnRef<'_>> = columns.iter().map(OwnedColumn::as_ref).collect();
    udf_registry().call(function, Batch { rows, args: columns.len() as u32, columns: &refs })
}

fn result_strings(output: &Output) -> Vec<Option<String>> {
    let view = StrView::new(output.columns[0].as_ref()).unwrap();
    view.iter().map(|v| v.map(str::to_string)).collect()
}

#[test]
fn wit_declares_the_package_world_and_entry_points() {
    assert!(WIT.contains(&format!("package {PACKAGE};")));
    assert!(WIT.contains("world udf {\n    export scalar;\n}"));
    assert!(WIT.contains("call: func(function: string, args: batch) -> result<output, call-error>;"));
    assert!(WIT.contains("describe: func() -> list<function-def>;"));
}

#[test]
fn bindings_match_the_wit() {
    let digest = WIT.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    assert_eq!(
        digest, WIT_DIGEST_OF_BINDINGS,
        "wit/udf.wit changed since src/abi/bindings.rs was generated: regenerate them (src/abi/mod.rs says how)"
    );
}

#[test]
fn describe_reports_types_null_handling_and_docs() {
    let defs = udf_registry().describe();
    let signatures: Vec<String> = defs.iter().map(FunctionDef::signature).collect();
    assert_eq!(
        signatures,
        [
            "mask(email STRING) RETURNS STRING",
            "scale(x DOUBLE, factor BIGINT) RETURNS DOUBLE",
            "or_default(text STRING, default STRING) RETURNS STRING",
            "is_even(n INTEGER) RETURNS BOOLEAN",
        ]
    );
    assert_eq!(defs[0].null_handling, NullHandling::NullOnNull);
    assert_eq!(defs[2].null_handling, NullHandling::CalledOnNull);
    assert_eq!(defs[0].determinism, Determinism::Deterministic);
    assert_eq!(defs[0].description, "Masks the local part of an e-mail address.");
    assert_eq!(defs[3].description, "");
}

#[test]
fn a_string_function_over_a_batch_with_nulls() {
    let out = call("mask", 3, &[strings(&[Some("alice@example.com"), None, Some("nope")])]).unwrap();
    assert_eq!(result_strings(&out), [Some("a***@example.com".into()), None, Some("***".into())]);
    assert!(out.row_errors.is_empty());
    // Names match case-insensitively, as SQL names do.
    assert!(call("MASK", 1, &[strings(&[Some("b@c")])]).is_ok());
}

#[test]
fn per_row_errors_are_null_and_reported_and_constants_broadcast() {
    let mut x = PrimitiveBuilder::<f64>::with_capacity(3);
    [1.5, 2.0, 4.0].into_iter().for_each(|v| x.append(v));
    let mut factor = PrimitiveBuilder::<i64>::with_capacity(3);
    [2, -1, 3].into_iter().for_each(|v| factor.append(v));
    let out = call("scale", 3, &[x.clone().finish(), factor.finish()]).unwrap();
    let view = PrimitiveView::<f64>::new(out.columns[0].as_ref()).unwrap();
    assert_eq!(view.iter().collect::<Vec<_>>(), [Some(3.0), None, Some(12.0)]);
    assert_eq!(out.row_errors, [RowError { row: 1, message: "negative factor -1".into() }]);

    // A literal argument arrives as a one-row column and holds for every row.
    let mut ten = PrimitiveBuilder::<i64>::with_capacity(1);
    ten.append(10);
    let out = call("scale", 3, &[x.finish(), ten.finish()]).unwrap();
    let view = PrimitiveView::<f64>::new(out.columns[0].as_ref()).unwrap();
    assert_eq!(view.values().collect::<Vec<_>>(), [15.0, 20.0, 40.0]);
}

#[test]
fn option_parameters_see_nulls_others_give_null() {
    let texts = strings(&[None, Some("x"), None]);
    let defaults = strings(&[Some("d"), Some("d"), None]);
    let out = call("or_default", 3, &[texts, defaults]).unwrap();
    assert_eq!(result_strings(&out), [Some("d".into()), Some("x".into()), None]);

    let mut n = PrimitiveBuilder::<i32>::with_capacity(3);
    [2, 0, 3].into_iter().for_each(|v| n.append(v));
    let out = call("is_even", 3, &[n.finish()]).unwrap();
    let view = BoolView::new(out.columns[0].as_ref()).unwrap();
    assert_eq!(view.iter().collect::<Vec<_>>(), [Some(true), None, Some(false)]);
}

#[test]
fn call_errors_name_the_problem() {
    let err = call("nope", 1, &[]).unwrap_err();
    assert_eq!(err, CallError::UnknownFunction("nope (this module has: mask, scale, or_default, is_even)".into()));

    let err = call("mask", 1, &[]).unwrap_err();
    assert_eq!(
        err,
        CallError::InvalidArguments("mask(email STRING) RETURNS STRING takes 1 arguments, the call passed 0".into())
    );

    // A column of the wrong length, and bytes that are not UTF-8 for a STRING.
    let err = call("mask", 3, &[strings(&[Some("a"), Some("b")])]).unwrap_err();
    assert!(
        matches!(&err, CallError::InvalidArguments(m) if m.contains("argument 0 has 2 rows in a batch of 3")),
        "{err}"
    );
    let mut bad = strings(&[Some("ab")]);
    bad.values = vec![0xff, 0xfe];
    let err = call("mask", 1, &[bad]).unwrap_err();
    assert!(matches!(&err, CallError::InvalidArguments(m) if m.contains("not UTF-8")), "{err}");
}

/// A batch-level function that returns the wrong number of rows.
struct Short;

impl ScalarFunction for Short {
    fn def(&self) -> FunctionDef {
        FunctionDef::new("short", vec![], SqlType::BigInt)
    }

    fn invoke(&self, _args: &Args<'_>) -> Result<Output, CallError> {
        Ok(Output::new(PrimitiveBuilder::<i64>::with_capacity(0).finish()))
    }
}

/// A variadic batch-level function: the sum of its BIGINT arguments, by column.
struct SumAll;

impl ScalarFunction for SumAll {
    fn def(&self) -> FunctionDef {
        let mut def =
            FunctionDef::new("sum_all", vec![Param { name: "values".into(), ty: SqlType::BigInt }], SqlType::BigInt);
        def.variadic = true;
        def
    }

    fn invoke(&self, args: &Args<'_>) -> Result<Output, CallError> {
        let mut sums = vec![Some(0i64); args.rows()];
        for i in 0..args.len() {
            let column = args.column(i)?;
            let view = column.i64()?;
            for (row, sum) in sums.iter_mut().enumerate() {
                *sum = sum.zip(view.get(column.row(row))).and_then(|(s, v)| s.checked_add(v));
            }
        }
        let mut out = PrimitiveBuilder::<i64>::with_capacity(args.rows());
        sums.into_iter().for_each(|s| out.append_option(s));
        Ok(Output::new(out.finish()))
    }
}

#[test]
fn batch_level_functions_variadics_and_result_checks() {
    let mut registry = Registry::new();
    registry.register(Short).register(SumAll);
    let err = registry.call("short", Batch { rows: 2, args: 0, columns: &[] }).unwrap_err();
    assert_eq!(err, CallError::Failed("short returned 0 rows for a batch of 2".into()));

    let mut a = PrimitiveBuilder::<i64>::with_capacity(2);
    a.append(1);
    a.append_null();
    let (a, b) = (a.finish(), PrimitiveBuilder::<i64>::with_capacity(2));
    let mut b = b;
    b.append(10);
    b.append(20);
    let b = b.finish();
    let columns = [a.as_ref(), b.as_ref(), b.as_ref()];
    let out = registry.call("sum_all", Batch { rows: 2, args: 3, columns: &columns }).unwrap();
    let view = PrimitiveView::<i64>::new(out.columns[0].as_ref()).unwrap();
    assert_eq!(view.iter().collect::<Vec<_>>(), [Some(21), None]);
    // Zero values are fine for a variadic of one parameter.
    assert!(registry.call("sum_all", Batch { rows: 0, args: 0, columns: &[] }).is_ok());
}

#[test]
#[should_panic(expected = "function MASK is registered twice")]
fn duplicate_names_are_a_bug_of_the_module() {
    let mut registry = udf_registry();
    registry.register(udf_registry_first());
}

fn udf_registry_first() -> impl ScalarFunction {
    struct Mask;
    impl ScalarFunction for Mask {
        fn def(&self) -> FunctionDef {
            FunctionDef::new("MASK", vec![], SqlType::String)
        }
        fn invoke(&self, _: &Args<'_>) -> Result<Output, CallError> {
            Err(CallError::Failed("unused".into()))
        }
    }
    Mask
}
