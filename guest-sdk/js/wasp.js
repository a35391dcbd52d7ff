// The JavaScript SDK for wasp functions (guest ABI wasp:udf@1.0.0).
//
// A function is a plain JavaScript function, registered with its SQL signature;
// the SDK implements the component's `describe` and `call` exports and runs the
// batch loop:
//
//     import { udf, scalar } from "./wasp.js";
//
//     udf("mask_email", { params: "email VARCHAR", returns: "VARCHAR" }, (email) => {
//         const at = email.lastIndexOf("@");
//         if (at <= 0) throw new Error("not an e-mail address");  // a per-row error
//         return email[0] + "*".repeat(at - 1) + email.slice(at);
//     });
//
//     export { scalar };   // the wasp:udf/scalar@1.0.0 export
//
// Build with jco (scripts/build-udfs does this):
//
//     jco componentize app.js --bundle --wit guest-sdk/wit --world-name udf --disable all -o app.wasm
//
// Types ("name TYPE, ..." and the return type): BOOLEAN (boolean), INT, DATE,
// TIME (number), BIGINT, TIMESTAMP (BigInt in; BigInt or an integer number out),
// DOUBLE (number), VARCHAR / STRING (string), BYTES (Uint8Array). A row with a NULL
// argument is NULL without calling the function, unless `calledOnNull: true`
// (then NULL arrives as `null`). Returning null or undefined gives NULL. A thrown
// exception is a per-row error: the row is NULL and the message goes to the
// processing log. `throw new Fail(message)` fails the whole batch.

/** Thrown by a function to fail the whole batch (a call-error), not one row. */
export class Fail extends Error {}

// SQL type name -> [type node tag, layout]. Layout: "s" string, "y" bytes,
// "b" bitmap, or a fixed width: "i32", "i64", "f64".
const TYPES = {
  BOOLEAN: ["boolean", "b"],
  INT: ["int", "i32"],
  INTEGER: ["int", "i32"],
  BIGINT: ["bigint", "i64"],
  DOUBLE: ["double", "f64"],
  VARCHAR: ["string", "s"],
  STRING: ["string", "s"],
  BYTES: ["bytes", "y"],
  TIMESTAMP: ["timestamp", "i64"],
  DATE: ["date", "i32"],
  TIME: ["time", "i32"],
};

const WIDTH = { i32: 4, i64: 8, f64: 8 };

const functions = new Map(); // lower-case name -> definition

function sqlType(name, where) {
  const upper = String(name).trim().toUpperCase();
  if (!(upper in TYPES)) {
    throw new TypeError(`${where}: unknown SQL type ${name}; one of ${Object.keys(TYPES).join(", ")}`);
  }
  return upper;
}

/**
 * Registers `fn` as the SQL function `name`.
 *
 * options: `params` ("name TYPE, ..."), `returns` (a type), `calledOnNull`
 * (default false), `deterministic` (default true), `description`.
 */
export function udf(name, options, fn) {
  const params = (options.params || "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const [pname, ty, ...rest] = p.split(/\s+/);
      if (!ty || rest.length > 0) throw new TypeError(`${name}: parameter "${p}" is not "name TYPE"`);
      return { name: pname, type: sqlType(ty, `${name}(${pname})`) };
    });
  const returns = sqlType(options.returns, `${name} returns`);
  if (functions.has(name.toLowerCase())) throw new Error(`function ${name} is registered twice`);
  functions.set(name.toLowerCase(), {
    name,
    params,
    returns,
    fn,
    calledOnNull: options.calledOnNull === true,
    deterministic: options.deterministic !== false,
    description: options.description || "",
  });
  return fn;
}

// ---------------------------------------------------------------------------
// Reading argument columns

class Invalid extends Error {}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function bit(bitmap, i) {
  return (bitmap[i >> 3] >> (i & 7)) & 1;
}

function view(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// A function row -> value (null for NULL) over one argument column.
function reader(column, type, rows, index) {
  const n = column.len;
  if (n !== rows && !(n === 1 && rows !== 1)) {
    throw new Invalid(`argument ${index} has ${n} rows in a batch of ${rows} (the batch's rows, or one for a constant)`);
  }
  const step = n === rows ? 1 : 0;
  const validity = column.validity;
  if (validity != null && validity.length < (n + 7) >> 3) {
    throw new Invalid(`argument ${index}: validity bitmap of ${validity.length} bytes for ${n} rows`);
  }
  const values = column.values;
  const layout = TYPES[type][1];
  let get;
  if (layout === "s" || layout === "y") {
    const offsets = column.offsets;
    if (offsets == null || offsets.length < 4 * (n + 1)) {
      throw new Invalid(`argument ${index}: a string column needs ${n + 1} offsets`);
    }
    const o = view(offsets);
    let prev = o.getInt32(0, true);
    if (prev < 0) throw new Invalid(`argument ${index}: negative offset`);
    for (let k = 1; k <= n; k++) {
      const next = o.getInt32(4 * k, true);
      if (next < prev || next > values.length) {
        throw new Invalid(`argument ${index}: offsets decrease or point past the ${values.length} bytes of data`);
      }
      prev = next;
    }
    get =
      layout === "s"
        ? (i) => decoder.decode(values.subarray(o.getInt32(4 * i, true), o.getInt32(4 * i + 4, true)))
        : (i) => values.slice(o.getInt32(4 * i, true), o.getInt32(4 * i + 4, true));
  } else if (layout === "b") {
    if (values.length < (n + 7) >> 3) throw new Invalid(`argument ${index}: BOOLEAN bitmap too short`);
    get = (i) => bit(values, i) === 1;
  } else {
    const width = WIDTH[layout];
    if (values.length < width * n) {
      throw new Invalid(`argument ${index}: ${values.length} bytes of values for ${n} rows of ${width} bytes`);
    }
    const v = view(values);
    get =
      layout === "i32"
        ? (i) => v.getInt32(4 * i, true)
        : layout === "i64"
          ? (i) => v.getBigInt64(8 * i, true)
          : (i) => v.getFloat64(8 * i, true);
  }
  if (validity == null) return (row) => get(row * step);
  return (row) => (bit(validity, row * step) ? get(row * step) : null);
}

// ---------------------------------------------------------------------------
// Building the result column

function build(type, values, rows) {
  const layout = TYPES[type][1];
  let validity;
  if (values.some((v) => v === null)) {
    validity = new Uint8Array((rows + 7) >> 3);
    values.forEach((v, i) => {
      if (v !== null) validity[i >> 3] |= 1 << (i & 7);
    });
  }
  let data;
  let offsets;
  if (layout === "s" || layout === "y") {
    const parts = values.map((v) => (v === null ? new Uint8Array(0) : v));
    const offs = new Int32Array(rows + 1);
    let total = 0;
    parts.forEach((p, i) => {
      total += p.length;
      offs[i + 1] = total;
    });
    data = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    offsets = new Uint8Array(offs.buffer);
  } else if (layout === "b") {
    data = new Uint8Array((rows + 7) >> 3);
    values.forEach((v, i) => {
      if (v) data[i >> 3] |= 1 << (i & 7);
    });
  } else {
    data = new Uint8Array(WIDTH[layout] * rows);
    const d = view(data);
    values.forEach((v, i) => {
      if (v === null) return;
      if (layout === "i32") d.setInt32(4 * i, v, true);
      else if (layout === "i64") d.setBigInt64(8 * i, v, true);
      else d.setFloat64(8 * i, v, true);
    });
  }
  return { len: rows, validity, values: data, offsets, children: [] };
}

// The value as the result column holds it, or a thrown TypeError.
function convert(type, v) {
  const layout = TYPES[type][1];
  switch (layout) {
    case "s":
      if (typeof v !== "string") throw new TypeError(`returned ${typeof v} for ${type}`);
      return encoder.encode(v);
    case "y":
      if (!(v instanceof Uint8Array)) throw new TypeError(`returned ${typeof v} for BYTES (a Uint8Array expected)`);
      return v;
    case "b":
      if (typeof v !== "boolean") throw new TypeError(`returned ${typeof v} for BOOLEAN`);
      return v;
    case "f64":
      if (typeof v !== "number") throw new TypeError(`returned ${typeof v} for DOUBLE`);
      return v;
    case "i32":
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new RangeError(`${v} does not fit ${type}`);
      return v;
    default: {
      const big = typeof v === "bigint" ? v : Number.isInteger(v) ? BigInt(v) : null;
      if (big === null || big !== BigInt.asIntN(64, big)) throw new RangeError(`${v} does not fit ${type}`);
      return big;
    }
  }
}

function call(f, batch) {
  const rows = batch.rows;
  if (batch.args !== f.params.length || batch.columns.length < batch.args) {
    throw new Invalid(`${f.name} takes ${f.params.length} arguments, the call passed ${batch.args}`);
  }
  const readers = f.params.map((p, i) => reader(batch.columns[i], p.type, rows, i));
  const values = new Array(rows).fill(null);
  const rowErrors = [];
  const args = new Array(readers.length);
  for (let row = 0; row < rows; row++) {
    let nullArg = false;
    for (let i = 0; i < readers.length; i++) {
      args[i] = readers[i](row);
      if (args[i] === null) nullArg = true;
    }
    if (nullArg && !f.calledOnNull) continue;
    try {
      const v = f.fn(...args);
      values[row] = v === null || v === undefined ? null : convert(f.returns, v);
    } catch (e) {
      if (e instanceof Fail) throw e;
      const message = e instanceof Error ? e.message || e.name : String(e);
      rowErrors.push({ row, message });
    }
  }
  return { columns: [build(f.returns, values, rows)], rowErrors };
}

// ---------------------------------------------------------------------------
// The export

function sql(type) {
  return { nodes: [{ tag: TYPES[type][0] }] };
}

/** The wasp:udf/scalar@1.0.0 export: `export { scalar }` from the app module. */
export const scalar = {
  describe() {
    return [...functions.values()].map((f) => ({
      name: f.name,
      params: f.params.map((p) => ({ name: p.name, ty: sql(p.type) })),
      variadic: false,
      returns: sql(f.returns),
      nullHandling: f.calledOnNull ? "called-on-null" : "null-on-null",
      determinism: f.deterministic ? "deterministic" : "nondeterministic",
      description: f.description,
    }));
  },

  call(name, batch) {
    const f = functions.get(name.toLowerCase());
    if (f === undefined) {
      const known = [...functions.values()].map((g) => g.name).join(", ");
      throw { tag: "unknown-function", val: `${name} (this module has: ${known})` };
    }
    try {
      return call(f, batch);
    } catch (e) {
      if (e instanceof Invalid) throw { tag: "invalid-arguments", val: e.message };
      if (e instanceof Fail) throw { tag: "failed", val: e.message || "failed" };
      throw e;
    }
  },
};
