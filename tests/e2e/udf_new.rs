//! `wasp udf new` as a newcomer uses it: for each language, scaffold a function,
//! build it with the project's own `build.sh`, deploy it with `CREATE FUNCTION` into
//! a running server and use it in a persistent query over tansu. The templates'
//! function upper-cases its text and refuses an empty one (a per-row error).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::broker::Tansu;
use crate::server::{wasp_binary, WaspServer};
use crate::support::{self, ksql_ok, query_id_of, read_topic, seal, wait_until_caught_up, Outgoing, SERVER_ARGS};

const LANGUAGES: [&str; 4] = ["rust", "c", "python", "js"];

/// Runs `command`, failing the test with its output when it fails.
fn run(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn scaffold_and_build(root: &Path, lang: &str) {
    let name = format!("shout_{lang}");
    let dir = root.join(lang);
    run(
        Command::new(wasp_binary()).args(["udf", "new", "--lang", lang, &name, "--dir"]).arg(&dir),
        &format!("wasp udf new --lang {lang}"),
    );
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut build = Command::new(dir.join("build.sh"));
    // Where scripts/test installs the JavaScript tools and keeps Rust guest builds.
    build.env("WASP_GUEST_TOOLS", repo.join("target/guest-tools"));
    build.env("CARGO_TARGET_DIR", repo.join("target/udfs-build"));
    run(&mut build, &format!("{lang}: ./build.sh"));
    assert!(dir.join(format!("{name}.wasm")).is_file(), "{lang}: no {name}.wasm");
}

#[tokio::test(flavor = "multi_thread")]
async fn scaffolded_functions_build_and_deploy_as_is() {
    let root = tempfile::tempdir().expect("a scratch folder");
    for lang in LANGUAGES {
        scaffold_and_build(root.path(), lang);
    }

    let broker = Tansu::start();
    broker.create_topic("words", 1).await;
    let mut args: Vec<&str> = SERVER_ARGS.to_vec();
    let functions_dir = root.path().canonicalize().expect("the scratch folder").display().to_string();
    args.extend(["--functions-dir", functions_dir.as_str()]);
    let wasp = WaspServer::start(broker.bootstrap(), &args).await;
    for lang in LANGUAGES {
        // No signature: the module describes its function.
        let file = format!("{functions_dir}/{lang}/shout_{lang}.wasm");
        ksql_ok(&wasp, &format!("CREATE FUNCTION shout_{lang} AS WASM FROM 'file://{file}';")).await;
    }
    ksql_ok(&wasp, "CREATE STREAM words (id BIGINT, w VARCHAR) WITH (kafka_topic='words', value_format='JSON');").await;
    let calls: Vec<String> = LANGUAGES.iter().map(|l| format!("shout_{l}(w) AS {l}")).collect();
    let csas =
        ksql_ok(&wasp, &format!("CREATE STREAM shouted AS SELECT id, {} FROM words WHERE id >= 0;", calls.join(", ")))
            .await;
    let query = query_id_of(&csas);

    let words = ["hello", "", "Mixed Case 42", "wasp"];
    let records: Vec<Outgoing> =
        words.iter().enumerate().map(|(id, w)| Outgoing::new(0, json!({ "id": id, "w": w }).to_string())).collect();
    support::produce(&support::producer(&broker), "words", &records).await;
    seal(&broker, "words", r#"{"id": -1, "w": "x"}"#).await;
    wait_until_caught_up(&broker, &query, "words", Duration::from_secs(90)).await;
    seal(&broker, "SHOUTED", r#"{"ID": -1}"#).await;

    let mut out: Vec<Value> = read_topic(&broker, "SHOUTED").await.iter().map(|r| r.json()).collect();
    out.retain(|v| v["ID"] != -1);
    assert_eq!(out.len(), words.len(), "{out:?}");
    for (id, (w, v)) in words.iter().zip(&out).enumerate() {
        // The empty text is each function's per-row error: NULL, and the row goes on.
        let want = if w.is_empty() { Value::Null } else { json!(w.to_uppercase()) };
        let mut expected = json!({ "ID": id });
        for lang in LANGUAGES {
            expected[lang.to_ascii_uppercase()] = want.clone();
        }
        assert_eq!(v, &expected, "record {id}");
    }
}
