//! The wasp SQL parser: sqlparser's tokenizer with the wasp dialect, and a
//! recursive-descent parser for ksqlDB's statements and expressions.
//!
//! ksqlDB's grammar (`EMIT CHANGES`, `PARTITION BY`, `s->f`, `STRUCT<..>` types,
//! `PRINT`, `TERMINATE`, ...) departs enough from ANSI SQL that wasp parses statements
//! itself; the tokenizer (strings, quoted identifiers, numbers, operators, comments,
//! line and column of every token) is sqlparser's.

use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::ast::*;
use crate::error::{Pos, SqlError};
use crate::types::{DataType, StructField};

/// The wasp dialect: identifiers as in ksqlDB, quoted with backticks or double quotes.
#[derive(Debug, Default, Clone, Copy)]
pub struct WaspDialect;

impl Dialect for WaspDialect {
    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_alphabetic() || ch == '_' || ch == '@'
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_alphanumeric() || ch == '_' || ch == '@' || ch == '$'
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '`' || ch == '"'
    }

    /// ksqlDB's `DIGIT_IDENTIFIER`: a name may start with digits (`AS 1R`), as long as
    /// it is not a number.
    fn supports_numeric_prefix(&self) -> bool {
        true
    }
}

/// Words that cannot be used as bare identifiers or aliases.
const RESERVED: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "HAVING",
    "PARTITION",
    "EMIT",
    "LIMIT",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "LIKE",
    "BETWEEN",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "NULL",
    "TRUE",
    "FALSE",
    "WINDOW",
    "JOIN",
    "LEFT",
    "RIGHT",
    "INNER",
    "FULL",
    "OUTER",
    "ON",
    "WITH",
    "BY",
    "CAST",
    "ESCAPE",
    "WITHIN",
];

/// Whether `word` (upper case) is reserved and must be quoted to be an identifier.
pub fn is_reserved(word: &str) -> bool {
    RESERVED.contains(&word)
}

/// One parsed statement and the exact text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedStatement {
    pub statement: Statement,
    /// The statement's source text, with its terminating `;`.
    pub text: String,
}

/// Parses one or more `;`-separated statements.
pub fn parse_statements(sql: &str) -> Result<Vec<ParsedStatement>, SqlError> {
    let mut parser = Parser::new(sql)?;
    let mut out = Vec::new();
    loop {
        while parser.consume(&Token::SemiColon) {}
        if parser.at_eof() {
            break;
        }
        let start = parser.peek_pos();
        let statement = parser.parse_statement()?;
        if !parser.consume(&Token::SemiColon) && !parser.at_eof() {
            return Err(parser.expected("';' or end of input"));
        }
        let end = parser.prev_end();
        out.push(ParsedStatement { statement, text: parser.slice(start, end) });
    }
    Ok(out)
}

/// Parses exactly one statement (a trailing `;` is optional).
pub fn parse_statement(sql: &str) -> Result<Statement, SqlError> {
    let mut all = parse_statements(sql)?;
    match all.len() {
        1 => Ok(all.remove(0).statement),
        0 => Err(SqlError::parse(Pos::new(1, 1), "expected a statement, found end of input")),
        _ => Err(SqlError::invalid(None, "expected one statement, found several")),
    }
}

/// Parses a standalone expression.
pub fn parse_expr(sql: &str) -> Result<Expr, SqlError> {
    let mut parser = Parser::new(sql)?;
    let e = parser.parse_expr()?;
    if !parser.at_eof() {
        return Err(parser.expected("end of expression"));
    }
    Ok(e)
}

/// A cursor over the tokens of one SQL text.
pub(crate) struct Parser {
    tokens: Vec<TokenWithSpan>,
    idx: usize,
    source: Vec<String>,
}

impl Parser {
    pub(crate) fn new(sql: &str) -> Result<Parser, SqlError> {
        // Slides and chat tools turn quotes into typographic ones; ksqlDB users paste
        // from both, so accept them as plain quotes.
        let normalized: String = sql
            .chars()
            .map(|c| match c {
                '\u{2018}' | '\u{2019}' => '\'',
                _ => c,
            })
            .collect();
        let dialect = WaspDialect;
        let tokens =
            Tokenizer::new(&dialect, &normalized).with_unescape(true).tokenize_with_location().map_err(|e| {
                SqlError::parse(Pos::new(e.location.line as u32, e.location.column as u32), e.message.clone())
            })?;
        let tokens = tokens.into_iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
        Ok(Parser { tokens, idx: 0, source: normalized.split('\n').map(str::to_owned).collect() })
    }

    // ---- cursor helpers -------------------------------------------------------------

    fn peek(&self) -> &Token {
        self.peek_nth(0)
    }

    fn peek_nth(&self, n: usize) -> &Token {
        self.tokens.get(self.idx + n).map(|t| &t.token).unwrap_or(&Token::EOF)
    }

    fn peek_pos(&self) -> Pos {
        match self.tokens.get(self.idx) {
            Some(t) => Pos::new(t.span.start.line as u32, t.span.start.column as u32),
            None => self.eof_pos(),
        }
    }

    fn eof_pos(&self) -> Pos {
        let line = self.source.len().max(1);
        let col = self.source.last().map(|l| l.chars().count() + 1).unwrap_or(1);
        Pos::new(line as u32, col as u32)
    }

    fn prev_end(&self) -> Pos {
        match self.idx.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(t) => Pos::new(t.span.end.line as u32, t.span.end.column as u32),
            None => Pos::new(1, 1),
        }
    }

    fn slice(&self, start: Pos, end: Pos) -> String {
        let mut out = String::new();
        for line_no in start.line..=end.line {
            let Some(line) = self.source.get(line_no as usize - 1) else { break };
            let from = if line_no == start.line { start.column as usize - 1 } else { 0 };
            let to = if line_no == end.line { end.column as usize - 1 } else { line.chars().count() };
            if line_no != start.line {
                out.push('\n');
            }
            out.extend(line.chars().skip(from).take(to.saturating_sub(from)));
        }
        out.trim().to_owned()
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek(), Token::EOF)
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.idx < self.tokens.len() {
            self.idx += 1;
        }
        t
    }

    fn consume(&mut self, token: &Token) -> bool {
        if self.peek() == token {
            self.idx += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), SqlError> {
        if self.consume(token) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// An error at the current token: "mismatched input 'X', expected Y".
    fn expected(&self, what: &str) -> SqlError {
        let found = match self.peek() {
            Token::EOF => "end of input".to_owned(),
            t => format!("'{t}'"),
        };
        SqlError::parse(self.peek_pos(), format!("Syntax error: mismatched input {found}, expected {what}"))
    }

    /// The current token as an unquoted keyword, upper-cased.
    fn peek_keyword(&self) -> Option<String> {
        self.peek_keyword_nth(0)
    }

    fn peek_keyword_nth(&self, n: usize) -> Option<String> {
        match self.peek_nth(n) {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        self.peek_keyword().as_deref() == Some(kw)
    }

    fn consume_keyword(&mut self, kw: &str) -> bool {
        if self.is_keyword(kw) {
            self.idx += 1;
            true
        } else {
            false
        }
    }

    fn consume_keywords(&mut self, kws: &[&str]) -> bool {
        let matches = kws.iter().enumerate().all(|(i, kw)| self.peek_keyword_nth(i).as_deref() == Some(*kw));
        if matches {
            self.idx += kws.len();
        }
        matches
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<(), SqlError> {
        if self.consume_keyword(kw) {
            Ok(())
        } else {
            Err(self.expected(kw))
        }
    }

    /// An identifier: unquoted ones are upper-cased, quoted ones kept as written.
    fn parse_identifier(&mut self, what: &str) -> Result<String, SqlError> {
        match self.peek().clone() {
            Token::Word(w) if w.quote_style.is_some() => {
                self.idx += 1;
                Ok(w.value)
            }
            Token::Word(w) if !is_reserved(&w.value.to_ascii_uppercase()) => {
                self.idx += 1;
                Ok(w.value.to_ascii_uppercase())
            }
            _ => Err(self.expected(what)),
        }
    }

    fn parse_string(&mut self, what: &str) -> Result<String, SqlError> {
        match self.peek().clone() {
            Token::SingleQuotedString(s) => {
                self.idx += 1;
                Ok(s)
            }
            _ => Err(self.expected(what)),
        }
    }

    fn parse_u64(&mut self, what: &str) -> Result<u64, SqlError> {
        let pos = self.peek_pos();
        match self.peek().clone() {
            Token::Number(n, _) => {
                self.idx += 1;
                n.parse::<u64>().map_err(|_| SqlError::parse(pos, format!("expected {what}, found '{n}'")))
            }
            _ => Err(self.expected(what)),
        }
    }

    // ---- statements -----------------------------------------------------------------

    pub(crate) fn parse_statement(&mut self) -> Result<Statement, SqlError> {
        let Some(kw) = self.peek_keyword() else {
            return Err(self.expected("a statement (CREATE, SELECT, INSERT, SHOW, DESCRIBE, ...)"));
        };
        match kw.as_str() {
            "CREATE" => self.parse_create(),
            "INSERT" => self.parse_insert(),
            "SELECT" => Ok(Statement::Select(self.parse_query()?)),
            "SHOW" | "LIST" => self.parse_show(),
            "DESCRIBE" => self.parse_describe(),
            "DROP" => self.parse_drop(),
            "TERMINATE" => {
                self.next();
                if self.consume_keyword("ALL") {
                    Ok(Statement::Terminate { query_id: None })
                } else {
                    Ok(Statement::Terminate { query_id: Some(self.parse_identifier("a query id or ALL")?) })
                }
            }
            "EXPLAIN" => {
                self.next();
                let starts_statement = matches!(self.peek_keyword().as_deref(), Some("SELECT" | "CREATE" | "INSERT"));
                if starts_statement {
                    Ok(Statement::Explain(ExplainTarget::Statement(Box::new(self.parse_statement()?))))
                } else {
                    Ok(Statement::Explain(ExplainTarget::QueryId(self.parse_identifier("a query id or a statement")?)))
                }
            }
            "SET" => {
                self.next();
                let name = self.parse_string("a quoted property name")?;
                self.expect(&Token::Eq, "'='")?;
                let value = self.parse_string("a quoted property value")?;
                Ok(Statement::Set { name, value })
            }
            "UNSET" => {
                self.next();
                Ok(Statement::Unset { name: self.parse_string("a quoted property name")? })
            }
            "PRINT" => self.parse_print(),
            "RUN" => {
                self.next();
                self.expect_keyword("SCRIPT")?;
                Ok(Statement::RunScript { path: self.parse_string("a quoted file path")? })
            }
            _ => Err(self.expected("a statement (CREATE, SELECT, INSERT, SHOW, DESCRIBE, ...)")),
        }
    }

    fn parse_source_kind(&mut self) -> Result<SourceKind, SqlError> {
        if self.consume_keyword("STREAM") {
            Ok(SourceKind::Stream)
        } else if self.consume_keyword("TABLE") {
            Ok(SourceKind::Table)
        } else {
            Err(self.expected("STREAM or TABLE"))
        }
    }

    fn parse_create(&mut self) -> Result<Statement, SqlError> {
        self.expect_keyword("CREATE")?;
        let or_replace = self.consume_keywords(&["OR", "REPLACE"]);
        if self.consume_keyword("FUNCTION") {
            return self.parse_create_function(or_replace);
        }
        self.consume_keyword("SOURCE");
        let kind = self.parse_source_kind()?;
        let if_not_exists = self.consume_keywords(&["IF", "NOT", "EXISTS"]);
        let name = self.parse_identifier("a stream or table name")?;
        let mut columns = Vec::new();
        if self.consume(&Token::LParen) {
            loop {
                let pos = self.peek_pos();
                let col = self.parse_identifier("a column name")?;
                let data_type = self.parse_type()?;
                let key = self.consume_keyword("KEY") || self.consume_keywords(&["PRIMARY", "KEY"]);
                columns.push(ColumnDef { name: col, data_type, key, pos });
                if !self.consume(&Token::Comma) {
                    break;
                }
            }
            self.expect(&Token::RParen, "',' or ')'")?;
        }
        let with = if self.consume_keyword("WITH") { self.parse_properties()? } else { Properties::default() };
        if self.consume_keyword("AS") {
            if !columns.is_empty() {
                return Err(SqlError::invalid(
                    Some(self.peek_pos()),
                    "CREATE ... AS SELECT takes its columns from the query; remove the column list",
                ));
            }
            let query = self.parse_query()?;
            return Ok(Statement::CreateAsSelect(CreateAsSelect {
                kind,
                or_replace,
                if_not_exists,
                name,
                with,
                query,
            }));
        }
        Ok(Statement::CreateSource(CreateSource { kind, or_replace, if_not_exists, name, columns, with }))
    }

    /// After `CREATE [OR REPLACE] FUNCTION`.
    fn parse_create_function(&mut self, or_replace: bool) -> Result<Statement, SqlError> {
        let name = self.parse_identifier("a function name")?;
        let mut signature = None;
        if self.consume(&Token::LParen) {
            let mut params = Vec::new();
            if !self.consume(&Token::RParen) {
                loop {
                    let p = self.parse_identifier("a parameter name")?;
                    params.push((p, self.parse_type()?));
                    if !self.consume(&Token::Comma) {
                        break;
                    }
                }
                self.expect(&Token::RParen, "',' or ')'")?;
            }
            self.expect_keyword("RETURNS")?;
            signature = Some(FunctionSignature { params, returns: self.parse_type()? });
        }
        self.expect_keyword("AS")?;
        self.expect_keyword("WASM")?;
        self.expect_keyword("FROM")?;
        let source = if self.consume_keyword("BASE64") {
            ModuleSource::Base64(self.parse_string("the module as a quoted BASE64 string")?)
        } else {
            ModuleSource::Url(self.parse_string("a quoted 'file://...' or 'http://...' URL, or BASE64 '...'")?)
        };
        let with = if self.consume_keyword("WITH") { self.parse_properties()? } else { Properties::default() };
        Ok(Statement::CreateFunction(CreateFunction { or_replace, name, signature, source, with }))
    }

    fn parse_properties(&mut self) -> Result<Properties, SqlError> {
        self.expect(&Token::LParen, "'('")?;
        let mut props = Vec::new();
        loop {
            let key = match self.next() {
                Token::Word(w) => w.value.to_ascii_uppercase(),
                Token::SingleQuotedString(s) => s.to_ascii_uppercase(),
                _ => {
                    self.idx -= 1;
                    return Err(self.expected("a property name"));
                }
            };
            self.expect(&Token::Eq, "'='")?;
            let value = self.parse_literal_value()?;
            props.push((key, value));
            if !self.consume(&Token::Comma) {
                break;
            }
        }
        self.expect(&Token::RParen, "',' or ')'")?;
        Ok(Properties(props))
    }

    fn parse_literal_value(&mut self) -> Result<Literal, SqlError> {
        let negative = self.consume(&Token::Minus);
        let pos = self.peek_pos();
        let lit = match self.next() {
            Token::SingleQuotedString(s) => Literal::String(s),
            Token::Number(n, _) => number_literal(&n, pos)?,
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("true") => Literal::Boolean(true),
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("false") => {
                Literal::Boolean(false)
            }
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("null") => Literal::Null,
            _ => {
                self.idx -= 1;
                return Err(self.expected("a literal value"));
            }
        };
        Ok(if negative { negate_literal(lit) } else { lit })
    }

    fn parse_insert(&mut self) -> Result<Statement, SqlError> {
        self.expect_keyword("INSERT")?;
        self.expect_keyword("INTO")?;
        let target = self.parse_identifier("a stream name")?;
        if self.is_keyword("SELECT") {
            return Ok(Statement::InsertSelect { target, query: self.parse_query()? });
        }
        let mut columns = None;
        if self.consume(&Token::LParen) {
            let mut cols = Vec::new();
            loop {
                cols.push(self.parse_identifier("a column name")?);
                if !self.consume(&Token::Comma) {
                    break;
                }
            }
            self.expect(&Token::RParen, "',' or ')'")?;
            columns = Some(cols);
        }
        self.expect_keyword("VALUES")?;
        self.expect(&Token::LParen, "'('")?;
        let mut values = Vec::new();
        if !self.consume(&Token::RParen) {
            loop {
                values.push(self.parse_expr()?);
                if !self.consume(&Token::Comma) {
                    break;
                }
            }
            self.expect(&Token::RParen, "',' or ')'")?;
        }
        Ok(Statement::InsertValues { target, columns, values })
    }

    fn parse_show(&mut self) -> Result<Statement, SqlError> {
        self.next();
        self.consume_keyword("ALL");
        let what = match self.peek_keyword().as_deref() {
            Some("STREAMS") => ShowKind::Streams,
            Some("TABLES") => ShowKind::Tables,
            Some("QUERIES") => ShowKind::Queries,
            Some("TOPICS") => ShowKind::Topics,
            Some("PROPERTIES") => ShowKind::Properties,
            Some("FUNCTIONS") => ShowKind::Functions,
            _ => return Err(self.expected("STREAMS, TABLES, QUERIES, TOPICS, PROPERTIES or FUNCTIONS")),
        };
        self.next();
        let extended = self.consume_keyword("EXTENDED");
        Ok(Statement::Show { what, extended })
    }

    fn parse_describe(&mut self) -> Result<Statement, SqlError> {
        self.expect_keyword("DESCRIBE")?;
        if self.is_keyword("FUNCTION") && !matches!(self.peek_nth(1), Token::EOF | Token::SemiColon) {
            self.next();
            return Ok(Statement::DescribeFunction { name: self.parse_identifier("a function name")? });
        }
        if self.consume_keywords(&["STREAMS"]) {
            let extended = self.consume_keyword("EXTENDED");
            return Ok(Statement::Show { what: ShowKind::Streams, extended });
        }
        let extended = self.is_keyword("EXTENDED") && !matches!(self.peek_nth(1), Token::EOF | Token::SemiColon);
        if extended {
            self.next();
        }
        Ok(Statement::Describe { name: self.parse_identifier("a stream or table name")?, extended })
    }

    fn parse_drop(&mut self) -> Result<Statement, SqlError> {
        self.expect_keyword("DROP")?;
        if self.consume_keyword("FUNCTION") {
            let if_exists = self.consume_keywords(&["IF", "EXISTS"]);
            return Ok(Statement::DropFunction { if_exists, name: self.parse_identifier("a function name")? });
        }
        let kind = self.parse_source_kind()?;
        let if_exists = self.consume_keywords(&["IF", "EXISTS"]);
        let name = self.parse_identifier("a stream or table name")?;
        let delete_topic = self.consume_keywords(&["DELETE", "TOPIC"]);
        Ok(Statement::Drop { kind, if_exists, name, delete_topic })
    }

    fn parse_print(&mut self) -> Result<Statement, SqlError> {
        self.expect_keyword("PRINT")?;
        let topic = match self.peek().clone() {
            Token::SingleQuotedString(s) => {
                self.next();
                s
            }
            Token::Word(w) => {
                self.next();
                w.value
            }
            _ => return Err(self.expected("a topic name")),
        };
        let mut from_beginning = false;
        let mut interval = None;
        let mut limit = None;
        loop {
            if self.consume_keywords(&["FROM", "BEGINNING"]) {
                from_beginning = true;
            } else if self.consume_keyword("INTERVAL") || self.consume_keyword("SAMPLE") {
                interval = Some(self.parse_u64("an interval")?);
            } else if self.consume_keyword("LIMIT") {
                limit = Some(self.parse_u64("a row limit")?);
            } else {
                break;
            }
        }
        Ok(Statement::Print { topic, from_beginning, interval, limit })
    }

    // ---- queries --------------------------------------------------------------------

    pub(crate) fn parse_query(&mut self) -> Result<Query, SqlError> {
        let pos = self.peek_pos();
        self.expect_keyword("SELECT")?;
        let mut projection = Vec::new();
        loop {
            projection.push(self.parse_select_item()?);
            if !self.consume(&Token::Comma) {
                break;
            }
        }
        self.expect_keyword("FROM")?;
        let from_pos = self.peek_pos();
        let name = self.parse_identifier("a stream or table name")?;
        let alias = self.parse_optional_alias()?;
        let from = TableRef { name, alias, pos: from_pos };
        let mut joins = Vec::new();
        while let Some(join) = self.parse_join()? {
            joins.push(join);
        }
        let window = if self.consume_keyword("WINDOW") { Some(self.parse_window()?) } else { None };
        let selection = if self.consume_keyword("WHERE") { Some(self.parse_expr()?) } else { None };
        let mut group_by = Vec::new();
        if self.consume_keywords(&["GROUP", "BY"]) {
            group_by = self.parse_value_expr_list()?;
        }
        let having = if self.consume_keyword("HAVING") { Some(self.parse_expr()?) } else { None };
        let mut partition_by = Vec::new();
        if self.consume_keywords(&["PARTITION", "BY"]) {
            if *self.peek() == Token::LParen && *self.peek_nth(1) == Token::RParen {
                return Err(SqlError::invalid(Some(self.peek_pos()), "PARTITION BY requires at least one expression"));
            }
            partition_by = self.parse_value_expr_list()?;
        }
        let (mut emit_changes, mut emit_final) = (false, false);
        if self.consume_keyword("EMIT") {
            if self.consume_keyword("CHANGES") {
                emit_changes = true;
            } else if self.consume_keyword("FINAL") {
                emit_final = true;
            } else {
                return Err(self.expected("CHANGES or FINAL"));
            }
        }
        let limit = if self.consume_keyword("LIMIT") { Some(self.parse_u64("a row limit")?) } else { None };
        Ok(Query {
            projection,
            from,
            joins,
            window,
            selection,
            group_by,
            having,
            partition_by,
            emit_changes,
            emit_final,
            limit,
            pos,
        })
    }

    /// `[INNER | LEFT [OUTER] | RIGHT [OUTER] | FULL [OUTER]] JOIN source [alias]
    /// [WITHIN ...] ON condition`, or nothing when no join follows.
    fn parse_join(&mut self) -> Result<Option<Join>, SqlError> {
        let pos = self.peek_pos();
        let kind = match self.peek_keyword().as_deref() {
            Some("JOIN") => JoinKind::Inner,
            Some("INNER") => {
                self.next();
                JoinKind::Inner
            }
            Some(word @ ("LEFT" | "RIGHT" | "FULL")) => {
                let kind = match word {
                    "LEFT" => JoinKind::Left,
                    "RIGHT" => JoinKind::Right,
                    _ => JoinKind::Full,
                };
                self.next();
                self.consume_keyword("OUTER");
                kind
            }
            Some("OUTER") => {
                self.next();
                JoinKind::Full
            }
            _ => return Ok(None),
        };
        self.expect_keyword("JOIN")?;
        let right_pos = self.peek_pos();
        let name = self.parse_identifier("a stream or table name")?;
        let alias = self.parse_optional_alias()?;
        let right = TableRef { name, alias, pos: right_pos };
        let within = if self.consume_keyword("WITHIN") {
            let (before_ms, after_ms) = if self.consume(&Token::LParen) {
                let before = self.parse_duration()?;
                self.expect(&Token::Comma, "','")?;
                let after = self.parse_duration()?;
                self.expect(&Token::RParen, "')'")?;
                (before, after)
            } else {
                let d = self.parse_duration()?;
                (d, d)
            };
            let grace_ms =
                if self.consume_keywords(&["GRACE", "PERIOD"]) { Some(self.parse_duration()?) } else { None };
            Some(JoinWindow { before_ms, after_ms, grace_ms })
        } else {
            None
        };
        self.expect_keyword("ON")?;
        let on = self.parse_expr()?;
        Ok(Some(Join { kind, right, within, on, pos }))
    }

    /// After `WINDOW`: `TUMBLING (SIZE d [, RETENTION d] [, GRACE PERIOD d])`,
    /// `HOPPING (SIZE d, ADVANCE BY d, ...)` or `SESSION (d, ...)`.
    fn parse_window(&mut self) -> Result<WindowExpr, SqlError> {
        let pos = self.peek_pos();
        let kind = self.peek_keyword();
        match kind.as_deref() {
            Some("TUMBLING" | "HOPPING" | "SESSION") => {
                self.next();
            }
            _ => return Err(self.expected("TUMBLING, HOPPING or SESSION")),
        }
        self.expect(&Token::LParen, "'('")?;
        let (mut size, mut advance, mut gap) = (None, None, None);
        if kind.as_deref() == Some("SESSION") {
            gap = Some(self.parse_duration()?);
        } else {
            self.expect_keyword("SIZE")?;
            size = Some(self.parse_duration()?);
        }
        let (mut retention_ms, mut grace_ms) = (None, None);
        while self.consume(&Token::Comma) {
            if kind.as_deref() == Some("HOPPING") && self.consume_keywords(&["ADVANCE", "BY"]) {
                advance = Some(self.parse_duration()?);
            } else if self.consume_keyword("RETENTION") {
                retention_ms = Some(self.parse_duration()?);
            } else if self.consume_keywords(&["GRACE", "PERIOD"]) {
                grace_ms = Some(self.parse_duration()?);
            } else {
                return Err(self.expected(if kind.as_deref() == Some("HOPPING") {
                    "ADVANCE BY, RETENTION or GRACE PERIOD"
                } else {
                    "RETENTION or GRACE PERIOD"
                }));
            }
        }
        self.expect(&Token::RParen, "')'")?;
        let kind = match (kind.as_deref(), size, advance, gap) {
            (Some("TUMBLING"), Some(size_ms), _, _) => WindowKind::Tumbling { size_ms },
            (Some("HOPPING"), Some(size_ms), Some(advance_ms), _) => {
                if advance_ms > size_ms {
                    return Err(SqlError::invalid(
                        Some(pos),
                        "A window's advanceMs must be less than or equal to its size",
                    ));
                }
                WindowKind::Hopping { size_ms, advance_ms }
            }
            (Some("HOPPING"), _, None, _) => return Err(SqlError::parse(pos, "a HOPPING window needs ADVANCE BY")),
            (_, _, _, Some(gap_ms)) => WindowKind::Session { gap_ms },
            _ => return Err(self.expected("a window size")),
        };
        Ok(WindowExpr { kind, retention_ms, grace_ms, pos })
    }

    /// `n UNIT` in milliseconds, UNIT one of ksqlDB's time units (singular or plural).
    fn parse_duration(&mut self) -> Result<i64, SqlError> {
        let pos = self.peek_pos();
        let n = self.parse_u64("a duration")?;
        let unit = self.peek_keyword().ok_or_else(|| self.expected("a time unit"))?;
        let scale: u64 = match unit.trim_end_matches('S') {
            "MILLISECOND" => 1,
            "SECOND" => 1_000,
            "MINUTE" => 60_000,
            "HOUR" => 3_600_000,
            "DAY" => 86_400_000,
            _ => return Err(self.expected("a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS)")),
        };
        self.next();
        n.checked_mul(scale)
            .and_then(|ms| i64::try_from(ms).ok())
            .ok_or_else(|| SqlError::invalid(Some(pos), "the duration is too long"))
    }

    /// `[AS] alias`, where a bare alias must not be a reserved word.
    fn parse_optional_alias(&mut self) -> Result<Option<String>, SqlError> {
        let bare = matches!(self.peek(), Token::Word(w) if w.quote_style.is_some() || !is_reserved(&w.value.to_ascii_uppercase()));
        if self.consume_keyword("AS") || bare {
            Ok(Some(self.parse_identifier("an alias")?))
        } else {
            Ok(None)
        }
    }

    fn parse_expr_list(&mut self) -> Result<Vec<Expr>, SqlError> {
        self.parse_list_of(Self::parse_expr)
    }

    /// The expressions of `GROUP BY` and `PARTITION BY`: ksqlDB's grammar takes value
    /// expressions there (arithmetic, `||`, calls, `CASE`, anything in parentheses),
    /// not predicates, so `PARTITION BY a AND b` is a syntax error at `AND`.
    fn parse_value_expr_list(&mut self) -> Result<Vec<Expr>, SqlError> {
        self.parse_list_of(Self::parse_additive)
    }

    /// One or more `item`s separated by commas.
    fn parse_list_of(&mut self, item: fn(&mut Self) -> Result<Expr, SqlError>) -> Result<Vec<Expr>, SqlError> {
        let mut out = vec![item(self)?];
        while self.consume(&Token::Comma) {
            out.push(item(self)?);
        }
        Ok(out)
    }

    fn parse_select_item(&mut self) -> Result<SelectItem, SqlError> {
        if self.consume(&Token::Mul) {
            return Ok(SelectItem::Wildcard { qualifier: None });
        }
        if let (Token::Word(_), Token::Period, Token::Mul) = (self.peek(), self.peek_nth(1), self.peek_nth(2)) {
            let q = self.parse_identifier("a source name")?;
            self.next();
            self.next();
            return Ok(SelectItem::Wildcard { qualifier: Some(q) });
        }
        let expr = self.parse_expr()?;
        let alias = self.parse_optional_alias()?;
        Ok(SelectItem::Expr { expr, alias })
    }

    // ---- expressions ----------------------------------------------------------------

    pub(crate) fn parse_expr(&mut self) -> Result<Expr, SqlError> {
        self.parse_or()
    }

    fn parse_or(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.parse_and()?;
        loop {
            let pos = self.peek_pos();
            if !self.consume_keyword("OR") {
                return Ok(left);
            }
            let right = self.parse_and()?;
            left = Expr::Binary { op: BinaryOp::Or, left: Box::new(left), right: Box::new(right), pos };
        }
    }

    fn parse_and(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.parse_not()?;
        loop {
            let pos = self.peek_pos();
            if !self.consume_keyword("AND") {
                return Ok(left);
            }
            let right = self.parse_not()?;
            left = Expr::Binary { op: BinaryOp::And, left: Box::new(left), right: Box::new(right), pos };
        }
    }

    fn parse_not(&mut self) -> Result<Expr, SqlError> {
        if self.consume_keyword("NOT") {
            let expr = self.parse_not()?;
            return Ok(Expr::Unary { op: UnaryOp::Not, expr: Box::new(expr) });
        }
        self.parse_comparison()
    }

    fn parse_comparison(&mut self) -> Result<Expr, SqlError> {
        let left = self.parse_additive()?;
        let pos = self.peek_pos();
        let op = match self.peek() {
            Token::Eq | Token::DoubleEq => Some(BinaryOp::Eq),
            Token::Neq => Some(BinaryOp::NotEq),
            Token::Lt => Some(BinaryOp::Lt),
            Token::LtEq => Some(BinaryOp::LtEq),
            Token::Gt => Some(BinaryOp::Gt),
            Token::GtEq => Some(BinaryOp::GtEq),
            _ => None,
        };
        if let Some(op) = op {
            self.next();
            let right = self.parse_additive()?;
            return Ok(Expr::Binary { op, left: Box::new(left), right: Box::new(right), pos });
        }
        if self.consume_keyword("IS") {
            let negated = self.consume_keyword("NOT");
            if self.consume_keyword("DISTINCT") {
                self.expect_keyword("FROM")?;
                let right = self.parse_additive()?;
                let op = if negated { BinaryOp::IsNotDistinctFrom } else { BinaryOp::IsDistinctFrom };
                return Ok(Expr::Binary { op, left: Box::new(left), right: Box::new(right), pos });
            }
            self.expect_keyword("NULL")?;
            return Ok(Expr::IsNull { expr: Box::new(left), negated });
        }
        let negated =
            self.is_keyword("NOT") && matches!(self.peek_keyword_nth(1).as_deref(), Some("LIKE" | "IN" | "BETWEEN"));
        if negated {
            self.next();
        }
        if self.consume_keyword("LIKE") {
            let pattern = self.parse_additive()?;
            let escape = if self.consume_keyword("ESCAPE") {
                let pos = self.peek_pos();
                let s = self.parse_string("an escape character")?;
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some(c),
                    _ => return Err(SqlError::parse(pos, "ESCAPE takes exactly one character")),
                }
            } else {
                None
            };
            return Ok(Expr::Like { expr: Box::new(left), pattern: Box::new(pattern), escape, negated });
        }
        if self.consume_keyword("IN") {
            self.expect(&Token::LParen, "'('")?;
            let list = self.parse_expr_list()?;
            self.expect(&Token::RParen, "',' or ')'")?;
            return Ok(Expr::InList { expr: Box::new(left), list, negated });
        }
        if self.consume_keyword("BETWEEN") {
            let low = self.parse_additive()?;
            self.expect_keyword("AND")?;
            let high = self.parse_additive()?;
            return Ok(Expr::Between { expr: Box::new(left), low: Box::new(low), high: Box::new(high), negated });
        }
        if negated {
            return Err(self.expected("LIKE, IN or BETWEEN"));
        }
        Ok(left)
    }

    fn parse_additive(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.parse_multiplicative()?;
        loop {
            let pos = self.peek_pos();
            let op = match self.peek() {
                Token::Plus => BinaryOp::Add,
                Token::Minus => BinaryOp::Subtract,
                Token::StringConcat => BinaryOp::Concat,
                _ => return Ok(left),
            };
            self.next();
            let right = self.parse_multiplicative()?;
            left = Expr::Binary { op, left: Box::new(left), right: Box::new(right), pos };
        }
    }

    fn parse_multiplicative(&mut self) -> Result<Expr, SqlError> {
        let mut left = self.parse_unary()?;
        loop {
            let pos = self.peek_pos();
            let op = match self.peek() {
                Token::Mul => BinaryOp::Multiply,
                Token::Div => BinaryOp::Divide,
                Token::Mod => BinaryOp::Modulo,
                _ => return Ok(left),
            };
            self.next();
            let right = self.parse_unary()?;
            left = Expr::Binary { op, left: Box::new(left), right: Box::new(right), pos };
        }
    }

    fn parse_unary(&mut self) -> Result<Expr, SqlError> {
        if self.consume(&Token::Minus) {
            // A negative number literal is read with its sign, so BIGINT's minimum fits
            // and an overflow names the number as written.
            if let Token::Number(n, _) = self.peek().clone() {
                let pos = self.peek_pos();
                self.next();
                return Ok(Expr::Literal(number_literal(&format!("-{n}"), pos)?));
            }
            let expr = self.parse_unary()?;
            return Ok(match expr {
                Expr::Literal(l @ (Literal::Integer(_) | Literal::Decimal(_) | Literal::Double(_))) => {
                    Expr::Literal(negate_literal(l))
                }
                other => Expr::Unary { op: UnaryOp::Negate, expr: Box::new(other) },
            });
        }
        if self.consume(&Token::Plus) {
            return self.parse_unary();
        }
        self.parse_postfix()
    }

    fn parse_postfix(&mut self) -> Result<Expr, SqlError> {
        let mut expr = self.parse_primary()?;
        loop {
            let pos = self.peek_pos();
            if self.consume(&Token::LBracket) {
                let index = self.parse_expr()?;
                self.expect(&Token::RBracket, "']'")?;
                expr = Expr::Subscript { expr: Box::new(expr), index: Box::new(index), pos };
            } else if self.consume(&Token::Arrow) {
                let field = self.parse_identifier("a struct field name")?;
                expr = Expr::Field { expr: Box::new(expr), field, pos };
            } else {
                return Ok(expr);
            }
        }
    }

    fn parse_primary(&mut self) -> Result<Expr, SqlError> {
        let pos = self.peek_pos();
        match self.peek().clone() {
            Token::Number(n, _) => {
                self.next();
                Ok(Expr::Literal(number_literal(&n, pos)?))
            }
            Token::SingleQuotedString(s) => {
                self.next();
                Ok(Expr::Literal(Literal::String(s)))
            }
            Token::LParen => {
                self.next();
                let e = self.parse_expr()?;
                self.expect(&Token::RParen, "')'")?;
                Ok(Expr::Nested(Box::new(e)))
            }
            Token::Word(w) if w.quote_style.is_none() => {
                let upper = w.value.to_ascii_uppercase();
                match upper.as_str() {
                    "NULL" => {
                        self.next();
                        Ok(Expr::Literal(Literal::Null))
                    }
                    "TRUE" | "FALSE" => {
                        self.next();
                        Ok(Expr::Literal(Literal::Boolean(upper == "TRUE")))
                    }
                    "CASE" => self.parse_case(),
                    "CAST" => {
                        self.next();
                        self.expect(&Token::LParen, "'('")?;
                        let expr = self.parse_expr()?;
                        self.expect_keyword("AS")?;
                        let data_type = self.parse_type()?;
                        self.expect(&Token::RParen, "')'")?;
                        Ok(Expr::Cast { expr: Box::new(expr), data_type, pos })
                    }
                    "ARRAY" if matches!(self.peek_nth(1), Token::LBracket) => {
                        self.next();
                        self.next();
                        let mut items = Vec::new();
                        if !self.consume(&Token::RBracket) {
                            items = self.parse_expr_list()?;
                            self.expect(&Token::RBracket, "',' or ']'")?;
                        }
                        Ok(Expr::Array(items))
                    }
                    "MAP" if matches!(self.peek_nth(1), Token::LParen) => {
                        self.next();
                        self.next();
                        let mut entries = Vec::new();
                        if !self.consume(&Token::RParen) {
                            loop {
                                let k = self.parse_expr()?;
                                self.expect(&Token::Assignment, "':='")?;
                                let v = self.parse_expr()?;
                                entries.push((k, v));
                                if !self.consume(&Token::Comma) {
                                    break;
                                }
                            }
                            self.expect(&Token::RParen, "',' or ')'")?;
                        }
                        Ok(Expr::Map(entries))
                    }
                    "STRUCT" if matches!(self.peek_nth(1), Token::LParen) => {
                        self.next();
                        self.next();
                        let mut fields = Vec::new();
                        if !self.consume(&Token::RParen) {
                            loop {
                                let k = self.parse_identifier("a field name")?;
                                self.expect(&Token::Assignment, "':='")?;
                                let v = self.parse_expr()?;
                                fields.push((k, v));
                                if !self.consume(&Token::Comma) {
                                    break;
                                }
                            }
                            self.expect(&Token::RParen, "',' or ')'")?;
                        }
                        Ok(Expr::Struct(fields))
                    }
                    _ if is_reserved(&upper) => Err(self.expected("an expression")),
                    _ => self.parse_name_or_call(),
                }
            }
            Token::Word(_) => self.parse_name_or_call(),
            _ => Err(self.expected("an expression")),
        }
    }

    fn parse_name_or_call(&mut self) -> Result<Expr, SqlError> {
        let pos = self.peek_pos();
        let first = self.parse_identifier("a column or function name")?;
        if self.consume(&Token::LParen) {
            let mut args = Vec::new();
            let mut star = false;
            let mut distinct = false;
            if self.consume(&Token::Mul) {
                star = true;
            } else if !matches!(self.peek(), Token::RParen) {
                distinct = self.consume_keyword("DISTINCT");
                args = self.parse_expr_list()?;
            }
            self.expect(&Token::RParen, "',' or ')'")?;
            return Ok(Expr::Function { name: first, args, star, distinct, pos });
        }
        if matches!(self.peek(), Token::Period) && matches!(self.peek_nth(1), Token::Word(_)) {
            self.next();
            let name = self.parse_identifier("a column name")?;
            return Ok(Expr::Column { qualifier: Some(first), name, pos });
        }
        Ok(Expr::Column { qualifier: None, name: first, pos })
    }

    fn parse_case(&mut self) -> Result<Expr, SqlError> {
        self.expect_keyword("CASE")?;
        let operand = if self.is_keyword("WHEN") { None } else { Some(Box::new(self.parse_expr()?)) };
        let mut whens = Vec::new();
        while self.consume_keyword("WHEN") {
            let cond = self.parse_expr()?;
            self.expect_keyword("THEN")?;
            let result = self.parse_expr()?;
            whens.push((cond, result));
        }
        if whens.is_empty() {
            return Err(self.expected("WHEN"));
        }
        let else_result = if self.consume_keyword("ELSE") { Some(Box::new(self.parse_expr()?)) } else { None };
        self.expect_keyword("END")?;
        Ok(Expr::Case { operand, whens, else_result })
    }

    // ---- types ----------------------------------------------------------------------

    pub(crate) fn parse_standalone_type(&mut self) -> Result<DataType, SqlError> {
        let t = self.parse_type()?;
        if !self.at_eof() {
            return Err(self.expected("end of type"));
        }
        Ok(t)
    }

    /// Consumes a `>`, splitting a `>>` token the tokenizer produced for nested types.
    fn expect_close_angle(&mut self) -> Result<(), SqlError> {
        match self.peek() {
            Token::Gt => {
                self.next();
                Ok(())
            }
            Token::ShiftRight => {
                self.tokens[self.idx].token = Token::Gt;
                Ok(())
            }
            _ => Err(self.expected("'>'")),
        }
    }

    pub(crate) fn parse_type(&mut self) -> Result<DataType, SqlError> {
        let pos = self.peek_pos();
        let Some(name) = self.peek_keyword() else {
            return Err(self.expected("a type"));
        };
        self.next();
        let t = match name.as_str() {
            "BOOLEAN" | "BOOL" => DataType::Boolean,
            "INT" | "INTEGER" => DataType::Int,
            "BIGINT" => DataType::BigInt,
            "DOUBLE" => DataType::Double,
            "VARCHAR" | "STRING" => DataType::String,
            "BYTES" => DataType::Bytes,
            "TIMESTAMP" => DataType::Timestamp,
            "DATE" => DataType::Date,
            "TIME" => DataType::Time,
            "DECIMAL" => {
                self.expect(&Token::LParen, "'(' with precision and scale")?;
                let precision = self.parse_u64("a precision")?;
                self.expect(&Token::Comma, "','")?;
                let scale = self.parse_u64("a scale")?;
                self.expect(&Token::RParen, "')'")?;
                if !(1..=38).contains(&precision) || scale > precision {
                    return Err(SqlError::parse(
                        pos,
                        format!("DECIMAL({precision}, {scale}) is invalid: precision must be 1..38 and scale at most the precision"),
                    ));
                }
                DataType::Decimal { precision: precision as u8, scale: scale as u8 }
            }
            "ARRAY" => {
                self.expect(&Token::Lt, "'<'")?;
                let item = self.parse_type()?;
                self.expect_close_angle()?;
                DataType::Array(Box::new(item))
            }
            "MAP" => {
                self.expect(&Token::Lt, "'<'")?;
                let k = self.parse_type()?;
                self.expect(&Token::Comma, "','")?;
                let v = self.parse_type()?;
                self.expect_close_angle()?;
                DataType::Map(Box::new(k), Box::new(v))
            }
            "STRUCT" => {
                if self.consume(&Token::Neq) {
                    return Ok(DataType::Struct(Vec::new()));
                }
                self.expect(&Token::Lt, "'<'")?;
                let mut fields = Vec::new();
                if !matches!(self.peek(), Token::Gt | Token::ShiftRight) {
                    loop {
                        let name = self.parse_identifier("a field name")?;
                        let data_type = self.parse_type()?;
                        fields.push(StructField { name, data_type });
                        if !self.consume(&Token::Comma) {
                            break;
                        }
                    }
                }
                self.expect_close_angle()?;
                DataType::Struct(fields)
            }
            // A reserved word, so ksqlDB's grammar stops at it.
            "NULL" => {
                return Err(SqlError::parse(pos, "Syntax error at or near 'NULL': NULL is a value, not a type"));
            }
            other => {
                return Err(SqlError::parse(
                    pos,
                    format!(
                        "unknown type {other}; expected BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL(p, s), STRING, BYTES, TIMESTAMP, DATE, TIME, ARRAY<T>, MAP<K, V> or STRUCT<...>"
                    ),
                ))
            }
        };
        Ok(t)
    }
}

fn number_literal(text: &str, pos: Pos) -> Result<Literal, SqlError> {
    if text.contains(['e', 'E']) {
        let d = text.parse::<f64>().map_err(|_| SqlError::parse(pos, format!("invalid number '{text}'")))?;
        if d.is_infinite() {
            return Err(SqlError::parse(pos, format!("Number overflows DOUBLE: {text}")));
        }
        return Ok(Literal::Double(d));
    }
    if text.contains('.') {
        return Ok(Literal::Decimal(text.to_owned()));
    }
    text.parse::<i64>()
        .map(Literal::Integer)
        .map_err(|_| SqlError::parse(pos, format!("Invalid numeric literal: {text}")))
}

fn negate_literal(lit: Literal) -> Literal {
    match lit {
        Literal::Integer(i) => Literal::Integer(-i),
        Literal::Decimal(d) => Literal::Decimal(match d.strip_prefix('-') {
            Some(rest) => rest.to_owned(),
            None => format!("-{d}"),
        }),
        Literal::Double(d) => Literal::Double(-d),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(sql: &str) -> String {
        let stmt = parse_statement(sql).unwrap();
        let printed = stmt.to_string();
        // Positions differ after printing, so compare the printed forms.
        assert_eq!(parse_statement(&printed).unwrap().to_string(), printed);
        printed
    }

    #[test]
    fn names_may_start_with_digits_and_numbers_stay_numbers() {
        let printed = round_trip("SELECT ROUND(v, -1) AS 1r, 2R, 1.5e3 AS x, 10 AS y, 0.5 AS z FROM t EMIT CHANGES");
        assert!(printed.contains("AS `1R`, `2R`"), "{printed}");
        let Statement::Select(q) = parse_statement("SELECT 10, 1.5e3, 0.5 FROM t EMIT CHANGES").unwrap() else {
            panic!("not a query")
        };
        for item in &q.projection {
            assert!(matches!(item, SelectItem::Expr { expr: Expr::Literal(_), .. }), "{item:?}");
        }
    }

    #[test]
    fn create_and_drop_function() {
        let printed = round_trip(
            "create or replace function distance(lat1 double, lon1 double) returns double as wasm from base64 'AGFzbQ==' with (export='geo', memory_limit='32MB', timeout_ms=100)",
        );
        assert_eq!(
            printed,
            "CREATE OR REPLACE FUNCTION DISTANCE(LAT1 DOUBLE, LON1 DOUBLE) RETURNS DOUBLE AS WASM FROM BASE64 'AGFzbQ==' WITH (EXPORT='geo', MEMORY_LIMIT='32MB', TIMEOUT_MS=100)"
        );
        let Statement::CreateFunction(c) =
            parse_statement("CREATE FUNCTION geo AS WASM FROM 'file:///srv/geo.wasm'").unwrap()
        else {
            panic!("not a create function")
        };
        assert_eq!((c.name.as_str(), c.signature, c.or_replace), ("GEO", None, false));
        assert_eq!(c.source, ModuleSource::Url("file:///srv/geo.wasm".into()));
        round_trip("CREATE FUNCTION f() RETURNS INT AS WASM FROM 'sha256:00'");
        assert_eq!(round_trip("drop function if exists f"), "DROP FUNCTION IF EXISTS F");
        let err = parse_statement("CREATE FUNCTION f(x INT) AS WASM FROM 'x'").unwrap_err();
        assert!(err.to_string().contains("RETURNS"), "{err}");
        assert!(parse_statement("CREATE FUNCTION f AS WASM FROM 42").is_err());
    }

    #[test]
    fn parses_seed_statements() {
        let s = parse_statement(
            "CREATE STREAM ratings (rating_id BIGINT, user_id INT, stars INT, route_id INT, rating_time BIGINT, channel VARCHAR, message VARCHAR)
  WITH (KAFKA_TOPIC='ratings', VALUE_FORMAT='JSON', PARTITIONS=4, TIMESTAMP='rating_time');",
        )
        .unwrap();
        let Statement::CreateSource(c) = s else { panic!("not a create") };
        assert_eq!(c.name, "RATINGS");
        assert_eq!(c.columns.len(), 7);
        assert_eq!(c.with.get_str("partitions").as_deref(), Some("4"));

        let s = parse_statement(
            "SELECT TIMESTAMPTOSTRING(ROWTIME, 'yyyy-MM-dd HH:mm:ss', 'Europe/London') AS ts, wlan_sa[1], wlan_ssid[1] FROM pcap_raw WHERE wlan_ssid[1] = 'RNM0' EMIT CHANGES;",
        )
        .unwrap();
        let Statement::Select(q) = s else { panic!("not a select") };
        assert!(q.emit_changes);
        assert_eq!(q.projection.len(), 3);

        let s = parse_statement("CREATE STREAM SYSLOG_INVALID_USERS AS SELECT HOST, MESSAGE FROM SYSLOG WHERE MESSAGE LIKE ‘%Invalid user%’;").unwrap();
        assert!(matches!(s, Statement::CreateAsSelect(_)));
    }

    #[test]
    fn errors_carry_positions() {
        let err = parse_statement("SELECT a FROM s WHER x = 1").unwrap_err();
        assert_eq!(err.to_string(), "line 1:22: Syntax error: mismatched input 'x', expected ';' or end of input");
        let err = parse_statement("SELECT a,\n FROM s").unwrap_err();
        assert!(err.to_string().starts_with("line 2:2:"), "{err}");
    }

    #[test]
    fn group_and_partition_by_take_value_expressions() {
        let sql = "CREATE STREAM o AS SELECT * FROM i PARTITION BY name AND age;";
        let err = parse_statement(sql).unwrap_err();
        assert_eq!(err.to_string(), "line 1:54: Syntax error: mismatched input 'AND', expected ';' or end of input");
        let err = parse_statement("SELECT a FROM s GROUP BY a = 1").unwrap_err();
        assert!(err.to_string().contains("Syntax error: mismatched input '='"), "{err}");
        // Arithmetic, concatenation, calls, CASE and anything in parentheses are values.
        round_trip("CREATE STREAM o AS SELECT * FROM i PARTITION BY a + 1, b || 'x', ABS(c), (d = 1)");
    }

    #[test]
    fn nested_types_parse() {
        let t = DataType::parse("MAP<STRING, ARRAY<STRUCT<a INT, `b` ARRAY<BIGINT>>>>").unwrap();
        assert_eq!(t.to_string(), "MAP<STRING, ARRAY<STRUCT<`A` INTEGER, `b` ARRAY<BIGINT>>>>");
    }

    #[test]
    fn displays_round_trip() {
        let printed = round_trip("select a->b, m['k'], x[1] from s where not a in (1, 2) and b between 1 and 2 or c is not null emit changes limit 3");
        assert!(printed.contains("EMIT CHANGES LIMIT 3"));
        round_trip("INSERT INTO s (a, b) VALUES (1, 'x''y')");
        round_trip("CREATE STREAM x WITH (KAFKA_TOPIC='t') AS SELECT CASE WHEN a > 1 THEN 'hi' ELSE 'lo' END AS c FROM s PARTITION BY c");
    }

    #[test]
    fn splits_statements_with_text() {
        let all = parse_statements("SHOW STREAMS;\n  DESCRIBE EXTENDED s;").unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].text, "SHOW STREAMS;");
        assert_eq!(all[1].text, "DESCRIBE EXTENDED s;");
    }
}
