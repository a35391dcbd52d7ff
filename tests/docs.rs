//! `docs/functions.md` lists every built-in function with its signatures. This test
//! fails when the list and the registry disagree; `WASP_UPDATE_DOCS=1 cargo test -p
//! wasp-tests --test docs` rewrites the file.

use std::fmt::Write as _;
use std::path::Path;

use wasp_host::udf::FunctionRegistry;

fn render() -> String {
    let registry = FunctionRegistry::with_builtins();
    let mut by_category: std::collections::BTreeMap<String, Vec<_>> = Default::default();
    for f in registry.all() {
        by_category.entry(f.category().to_owned()).or_default().push(f);
    }
    let mut out = String::from(
        "# Built-in functions\n\nGenerated from the function registry by `tests/docs.rs`; `SHOW FUNCTIONS` and\n`DESCRIBE FUNCTION <name>` print the same from a running server. Functions return\nNULL when an argument is NULL unless noted; a function that fails on one row (a bad\npattern, an unparsable string) makes that row's value NULL and logs the row to the\nprocessing log.\n",
    );
    for (category, functions) in by_category {
        let _ = write!(out, "\n## {category}\n\n| Function | Signatures | Description |\n|---|---|---|\n");
        for f in functions {
            let sigs =
                f.signatures().iter().map(|s| format!("`{}`", s.replace('|', "\\|"))).collect::<Vec<_>>().join("<br>");
            let _ = writeln!(out, "| {} | {sigs} | {} |", f.name(), f.description().replace('|', "\\|"));
        }
    }
    out
}

#[test]
fn functions_doc_lists_every_function() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/functions.md");
    let want = render();
    if std::env::var_os("WASP_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/functions.md is out of date; run WASP_UPDATE_DOCS=1 cargo test -p wasp-tests --test docs"
    );
}
