//! Splits typed or scripted text into statements.
//!
//! A statement ends at a `;` that is outside a string (`'...'`, with `''` for a quote),
//! a quoted identifier (`` `...` `` or `"..."`) and a comment (`-- ...` to the end of
//! the line, `/* ... */`). Comments are dropped from the statements.

/// Accumulates lines until they hold complete statements.
#[derive(Debug, Default, Clone)]
pub struct Splitter {
    buffer: String,
}

impl Splitter {
    pub fn new() -> Splitter {
        Splitter::default()
    }

    /// Adds a line and returns the statements it completed, each ending with `;`.
    pub fn push_line(&mut self, line: &str) -> Vec<String> {
        self.buffer.push_str(line);
        self.buffer.push('\n');
        let (statements, rest) = split_statements(&self.buffer);
        self.buffer = rest;
        statements
    }

    /// True when nothing but whitespace and comments is waiting for a `;`.
    pub fn is_empty(&self) -> bool {
        scan(&self.buffer).unfinished.trim().is_empty()
    }

    /// The text waiting for a `;`.
    pub fn pending(&self) -> &str {
        &self.buffer
    }

    pub fn clear(&mut self) {
        self.buffer.clear();
    }
}

/// Where the scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    SingleQuote,
    Backtick,
    DoubleQuote,
    LineComment,
    BlockComment,
}

/// Splits `text` into complete statements (comments removed, trimmed, ending with `;`)
/// and the raw text after the last one.
pub fn split_statements(text: &str) -> (Vec<String>, String) {
    let scanned = scan(text);
    (scanned.statements, text[scanned.rest_start..].to_string())
}

/// All statements of a script; text after the last `;` counts as one more statement.
pub fn split_script(text: &str) -> Vec<String> {
    let scanned = scan(text);
    let mut statements = scanned.statements;
    let tail = scanned.unfinished.trim();
    if !tail.is_empty() {
        statements.push(format!("{tail};"));
    }
    statements
}

/// What a scan of some text found.
struct Scanned {
    /// Complete statements, comments removed.
    statements: Vec<String>,
    /// Where the text after the last complete statement starts.
    rest_start: usize,
    /// That text, comments removed.
    unfinished: String,
}

fn scan(text: &str) -> Scanned {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut state = State::Code;
    let mut rest_start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        match state {
            State::Code => match c {
                '\'' => {
                    state = State::SingleQuote;
                    current.push(c);
                }
                '`' => {
                    state = State::Backtick;
                    current.push(c);
                }
                '"' => {
                    state = State::DoubleQuote;
                    current.push(c);
                }
                '-' if next == Some('-') => {
                    chars.next();
                    state = State::LineComment;
                }
                '/' if next == Some('*') => {
                    chars.next();
                    state = State::BlockComment;
                    current.push(' ');
                }
                ';' => {
                    current.push(';');
                    let statement = current.trim();
                    if statement != ";" {
                        statements.push(statement.to_string());
                    }
                    current.clear();
                    rest_start = i + 1;
                }
                _ => current.push(c),
            },
            State::SingleQuote => {
                current.push(c);
                if c == '\'' {
                    if next == Some('\'') {
                        chars.next();
                        current.push('\'');
                    } else {
                        state = State::Code;
                    }
                }
            }
            State::Backtick => {
                current.push(c);
                if c == '`' {
                    state = State::Code;
                }
            }
            State::DoubleQuote => {
                current.push(c);
                if c == '"' {
                    state = State::Code;
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Code;
                    current.push('\n');
                }
            }
            State::BlockComment => {
                if c == '*' && next == Some('/') {
                    chars.next();
                    state = State::Code;
                }
            }
        }
    }
    Scanned { statements, rest_start, unfinished: current }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_semicolons_outside_quotes() {
        let (stmts, rest) = split_statements("SELECT 'a;b' FROM `x;y`; SHOW STREAMS;\nCREATE STREAM");
        assert_eq!(stmts, vec!["SELECT 'a;b' FROM `x;y`;", "SHOW STREAMS;"]);
        assert_eq!(rest, "\nCREATE STREAM");
    }

    #[test]
    fn escaped_quotes_and_comments() {
        let (stmts, rest) = split_statements("INSERT INTO S VALUES ('it''s;'); -- a;comment\n/* x; */ SHOW TABLES;");
        assert_eq!(stmts, vec!["INSERT INTO S VALUES ('it''s;');", "SHOW TABLES;"]);
        assert_eq!(rest, "");
    }

    #[test]
    fn scripts_may_omit_the_last_semicolon() {
        assert_eq!(split_script("SHOW STREAMS; -- x\nSHOW TABLES\n-- end"), vec!["SHOW STREAMS;", "SHOW TABLES;"]);
        assert_eq!(split_script("SHOW STREAMS;\n/* done */\n"), vec!["SHOW STREAMS;"]);
    }

    #[test]
    fn accumulates_lines() {
        let mut s = Splitter::new();
        assert!(s.push_line("CREATE STREAM S (").is_empty());
        assert!(!s.is_empty());
        assert!(s.push_line("  A INT, B 'x;").is_empty());
        assert_eq!(
            s.push_line("') WITH (kafka_topic='s'); SHOW"),
            vec!["CREATE STREAM S (\n  A INT, B 'x;\n') WITH (kafka_topic='s');"]
        );
        assert_eq!(s.push_line("STREAMS;"), vec!["SHOW\nSTREAMS;"]);
        assert!(s.is_empty());
        s.push_line("-- only a comment");
        assert!(s.is_empty());
        s.push_line(";;");
        assert!(s.is_empty());
    }
}
