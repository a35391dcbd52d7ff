// mask_email(email VARCHAR) RETURNS VARCHAR, in JavaScript: keeps the first
// character of the local part and the domain, masks the rest one '*' per
// character (alice@example.com -> a****@example.com). No '@', or nothing before
// it, is a per-row error.
import { udf, scalar } from "../../../guest-sdk/js/wasp.js";

udf(
  "mask_email",
  {
    params: "email VARCHAR",
    returns: "VARCHAR",
    description: "Masks the local part of an e-mail address: alice@example.com -> a****@example.com.",
  },
  (email) => {
    const at = email.lastIndexOf("@");
    if (at < 0) throw new Error("not an e-mail address: no '@'");
    if (at === 0) throw new Error("not an e-mail address: nothing before '@'");
    // Characters, not UTF-16 units: "é" is one.
    const [first, ...rest] = [...email.slice(0, at)];
    return first + "*".repeat(rest.length) + email.slice(at);
  },
);

export { scalar };
