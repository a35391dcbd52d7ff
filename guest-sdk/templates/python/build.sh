#!/bin/sh
# Builds {{name}}.wasm, a component exporting wasp:udf/scalar@1.0.0.
# Needs: pip install componentize-py==0.25.1
set -eu
cd "$(dirname "$0")"
componentize-py -d {{sdk}}/wit -w udf componentize --stub-wasi \
    -p . -p {{sdk}}/python -o {{name}}.wasm app
echo "built $(pwd)/{{name}}.wasm"
