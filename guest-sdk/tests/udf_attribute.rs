//! `#[udf]` end to end, natively: annotated plain functions, registered by
//! `export!(names)`, called through the registry as the host would call them.

extern crate wasp_guest as wasp;

use wasp::{
    Batch, CallError, ColumnBuilder, ColumnRef, NullHandling, OwnedColumn, PrimitiveBuilder, PrimitiveView, RowError,
    StrView, StringBuilder,
};

/// Masks the local part of an e-mail address.
#[wasp::udf]
fn mask_email(email: &str) -> Result<String, &'static str> {
    let (local, domain) = email.rsplit_once('@').ok_or("not an e-mail address")?;
    let first = local.chars().next().ok_or("nothing before '@'")?;
    Ok(format!("{first}{}@{domain}", "*".repeat(local.chars().count() - 1)))
}

/// Coalesces to a default.
#[wasp::udf(name = "or_else")]
fn coalesce(text: Option<&str>, default: &str) -> String {
    text.unwrap_or(default).to_string()
}

#[wasp::udf]
fn halve(n: i64) -> Option<i64> {
    (n % 2 == 0).then_some(n / 2)
}

wasp::export!(mask_email, coalesce, halve);

fn strings(values: &[Option<&str>]) -> OwnedColumn {
    let mut b = StringBuilder::with_capacity(values.len());
    values.iter().for_each(|v| b.append_option(*v));
    b.finish()
}

fn call(function: &str, rows: u32, columns: &[OwnedColumn]) -> Result<wasp::Output, CallError> {
    let refs: Vec<ColumnRef<'_>> = columns.iter().map(OwnedColumn::as_ref).collect();
    udf_registry().call(function, Batch { rows, args: columns.len() as u32, columns: &refs })
}

#[test]
fn the_functions_stay_plain_functions() {
    assert_eq!(mask_email("alice@example.com"), Ok("a****@example.com".to_string()));
    assert_eq!(coalesce(None, "x"), "x");
    assert_eq!(halve(3), None);
}

#[test]
fn describe_takes_names_types_docs_and_null_handling_from_the_signatures() {
    let defs = udf_registry().describe();
    let sigs: Vec<String> = defs.iter().map(|d| d.signature()).collect();
    assert_eq!(
        sigs,
        [
            "mask_email(email STRING) RETURNS STRING",
            "or_else(text STRING, default STRING) RETURNS STRING",
            "halve(n BIGINT) RETURNS BIGINT"
        ]
    );
    assert_eq!(defs[0].description, "Masks the local part of an e-mail address.");
    assert_eq!(defs[0].null_handling, NullHandling::NullOnNull);
    assert_eq!(defs[1].null_handling, NullHandling::CalledOnNull);
}

#[test]
fn batches_with_nulls_constants_and_row_errors() {
    let out = call("MASK_EMAIL", 3, &[strings(&[Some("bob@x.io"), None, Some("bogus")])]).unwrap();
    let result = StrView::new(out.columns[0].as_ref()).unwrap();
    assert_eq!(result.iter().collect::<Vec<_>>(), [Some("b**@x.io"), None, None]);
    assert_eq!(out.row_errors, [RowError { row: 2, message: "not an e-mail address".into() }]);

    // A one-row column is a constant for every row.
    let out = call("or_else", 3, &[strings(&[Some("a"), None, Some("c")]), strings(&[Some("-")])]).unwrap();
    let result = StrView::new(out.columns[0].as_ref()).unwrap();
    assert_eq!(result.iter().collect::<Vec<_>>(), [Some("a"), Some("-"), Some("c")]);

    let mut n = PrimitiveBuilder::<i64>::with_capacity(3);
    [4, 5, -8].into_iter().for_each(|v| n.append(v));
    let out = call("halve", 3, &[n.finish()]).unwrap();
    let result = PrimitiveView::<i64>::new(out.columns[0].as_ref()).unwrap();
    assert_eq!(result.iter().collect::<Vec<_>>(), [Some(2), None, Some(-4)]);
}

#[test]
fn the_rust_name_is_not_the_sql_name_when_renamed() {
    assert!(matches!(call("coalesce", 0, &[strings(&[]), strings(&[])]), Err(CallError::UnknownFunction(_))));
}
