"""ucase(s VARCHAR) RETURNS VARCHAR, in Python: the text in upper case (Unicode's
full case mapping, as ksqlDB's UCASE). The string twin of the built-in, for
`wasp bench --functions`."""

import wasp


@wasp.udf
def ucase(s: str) -> str:
    """The text in upper case."""
    return s.upper()


Scalar = wasp.Scalar
