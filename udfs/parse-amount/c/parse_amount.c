/*
 * parse_amount(s VARCHAR) RETURNS DOUBLE, in C: reads a money amount such as
 * "12.50", "-3", "1,234.5", "$ 99.99" or "EUR 7.25": an optional currency
 * (a symbol or three capital letters), an optional sign, digits with optional
 * thousands separators (',' between groups of three) and an optional fraction.
 * Anything else is a per-row error that says what was wrong at which position;
 * the rest of the batch goes on.
 */
#include <math.h>
#include <stdlib.h>

#include "wasp.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }

static void parse_amount(const wasp_args *args, wasp_result *result) {
    wasp_str s = wasp_arg_str(args, 0);
    const char *p = s.ptr, *end = s.ptr + s.len;
    while (p < end && *p == ' ') p++;
    /* A currency: '$', the UTF-8 of '€' or '£', or three capital letters. */
    if (p < end && *p == '$') {
        p++;
    } else if (end - p >= 3 && (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x82 && (unsigned char)p[2] == 0xAC) {
        p += 3;
    } else if (end - p >= 2 && (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA3) {
        p += 2;
    } else if (end - p >= 3 && is_upper(p[0]) && is_upper(p[1]) && is_upper(p[2])) {
        p += 3;
    }
    while (p < end && *p == ' ') p++;
    double sign = 1;
    if (p < end && (*p == '-' || *p == '+')) sign = *p++ == '-' ? -1 : 1;
    if (p == end || !is_digit(*p)) {
        if (s.len == 0) wasp_row_error(result, "not an amount: empty");
        else wasp_row_error(result, "not an amount: a digit expected at position %d", (int)(p - s.ptr) + 1);
        return;
    }
    /* The digits, without separators, then strtod: correctly rounded. */
    char digits[64];
    size_t n = 0;
    int group = 0, grouped = 0;
    for (; p < end && (is_digit(*p) || *p == ','); p++) {
        if (*p == ',') {
            if ((grouped && group != 3) || (!grouped && (group == 0 || group > 3))) break;
            grouped = 1;
            group = 0;
            continue;
        }
        if (n < sizeof(digits) - 2) digits[n++] = *p;
        else {
            wasp_row_error(result, "not an amount: more than %d digits", (int)sizeof(digits) - 2);
            return;
        }
        group++;
    }
    if (grouped && group != 3) {
        wasp_row_error(result, "not an amount: thousands separator misplaced before position %d", (int)(p - s.ptr) + 1);
        return;
    }
    if (p < end && *p == '.') {
        digits[n++] = '.';
        for (p++; p < end && is_digit(*p); p++) {
            if (n < sizeof(digits) - 1) digits[n++] = *p;
        }
    }
    digits[n] = '\0';
    double value = strtod(digits, NULL);
    while (p < end && *p == ' ') p++;
    if (p != end) {
        wasp_row_error(result, "not an amount: unexpected character at position %d", (int)(p - s.ptr) + 1);
        return;
    }
    if (!isfinite(value)) {
        wasp_row_error(result, "not an amount: out of range");
        return;
    }
    wasp_set_double(result, sign * value);
}

WASP_EXPORT({
    .name = "parse_amount",
    .params = "s VARCHAR",
    .returns = "DOUBLE",
    .fn = parse_amount,
    .description = "Parses a money amount such as '$1,234.50'; a malformed one is a per-row error.",
})
