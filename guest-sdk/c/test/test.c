/*
 * Native tests of the C SDK (no WebAssembly): a module of test functions, called
 * through exports_wasp_udf_scalar_describe / _call as the generated bindings call
 * them, with batches built here. Run by guest-sdk/c/test/run.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gen/udf.h"
#include "../wasp.h"

/* The generated bindings link a wasm object that defines this; natively, nothing. */
void __component_type_object_force_link_udf(void) {}

static void upper(const wasp_args *args, wasp_result *result) {
    wasp_str s = wasp_arg_str(args, 0);
    if (s.len == 0) {
        wasp_row_error(result, "empty at row %u", wasp_row(args));
        return;
    }
    char *out = wasp_set_str_begin(result, s.len);
    for (size_t i = 0; i < s.len; i++) out[i] = (char)(s.ptr[i] >= 'a' && s.ptr[i] <= 'z' ? s.ptr[i] - 32 : s.ptr[i]);
    wasp_set_str_end(result, s.len);
}

static void scale(const wasp_args *args, wasp_result *result) {
    double x = wasp_arg_double(args, 0);
    int32_t k = wasp_arg_int(args, 1);
    if (k < 0) wasp_fail(result, "negative factor %d", k);
    else if (k == 0) wasp_set_null(result);
    else wasp_set_double(result, x * k);
}

static void is_null(const wasp_args *args, wasp_result *result) { wasp_set_bool(result, wasp_arg_is_null(args, 0)); }

WASP_EXPORT(
    {.name = "upper", .params = "s VARCHAR", .returns = "VARCHAR", .fn = upper, .description = "Upper case."},
    {.name = "scale", .params = " x DOUBLE , k INT ", .returns = "DOUBLE", .fn = scale},
    {.name = "is_null", .params = "v BIGINT", .returns = "BOOLEAN", .fn = is_null, .flags = WASP_CALLED_ON_NULL},
)

/* Columns as the host lowers them, in malloc'ed buffers the SDK frees. */
static void *dup(const void *p, size_t n) {
    void *q = malloc(n ? n : 1);
    memcpy(q, p, n);
    return q;
}

static wasp_udf_types_column_t strings(const char **values, uint32_t n) {
    wasp_udf_types_column_t c;
    memset(&c, 0, sizeof(c));
    c.len = n;
    int32_t *offsets = malloc(4 * (n + 1));
    uint8_t *validity = calloc(1, (n + 7) / 8 + 1);
    size_t total = 0;
    offsets[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (values[i]) {
            validity[i / 8] |= (uint8_t)(1 << (i % 8));
            total += strlen(values[i]);
        } else {
            c.validity.is_some = true;
        }
        offsets[i + 1] = (int32_t)total;
    }
    uint8_t *data = malloc(total + 1);
    for (uint32_t i = 0; i < n; i++)
        if (values[i]) memcpy(data + offsets[i], values[i], strlen(values[i]));
    c.values.ptr = data;
    c.values.len = total;
    c.offsets.is_some = true;
    c.offsets.val.ptr = (uint8_t *)offsets;
    c.offsets.val.len = 4 * (n + 1);
    if (c.validity.is_some) {
        c.validity.val.ptr = validity;
        c.validity.val.len = (n + 7) / 8;
    } else {
        free(validity);
    }
    return c;
}

static wasp_udf_types_column_t fixed(const void *values, size_t width, uint32_t n) {
    wasp_udf_types_column_t c;
    memset(&c, 0, sizeof(c));
    c.len = n;
    c.values.ptr = dup(values, width * n);
    c.values.len = width * n;
    return c;
}

static bool call(const char *name, uint32_t rows, wasp_udf_types_column_t *cols, uint32_t ncols,
                 wasp_udf_types_output_t *out, wasp_udf_types_call_error_t *err) {
    udf_string_t fn;
    udf_string_dup(&fn, name);
    /* As the host lowers it: an empty list has no allocation. */
    wasp_udf_types_batch_t batch = {rows, ncols, {ncols ? dup(cols, ncols * sizeof(*cols)) : NULL, ncols}};
    return exports_wasp_udf_scalar_call(&fn, &batch, out, err);
}

static const char *str_at(const wasp_udf_types_column_t *c, uint32_t i, size_t *len) {
    int32_t s, e;
    memcpy(&s, c->offsets.val.ptr + 4 * i, 4);
    memcpy(&e, c->offsets.val.ptr + 4 * i + 4, 4);
    *len = (size_t)(e - s);
    return (const char *)c->values.ptr + s;
}

static bool valid(const wasp_udf_types_column_t *c, uint32_t i) {
    return !c->validity.is_some || (c->validity.val.ptr[i / 8] >> (i % 8)) & 1;
}

int main(void) {
    int checks = 0;
#define CHECK(cond)                                                         \
    do {                                                                    \
        checks++;                                                           \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                       \
        }                                                                   \
    } while (0)

    /* describe */
    exports_wasp_udf_scalar_list_function_def_t defs;
    exports_wasp_udf_scalar_describe(&defs);
    CHECK(defs.len == 3);
    CHECK(defs.ptr[1].params.len == 2 && memcmp(defs.ptr[1].params.ptr[1].name.ptr, "k", 1) == 0);
    CHECK(defs.ptr[1].params.ptr[1].ty.nodes.ptr[0].tag == WASP_UDF_TYPES_TYPE_NODE_INT);
    CHECK(defs.ptr[2].null_handling == WASP_UDF_TYPES_NULL_HANDLING_CALLED_ON_NULL);
    CHECK(defs.ptr[0].returns.nodes.ptr[0].tag == WASP_UDF_TYPES_TYPE_NODE_STRING);
    exports_wasp_udf_scalar_list_function_def_free(&defs);

    /* strings, NULLs, a row error */
    const char *in[] = {"abc", NULL, "", "x-y"};
    wasp_udf_types_column_t col = strings(in, 4);
    wasp_udf_types_output_t out;
    wasp_udf_types_call_error_t err;
    CHECK(call("UPPER", 4, &col, 1, &out, &err));
    size_t len;
    const char *s = str_at(&out.columns.ptr[0], 0, &len);
    CHECK(len == 3 && memcmp(s, "ABC", 3) == 0);
    CHECK(!valid(&out.columns.ptr[0], 1) && !valid(&out.columns.ptr[0], 2) && valid(&out.columns.ptr[0], 3));
    s = str_at(&out.columns.ptr[0], 3, &len);
    CHECK(len == 3 && memcmp(s, "X-Y", 3) == 0);
    CHECK(out.row_errors.len == 1 && out.row_errors.ptr[0].row == 2);
    CHECK(memcmp(out.row_errors.ptr[0].message.ptr, "empty at row 2", out.row_errors.ptr[0].message.len) == 0);
    wasp_udf_types_output_free(&out);

    /* doubles with a constant INT, a NULL result, then a whole-batch failure */
    double xs[] = {1.5, 2, 4};
    int32_t k3 = 3, k0 = 0, kneg = -1;
    wasp_udf_types_column_t cols[2] = {fixed(xs, 8, 3), fixed(&k3, 4, 1)};
    CHECK(call("scale", 3, cols, 2, &out, &err));
    double r[3];
    memcpy(r, out.columns.ptr[0].values.ptr, sizeof(r));
    CHECK(r[0] == 4.5 && r[1] == 6 && r[2] == 12 && !out.columns.ptr[0].validity.is_some);
    wasp_udf_types_output_free(&out);
    wasp_udf_types_column_t zero[2] = {fixed(xs, 8, 3), fixed(&k0, 4, 1)};
    CHECK(call("scale", 3, zero, 2, &out, &err));
    CHECK(!valid(&out.columns.ptr[0], 0) && out.row_errors.len == 0);
    wasp_udf_types_output_free(&out);
    wasp_udf_types_column_t neg[2] = {fixed(xs, 8, 3), fixed(&kneg, 4, 1)};
    CHECK(!call("scale", 3, neg, 2, &out, &err));
    CHECK(err.tag == WASP_UDF_TYPES_CALL_ERROR_FAILED && memcmp(err.val.failed.ptr, "negative factor -1", 18) == 0);
    wasp_udf_types_call_error_free(&err);

    /* CALLED ON NULL sees the NULL; BOOLEAN results are bits */
    int64_t vs[] = {7, 0, 9};
    wasp_udf_types_column_t v = fixed(vs, 8, 3);
    v.validity.is_some = true;
    uint8_t bits = 0x5; /* rows 0 and 2 valid */
    v.validity.val.ptr = dup(&bits, 1);
    v.validity.val.len = 1;
    CHECK(call("is_null", 3, &v, 1, &out, &err));
    CHECK(out.columns.ptr[0].values.ptr[0] == 0x2);
    wasp_udf_types_output_free(&out);

    /* call errors: unknown function, argument count, short buffers, bad offsets */
    CHECK(!call("nope", 0, NULL, 0, &out, &err) && err.tag == WASP_UDF_TYPES_CALL_ERROR_UNKNOWN_FUNCTION);
    wasp_udf_types_call_error_free(&err);
    CHECK(!call("upper", 0, NULL, 0, &out, &err) && err.tag == WASP_UDF_TYPES_CALL_ERROR_INVALID_ARGUMENTS);
    wasp_udf_types_call_error_free(&err);
    wasp_udf_types_column_t short_col = fixed(xs, 8, 2);
    wasp_udf_types_column_t kk = fixed(&k3, 4, 1);
    wasp_udf_types_column_t two[2] = {short_col, kk};
    two[0].len = 3;
    CHECK(!call("scale", 3, two, 2, &out, &err) && err.tag == WASP_UDF_TYPES_CALL_ERROR_INVALID_ARGUMENTS);
    wasp_udf_types_call_error_free(&err);
    const char *in2[] = {"ab", "cd"};
    wasp_udf_types_column_t bad = strings(in2, 2);
    int32_t wrong = 99;
    memcpy(bad.offsets.val.ptr + 8, &wrong, 4);
    CHECK(!call("upper", 2, &bad, 1, &out, &err) && err.tag == WASP_UDF_TYPES_CALL_ERROR_INVALID_ARGUMENTS);
    wasp_udf_types_call_error_free(&err);

    printf("c sdk: %d passed, 0 failed\n", checks);
    return 0;
}
