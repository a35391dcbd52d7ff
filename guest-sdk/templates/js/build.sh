#!/bin/sh
# Builds {{name}}.wasm, a component exporting wasp:udf/scalar@1.0.0.
# Needs the JavaScript tools of guest-sdk/js/tools (npm ci there, or in
# $WASP_GUEST_TOOLS as scripts/test installs them).
set -eu
cd "$(dirname "$0")"
tools=${WASP_GUEST_TOOLS:-{{sdk}}/../target/guest-tools}
cp {{sdk}}/js/tools/componentize.mjs "$tools/componentize.mjs"
node "$tools/componentize.mjs" app.js {{sdk}}/wit {{name}}.wasm
echo "built $(pwd)/{{name}}.wasm"
