/* {{name}}(text VARCHAR) RETURNS VARCHAR: the text in upper case (ASCII letters).
 * Replace the body with your function; see wasp.h for the API. */
#include "wasp.h"

static void {{name}}(const wasp_args *args, wasp_result *result) {
    wasp_str text = wasp_arg_str(args, 0);
    if (text.len == 0) {
        wasp_row_error(result, "empty text");
        return;
    }
    char *out = wasp_set_str_begin(result, text.len);
    for (size_t i = 0; i < text.len; i++) {
        char c = text.ptr[i];
        out[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    wasp_set_str_end(result, text.len);
}

WASP_EXPORT({
    .name = "{{name}}",
    .params = "text VARCHAR",
    .returns = "VARCHAR",
    .fn = {{name}},
    .description = "The text in upper case.",
})
