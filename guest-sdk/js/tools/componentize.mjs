// Builds a JavaScript wasp function into a component: bundles the app module and
// the SDK (guest-sdk/js/wasp.js) into one ES module with rolldown, then hands it
// to componentize-js (StarlingMonkey) for the wasp:udf `udf` world, with every
// WASI feature disabled (no stdio, clocks, random or http imports).
//
// Usage: node componentize.mjs APP.js WIT_DIR OUT.wasm
// (scripts/build-udfs runs it with the tools installed in target/guest-tools.)
import { componentize } from "@bytecodealliance/componentize-js";
import { rolldown } from "rolldown";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const [app, wit, out] = process.argv.slice(2);
if (!app || !wit || !out) {
  console.error("usage: node componentize.mjs APP.js WIT_DIR OUT.wasm");
  process.exit(2);
}

const dir = await mkdtemp(join(tmpdir(), "wasp-js-"));
try {
  const bundle = await rolldown({ input: resolve(app), platform: "neutral", logLevel: "warn" });
  const bundled = join(dir, "app.js");
  await bundle.write({ file: bundled, format: "esm" });
  await bundle.close();
  const { component } = await componentize({
    sourcePath: bundled,
    witPath: resolve(wit),
    worldName: "udf",
    disableFeatures: ["stdio", "random", "clocks", "http", "fetch-event"],
  });
  await writeFile(out, component);
} finally {
  await rm(dir, { recursive: true, force: true });
}
