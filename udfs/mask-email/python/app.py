"""mask_email(email VARCHAR) RETURNS VARCHAR, in Python: keeps the first character
of the local part and the domain, masks the rest one '*' per character
(alice@example.com -> a****@example.com). No '@', or nothing before it, is a
per-row error."""

import wasp


@wasp.udf
def mask_email(email: str) -> str:
    """Masks the local part of an e-mail address: alice@example.com -> a****@example.com."""
    local, at, domain = email.rpartition("@")
    if not at:
        raise ValueError("not an e-mail address: no '@'")
    if not local:
        raise ValueError("not an e-mail address: nothing before '@'")
    return local[0] + "*" * (len(local) - 1) + "@" + domain


Scalar = wasp.Scalar
