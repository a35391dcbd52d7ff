"""json_path(json VARCHAR, path VARCHAR) RETURNS VARCHAR, in Python.

The path is JSONPath as ksqlDB's EXTRACTJSONFIELD takes it: `$`, then `.name`,
`['name']` or `[index]` steps (`$.user.emails[0]`, `$['a key'][2]`). The result
is the value at the path: a string as its text, null as NULL, anything else as
compact JSON (object keys in document order). A path that finds nothing is NULL;
text that is not JSON or a malformed path is a per-row error.
"""

import json as json_module

import wasp


def parse_path(path):
    """The steps of a path: str keys and int indexes."""
    if not path.startswith("$"):
        raise ValueError("path must start with '$'")
    steps, i, n = [], 1, len(path)
    while i < n:
        c = path[i]
        if c == ".":
            j = i + 1
            while j < n and path[j] not in ".[":
                j += 1
            if j == i + 1:
                raise ValueError(f"empty name at position {i + 1} of the path")
            steps.append(path[i + 1 : j])
            i = j
        elif c == "[":
            end = path.find("]", i)
            if end < 0:
                raise ValueError(f"unclosed '[' at position {i + 1} of the path")
            inner = path[i + 1 : end].strip()
            if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                steps.append(inner[1:-1])
            elif inner.isdigit():
                steps.append(int(inner))
            else:
                raise ValueError(f"'[{inner}]' at position {i + 1} is neither an index nor a quoted name")
            i = end + 1
        else:
            raise ValueError(f"unexpected {c!r} at position {i + 1} of the path")
    return steps


@wasp.udf
def json_path(json: str, path: str) -> str:
    """The value at a JSONPath ($.a.b[0]) in a JSON text, as text; NULL when absent."""
    steps = parse_path(path)
    try:
        value = json_module.loads(json)
    except ValueError as e:
        raise ValueError(f"not JSON: {e.msg} at position {e.pos + 1}") from None
    for step in steps:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return None
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json_module.dumps(value, separators=(",", ":"), ensure_ascii=False)


Scalar = wasp.Scalar
