"""{{name}}(text VARCHAR) RETURNS VARCHAR: the text in upper case. Replace the body
with your function; raise an exception for a per-row error."""

import wasp


@wasp.udf
def {{name}}(text: str) -> str:
    """The text in upper case; an empty text is a per-row error."""
    if not text:
        raise ValueError("empty text")
    return text.upper()


# The export componentize-py looks for in the app module.
Scalar = wasp.Scalar
