// ucase(s VARCHAR) RETURNS VARCHAR, in JavaScript: the text in upper case
// (Unicode's full case mapping, as ksqlDB's UCASE). The string twin of the
// built-in, for `wasp bench --functions`.
import { udf, scalar } from "../../../guest-sdk/js/wasp.js";

udf("ucase", { params: "s VARCHAR", returns: "VARCHAR", description: "The text in upper case." }, (s) =>
  s.toUpperCase(),
);

export { scalar };
