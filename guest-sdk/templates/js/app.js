// {{name}}(text VARCHAR) RETURNS VARCHAR: the text in upper case. Replace the
// body with your function; throw for a per-row error.
import { udf, scalar } from "{{sdk}}/js/wasp.js";

udf("{{name}}", { params: "text VARCHAR", returns: "VARCHAR", description: "The text in upper case." }, (text) => {
  if (text.length === 0) throw new Error("empty text");
  return text.toUpperCase();
});

export { scalar };
