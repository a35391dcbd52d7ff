//! `wasp udf new --lang rust|c|python|js NAME`: a new function project from the
//! templates in `guest-sdk/templates/`, compiled into the binary, so the command works
//! anywhere. The project builds as is with its `build.sh` into `NAME.wasm`, ready for
//! `CREATE FUNCTION NAME AS WASM FROM 'file://.../NAME.wasm'`.
//!
//! The templates' placeholders (see `guest-sdk/templates/README.md`): `{{name}}`, the
//! function's name, in contents and file names; `{{sdk}}`, the absolute path of the
//! guest SDK the project builds against.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// A language `wasp udf new` scaffolds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Rust,
    C,
    Python,
    Js,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::Rust, Lang::C, Lang::Python, Lang::Js];

    pub fn parse(s: &str) -> Result<Lang, String> {
        match s.to_ascii_lowercase().as_str() {
            "rust" | "rs" => Ok(Lang::Rust),
            "c" => Ok(Lang::C),
            "python" | "py" => Ok(Lang::Python),
            "js" | "javascript" => Ok(Lang::Js),
            _ => Err(format!("no template for the language '{s}': rust, c, python or js")),
        }
    }

    /// The template's files: (path with placeholders, contents, executable).
    fn files(self) -> &'static [(&'static str, &'static str, bool)] {
        macro_rules! file {
            ($lang:literal, $path:literal, $exec:literal) => {
                ($path, include_str!(concat!("../../guest-sdk/templates/", $lang, "/", $path)), $exec)
            };
        }
        match self {
            Lang::Rust => &[
                file!("rust", "Cargo.toml", false),
                file!("rust", "src/lib.rs", false),
                file!("rust", ".gitignore", false),
                file!("rust", ".cargo/config.toml", false),
                file!("rust", "build.sh", true),
            ],
            Lang::C => &[file!("c", "{{name}}.c", false), file!("c", "build.sh", true)],
            Lang::Python => &[file!("python", "app.py", false), file!("python", "build.sh", true)],
            Lang::Js => &[file!("js", "app.js", false), file!("js", "build.sh", true)],
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::Rust => "rust",
            Lang::C => "c",
            Lang::Python => "python",
            Lang::Js => "js",
        })
    }
}

/// The guest SDK a new project builds against: `$WASP_GUEST_SDK`, else the
/// `guest-sdk/` of the checkout this binary was built from, when it is still there.
pub fn default_sdk() -> Option<PathBuf> {
    std::env::var_os("WASP_GUEST_SDK")
        .map(PathBuf::from)
        .or_else(|| Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-sdk")))
        .filter(|p| p.join("wit/udf.wit").is_file())
}

/// Writes a new `lang` project for the function `name` into `dir` (which must not
/// exist, or be empty), building against the SDK at `sdk`; returns the files written.
pub fn new_project(lang: Lang, name: &str, dir: &Path, sdk: &Path) -> Result<Vec<PathBuf>, String> {
    let valid = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(format!(
            "'{name}' is not a function name for a template: lower-case letters, digits and '_', not starting with a digit"
        ));
    }
    if !sdk.join("wit/udf.wit").is_file() {
        return Err(format!("{} is not the wasp guest SDK (no wit/udf.wit in it)", sdk.display()));
    }
    let sdk = sdk.canonicalize().map_err(|e| format!("{}: {e}", sdk.display()))?;
    let sdk = sdk.to_str().ok_or_else(|| format!("the SDK path {} is not UTF-8", sdk.display()))?;
    if fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(format!("{} exists and is not empty", dir.display()));
    }
    let mut written = Vec::new();
    for (path, contents, executable) in lang.files() {
        let target = dir.join(path.replace("{{name}}", name));
        let text = contents.replace("{{name}}", name).replace("{{sdk}}", sdk);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(&target, text).map_err(|e| format!("{}: {e}", target.display()))?;
        if *executable {
            make_executable(&target)?;
        }
        written.push(target);
    }
    Ok(written)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_without_a_placeholder_left() {
        let sdk = default_sdk().expect("the checkout's guest-sdk");
        for lang in Lang::ALL {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("p");
            let files = new_project(lang, "shout_it", &out, &sdk).unwrap();
            assert!(files.iter().any(|f| f.ends_with("build.sh")), "{lang}");
            for f in &files {
                let text = fs::read_to_string(f).unwrap();
                assert!(!text.contains("{{"), "{lang}: {} keeps a placeholder", f.display());
                assert!(!f.to_string_lossy().contains("{{"), "{lang}: {}", f.display());
            }
            assert!(files.iter().any(|f| fs::read_to_string(f).unwrap().contains("shout_it")), "{lang}");
        }
    }

    #[test]
    fn bad_names_languages_and_folders_are_refused() {
        let sdk = default_sdk().unwrap();
        let dir = tempfile::tempdir().unwrap();
        for name in ["", "9lives", "Shout", "a-b", "x y"] {
            let err = new_project(Lang::C, name, &dir.path().join("x"), &sdk).unwrap_err();
            assert!(err.contains("not a function name"), "{name}: {err}");
        }
        assert!(Lang::parse("cobol").unwrap_err().contains("rust, c, python or js"));
        fs::write(dir.path().join("busy"), "x").unwrap();
        let err = new_project(Lang::C, "ok", dir.path(), &sdk).unwrap_err();
        assert!(err.contains("not empty"), "{err}");
        let err = new_project(Lang::C, "ok", &dir.path().join("y"), dir.path()).unwrap_err();
        assert!(err.contains("not the wasp guest SDK"), "{err}");
    }
}
