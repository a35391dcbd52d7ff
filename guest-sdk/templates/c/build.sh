#!/bin/sh
# Builds {{name}}.wasm, a component exporting wasp:udf/scalar@1.0.0.
# Needs: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32, and wasm-tools.
set -eu
cd "$(dirname "$0")"
sdk={{sdk}}/c
clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -Wall -Wextra \
    -I "$sdk" -o {{name}}.core.wasm \
    "$sdk/wasp.c" "$sdk/gen/udf.c" "$sdk/gen/udf_component_type.o" {{name}}.c
wasm-tools component new {{name}}.core.wasm -o {{name}}.wasm
rm {{name}}.core.wasm
echo "built $(pwd)/{{name}}.wasm"
