//! The one error type of the SQL crate.

use std::fmt;

/// A position in the SQL text: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub fn new(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}:{}", self.line, self.column)
    }
}

/// What went wrong turning SQL text into a plan. Each variant is a category a caller
/// can act on; the message says what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SqlError {
    /// The text is not valid wasp SQL.
    #[error("{pos}: {message}")]
    Parse { pos: Pos, message: String },
    /// A stream, table, column or function does not exist.
    #[error("{}{message}", pos_prefix(.pos))]
    NotFound { pos: Option<Pos>, message: String },
    /// Types do not match.
    #[error("{}{message}", pos_prefix(.pos))]
    Type { pos: Option<Pos>, message: String },
    /// The statement is valid but cannot be run (e.g. duplicate names, bad properties).
    #[error("{}{message}", pos_prefix(.pos))]
    Invalid { pos: Option<Pos>, message: String },
    /// The statement is valid SQL that wasp does not support yet.
    #[error("{}{message}", pos_prefix(.pos))]
    Unsupported { pos: Option<Pos>, message: String },
}

fn pos_prefix(pos: &Option<Pos>) -> String {
    match pos {
        Some(p) => format!("{p}: "),
        None => String::new(),
    }
}

impl SqlError {
    pub fn parse(pos: Pos, message: impl Into<String>) -> SqlError {
        SqlError::Parse { pos, message: message.into() }
    }
    pub fn not_found(pos: Option<Pos>, message: impl Into<String>) -> SqlError {
        SqlError::NotFound { pos, message: message.into() }
    }
    pub fn type_error(pos: Option<Pos>, message: impl Into<String>) -> SqlError {
        SqlError::Type { pos, message: message.into() }
    }
    pub fn invalid(pos: Option<Pos>, message: impl Into<String>) -> SqlError {
        SqlError::Invalid { pos, message: message.into() }
    }
    pub fn unsupported(pos: Option<Pos>, message: impl Into<String>) -> SqlError {
        SqlError::Unsupported { pos, message: message.into() }
    }

    /// The message, without the position.
    pub fn message(&self) -> &str {
        match self {
            SqlError::Parse { message, .. }
            | SqlError::NotFound { message, .. }
            | SqlError::Type { message, .. }
            | SqlError::Invalid { message, .. }
            | SqlError::Unsupported { message, .. } => message,
        }
    }

    /// A type error with the clause it arose in named first, as ksqlDB names it
    /// (`Invalid Predicate: ...`, `Error in WHERE expression: ...`); other errors, and
    /// one that already names a clause, pass unchanged.
    pub fn in_clause(self, clause: &str) -> SqlError {
        match self {
            SqlError::Type { pos, message } if !CLAUSE_PREFIXES.iter().any(|p| message.starts_with(p)) => {
                SqlError::Type { pos, message: format!("{clause}: {message}") }
            }
            other => other,
        }
    }
}

/// The clause names [`SqlError::in_clause`] puts first.
const CLAUSE_PREFIXES: [&str; 3] = ["Invalid Predicate", "Error in ", "Type error in "];

/// The closest candidate to `name` by edit distance, for "did you mean" hints.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let name = name.to_ascii_uppercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&name, &c.to_ascii_uppercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 2).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Appends "Did you mean X?" when a close match exists.
pub fn did_you_mean<'a>(message: String, name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match closest(name, candidates) {
        Some(c) => format!("{message}{} Did you mean {c}?", if message.ends_with('.') { "" } else { "." }),
        None => message,
    }
}
