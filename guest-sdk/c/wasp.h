/*
 * wasp.h: the C SDK for wasp functions (guest ABI wasp:udf@1.0.0).
 *
 * A function is a plain C function over one row. The SDK does the rest: it
 * implements the component's `describe` and `call` exports, walks each batch row
 * by row, reads arguments straight out of the Arrow-layout buffers the host
 * lowered (no copy, no per-row allocation), skips rows with a NULL argument
 * (unless the function asks to see NULLs), builds the result column and collects
 * per-row errors.
 *
 *     #include "wasp.h"
 *
 *     static void shout(const wasp_args *args, wasp_result *result) {
 *         wasp_str s = wasp_arg_str(args, 0);
 *         char *out = wasp_set_str_begin(result, s.len);
 *         for (size_t i = 0; i < s.len; i++) out[i] = toupper(s.ptr[i]);
 *         wasp_set_str_end(result, s.len);
 *     }
 *
 *     WASP_EXPORT(
 *         {.name = "shout", .params = "s VARCHAR", .returns = "VARCHAR", .fn = shout},
 *     )
 *
 * Types, in `params` ("name TYPE, ...") and `returns`: BOOLEAN, INT (INTEGER),
 * BIGINT, DOUBLE, VARCHAR (STRING), BYTES, TIMESTAMP (ms since the epoch, as
 * BIGINT), DATE (days, as INT), TIME (ms since midnight, as INT).
 *
 * A row's outcome is what the function set last: a value (wasp_set_*), NULL
 * (wasp_set_null, or nothing set at all), or a per-row error (wasp_row_error:
 * the row is NULL and the message goes to the processing log). To fail a whole
 * batch, wasp_fail. A crash (abort, a bad pointer, __builtin_trap) traps: the
 * host discards the instance and finds the offending row itself.
 *
 * Build (scripts/build-udfs does this; see guest-sdk/README.md):
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 \
 *         -I guest-sdk/c guest-sdk/c/wasp.c guest-sdk/c/gen/udf.c \
 *         guest-sdk/c/gen/udf_component_type.o my.c -o core.wasm
 *     wasm-tools component new core.wasm -o my.wasm
 */
#ifndef WASP_H
#define WASP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed UTF-8 string (VARCHAR) or byte string (BYTES): not NUL-terminated,
 * valid until the function returns. */
typedef struct wasp_str {
    const char *ptr;
    size_t len;
} wasp_str;

/* The arguments of the current row. */
typedef struct wasp_args wasp_args;

/* The result of the current row. */
typedef struct wasp_result wasp_result;

/* A function over one row. */
typedef void (*wasp_scalar_fn)(const wasp_args *args, wasp_result *result);

/* Flags of a function. */
enum {
    /* The function sees NULL arguments (CALLED ON NULL INPUT); by default a row
     * with a NULL argument is NULL without calling the function. */
    WASP_CALLED_ON_NULL = 1,
    /* The result may differ between calls with the same arguments. */
    WASP_NONDETERMINISTIC = 2,
};

/* One function of the module, as WASP_EXPORT lists them. */
typedef struct wasp_function {
    /* The SQL name; matched case-insensitively. */
    const char *name;
    /* The parameters: "name TYPE, name TYPE" ("" for none). */
    const char *params;
    /* The return type. */
    const char *returns;
    wasp_scalar_fn fn;
    /* WASP_CALLED_ON_NULL | WASP_NONDETERMINISTIC, or 0. */
    unsigned flags;
    /* One line for DESCRIBE FUNCTION; may be NULL. */
    const char *description;
} wasp_function;

/* Arguments, by position; the accessor must match the parameter's type (a
 * mismatch reads garbage, never out of bounds). */
bool wasp_arg_is_null(const wasp_args *args, unsigned i);
wasp_str wasp_arg_str(const wasp_args *args, unsigned i);   /* VARCHAR, BYTES */
bool wasp_arg_bool(const wasp_args *args, unsigned i);      /* BOOLEAN */
int32_t wasp_arg_int(const wasp_args *args, unsigned i);    /* INT, DATE, TIME */
int64_t wasp_arg_bigint(const wasp_args *args, unsigned i); /* BIGINT, TIMESTAMP */
double wasp_arg_double(const wasp_args *args, unsigned i);  /* DOUBLE */
/* The row's index in the batch. */
uint32_t wasp_row(const wasp_args *args);

/* The result, of the function's return type. */
void wasp_set_null(wasp_result *result);
void wasp_set_str(wasp_result *result, const char *ptr, size_t len); /* VARCHAR, BYTES */
/* Room for a string of up to `max` bytes, written in place; then
 * wasp_set_str_end with the length written. */
char *wasp_set_str_begin(wasp_result *result, size_t max);
void wasp_set_str_end(wasp_result *result, size_t len);
void wasp_set_bool(wasp_result *result, bool value);
void wasp_set_int(wasp_result *result, int32_t value);
void wasp_set_bigint(wasp_result *result, int64_t value);
void wasp_set_double(wasp_result *result, double value);

/* A per-row error (printf format): the row is NULL, the message goes to the
 * processing log. Keep the row's value out of the message. */
void wasp_row_error(wasp_result *result, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Fails the whole batch (printf format): every row goes to the processing log. */
void wasp_fail(wasp_result *result, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The module's functions, defined by WASP_EXPORT. */
extern const wasp_function wasp_functions[];
extern const size_t wasp_function_count;

/* Lists the module's functions: WASP_EXPORT({...}, {...}). Once per module. */
#define WASP_EXPORT(...)                                                              \
    const wasp_function wasp_functions[] = {__VA_ARGS__};                             \
    const size_t wasp_function_count = sizeof(wasp_functions) / sizeof(wasp_functions[0]);

#ifdef __cplusplus
}
#endif

#endif
