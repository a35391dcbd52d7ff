/*
 * mask_email(email VARCHAR) RETURNS VARCHAR, in C: keeps the first character of
 * the local part and the domain, masks the rest one '*' per character:
 * alice@example.com -> a****@example.com. A value with no '@', or nothing before
 * it, is a per-row error (NULL, and the processing log says why).
 */
#include "wasp.h"

/* The length of the UTF-8 sequence that starts with byte `c`. */
static size_t utf8_len(unsigned char c) {
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static void mask_email(const wasp_args *args, wasp_result *result) {
    wasp_str email = wasp_arg_str(args, 0);
    size_t at = email.len;
    while (at > 0 && email.ptr[at - 1] != '@') at--;
    if (at == 0) {
        wasp_row_error(result, "not an e-mail address: no '@'");
        return;
    }
    at--; /* the last '@' */
    if (at == 0) {
        wasp_row_error(result, "not an e-mail address: nothing before '@'");
        return;
    }
    /* The mask is never longer than the input: one byte per character. */
    char *out = wasp_set_str_begin(result, email.len);
    size_t first = utf8_len((unsigned char)email.ptr[0]);
    if (first > at) first = at;
    size_t n = 0;
    for (; n < first; n++) out[n] = email.ptr[n];
    for (size_t i = first; i < at; i += utf8_len((unsigned char)email.ptr[i])) out[n++] = '*';
    for (size_t i = at; i < email.len; i++) out[n++] = email.ptr[i];
    wasp_set_str_end(result, n);
}

WASP_EXPORT({
    .name = "mask_email",
    .params = "email VARCHAR",
    .returns = "VARCHAR",
    .fn = mask_email,
    .description = "Masks the local part of an e-mail address: alice@example.com -> a****@example.com.",
})
