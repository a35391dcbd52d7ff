// Guest conformance check: runs every example function that scripts/build-udfs
// built, in every language, against the same cases, through the component's own
// exports (`describe`, then `call` with Arrow-layout batches), and checks the
// results, NULLs and per-row errors. It also checks that the misbehaving guests
// misbehave as udfs/README.md says. Components run in Node.js after `jco
// transpile`; core modules run as they are. This tests the guest SDKs and the
// examples, not the host (the host's own tests load the same files).
//
// Usage: node udfs/tests/check.mjs [UDFS_DIR]   (default target/udfs)
// Needs jco in target/guest-tools (scripts/test --install-only) and Node.js run
// with --experimental-wasm-extended-const (the Python runtime uses extended
// constant expressions; scripts/test passes the flag).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "../..");
const dir = resolve(process.argv[2] || process.env.WASP_UDFS_DIR || join(root, "target/udfs"));
const tools = process.env.WASP_GUEST_TOOLS || join(root, "target/guest-tools");
// Under the tools folder, so that transpiled modules find the WASI shims in its
// node_modules.
const cache = join(tools, "transpiled");

const enc = new TextEncoder();
const dec = new TextDecoder();

// ---------------------------------------------------------------------------
// Columns in the wasp:udf layout

function bitmap(values) {
  const bits = new Uint8Array((values.length + 7) >> 3);
  values.forEach((v, i) => {
    if (v !== null) bits[i >> 3] |= 1 << (i & 7);
  });
  return values.some((v) => v === null) ? bits : undefined;
}

function column(type, values) {
  const validity = bitmap(values);
  if (type === "string") {
    const parts = values.map((v) => (v === null ? new Uint8Array() : enc.encode(v)));
    const offsets = new Int32Array(values.length + 1);
    parts.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.length));
    const data = new Uint8Array(offsets[values.length]);
    parts.forEach((p, i) => data.set(p, offsets[i]));
    return { len: values.length, validity, values: data, offsets: new Uint8Array(offsets.buffer), children: new Uint32Array() };
  }
  const width = type === "int" ? 4 : 8;
  const data = new Uint8Array(width * values.length);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => {
    if (v === null) return;
    if (type === "double") view.setFloat64(8 * i, v, true);
    else if (type === "bigint") view.setBigInt64(8 * i, BigInt(v), true);
    else view.setInt32(4 * i, v, true);
  });
  return { len: values.length, validity, values: data, offsets: undefined, children: new Uint32Array() };
}

function read(type, col) {
  const out = [];
  const offsets = col.offsets && new DataView(col.offsets.buffer, col.offsets.byteOffset, col.offsets.byteLength);
  const values = new DataView(col.values.buffer, col.values.byteOffset, col.values.byteLength);
  for (let i = 0; i < col.len; i++) {
    if (col.validity && !((col.validity[i >> 3] >> (i & 7)) & 1)) {
      out.push(null);
    } else if (type === "string") {
      out.push(dec.decode(col.values.subarray(offsets.getInt32(4 * i, true), offsets.getInt32(4 * i + 4, true))));
    } else if (type === "double") {
      out.push(values.getFloat64(8 * i, true));
    } else if (type === "bigint") {
      out.push(Number(values.getBigInt64(8 * i, true)));
    } else {
      out.push(values.getInt32(4 * i, true));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The cases: per function, the signature and rows of [args, expected], where
// expected is a value, null, or { error: substring } for a per-row error.

const ERR = (text) => ({ error: text });

const FUNCTIONS = {
  mask_email: {
    params: ["string"],
    returns: "string",
    signature: "mask_email(email string) -> string",
    rows: [
      [["alice@example.com"], "a****@example.com"],
      [[null], null],
      [["bogus"], ERR("no '@'")],
      [["é@x.org"], "é@x.org"],
      [["a.b@c@d.io"], "a****@d.io"],
      [["@example.com"], ERR("nothing before '@'")],
      [["bob@example.com"], "b**@example.com"],
    ],
  },
  parse_amount: {
    params: ["string"],
    returns: "double",
    signature: "parse_amount(s string) -> double",
    rows: [
      [["12.50"], 12.5],
      [["-3"], -3],
      [["1,234.5"], 1234.5],
      [["$ 99.99"], 99.99],
      [["EUR 7.25"], 7.25],
      [["€1,000,000"], 1000000],
      [[null], null],
      [["twelve"], ERR("a digit expected at position 1")],
      [["12,34"], ERR("thousands separator misplaced")],
      [["1.5x"], ERR("unexpected character at position 4")],
      [[""], ERR("empty")],
    ],
  },
  json_path: {
    params: ["string", "string"],
    returns: "string",
    signature: "json_path(json string, path string) -> string",
    rows: [
      [['{"user":{"name":"Ann"}}', "$.user.name"], "Ann"],
      [['{"a":[10,{"b":true}]}', "$.a[1]"], '{"b":true}'],
      [['{"a":[10,{"b":true}]}', "$['a'][0]"], "10"],
      [['{"z":1,"a":[1.5,null]}', "$"], '{"z":1,"a":[1.5,null]}'],
      [['{"a":null}', "$.a"], null],
      [['{"a":1}', "$.missing"], null],
      [[null, "$.a"], null],
      [["{oops", "$.a"], ERR("not JSON")],
      [['{"a":1}', "a"], ERR("must start with '$'")],
    ],
  },
  ucase: {
    params: ["string"],
    returns: "string",
    signature: "ucase(s string) -> string",
    rows: [
      [["user_000042"], "USER_000042"],
      [["Straße"], "STRASSE"],
      [[""], ""],
      [[null], null],
      [["ünïcode ✓"], "ÜNÏCODE ✓"],
    ],
  },
  geo_distance: {
    params: ["double", "double", "double", "double"],
    returns: "double",
    signature: "geo_distance(lat1 double, lon1 double, lat2 double, lon2 double) -> double",
    tolerance: 1e-6,
    rows: [
      [[51.5074, -0.1278, 48.8566, 2.3522], 343.5560603410417],
      [[0, 0, 0, 180], 20015.086796020572],
      [[37.7749, -122.4194, 37.7749, -122.4194], 0],
      [[-33.8688, 151.2093, 40.7128, -74.006], 15988.755146226578],
      [[null, 0, 0, 0], null],
    ],
  },
};

// ---------------------------------------------------------------------------
// Loading guests

function transpiled(file) {
  const name = file.replace(/\.wasm$/, "");
  const out = join(cache, name);
  const js = join(out, `${name}.js`);
  if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(dir, file)).mtimeMs) {
    mkdirSync(out, { recursive: true });
    execFileSync(process.execPath, [join(tools, "node_modules/.bin/jco"), "transpile", join(dir, file), "-o", out, "--name", name, "-q"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    writeFileSync(join(out, "package.json"), '{"type":"module"}\n');
  }
  return js;
}

async function component(file) {
  const m = await import(pathToFileURL(transpiled(file)).href);
  return m.scalar;
}

async function core(file, imports = {}) {
  return (await WebAssembly.instantiate(readFileSync(join(dir, file)), imports)).instance.exports;
}

function typeName(sqlType) {
  return sqlType.nodes[0].tag;
}

// ---------------------------------------------------------------------------
// Checks

let passed = 0;
let failed = 0;

function check(what, ok, detail = "") {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${what}${detail ? `: ${detail}` : ""}`);
  }
}

function close(a, b, tolerance) {
  return typeof a === "number" && typeof b === "number" ? Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b)) : a === b;
}

async function checkComponent(file, fn, spec) {
  const scalar = await component(file);
  const defs = scalar.describe();
  const def = defs.find((d) => d.name.toLowerCase() === fn);
  check(`${file}: describe lists ${fn}`, def !== undefined, JSON.stringify(defs.map((d) => d.name)));
  if (!def) return;
  const sig = `${def.name}(${def.params.map((p) => `${p.name} ${typeName(p.ty)}`).join(", ")}) -> ${typeName(def.returns)}`;
  check(`${file}: signature`, sig === spec.signature, sig);

  const rows = spec.rows;
  const columns = spec.params.map((type, i) => column(type, rows.map(([args]) => args[i])));
  const out = scalar.call(fn.toUpperCase(), { rows: rows.length, args: columns.length, columns });
  const values = read(spec.returns, out.columns[0]);
  const errors = new Map(out.rowErrors.map((e) => [e.row, e.message]));
  rows.forEach(([args, expected], i) => {
    const what = `${file}: ${fn}(${args.map((a) => JSON.stringify(a)).join(", ")})`;
    if (expected !== null && typeof expected === "object") {
      const message = errors.get(i);
      check(what, message !== undefined && message.includes(expected.error) && values[i] === null, `got ${JSON.stringify(values[i])}, error ${JSON.stringify(message)}`);
    } else {
      check(what, !errors.has(i) && close(values[i], expected, spec.tolerance || 0), `got ${JSON.stringify(values[i])}, error ${JSON.stringify(errors.get(i))}, expected ${JSON.stringify(expected)}`);
    }
  });

  // A constant: one row standing for every row of the batch.
  if (spec.params.length > 1) {
    const [args0, expected0] = rows[0];
    const cols = spec.params.map((type, i) => column(type, i === 0 ? [args0[0], args0[0], args0[0]] : [args0[i]]));
    const got = read(spec.returns, scalar.call(fn, { rows: 3, args: cols.length, columns: cols }).columns[0]);
    check(`${file}: constant arguments`, got.every((v) => close(v, expected0, spec.tolerance || 0)), JSON.stringify(got));
  }

  // An empty batch, an unknown function, and a wrong argument count are answered, not trapped.
  const empty = scalar.call(fn, { rows: 0, args: columns.length, columns: spec.params.map((t) => column(t, [])) });
  check(`${file}: empty batch`, empty.columns[0].len === 0);
  for (const [what, call, tag] of [
    ["unknown function", () => scalar.call("no_such_function", { rows: 0, args: 0, columns: [] }), "unknown-function"],
    ["wrong argument count", () => scalar.call(fn, { rows: 1, args: 0, columns: [] }), "invalid-arguments"],
    ["short column", () => scalar.call(fn, { rows: 5, args: columns.length, columns: spec.params.map((t) => column(t, [null, null])) }), "invalid-arguments"],
  ]) {
    let error;
    try {
      call();
    } catch (e) {
      error = e.payload ?? e;
    }
    check(`${file}: ${what} is a call error`, error && error.tag === tag, JSON.stringify(error));
  }
}

async function checkCore(file, fn, spec) {
  const exports = await core(file);
  check(`${file}: exports ${fn}`, typeof exports[fn] === "function");
  for (const [args, expected] of spec.rows) {
    if (args.includes(null)) continue; // core modules get no NULLs: the host skips those rows
    check(`${file}: ${fn}(${args.join(", ")})`, close(exports[fn](...args), expected, spec.tolerance || 0));
  }
}

function traps(what, f) {
  try {
    f();
    check(`${what} traps`, false, "returned");
  } catch (e) {
    check(`${what} traps`, e instanceof WebAssembly.RuntimeError || e instanceof RangeError, String(e));
  }
}

async function checkMisbehaving() {
  const present = (f) => existsSync(join(dir, f));
  for (const f of ["trap-rust.wasm", "spin-rust.wasm", "bomb-rust.wasm"]) {
    if (!present(f)) continue;
    const name = f.split("-")[0];
    const scalar = await component(f);
    const ok = read("string", scalar.call(name, { rows: 2, args: 1, columns: [column("string", ["a", null])] }).columns[0]);
    check(`${f}: well-behaved rows`, ok[0] === "a" && ok[1] === null, JSON.stringify(ok));
  }
  // A trap inside a jco-transpiled component leaves jco's task state behind, and
  // every later component call then hangs; so component traps are not run here
  // but one, at the very end (see below). The host's tests run them all under
  // wasmtime.
  if (present("recurse-rust.wasm")) {
    const scalar = await component("recurse-rust.wasm");
    const got = read("bigint", scalar.call("recurse", { rows: 1, args: 1, columns: [column("bigint", [10])] }).columns[0]);
    check("recurse-rust.wasm: recurse(10) = 55", got[0] === 55, JSON.stringify(got));
  }
  if (present("huge-rust.wasm")) {
    const scalar = await component("huge-rust.wasm");
    const call = (mode) => scalar.call("huge", { rows: 2, args: 1, columns: [column("string", [mode, "x"])] });
    check("huge-rust.wasm: echo", JSON.stringify(read("string", call("ok").columns[0])) === '["ok","x"]');
    check("huge-rust.wasm: rows", call("rows").columns[0].len === 2001);
    check("huge-rust.wasm: bytes", call("bytes").columns[0].values.length === 32 << 20);
    check("huge-rust.wasm: short", call("short").columns[0].offsets.length === 4);
    check("huge-rust.wasm: errors", call("errors").rowErrors[0].row === 7);
    check("huge-rust.wasm: columns", call("columns").columns.length === 0);
  }
  if (present("trap-wat.wasm")) {
    const m = await core("trap-wat.wasm");
    check("trap-wat.wasm: trap(7) = 7", m.trap(7) === 7);
    traps("trap-wat.wasm(-1)", () => m.trap(-1));
  }
  if (present("spin-wat.wasm")) check("spin-wat.wasm: spin(5) = 5", (await core("spin-wat.wasm")).spin(5) === 5);
  if (present("recurse-wat.wasm")) {
    const m = await core("recurse-wat.wasm");
    check("recurse-wat.wasm: recurse(10) = 55", m.recurse(10n) === 55n);
    traps("recurse-wat.wasm(1e8)", () => m.recurse(100000000n));
  }
  if (present("bomb-wat.wasm")) {
    // Not run: without a host cap it grows to all V8 allows (4 GiB), slowly.
    check("bomb-wat.wasm exports bomb", typeof (await core("bomb-wat.wasm")).bomb === "function");
  }
  if (present("forbidden_import-wat.wasm")) {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(join(dir, "forbidden_import-wat.wasm"))));
    check("forbidden_import-wat.wasm imports evil:net/connect", imports.some((i) => i.module === "evil:net/connect"));
  }
  if (present("not_wasm.wasm")) check("not_wasm.wasm does not validate", !WebAssembly.validate(readFileSync(join(dir, "not_wasm.wasm"))));
  if (present("recurse-rust.wasm")) {
    const scalar = await component("recurse-rust.wasm");
    traps("recurse-rust.wasm at depth 1e8", () => scalar.call("recurse", { rows: 1, args: 1, columns: [column("bigint", [1e8])] }));
  }
}

// ---------------------------------------------------------------------------

const files = existsSync(dir) ? (await import("node:fs")).readdirSync(dir).filter((f) => f.endsWith(".wasm")) : [];
if (files.length === 0) {
  console.error(`no guests in ${dir}: run scripts/build-udfs first`);
  process.exit(1);
}
for (const file of files.sort()) {
  const [fn, lang] = file.replace(/\.wasm$/, "").split("-");
  const spec = FUNCTIONS[fn];
  if (!spec) continue;
  const start = Date.now();
  if (lang === "wat") await checkCore(file, fn, spec);
  else await checkComponent(file, fn, spec);
  console.log(`    checked ${file} (${Date.now() - start} ms)`);
}
await checkMisbehaving();
console.log(`guests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
