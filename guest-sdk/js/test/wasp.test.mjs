// Native tests of the JavaScript SDK (no WebAssembly): the exports called as
// componentize-js calls them. Run: node --test guest-sdk/js/test/
import { test } from "node:test";
import assert from "node:assert/strict";
import { Fail, scalar, udf } from "../wasp.js";

udf("shout", { params: "s VARCHAR", returns: "VARCHAR", description: "Upper case." }, (s) => {
  if (s === "") throw new Error("empty");
  return s.toUpperCase();
});
udf("scale", { params: "x DOUBLE, k INT", returns: "DOUBLE" }, (x, k) => {
  if (k < 0) throw new Fail(`negative factor ${k}`);
  return k === 0 ? null : x * k;
});
udf("is_null", { params: "v BIGINT", returns: "BOOLEAN", calledOnNull: true }, (v) => v === null);
udf("next", { params: "v BIGINT", returns: "BIGINT" }, (v) => v + 1n);

const enc = new TextEncoder();
const dec = new TextDecoder();

function strings(values) {
  const offsets = new Int32Array(values.length + 1);
  const parts = values.map((v) => enc.encode(v ?? ""));
  parts.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.length));
  const data = new Uint8Array(offsets[values.length]);
  parts.forEach((p, i) => data.set(p, offsets[i]));
  const validity = new Uint8Array((values.length + 7) >> 3);
  values.forEach((v, i) => v !== null && (validity[i >> 3] |= 1 << (i & 7)));
  return { len: values.length, validity: values.includes(null) ? validity : undefined, values: data, offsets: new Uint8Array(offsets.buffer), children: [] };
}

function fixed(Array, values) {
  return { len: values.length, values: new Uint8Array(new Array(values).buffer), children: [] };
}

function readStrings(c) {
  const o = new Int32Array(c.offsets.buffer.slice(c.offsets.byteOffset, c.offsets.byteOffset + c.offsets.byteLength));
  return [...Array(c.len).keys()].map((i) =>
    c.validity && !((c.validity[i >> 3] >> (i & 7)) & 1) ? null : dec.decode(c.values.subarray(o[i], o[i + 1])),
  );
}

test("describe", () => {
  const defs = Object.fromEntries(scalar.describe().map((d) => [d.name, d]));
  assert.equal(defs.shout.description, "Upper case.");
  assert.deepEqual(defs.scale.params.map((p) => p.ty.nodes[0].tag), ["double", "int"]);
  assert.equal(defs.is_null.nullHandling, "called-on-null");
  assert.equal(defs.shout.nullHandling, "null-on-null");
});

test("strings, NULLs and row errors", () => {
  const out = scalar.call("SHOUT", { rows: 4, args: 1, columns: [strings(["abc", null, "", "é"])] });
  assert.deepEqual(readStrings(out.columns[0]), ["ABC", null, null, "É"]);
  assert.deepEqual(out.rowErrors, [{ row: 2, message: "empty" }]);
});

test("constants, NULL results, whole-batch failures, BigInt", () => {
  const out = scalar.call("scale", { rows: 3, args: 2, columns: [fixed(Float64Array, [1.5, 2, 4]), fixed(Int32Array, [3])] });
  assert.deepEqual([...new Float64Array(out.columns[0].values.buffer)], [4.5, 6, 12]);
  const zero = scalar.call("scale", { rows: 1, args: 2, columns: [fixed(Float64Array, [1.5]), fixed(Int32Array, [0])] });
  assert.equal(zero.columns[0].validity[0], 0);
  assert.throws(() => scalar.call("scale", { rows: 1, args: 2, columns: [fixed(Float64Array, [1]), fixed(Int32Array, [-1])] }), { tag: "failed", val: "negative factor -1" });
  const next = scalar.call("next", { rows: 2, args: 1, columns: [fixed(BigInt64Array, [1n, -5n])] });
  assert.deepEqual([...new BigInt64Array(next.columns[0].values.buffer)], [2n, -4n]);
});

test("called on null, booleans", () => {
  const col = fixed(BigInt64Array, [7n, 0n, 9n]);
  col.validity = new Uint8Array([0b101]);
  assert.equal(scalar.call("is_null", { rows: 3, args: 1, columns: [col] }).columns[0].values[0], 0b010);
});

test("call errors", () => {
  assert.throws(() => scalar.call("nope", { rows: 0, args: 0, columns: [] }), { tag: "unknown-function" });
  assert.throws(() => scalar.call("shout", { rows: 0, args: 0, columns: [] }), { tag: "invalid-arguments" });
  assert.throws(() => scalar.call("next", { rows: 3, args: 1, columns: [fixed(BigInt64Array, [1n, 2n])] }), { tag: "invalid-arguments" });
  const bad = strings(["ab", "cd"]);
  new DataView(bad.offsets.buffer).setInt32(4, 99, true);
  assert.throws(() => scalar.call("shout", { rows: 2, args: 1, columns: [bad] }), { tag: "invalid-arguments" });
});

test("bad registrations", () => {
  assert.throws(() => udf("f", { params: "x NUMBER", returns: "INT" }, () => 0), /unknown SQL type NUMBER/);
  assert.throws(() => udf("shout", { params: "x INT", returns: "INT" }, () => 0), /registered twice/);
});
