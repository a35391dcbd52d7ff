#!/bin/sh
# Builds {{name}}.wasm, a component exporting wasp:udf/scalar@1.0.0.
# Needs: rustup target add wasm32-wasip2
set -eu
cd "$(dirname "$0")"
cargo test
cargo build --release --target wasm32-wasip2
cp "${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/{{name}}.wasm" {{name}}.wasm
echo "built $(pwd)/{{name}}.wasm"
