"""Native tests of the Python SDK (no WebAssembly): the modules componentize-py
generates at build time (wit_world.imports.types, componentize_py_types) are
stood in for by small classes, and the SDK is called as the component's exports
are. Run: python3 -m unittest discover -s guest-sdk/python"""

import array
import sys
import types as pytypes
import unittest
from dataclasses import dataclass
from typing import Optional

# --- stand-ins for the generated bindings ----------------------------------


def _record(name, *fields):
    return dataclass(type(name, (), {"__annotations__": {f: object for f in fields}}))


t = pytypes.ModuleType("wit_world.imports.types")
for node in ["Boolean", "Int", "Bigint", "Double", "String", "Bytes", "Timestamp", "Date", "Time"]:
    setattr(t, "TypeNode_" + node, _record("TypeNode_" + node))
t.SqlType = _record("SqlType", "nodes")
t.Param = _record("Param", "name", "ty")
t.FunctionDef = _record("FunctionDef", "name", "params", "variadic", "returns", "null_handling", "determinism", "description")
t.Column = _record("Column", "len", "validity", "values", "offsets", "children")
t.RowError = _record("RowError", "row", "message")
t.Output = _record("Output", "columns", "row_errors")
t.NullHandling = pytypes.SimpleNamespace(NULL_ON_NULL="null-on-null", CALLED_ON_NULL="called-on-null")
t.Determinism = pytypes.SimpleNamespace(DETERMINISTIC="deterministic", NONDETERMINISTIC="nondeterministic")
for variant in ["UnknownFunction", "InvalidArguments", "Failed"]:
    setattr(t, "CallError_" + variant, _record("CallError_" + variant, "value"))
Batch = _record("Batch", "rows", "args", "columns")


class Err(Exception):
    def __init__(self, value):
        super().__init__(value)
        self.value = value


sys.modules["wit_world"] = pytypes.ModuleType("wit_world")
sys.modules["wit_world.imports"] = pytypes.ModuleType("wit_world.imports")
sys.modules["wit_world.imports"].types = t
sys.modules["wit_world.imports.types"] = t
sys.modules["componentize_py_types"] = pytypes.SimpleNamespace(Err=Err)

import wasp  # noqa: E402

# --- a module of functions --------------------------------------------------


@wasp.udf
def shout(s: str) -> str:
    """Upper case."""
    if not s:
        raise ValueError("empty")
    return s.upper()


@wasp.udf(params={"k": "INT"})
def scale(x: float, k: int) -> Optional[float]:
    if k < 0:
        raise wasp.Fail(f"negative factor {k}")
    return None if k == 0 else x * k


@wasp.udf(name="IsNull")
def is_null(v: Optional[int]) -> bool:
    return v is None


def strings(values):
    data, offs, bits = b"", array.array("i", [0]), bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        if v is not None:
            data += v.encode()
            bits[i >> 3] |= 1 << (i & 7)
        offs.append(len(data))
    validity = bytes(bits) if None in values else None
    return t.Column(len(values), validity, data, offs.tobytes(), [])


def fixed(code, values):
    return t.Column(len(values), None, array.array(code, values).tobytes(), None, [])


def read_strings(c):
    offs = memoryview(c.offsets).cast("i")
    return [
        None if c.validity and not (c.validity[i >> 3] >> (i & 7)) & 1 else c.values[offs[i] : offs[i + 1]].decode()
        for i in range(c.len)
    ]


class SdkTest(unittest.TestCase):
    scalar = wasp.Scalar()

    def test_describe(self):
        defs = {d.name: d for d in self.scalar.describe()}
        self.assertEqual(defs["shout"].description, "Upper case.")
        self.assertIsInstance(defs["scale"].params[1].ty.nodes[0], t.TypeNode_Int)
        self.assertIsInstance(defs["scale"].params[0].ty.nodes[0], t.TypeNode_Double)
        self.assertEqual(defs["IsNull"].null_handling, "called-on-null")
        self.assertEqual(defs["shout"].null_handling, "null-on-null")

    def test_strings_nulls_and_row_errors(self):
        out = self.scalar.call("SHOUT", Batch(4, 1, [strings(["abc", None, "", "é"])]))
        self.assertEqual(read_strings(out.columns[0]), ["ABC", None, None, "É"])
        self.assertEqual([(e.row, e.message) for e in out.row_errors], [(2, "empty")])

    def test_constants_null_results_and_failures(self):
        out = self.scalar.call("scale", Batch(3, 2, [fixed("d", [1.5, 2, 4]), fixed("i", [3])]))
        self.assertEqual(list(memoryview(out.columns[0].values).cast("d")), [4.5, 6, 12])
        out = self.scalar.call("scale", Batch(1, 2, [fixed("d", [1.5]), fixed("i", [0])]))
        self.assertEqual(out.columns[0].validity, b"\x00")
        with self.assertRaises(Err) as e:
            self.scalar.call("scale", Batch(1, 2, [fixed("d", [1.5]), fixed("i", [-1])]))
        self.assertIsInstance(e.exception.value, t.CallError_Failed)

    def test_called_on_null_and_booleans(self):
        col = fixed("q", [7, 0, 9])
        col.validity = b"\x05"
        out = self.scalar.call("isnull", Batch(3, 1, [col]))
        self.assertEqual(out.columns[0].values, b"\x02")

    def test_call_errors(self):
        for batch, fn, kind in [
            (Batch(0, 0, []), "nope", t.CallError_UnknownFunction),
            (Batch(0, 0, []), "shout", t.CallError_InvalidArguments),
            (Batch(3, 1, [fixed("q", [1, 2])]), "isnull", t.CallError_InvalidArguments),
            (Batch(2, 1, [t.Column(2, None, b"ab", array.array("i", [0, 5, 1]).tobytes(), [])]), "shout", t.CallError_InvalidArguments),
        ]:
            with self.assertRaises(Err) as e:
                self.scalar.call(fn, batch)
            self.assertIsInstance(e.exception.value, kind, fn)

    def test_bad_registrations(self):
        with self.assertRaises(TypeError):
            wasp.udf(lambda x: x)
        with self.assertRaises(TypeError):

            @wasp.udf(returns="NUMBER")
            def f(x: int):
                return x


if __name__ == "__main__":
    unittest.main()
