"""The Python SDK for wasp functions (guest ABI ``wasp:udf@1.0.0``).

A function is a plain Python function with a decorator; the SDK implements the
component's ``describe`` and ``call`` exports and runs the batch loop::

    import wasp

    @wasp.udf
    def mask_email(email: str) -> str:
        local, at, domain = email.rpartition("@")
        if not at or not local:
            raise ValueError("not an e-mail address")   # a per-row error
        return local[0] + "*" * (len(local) - 1) + "@" + domain

    Scalar = wasp.Scalar    # the export componentize-py looks for in the app module

Build with componentize-py (``scripts/build-udfs`` does this)::

    componentize-py -d guest-sdk/wit -w udf componentize --stub-wasi \\
        -p . -p guest-sdk/python -o mask_email.wasm app

SQL types come from the annotations (``str`` VARCHAR, ``bytes`` BYTES, ``float``
DOUBLE, ``int`` BIGINT, ``bool`` BOOLEAN; ``Optional[...]`` to see NULLs) or from
the decorator (``@wasp.udf(params={"n": "INT"}, returns="INT")``, any type name of
``TYPES``). Without an ``Optional`` parameter a row with a NULL argument is NULL
and the function is not called. An exception raised by the function is a per-row
error: the row is NULL and the message goes to the processing log; ``wasp.Fail``
fails the whole batch.
"""

import array
import typing
from dataclasses import dataclass

__all__ = ["udf", "Fail", "Scalar", "TYPES", "registry"]


class Fail(Exception):
    """Raised by a function to fail the whole batch (a ``call-error``), not one row."""


# SQL type name -> (type node name, layout). Layout: 's' string/bytes, 'b' bitmap,
# or an array typecode for fixed-width values.
TYPES = {
    "BOOLEAN": ("Boolean", "b"),
    "INT": ("Int", "i"),
    "INTEGER": ("Int", "i"),
    "BIGINT": ("Bigint", "q"),
    "DOUBLE": ("Double", "d"),
    "VARCHAR": ("String", "s"),
    "STRING": ("String", "s"),
    "BYTES": ("Bytes", "s"),
    "TIMESTAMP": ("Timestamp", "q"),
    "DATE": ("Date", "i"),
    "TIME": ("Time", "i"),
}

_ANNOTATIONS = {str: "VARCHAR", bytes: "BYTES", float: "DOUBLE", int: "BIGINT", bool: "BOOLEAN"}

_WIDTH = {"i": 4, "q": 8, "d": 8}


@dataclass
class _Function:
    name: str
    fn: typing.Callable
    params: list  # [(name, SQL type name, nullable)]
    returns: str
    deterministic: bool
    description: str

    @property
    def called_on_null(self):
        return any(nullable for _, _, nullable in self.params)


registry = {}  # lower-case name -> _Function


def _sql_type(annotation, where):
    """The SQL type name and nullability of an annotation."""
    nullable = False
    args = typing.get_args(annotation)
    if args and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            annotation, nullable = rest[0], True
    if isinstance(annotation, str):
        name = annotation.upper()
    elif annotation in _ANNOTATIONS:
        name = _ANNOTATIONS[annotation]
    else:
        raise TypeError(f"{where}: no SQL type for {annotation!r}; name one, e.g. params={{...: 'INT'}}")
    if name not in TYPES:
        raise TypeError(f"{where}: unknown SQL type {name}; one of {', '.join(TYPES)}")
    return name, nullable


def udf(fn=None, *, name=None, params=None, returns=None, deterministic=True, description=None):
    """Registers a plain function as a SQL function of this module.

    ``params`` maps parameter names to SQL type names and ``returns`` names the
    return type, where the annotations do not say it (``int`` is BIGINT; say
    ``"INT"`` for a 32-bit integer). The function stays callable as it was.
    """

    def register(fn):
        hints = typing.get_type_hints(fn)
        code = fn.__code__
        names = code.co_varnames[: code.co_argcount]
        plist = []
        for p in names:
            where = f"{fn.__name__}({p})"
            if params and p in params:
                ty, nullable = _sql_type(params[p], where)
                nullable = nullable or type(None) in typing.get_args(hints.get(p))
            elif p in hints:
                ty, nullable = _sql_type(hints[p], where)
            else:
                raise TypeError(f"{where}: annotate the parameter or name its type in params=")
            plist.append((p, ty, nullable))
        if returns is not None:
            ret, _ = _sql_type(returns, f"{fn.__name__} -> ")
        elif "return" in hints:
            ret, _ = _sql_type(hints["return"], f"{fn.__name__} -> ")
        else:
            raise TypeError(f"{fn.__name__}: annotate the return type or pass returns=")
        sql_name = name or fn.__name__
        doc = description if description is not None else (fn.__doc__ or "").strip().split("\n")[0]
        if sql_name.lower() in registry:
            raise ValueError(f"function {sql_name} is registered twice")
        registry[sql_name.lower()] = _Function(sql_name, fn, plist, ret, deterministic, doc)
        return fn

    return register(fn) if fn is not None else register


# ---------------------------------------------------------------------------
# Reading argument columns


def _bit(bitmap, i):
    return (bitmap[i >> 3] >> (i & 7)) & 1


def _reader(column, layout, rows, index):
    """A function row -> value (None for NULL) over one argument column."""
    n = column.len
    if n != rows and not (n == 1 and rows != 1):
        raise _Invalid(f"argument {index} has {n} rows in a batch of {rows} (the batch's rows, or one for a constant)")
    constant = n != rows
    validity = column.validity
    if validity is not None and len(validity) < (n + 7) // 8:
        raise _Invalid(f"argument {index}: validity bitmap of {len(validity)} bytes for {n} rows")
    values = column.values
    if layout == "s":
        offsets = column.offsets
        if offsets is None or len(offsets) < 4 * (n + 1):
            raise _Invalid(f"argument {index}: a string column needs {n + 1} offsets")
        offs = memoryview(offsets)[: 4 * (n + 1)].cast("i")
        if any(offs[k] > offs[k + 1] for k in range(n)) or offs[0] < 0 or offs[n] > len(values):
            raise _Invalid(f"argument {index}: offsets decrease or point past the {len(values)} bytes of data")
        data = bytes(values)

        def get(i):
            return data[offs[i] : offs[i + 1]]

    elif layout == "b":
        if len(values) < (n + 7) // 8:
            raise _Invalid(f"argument {index}: BOOLEAN bitmap of {len(values)} bytes for {n} rows")

        def get(i):
            return bool(_bit(values, i))

    else:
        width = _WIDTH[layout]
        if len(values) < width * n:
            raise _Invalid(f"argument {index}: {len(values)} bytes of values for {n} rows of {width} bytes")
        get = memoryview(values)[: width * n].cast(layout).__getitem__

    if validity is None:
        return (lambda row: get(0)) if constant else get
    if constant:
        return (lambda row: get(0)) if _bit(validity, 0) else (lambda row: None)
    return lambda row: get(row) if _bit(validity, row) else None


class _Invalid(Exception):
    pass


# ---------------------------------------------------------------------------
# Building the result column


def _column(types, ret, values, rows):
    """The result column from a list of Python values (None for NULL)."""
    layout = TYPES[ret][1]
    validity = None
    if any(v is None for v in values):
        bits = bytearray((rows + 7) // 8)
        for i, v in enumerate(values):
            if v is not None:
                bits[i >> 3] |= 1 << (i & 7)
        validity = bytes(bits)
    offsets = None
    if layout == "s":
        text = ret != "BYTES"
        parts = [b"" if v is None else (v.encode() if text else bytes(v)) for v in values]
        offs = array.array("i", [0])
        total = 0
        for p in parts:
            total += len(p)
            offs.append(total)
        data = b"".join(parts)
        offsets = offs.tobytes()
    elif layout == "b":
        bits = bytearray((rows + 7) // 8)
        for i, v in enumerate(values):
            if v:
                bits[i >> 3] |= 1 << (i & 7)
        data = bytes(bits)
    else:
        data = array.array(layout, [0 if v is None else v for v in values]).tobytes()
    return types.Column(len=rows, validity=validity, values=data, offsets=offsets, children=[])


def _check_value(ret, v):
    """Raises TypeError when `v` does not fit the return type."""
    layout = TYPES[ret][1]
    ok = (
        isinstance(v, str)
        if ret in ("VARCHAR", "STRING")
        else isinstance(v, (bytes, bytearray, memoryview))
        if ret == "BYTES"
        else isinstance(v, bool)
        if layout == "b"
        else isinstance(v, (int, float)) and not isinstance(v, bool)
        if layout == "d"
        else isinstance(v, int) and not isinstance(v, bool)
    )
    if not ok:
        raise TypeError(f"returned {type(v).__name__} for {ret}")
    if layout in ("i", "q"):
        bits = 32 if layout == "i" else 64
        if not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
            raise OverflowError(f"{v} does not fit {ret}")


def _call(types, f, batch):
    rows = batch.rows
    if batch.args != len(f.params) or len(batch.columns) < batch.args:
        raise _Invalid(f"{f.name} takes {len(f.params)} arguments, the call passed {batch.args}")
    readers = [
        _reader(batch.columns[i], TYPES[ty][1], rows, i) for i, (_, ty, _) in enumerate(f.params)
    ]
    text = [ty in ("VARCHAR", "STRING") for _, ty, _ in f.params]
    skip_nulls = not f.called_on_null
    fn, ret = f.fn, f.returns
    values = [None] * rows
    errors = []
    for row in range(rows):
        args = [r(row) for r in readers]
        if skip_nulls and None in args:
            continue
        try:
            args = [a.decode() if t and a is not None else a for a, t in zip(args, text)]
            v = fn(*args)
            if v is not None:
                _check_value(ret, v)
            values[row] = v
        except Fail:
            raise
        except Exception as e:  # noqa: BLE001 - any exception of the function is a row error
            errors.append(types.RowError(row=row, message=str(e) or type(e).__name__))
    return types.Output(columns=[_column(types, ret, values, rows)], row_errors=errors)


# ---------------------------------------------------------------------------
# The export


class Scalar:
    """The ``wasp:udf/scalar@1.0.0`` export: assign it in the app module
    (``Scalar = wasp.Scalar``), where componentize-py looks for it."""

    def describe(self):
        from wit_world.imports import types

        def sql(name):
            return types.SqlType(nodes=[getattr(types, "TypeNode_" + TYPES[name][0])()])

        return [
            types.FunctionDef(
                name=f.name,
                params=[types.Param(name=p, ty=sql(ty)) for p, ty, _ in f.params],
                variadic=False,
                returns=sql(f.returns),
                null_handling=types.NullHandling.CALLED_ON_NULL if f.called_on_null else types.NullHandling.NULL_ON_NULL,
                determinism=types.Determinism.DETERMINISTIC if f.deterministic else types.Determinism.NONDETERMINISTIC,
                description=f.description,
            )
            for f in registry.values()
        ]

    def call(self, function, args):
        from componentize_py_types import Err
        from wit_world.imports import types

        f = registry.get(function.lower())
        if f is None:
            raise Err(types.CallError_UnknownFunction(f"{function} (this module has: {', '.join(x.name for x in registry.values())})"))
        try:
            return _call(types, f, args)
        except _Invalid as e:
            raise Err(types.CallError_InvalidArguments(str(e)))
        except Fail as e:
            raise Err(types.CallError_Failed(str(e) or "failed"))
