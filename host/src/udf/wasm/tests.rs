//! Tests with real modules: lowering and lifting round trips, core modules written
//! in WAT here, and the Rust `mask_email` component from `$WASP_UDFS_DIR`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arrow_array::{Array, ArrayRef};
use wasp_sql::{DataType, Decimal, StructField, Value};

use super::bindings::ColumnResult as Column;
use super::lift::lift;
use super::lower::{lower, Lowered};
use super::*;
use crate::columnar::{array_of, scalar_of, values_of, Operand};
use crate::udf::{RowErrors, ScalarArgs, ScalarUdf};

/// The process-wide runtime (no disk cache) the tests load modules into.
fn shared() -> Arc<sandbox::Runtime> {
    sandbox::Runtime::shared().unwrap()
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn round_trip(t: &DataType, values: &[Value]) {
    let array = array_of(t, values);
    for (offset, len) in [(0, values.len()), (1, values.len() - 1), (values.len() - 2, 2)] {
        let sliced = array.slice(offset, len);
        let mut lowered = Vec::new();
        lower(sliced.as_ref(), &mut lowered).unwrap();
        let mut columns = as_returned(&lowered);
        let back = lift(&mut columns, t, len).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(values_of(back.as_ref()), values_of(sliced.as_ref()), "{t} at {offset}+{len}");
        assert_eq!(back.data_type(), sliced.data_type());
    }
}

/// The columns as a guest would return them: the same bytes, owned.
fn as_returned(lowered: &[Lowered]) -> Vec<Column> {
    lowered
        .iter()
        .map(|c| {
            let p = c.param();
            Column {
                len: p.len,
                validity: p.validity.map(<[u8]>::to_vec),
                values: p.values.to_vec(),
                offsets: p.offsets.map(<[u8]>::to_vec),
                children: p.children.to_vec(),
            }
        })
        .collect()
}

#[test]
fn every_type_round_trips_with_nulls_and_slices() {
    let dec = |u| Value::Decimal(Decimal { unscaled: u, scale: 2 });
    let cases: Vec<(DataType, Vec<Value>)> = vec![
        (DataType::Boolean, vec![Value::Boolean(true), Value::Null, Value::Boolean(false), Value::Boolean(true)]),
        (DataType::Int, vec![Value::Int(1), Value::Null, Value::Int(-3), Value::Int(i32::MAX)]),
        (DataType::BigInt, vec![Value::BigInt(i64::MIN), Value::BigInt(2), Value::Null, Value::BigInt(4)]),
        (DataType::Double, vec![Value::Double(1.5), Value::Null, Value::Double(-0.0), Value::Double(1e300)]),
        (DataType::Decimal { precision: 10, scale: 2 }, vec![dec(12345), Value::Null, dec(-1), dec(0)]),
        (DataType::String, vec![s("héllo"), Value::Null, s(""), s("wasp")]),
        (
            DataType::Bytes,
            vec![
                Value::Bytes(Arc::from(&b"\x00\x01"[..])),
                Value::Null,
                Value::Bytes(Arc::from(&b""[..])),
                Value::Bytes(Arc::from(&b"z"[..])),
            ],
        ),
        (
            DataType::Timestamp,
            vec![Value::Timestamp(1_700_000_000_000), Value::Null, Value::Timestamp(0), Value::Timestamp(-1)],
        ),
        (DataType::Date, vec![Value::Date(19_000), Value::Null, Value::Date(0), Value::Date(-5)]),
        (DataType::Time, vec![Value::Time(3_600_000), Value::Time(0), Value::Null, Value::Time(1)]),
        (
            DataType::Array(Box::new(DataType::String)),
            vec![
                Value::Array(vec![s("a"), Value::Null]),
                Value::Null,
                Value::Array(vec![]),
                Value::Array(vec![s("b"), s("c")]),
            ],
        ),
        (
            DataType::Map(Box::new(DataType::String), Box::new(DataType::Array(Box::new(DataType::Int)))),
            vec![
                Value::Map(vec![(s("k"), Value::Array(vec![Value::Int(1)]))]),
                Value::Null,
                Value::Map(vec![]),
                Value::Map(vec![(s("x"), Value::Null), (s("y"), Value::Array(vec![Value::Int(2), Value::Null]))]),
            ],
        ),
        (
            DataType::Struct(vec![
                StructField { name: "A".into(), data_type: DataType::Int },
                StructField { name: "B".into(), data_type: DataType::Array(Box::new(DataType::Double)) },
            ]),
            vec![
                Value::Struct(vec![Value::Int(1), Value::Array(vec![Value::Double(0.5)])]),
                Value::Null,
                Value::Struct(vec![Value::Null, Value::Null]),
                Value::Struct(vec![Value::Int(4), Value::Array(vec![])]),
            ],
        ),
    ];
    for (t, values) in &cases {
        round_trip(t, values);
    }
}

#[test]
fn a_constant_lowers_as_one_row() {
    let mut columns = Vec::new();
    lower(scalar_of(&DataType::String, &s("c")).as_ref(), &mut columns).unwrap();
    assert_eq!(columns[0].len, 1);
    assert_eq!(columns[0].values.as_slice(), b"c");
}

fn column(len: u32, values: &[u8], offsets: Option<&[i32]>) -> Column {
    Column {
        len,
        validity: None,
        values: values.to_vec(),
        offsets: offsets.map(|o| o.iter().flat_map(|i| i.to_le_bytes()).collect()),
        children: Vec::new(),
    }
}

#[test]
fn malformed_guest_columns_are_refused() {
    // Too few value bytes.
    assert!(lift(&mut [column(2, &[0; 7], None)], &DataType::BigInt, 1).unwrap_err().contains("expected 1"));
    assert!(lift(&mut [column(2, &[0; 8], None)], &DataType::Int, 2).is_ok());
    assert!(lift(&mut [column(3, &[0; 7], None)], &DataType::Int, 3).unwrap_err().contains("value bytes"));
    // Offsets out of bounds, decreasing, missing, or not UTF-8.
    let refused = |c: Column, t: &DataType, rows: usize| lift(&mut [c], t, rows).unwrap_err();
    assert!(refused(column(1, b"ab", Some(&[0, 5])), &DataType::String, 1).contains("reach byte 5 of a 2-byte"));
    assert!(refused(column(2, b"ab", Some(&[0, 2, 1])), &DataType::String, 2).contains("decrease at row 1: 2 then 1"));
    assert!(refused(column(2, b"ab", Some(&[0, 2, 1])), &DataType::Bytes, 2).contains("decrease at row 1"));
    assert!(refused(column(1, b"ab", Some(&[-1, 1])), &DataType::String, 1).contains("negative"));
    assert!(refused(column(2, "é".as_bytes(), Some(&[0, 1, 2])), &DataType::String, 2).contains("UTF-8"));
    let mut with_nulls = column(2, b"ab", Some(&[0, 1, 2]));
    with_nulls.validity = Some(vec![0b10]);
    let back = lift(&mut [with_nulls], &DataType::String, 2).unwrap();
    assert_eq!(values_of(back.as_ref()), vec![Value::Null, s("b")]);
    assert!(lift(&mut [column(1, b"ab", None)], &DataType::String, 1).unwrap_err().contains("no offsets"));
    assert!(lift(&mut [column(1, &[0xff, 0xfe], Some(&[0, 2]))], &DataType::String, 1).is_err());
    assert!(lift(&mut [column(1, &[0xff], Some(&[0, 1]))], &DataType::Bytes, 1).is_ok());
    // Text that is not all ASCII is checked as UTF-8 and at each row's start.
    let back = lift(&mut [column(2, "éa".as_bytes(), Some(&[0, 2, 3]))], &DataType::String, 2).unwrap();
    assert_eq!(values_of(back.as_ref()), vec![s("é"), s("a")]);
    assert!(refused(column(1, &[b'a', 0xc3], Some(&[0, 2])), &DataType::String, 1).contains("not UTF-8"));
    assert!(refused(column(2, "éa".as_bytes(), Some(&[0, 1, 3])), &DataType::String, 2).contains("row 1 starts inside"));
    // So is text nested in an ARRAY.
    let mut list = column(1, &[], Some(&[0, 1]));
    list.children = vec![1];
    let strings = DataType::Array(Box::new(DataType::String));
    assert!(refused(list.clone(), &strings, 1).contains("missing"));
    let nested = lift(&mut [list.clone(), column(1, b"ok", Some(&[0, 2]))], &strings, 1).unwrap();
    assert_eq!(values_of(nested.as_ref()), vec![Value::Array(vec![s("ok")])]);
    assert!(lift(&mut [list, column(1, &[0xff], Some(&[0, 1]))], &strings, 1).unwrap_err().contains("column 1"));
    // A short validity bitmap; a child that points backwards or is missing.
    let mut c = column(9, &[0; 36], None);
    c.validity = Some(vec![0xff]);
    assert!(lift(&mut [c], &DataType::Int, 9).unwrap_err().contains("bitmap"));
    let mut list = column(1, &[], Some(&[0, 1]));
    list.children = vec![0];
    assert!(lift(&mut [list.clone()], &DataType::Array(Box::new(DataType::Int)), 1).unwrap_err().contains("not after"));
    list.children = vec![7];
    assert!(lift(&mut [list], &DataType::Array(Box::new(DataType::Int)), 1).unwrap_err().contains("missing"));
    assert!(lift(&mut [], &DataType::Int, 0).is_err());
}

/// Calls `f` over `args` as the engine does: bound once, one call per batch.
fn call(f: &dyn ScalarUdf, args: Vec<Operand>, rows: usize, arg_types: &[DataType]) -> (ArrayRef, RowErrors) {
    let bound = f.bind().expect("a WebAssembly function binds");
    call_bound(bound.as_ref(), args, rows, arg_types)
}

fn call_bound(f: &dyn ScalarUdf, args: Vec<Operand>, rows: usize, arg_types: &[DataType]) -> (ArrayRef, RowErrors) {
    let mut errors = RowErrors::default();
    let return_type = f.return_type(arg_types).unwrap();
    let out =
        f.invoke(ScalarArgs { args: &args, rows, arg_types, return_type: &return_type, errors: &mut errors }).unwrap();
    assert_eq!(out.len(), rows);
    (out, errors)
}

fn core_function(wat: &str, name: &str, decl: Declared, limits: Limits) -> WasmFunction {
    let bytes = wat::parse_str(wat).unwrap();
    let module = WasmModule::load(&shared(), &bytes, limits).unwrap();
    let mut resolved = resolve(&module, name, Some(&decl), None, limits).unwrap();
    let (sql, r) = resolved.remove(0);
    WasmFunction::new(&sql, &sql, r)
}

fn ints(v: &[Option<i32>]) -> Operand {
    Operand::Array(Arc::new(arrow_array::Int32Array::from(v.to_vec())))
}

fn unary(t: DataType, r: DataType) -> Declared {
    Declared { params: vec![("X".into(), t)], returns: r }
}

const CORE: &str = r#"
(module
  (memory 1)
  (func $rec (param i32) (result i32) (call $rec (i32.add (local.get 0) (i32.const 1))))
  (func (export "Risky") (param $x i32) (result i32)
    ;; x < 0: trap; x = 1000: loop forever; x = 2000: grow memory until refused;
    ;; x = 3000: recurse without end; otherwise x * 2.
    (if (i32.lt_s (local.get $x) (i32.const 0)) (then unreachable))
    (if (i32.eq (local.get $x) (i32.const 1000)) (then (loop $l (br $l))))
    (if (i32.eq (local.get $x) (i32.const 2000))
      (then (loop $g (drop (memory.grow (i32.const 16))) (br $g))))
    (if (i32.eq (local.get $x) (i32.const 3000)) (then (drop (call $rec (i32.const 0)))))
    (i32.mul (local.get $x) (i32.const 2)))
  (func (export "geo_distance") (param f64 f64 f64 f64) (result f64)
    (f64.sqrt (f64.add
      (f64.mul (f64.sub (local.get 2) (local.get 0)) (f64.sub (local.get 2) (local.get 0)))
      (f64.mul (f64.sub (local.get 3) (local.get 1)) (f64.sub (local.get 3) (local.get 1)))))))
"#;

fn short() -> Limits {
    Limits { memory_bytes: 1 << 20, timeout: Duration::from_millis(50) }
}

#[test]
fn a_core_module_computes_and_its_failing_rows_are_contained() {
    let f = core_function(CORE, "risky", unary(DataType::Int, DataType::Int), short());
    let bound = f.bind().unwrap();
    let args = ints(&[Some(1), Some(-1), None, Some(1000), Some(2000), Some(3000), Some(21)]);
    let (out, errors) = call_bound(bound.as_ref(), vec![args], 7, &[DataType::Int]);
    assert_eq!(
        values_of(out.as_ref()),
        [Value::Int(2), Value::Null, Value::Null, Value::Null, Value::Null, Value::Null, Value::Int(42)]
    );
    let rows: Vec<usize> = errors.errors.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, [1, 3, 4, 5]);
    assert!(errors.errors[0].1.contains("unreachable"), "{:?}", errors.errors[0]);
    assert!(errors.errors[1].1.contains("timed out"), "{:?}", errors.errors[1]);
    assert!(errors.errors[2].1.contains("out of memory"), "{:?}", errors.errors[2]);
    assert!(errors.errors[3].1.contains("stack"), "{:?}", errors.errors[3]);
    // The binding goes on with a fresh instance.
    let (out, errors) = call_bound(bound.as_ref(), vec![ints(&[Some(5)])], 1, &[DataType::Int]);
    assert_eq!(values_of(out.as_ref()), [Value::Int(10)]);
    assert!(errors.is_empty());
    let stats = f.stats().snapshot();
    assert_eq!((stats.calls, stats.rows, stats.errors, stats.traps, stats.timeouts), (2, 8, 4, 4, 1));
    assert!(stats.p99_ns >= stats.p50_ns && stats.p50_ns > 0);
}

#[test]
fn a_core_module_takes_doubles_and_constants() {
    let decl = Declared {
        params: ["LAT1", "LON1", "LAT2", "LON2"].iter().map(|n| (n.to_string(), DataType::Double)).collect(),
        returns: DataType::Double,
    };
    let f = core_function(CORE, "GEO_DISTANCE", decl, Limits::default());
    let lat = Operand::Array(Arc::new(arrow_array::Float64Array::from(vec![Some(3.0), None, Some(0.0)])));
    let c = |v| Operand::Scalar(scalar_of(&DataType::Double, &Value::Double(v)));
    // An INT argument is widened to the declared DOUBLE.
    let lon = Operand::Array(Arc::new(arrow_array::Int32Array::from(vec![4, 4, 0])));
    let types = [DataType::Double, DataType::Int, DataType::Double, DataType::Double];
    let (out, errors) = call(&f, vec![lat, lon, c(0.0), c(0.0)], 3, &types);
    assert_eq!(values_of(out.as_ref()), [Value::Double(5.0), Value::Null, Value::Double(0.0)]);
    assert!(errors.is_empty());
}

#[test]
fn core_modules_are_checked_at_load() {
    let load = |wat: &str| WasmModule::load(&shared(), &wat::parse_str(wat).unwrap(), Limits::default()).map(|_| ());
    let err =
        load(r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))))"#)
            .unwrap_err();
    assert!(err.contains("wasi_snapshot_preview1::fd_write"), "{err}");
    let m = WasmModule::load(&shared(), &wat::parse_str(CORE).unwrap(), Limits::default()).unwrap();
    let err = resolve(&m, "risky", Some(&unary(DataType::Double, DataType::Int)), None, Limits::default()).unwrap_err();
    assert!(err.contains("parameter 1 (X) is declared DOUBLE") && err.contains("i32"), "{err}");
    let err = resolve(&m, "risky", Some(&unary(DataType::Int, DataType::String)), None, Limits::default()).unwrap_err();
    assert!(err.contains("return type is declared STRING"), "{err}");
    let err = resolve(&m, "nope", Some(&unary(DataType::Int, DataType::Int)), None, Limits::default()).unwrap_err();
    assert!(err.contains("no function 'nope'") && err.contains("geo_distance"), "{err}");
    let ok = resolve(&m, "double_it", Some(&unary(DataType::Int, DataType::Int)), Some("RISKY"), Limits::default());
    assert_eq!(ok.unwrap()[0].0, "DOUBLE_IT");
    assert!(resolve(&m, "risky", None, None, Limits::default()).unwrap_err().contains("declare the signature"));
    assert!(WasmModule::load(&shared(), b"hello", Limits::default()).unwrap_err().contains("not WebAssembly"));
    assert!(WasmModule::load(&shared(), b"\0asm\x01\0\0\0\x99", Limits::default()).unwrap_err().contains("invalid"));
}

#[test]
fn compiled_code_is_cached_on_disk_across_runtimes() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = wat::parse_str(CORE).unwrap();
    let first = sandbox::Runtime::new(Some(dir.path())).unwrap();
    WasmModule::load(&first, &bytes, Limits::default()).unwrap();
    assert_eq!(first.cache_hits_and_misses(), (0, 1), "a fresh cache compiles");
    WasmModule::load(&first, &bytes, Limits::default()).unwrap();
    assert_eq!(first.cache_hits_and_misses(), (0, 1), "the same runtime reuses its compiled code");
    // A new runtime over the same directory: a restarted server.
    let second = sandbox::Runtime::new(Some(dir.path())).unwrap();
    let module = WasmModule::load(&second, &bytes, Limits::default()).unwrap();
    assert_eq!(second.cache_hits_and_misses(), (1, 0), "the restart reads the compiled code back");
    let f = {
        let mut r =
            resolve(&module, "double_it", Some(&unary(DataType::Int, DataType::Int)), Some("RISKY"), Limits::default())
                .unwrap();
        let (sql, r) = r.remove(0);
        WasmFunction::new(&sql, &sql, r)
    };
    let (out, errors) = call(&f, vec![ints(&[Some(21)])], 1, &[DataType::Int]);
    assert!(errors.is_empty());
    assert_eq!(values_of(out.as_ref()), [Value::Int(42)], "code read from the cache runs");
}

/// The directory of built guests: `$WASP_UDFS_DIR`, default `<repo>/target/udfs`.
pub fn udfs_dir() -> PathBuf {
    std::env::var_os("WASP_UDFS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/udfs"))
}

/// A built guest, or `None` (with a note) when the guest build has not run. Under CI
/// (`CI` set, as `.ci/run` sets it) a missing guest fails the test instead: there
/// `scripts/test` builds every guest first, so a skip would hide a broken build.
pub fn guest(file: &str) -> Option<Vec<u8>> {
    let path = udfs_dir().join(file);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("{} is not built ({e}), and under CI every guest must be", path.display())
        }
        Err(e) => {
            eprintln!("skipping: {} not built ({e}); run scripts/build-udfs", path.display());
            None
        }
    }
}

#[test]
fn the_rust_mask_email_component() {
    let Some(bytes) = guest("mask_email-rust.wasm") else { return };
    let module = WasmModule::load(&shared(), &bytes, Limits::default()).unwrap();
    assert_eq!(module.language, Language::Component);
    // No declared signature: what the module describes.
    let all = resolve(&module, "masking", None, None, Limits::default()).unwrap();
    assert_eq!(all.len(), 1);
    let (name, r) = &all[0];
    assert_eq!(name, "MASK_EMAIL");
    assert_eq!(r.signature(name), "MASK_EMAIL(email STRING) -> STRING");
    let f = WasmFunction::new(name, "MASKING", r.clone());
    let emails = Operand::Array(Arc::new(arrow_array::StringArray::from(vec![
        Some("alice@example.com"),
        None,
        Some("bogus"),
        Some("é@x.org"),
    ])));
    let (out, errors) = call(&f, vec![emails], 4, &[DataType::String]);
    assert_eq!(values_of(out.as_ref()), [s("a****@example.com"), Value::Null, Value::Null, s("é@x.org")]);
    assert_eq!(errors.errors, [(2, "not an e-mail address: no '@'".to_string())]);
    // A constant argument crosses once.
    let c = Operand::Scalar(scalar_of(&DataType::String, &s("bob@b.io")));
    let (out, _) = call(&f, vec![c], 3, &[DataType::String]);
    assert_eq!(values_of(out.as_ref()), vec![s("b**@b.io"); 3]);
    // A declared signature is checked against describe.
    let decl = unary(DataType::String, DataType::String);
    assert!(resolve(&module, "mask_email", Some(&decl), None, Limits::default()).is_ok());
    let bad = unary(DataType::Int, DataType::String);
    let err = resolve(&module, "mask_email", Some(&bad), None, Limits::default()).unwrap_err();
    assert_eq!(
        err,
        "function MASK_EMAIL: parameter 1 (X) is declared INTEGER, the module's mask_email takes STRING (email)"
    );
    let bad = unary(DataType::String, DataType::Int);
    let err = resolve(&module, "mask_email", Some(&bad), None, Limits::default()).unwrap_err();
    assert!(err.contains("return type is declared INTEGER, the module's mask_email returns STRING"), "{err}");
    let err = resolve(&module, "unmask", Some(&decl), None, Limits::default()).unwrap_err();
    assert!(err.contains("describes no function 'unmask'"), "{err}");
}

/// The benchmark's string twin computes what the built-in does: its ASCII kernel
/// (64-byte SIMD blocks, then a tail) on batches of several lengths, a slice, NULL
/// rows, and a batch that is not all ASCII past the first block (the per-row path).
#[test]
fn the_rust_ucase_twin_upper_cases_as_the_built_in_does() {
    let Some(bytes) = guest("ucase-rust.wasm") else { return };
    let module = WasmModule::load(&shared(), &bytes, Limits::default()).unwrap();
    let (name, r) = resolve(&module, "ucase", None, None, Limits::default()).unwrap().remove(0);
    let f = WasmFunction::new(&name, &name, r);
    let text: Vec<Option<String>> =
        (0..700).map(|i| (i % 7 != 3).then(|| format!("user_{i:06}-{}", "abz{|`@AZ".repeat(i % 5)))).collect();
    let mut mixed = text.clone();
    mixed[40] = Some("straße ὀδός".into());
    for (values, offset, rows) in [(&text, 0, 700), (&text, 0, 63), (&text, 5, 320), (&mixed, 0, 100)] {
        let all = Arc::new(arrow_array::StringArray::from(values.clone())) as ArrayRef;
        let arg = all.slice(offset, rows);
        let want: Vec<Value> = values[offset..offset + rows]
            .iter()
            .map(|v| v.as_ref().map_or(Value::Null, |v| s(&v.to_uppercase())))
            .collect();
        let (out, errors) = call(&f, vec![Operand::Array(arg)], rows, &[DataType::String]);
        assert!(errors.errors.is_empty(), "{:?}", errors.errors);
        assert_eq!(values_of(out.as_ref()), want, "rows {offset}..{}", offset + rows);
    }
}

#[test]
fn a_replaced_module_takes_over_at_the_next_batch() {
    let double = core_function(CORE, "risky", unary(DataType::Int, DataType::Int), Limits::default());
    let bound = double.bind().unwrap();
    let (out, _) = call_bound(bound.as_ref(), vec![ints(&[Some(3)])], 1, &[DataType::Int]);
    assert_eq!(values_of(out.as_ref()), [Value::Int(6)]);
    let triple = wat::parse_str(
        r#"(module (func (export "risky") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))"#,
    )
    .unwrap();
    let module = WasmModule::load(&shared(), &triple, Limits::default()).unwrap();
    let (_, r) = resolve(&module, "risky", Some(&unary(DataType::Int, DataType::Int)), None, Limits::default())
        .unwrap()
        .remove(0);
    double.replace(r);
    assert_eq!(double.version(), 1);
    let (out, _) = call_bound(bound.as_ref(), vec![ints(&[Some(3)])], 1, &[DataType::Int]);
    assert_eq!(values_of(out.as_ref()), [Value::Int(9)]);
}

#[test]
fn a_component_that_runs_out_of_memory_loses_only_the_offending_row() {
    let Some(bytes) = guest("mask_email-rust.wasm") else { return };
    let limits = Limits { memory_bytes: 4 << 20, timeout: Duration::from_secs(5) };
    let module = WasmModule::load(&shared(), &bytes, limits).unwrap();
    let (name, r) = resolve(&module, "mask_email", None, None, limits).unwrap().remove(0);
    let f = WasmFunction::new(&name, &name, r);
    let huge = format!("{}@example.com", "x".repeat(8 << 20));
    let emails = Operand::Array(Arc::new(arrow_array::StringArray::from(vec![
        Some("ann@a.io"),
        Some("bea@b.io"),
        Some(huge.as_str()),
        Some("cy@c.io"),
    ])));
    let (out, errors) = call(&f, vec![emails], 4, &[DataType::String]);
    assert_eq!(values_of(out.as_ref()), [s("a**@a.io"), s("b**@b.io"), Value::Null, s("c*@c.io")]);
    assert_eq!(errors.errors.len(), 1, "{:?}", errors.errors);
    assert_eq!(errors.errors[0].0, 2);
    assert!(errors.errors[0].1.contains("out of memory: memory limit of 4 MiB exceeded"), "{:?}", errors.errors);
    let stats = f.stats().snapshot();
    assert!(stats.traps >= 2, "the whole batch, then each half that held the row: {stats:?}");
    assert_eq!(stats.errors, 1);
}

#[test]
fn a_stuck_function_does_not_hold_up_another_query() {
    let looping = r#"(module (func (export "spin") (param i32) (result i32) (loop $l (br $l)) (local.get 0)))"#;
    let limits = Limits { memory_bytes: 1 << 20, timeout: Duration::from_secs(3) };
    let stuck = core_function(looping, "spin", unary(DataType::Int, DataType::Int), limits);
    let busy = core_function(CORE, "risky", unary(DataType::Int, DataType::Int), Limits::default());
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stuck_query = stuck.bind().unwrap();
    let flag = done.clone();
    let handle = std::thread::spawn(move || {
        let (out, errors) = call_bound(stuck_query.as_ref(), vec![ints(&[Some(1)])], 1, &[DataType::Int]);
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        (values_of(out.as_ref()), errors)
    });
    // Another query's binding of another function runs batch after batch meanwhile.
    let other_query = busy.bind().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    for i in 0..200 {
        let (out, _) = call_bound(other_query.as_ref(), vec![ints(&[Some(i)])], 1, &[DataType::Int]);
        assert_eq!(values_of(out.as_ref()), [Value::Int(2 * i)]);
    }
    assert!(!done.load(std::sync::atomic::Ordering::SeqCst), "200 batches ran while the stuck call was still stuck");
    let (out, errors) = handle.join().unwrap();
    assert_eq!(out, [Value::Null]);
    assert!(errors.errors[0].1.contains("timed out: the call exceeded its 3000 ms deadline"), "{:?}", errors.errors);
}

/// A few values of `t` with a NULL among them (NULLs only for nested types).
fn samples(t: &DataType) -> Vec<Value> {
    let v = match t {
        DataType::Boolean => Value::Boolean(true),
        DataType::Int => Value::Int(7),
        DataType::BigInt => Value::BigInt(-7),
        DataType::Double => Value::Double(51.5),
        DataType::Decimal { scale, .. } => Value::Decimal(Decimal { unscaled: 12345, scale: *scale }),
        DataType::String => s("someone@example.com"),
        DataType::Bytes => Value::Bytes(Arc::from(&b"\x00wasp"[..])),
        DataType::Timestamp => Value::Timestamp(1_700_000_000_000),
        DataType::Date => Value::Date(19_000),
        DataType::Time => Value::Time(3_600_000),
        _ => Value::Null,
    };
    vec![v.clone(), Value::Null, v]
}

/// Every guest the guest build produced (well-behaved or not) either loads or is
/// refused with a reason, and every function a component describes can be called on
/// a small batch without taking the host down.
#[test]
fn every_built_guest_is_loaded_or_refused_and_contained() {
    let Ok(entries) = std::fs::read_dir(udfs_dir()) else { return };
    let limits = Limits { memory_bytes: 16 << 20, timeout: Duration::from_millis(200) };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("wasm") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let module = match WasmModule::load(&shared(), &bytes, limits) {
            Ok(_) if path.to_string_lossy().contains("forbidden_import") => {
                panic!("{} was accepted", path.display())
            }
            Ok(m) => m,
            Err(reason) => {
                eprintln!("{}: refused: {reason}", path.display());
                assert!(!reason.is_empty());
                let file = path.file_name().and_then(|f| f.to_str()).unwrap_or_default();
                if file.starts_with("forbidden_import") {
                    assert!(reason.contains("imports "), "{reason}");
                }
                continue;
            }
        };
        if module.language == Language::Core {
            continue;
        }
        let Ok(functions) = resolve(&module, "any", None, None, limits) else { continue };
        for (name, r) in functions {
            let types: Vec<DataType> = r.params.iter().map(|(_, t)| t.clone()).collect();
            let args: Vec<Operand> = types.iter().map(|t| Operand::Array(array_of(t, &samples(t)))).collect();
            let f = WasmFunction::new(&name, &name, r);
            let (out, errors) = call(&f, args, 3, &types);
            eprintln!("{}: {name}: {:?}, errors {:?}", path.display(), values_of(out.as_ref()), errors.errors);
        }
    }
}

fn component_function(file: &str, limits: Limits) -> Option<WasmFunction> {
    let bytes = guest(file)?;
    let module = WasmModule::load(&shared(), &bytes, limits).unwrap();
    let (name, r) = resolve(&module, "any", None, None, limits).unwrap().remove(0);
    Some(WasmFunction::new(&name, &name, r))
}

fn strs(v: &[&str]) -> Operand {
    Operand::Array(Arc::new(arrow_array::StringArray::from(v.to_vec())))
}

/// The misbehaving components of `udfs/misbehave`: a loop, a memory bomb and a panic
/// on one row each cost only that row; the instance is replaced and the rest computed.
#[test]
fn misbehaving_components_lose_only_their_rows() {
    let limits = Limits { memory_bytes: 32 << 20, timeout: Duration::from_millis(300) };
    for (file, trigger, failure) in [
        ("spin-rust.wasm", "spin", "timed out"),
        ("bomb-rust.wasm", "bomb", "out of memory: memory limit of 32 MiB exceeded"),
        ("trap-rust.wasm", "trap", "trapped: "),
    ] {
        let Some(f) = component_function(file, limits) else { continue };
        let rows = ["a", "b", trigger, "c", "d", "e", "f", "g"];
        let (out, errors) = call(&f, vec![strs(&rows)], rows.len(), &[DataType::String]);
        let want: Vec<Value> = rows.iter().map(|r| if *r == trigger { Value::Null } else { s(r) }).collect();
        assert_eq!(values_of(out.as_ref()), want, "{file}");
        assert_eq!(errors.errors.len(), 1, "{file}: {:?}", errors.errors);
        assert_eq!(errors.errors[0].0, 2, "{file}");
        assert!(errors.errors[0].1.contains(failure), "{file}: {:?}", errors.errors);
    }
    // Deep recursion overflows a stack (the guest's shadow stack in linear memory, or
    // the wasm stack): a trap, not a crash.
    if let Some(f) = component_function("recurse-rust.wasm", limits) {
        let depths = Operand::Array(Arc::new(arrow_array::Int64Array::from(vec![3, 10_000_000, 4])));
        let (out, errors) = call(&f, vec![depths], 3, &[DataType::BigInt]);
        assert_eq!(values_of(out.as_ref()), [Value::BigInt(6), Value::Null, Value::BigInt(10)]);
        assert_eq!(errors.errors.len(), 1, "{:?}", errors.errors);
        assert_eq!(errors.errors[0].0, 1);
        assert!(errors.errors[0].1.starts_with("trapped: "), "{:?}", errors.errors);
    }
}

/// `huge-rust`: results that do not fit the batch are refused before they become
/// Arrow arrays; the whole batch is NULL with the reason, and nothing panics.
#[test]
fn invalid_component_results_are_refused() {
    let Some(f) = component_function("huge-rust.wasm", Limits::default()) else { return };
    for (trigger, reason) in [
        ("rows", "returned an invalid result: column 0 has"),
        ("offsets", "returned an invalid result"),
        ("short", "returned an invalid result: column 0 has 4 offset bytes"),
        ("columns", "returned an invalid result: column 0 is missing"),
        ("bytes", ""),
    ] {
        let (out, errors) = call(&f, vec![strs(&[trigger, "x"])], 2, &[DataType::String]);
        assert_eq!(out.len(), 2, "{trigger}");
        if trigger == "bytes" {
            // 32 MiB per row is a valid, if large, result.
            continue;
        }
        assert_eq!(values_of(out.as_ref()), [Value::Null, Value::Null], "{trigger}");
        assert_eq!(errors.errors.len(), 2, "{trigger}: {:?}", errors.errors);
        assert!(errors.errors[0].1.contains(reason), "{trigger}: {:?}", errors.errors);
    }
    // A row error for a row the batch does not have is ignored; the rows are kept.
    let (out, errors) = call(&f, vec![strs(&["errors", "x"])], 2, &[DataType::String]);
    assert_eq!(values_of(out.as_ref()), [s("errors"), s("x")]);
    assert!(errors.is_empty());
}

fn built_core(file: &str, name: &str, decl: Declared, limits: Limits) -> Option<WasmFunction> {
    let bytes = guest(file)?;
    let module = WasmModule::load(&shared(), &bytes, limits).unwrap();
    let (sql, r) = resolve(&module, name, Some(&decl), None, limits).unwrap().remove(0);
    Some(WasmFunction::new(&sql, &sql, r))
}

/// The core modules of the guest build: `geo_distance-wat` computes, the misbehaving
/// ones lose only their rows.
#[test]
fn the_built_core_modules() {
    let decl = Declared {
        params: ["LAT1", "LON1", "LAT2", "LON2"].iter().map(|n| (n.to_string(), DataType::Double)).collect(),
        returns: DataType::Double,
    };
    if let Some(f) = built_core("geo_distance-wat.wasm", "GEO_DISTANCE", decl, Limits::default()) {
        let c = |v| Operand::Scalar(scalar_of(&DataType::Double, &Value::Double(v)));
        let types = vec![DataType::Double; 4];
        let (out, _) = call(&f, vec![c(51.5074), c(-0.1278), c(48.8566), c(2.3522)], 1, &types);
        let Value::Double(km) = values_of(out.as_ref())[0] else { panic!("{out:?}") };
        assert!((343.0..345.0).contains(&km), "London to Paris: {km} km");
    }
    let limits = Limits { memory_bytes: 1 << 20, timeout: Duration::from_millis(100) };
    for (file, name, failure) in [
        ("spin-wat.wasm", "spin", "timed out"),
        ("trap-wat.wasm", "trap", "trapped: wasm trap: wasm `unreachable` instruction executed"),
    ] {
        let Some(f) = built_core(file, name, unary(DataType::Int, DataType::Int), limits) else { continue };
        let (out, errors) = call(&f, vec![ints(&[Some(1), Some(-1), Some(3)])], 3, &[DataType::Int]);
        assert_eq!(values_of(out.as_ref()), [Value::Int(1), Value::Null, Value::Int(3)], "{file}");
        assert_eq!(errors.errors.len(), 1, "{file}");
        assert!(errors.errors[0].1.contains(failure), "{file}: {:?}", errors.errors);
    }
    if let Some(f) = built_core("bomb-wat.wasm", "bomb", unary(DataType::Int, DataType::Int), limits) {
        let (out, errors) = call(&f, vec![ints(&[Some(1)])], 1, &[DataType::Int]);
        assert_eq!(values_of(out.as_ref()), [Value::Null]);
        assert!(errors.errors[0].1.contains("out of memory: memory limit of 1 MiB exceeded"), "{:?}", errors.errors);
    }
    let decl = unary(DataType::BigInt, DataType::BigInt);
    if let Some(f) = built_core("recurse-wat.wasm", "recurse", decl, limits) {
        let depths = Operand::Array(Arc::new(arrow_array::Int64Array::from(vec![4, 100_000_000])));
        let (out, errors) = call(&f, vec![depths], 2, &[DataType::BigInt]);
        assert_eq!(values_of(out.as_ref()), [Value::BigInt(10), Value::Null]);
        assert!(errors.errors[0].1.contains("call stack exhausted"), "{:?}", errors.errors);
    }
}
