// parse_amount(s VARCHAR) RETURNS DOUBLE, in JavaScript: reads a money amount
// such as "12.50", "-3", "1,234.5", "$ 99.99" or "EUR 7.25": an optional currency
// (a symbol or three capital letters), an optional sign, digits with optional
// thousands separators (',' between groups of three) and an optional fraction.
// Anything else is a per-row error saying what was wrong where; the rest of the
// batch goes on. The same function as udfs/parse-amount/c.
import { udf, scalar } from "../../../guest-sdk/js/wasp.js";

const AMOUNT = /^ *(?:[$€£]|[A-Z]{3})? *([+-])?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))? *$/;

udf(
  "parse_amount",
  {
    params: "s VARCHAR",
    returns: "DOUBLE",
    description: "Parses a money amount such as '$1,234.50'; a malformed one is a per-row error.",
  },
  (s) => {
    if (s.length === 0) throw new Error("not an amount: empty");
    const m = AMOUNT.exec(s);
    if (m === null) throw new Error(`not an amount: ${where(s)}`);
    const value = Number(m[2].replaceAll(",", "") + "." + (m[3] || "0"));
    return m[1] === "-" ? -value : value;
  },
);

// Why `s` is not an amount, as the C version says it: the first position the
// grammar cannot continue from (positions count bytes of UTF-8, from 1).
function where(s) {
  const bytes = new TextEncoder().encode(s);
  let p = 0;
  const at = () => `position ${p + 1}`;
  while (bytes[p] === 0x20) p++;
  if (bytes[p] === 0x24) p += 1;
  else if (bytes[p] === 0xe2 && bytes[p + 1] === 0x82 && bytes[p + 2] === 0xac) p += 3;
  else if (bytes[p] === 0xc2 && bytes[p + 1] === 0xa3) p += 2;
  else if ([0, 1, 2].every((k) => bytes[p + k] >= 0x41 && bytes[p + k] <= 0x5a)) p += 3;
  while (bytes[p] === 0x20) p++;
  if (bytes[p] === 0x2b || bytes[p] === 0x2d) p++;
  const digit = (b) => b >= 0x30 && b <= 0x39;
  if (!digit(bytes[p])) return `a digit expected at ${at()}`;
  let group = 0;
  let grouped = false;
  for (; digit(bytes[p]) || bytes[p] === 0x2c; p++) {
    if (bytes[p] === 0x2c) {
      if ((grouped && group !== 3) || (!grouped && (group === 0 || group > 3))) break;
      grouped = true;
      group = 0;
    } else {
      group++;
    }
  }
  if (grouped && group !== 3) return `thousands separator misplaced before ${at()}`;
  if (bytes[p] === 0x2e) for (p++; digit(bytes[p]); p++);
  while (bytes[p] === 0x20) p++;
  return `unexpected character at ${at()}`;
}

export { scalar };
