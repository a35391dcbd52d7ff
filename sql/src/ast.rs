//! The syntax tree of wasp SQL (ksqlDB's dialect).
//!
//! Every node's `Display` prints SQL that parses back to the same node, so plans,
//! `EXPLAIN` output and the persisted command log can all be rendered from the tree.
//! Identifiers are stored normalized: unquoted names upper-cased, quoted ones as written.

use std::fmt;

use crate::error::Pos;
use crate::types::DataType;

/// A top-level statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `CREATE [OR REPLACE] {STREAM|TABLE} [IF NOT EXISTS] name [(col TYPE [KEY|PRIMARY KEY], ...)] WITH (...)`
    CreateSource(CreateSource),
    /// `CREATE [OR REPLACE] {STREAM|TABLE} [IF NOT EXISTS] name [WITH (...)] AS SELECT ...`
    CreateAsSelect(CreateAsSelect),
    /// `INSERT INTO name SELECT ...`
    InsertSelect { target: String, query: Query },
    /// `INSERT INTO name [(col, ...)] VALUES (expr, ...)`
    InsertValues { target: String, columns: Option<Vec<String>>, values: Vec<Expr> },
    /// `SELECT ... [EMIT CHANGES] [LIMIT n]`
    Select(Query),
    /// `SHOW {STREAMS|TABLES|QUERIES|TOPICS|PROPERTIES|FUNCTIONS} [EXTENDED]`
    Show { what: ShowKind, extended: bool },
    /// `DESCRIBE [EXTENDED] name`
    Describe { name: String, extended: bool },
    /// `DESCRIBE FUNCTION name`
    DescribeFunction { name: String },
    /// `DROP {STREAM|TABLE} [IF EXISTS] name [DELETE TOPIC]`
    Drop { kind: SourceKind, if_exists: bool, name: String, delete_topic: bool },
    /// `TERMINATE query_id` or `TERMINATE ALL`
    Terminate { query_id: Option<String> },
    /// `EXPLAIN statement` or `EXPLAIN query_id`
    Explain(ExplainTarget),
    /// `SET 'name' = 'value'`
    Set { name: String, value: String },
    /// `UNSET 'name'`
    Unset { name: String },
    /// `PRINT 'topic' [FROM BEGINNING] [INTERVAL n] [LIMIT n]`
    Print { topic: String, from_beginning: bool, interval: Option<u64>, limit: Option<u64> },
    /// `RUN SCRIPT 'path'`
    RunScript { path: String },
    /// `CREATE [OR REPLACE] FUNCTION name [(p TYPE, ...) RETURNS TYPE] AS WASM FROM
    /// {'file://...' | 'http://...' | 'sha256:...' | BASE64 '...'} [WITH (...)]`
    CreateFunction(CreateFunction),
    /// `DROP FUNCTION [IF EXISTS] name`
    DropFunction { if_exists: bool, name: String },
}

/// `CREATE FUNCTION name(...) RETURNS t AS WASM FROM ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFunction {
    pub or_replace: bool,
    pub name: String,
    /// The declared signature; `None` takes what the module describes.
    pub signature: Option<FunctionSignature>,
    pub source: ModuleSource,
    pub with: Properties,
}

/// `(p1 TYPE, ...) RETURNS TYPE`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSignature {
    pub params: Vec<(String, DataType)>,
    pub returns: DataType,
}

/// Where a function's module comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleSource {
    /// `'file:///path'`, `'http://host/path'`, or `'sha256:<hex>'` (a module the
    /// server already stores).
    Url(String),
    /// `BASE64 '...'`: the module's bytes inline.
    Base64(String),
}

/// What `EXPLAIN` explains.
#[derive(Debug, Clone, PartialEq)]
pub enum ExplainTarget {
    Statement(Box<Statement>),
    QueryId(String),
}

/// What `SHOW` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowKind {
    Streams,
    Tables,
    Queries,
    Topics,
    Properties,
    Functions,
}

/// A stream (append-only) or a table (latest value per key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SourceKind {
    Stream,
    Table,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Stream => "STREAM",
            SourceKind::Table => "TABLE",
        })
    }
}

/// `CREATE STREAM s (...) WITH (...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSource {
    pub kind: SourceKind,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub with: Properties,
}

/// `CREATE STREAM s WITH (...) AS SELECT ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateAsSelect {
    pub kind: SourceKind,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub name: String,
    pub with: Properties,
    pub query: Query,
}

/// A column in a `CREATE` statement's element list.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub data_type: DataType,
    /// `KEY` (streams) or `PRIMARY KEY` (tables).
    pub key: bool,
    pub pos: Pos,
}

/// `WITH (NAME = value, ...)` properties, names upper-cased, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Properties(pub Vec<(String, Literal)>);

impl Properties {
    /// The property's value, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&Literal> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The property as text (strings as-is, numbers and booleans printed).
    pub fn get_str(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| match v {
            Literal::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A `SELECT` query, streaming (`EMIT CHANGES`) or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub projection: Vec<SelectItem>,
    pub from: TableRef,
    /// `[INNER | LEFT | RIGHT | FULL] JOIN ... ON ...`, in the order written.
    pub joins: Vec<Join>,
    /// `WINDOW TUMBLING (...)`, `HOPPING (...)` or `SESSION (...)`.
    pub window: Option<WindowExpr>,
    pub selection: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub partition_by: Vec<Expr>,
    pub emit_changes: bool,
    /// `EMIT FINAL`: one result per window, when it closes.
    pub emit_final: bool,
    pub limit: Option<u64>,
    /// Where `SELECT` starts, for error positions.
    pub pos: Pos,
}

/// One `JOIN` of a `FROM` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub kind: JoinKind,
    pub right: TableRef,
    /// `WITHIN` (stream-stream joins): how far before and after a record the other
    /// side's records may be, in milliseconds, and the grace period.
    pub within: Option<JoinWindow>,
    pub on: Expr,
    /// Where the join's keywords start.
    pub pos: Pos,
}

/// The kinds of join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

impl JoinKind {
    /// ksqlDB's name for the join type, as its error messages write it.
    pub fn describe(self) -> &'static str {
        match self {
            JoinKind::Inner => "inner",
            JoinKind::Left => "left",
            JoinKind::Right => "right",
            JoinKind::Full => "full-outer",
        }
    }

    /// The keywords, as written in SQL.
    pub fn keywords(self) -> &'static str {
        match self {
            JoinKind::Inner => "INNER JOIN",
            JoinKind::Left => "LEFT OUTER JOIN",
            JoinKind::Right => "RIGHT OUTER JOIN",
            JoinKind::Full => "FULL OUTER JOIN",
        }
    }
}

/// `WITHIN n unit` or `WITHIN (before, after)`, with an optional `GRACE PERIOD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinWindow {
    pub before_ms: i64,
    pub after_ms: i64,
    pub grace_ms: Option<i64>,
}

/// The window of a windowed aggregation. Durations are milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowExpr {
    pub kind: WindowKind,
    /// How long a closed window's result is kept (`RETENTION`).
    pub retention_ms: Option<i64>,
    /// How late a record may arrive and still count (`GRACE PERIOD`).
    pub grace_ms: Option<i64>,
    pub pos: Pos,
}

/// The shape of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    /// Back-to-back windows of one size: `[n * size, (n + 1) * size)`.
    Tumbling { size_ms: i64 },
    /// Windows of `size_ms` starting every `advance_ms`; a record is in several.
    Hopping { size_ms: i64, advance_ms: i64 },
    /// Activity separated by gaps longer than `gap_ms` starts a new window.
    Session { gap_ms: i64 },
}

impl WindowKind {
    /// ksqlDB's name for the window type (`DESCRIBE`, windowed keys).
    pub fn name(&self) -> &'static str {
        match self {
            WindowKind::Tumbling { .. } => "TUMBLING",
            WindowKind::Hopping { .. } => "HOPPING",
            WindowKind::Session { .. } => "SESSION",
        }
    }
}

/// `n UNIT` as ksqlDB prints it (`5 SECONDS`), from milliseconds.
fn fmt_duration(f: &mut fmt::Formatter<'_>, ms: i64) -> fmt::Result {
    const UNITS: [(i64, &str); 4] =
        [(86_400_000, "DAYS"), (3_600_000, "HOURS"), (60_000, "MINUTES"), (1_000, "SECONDS")];
    for (size, unit) in UNITS {
        if ms != 0 && ms % size == 0 {
            return write!(f, "{} {unit}", ms / size);
        }
    }
    write!(f, "{ms} MILLISECONDS")
}

impl fmt::Display for WindowExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (", self.kind.name())?;
        match self.kind {
            WindowKind::Tumbling { size_ms } => {
                f.write_str("SIZE ")?;
                fmt_duration(f, size_ms)?;
            }
            WindowKind::Hopping { size_ms, advance_ms } => {
                f.write_str("SIZE ")?;
                fmt_duration(f, size_ms)?;
                f.write_str(", ADVANCE BY ")?;
                fmt_duration(f, advance_ms)?;
            }
            WindowKind::Session { gap_ms } => fmt_duration(f, gap_ms)?,
        }
        if let Some(r) = self.retention_ms {
            f.write_str(", RETENTION ")?;
            fmt_duration(f, r)?;
        }
        if let Some(g) = self.grace_ms {
            f.write_str(", GRACE PERIOD ")?;
            fmt_duration(f, g)?;
        }
        f.write_str(")")
    }
}

/// A source in `FROM`, with an optional alias.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRef {
    pub name: String,
    pub alias: Option<String>,
    pub pos: Pos,
}

/// One item of the `SELECT` list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*` or `alias.*`
    Wildcard {
        qualifier: Option<String>,
    },
    Expr {
        expr: Expr,
        alias: Option<String>,
    },
}

/// A literal value as written in SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Boolean(bool),
    /// An integer literal; INT if it fits 32 bits, BIGINT otherwise.
    Integer(i64),
    /// A literal with a decimal point: `1.5` is a DECIMAL in ksqlDB.
    Decimal(String),
    /// A literal with an exponent: `1.5E3` is a DOUBLE.
    Double(f64),
    String(String),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Concat,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// `IS DISTINCT FROM`: `<>` where two NULLs are the same and NULL differs from a value.
    IsDistinctFrom,
    /// `IS NOT DISTINCT FROM`: `=` where two NULLs are the same.
    IsNotDistinctFrom,
    And,
    Or,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Concat => "||",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::IsDistinctFrom => "IS DISTINCT FROM",
            BinaryOp::IsNotDistinctFrom => "IS NOT DISTINCT FROM",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
                | BinaryOp::IsDistinctFrom
                | BinaryOp::IsNotDistinctFrom
        )
    }

    /// Whether the operator only tests (in)equality: the comparisons BOOLEAN, ARRAY,
    /// MAP and STRUCT operands allow.
    pub fn is_equality(self) -> bool {
        matches!(self, BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::IsDistinctFrom | BinaryOp::IsNotDistinctFrom)
    }

    /// ksqlDB's name of a comparison in its error messages (`GREATER_THAN_OR_EQUAL`).
    pub fn comparison_name(self) -> &'static str {
        match self {
            BinaryOp::Eq => "EQUAL",
            BinaryOp::NotEq => "NOT_EQUAL",
            BinaryOp::Lt => "LESS_THAN",
            BinaryOp::LtEq => "LESS_THAN_OR_EQUAL",
            BinaryOp::Gt => "GREATER_THAN",
            BinaryOp::GtEq => "GREATER_THAN_OR_EQUAL",
            BinaryOp::IsDistinctFrom => "IS_DISTINCT_FROM",
            BinaryOp::IsNotDistinctFrom => "IS_NOT_DISTINCT_FROM",
            other => other.symbol(),
        }
    }

    pub fn is_arithmetic(self) -> bool {
        matches!(self, BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo)
    }
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Negate,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `col` or `source.col`.
    Column {
        qualifier: Option<String>,
        name: String,
        pos: Pos,
    },
    Literal(Literal),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
        pos: Pos,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<char>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        else_result: Option<Box<Expr>>,
    },
    Cast {
        expr: Box<Expr>,
        data_type: DataType,
        pos: Pos,
    },
    /// `a[1]` (arrays, 1-based; negative counts from the end) or `m['k']` (maps).
    Subscript {
        expr: Box<Expr>,
        index: Box<Expr>,
        pos: Pos,
    },
    /// `s->f`
    Field {
        expr: Box<Expr>,
        field: String,
        pos: Pos,
    },
    /// `f(args)`, `f(*)`, `f(DISTINCT x)`
    Function {
        name: String,
        args: Vec<Expr>,
        star: bool,
        distinct: bool,
        pos: Pos,
    },
    /// `ARRAY[a, b]`
    Array(Vec<Expr>),
    /// `MAP(k := v, ...)`
    Map(Vec<(Expr, Expr)>),
    /// `STRUCT(name := v, ...)`
    Struct(Vec<(String, Expr)>),
    Nested(Box<Expr>),
}

impl Expr {
    /// This expression with every unqualified column qualified by `source`
    /// (`ABS(ID)` becomes `ABS(INPUT.ID)`), for messages that name columns as ksqlDB
    /// does. `keyword(function, position, arg)` tells a function argument that is a
    /// keyword written like a column (`SECONDS` in `TIMESTAMPADD(SECONDS, 1, ts)`),
    /// which stays as it is.
    pub fn qualified(&self, source: &str, keyword: &dyn Fn(&str, usize, &Expr) -> bool) -> Expr {
        let mut e = self.clone();
        e.qualify(source, keyword);
        e
    }

    fn qualify(&mut self, source: &str, keyword: &dyn Fn(&str, usize, &Expr) -> bool) {
        let q = |e: &mut Box<Expr>| e.qualify(source, keyword);
        match self {
            Expr::Column { qualifier, .. } => {
                qualifier.get_or_insert_with(|| source.to_owned());
            }
            Expr::Literal(_) => {}
            Expr::Unary { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Field { expr, .. }
            | Expr::Nested(expr) => q(expr),
            Expr::Binary { left, right, .. } => {
                q(left);
                q(right);
            }
            Expr::Like { expr, pattern, .. } => {
                q(expr);
                q(pattern);
            }
            Expr::InList { expr, list, .. } => {
                q(expr);
                list.iter_mut().for_each(|e| e.qualify(source, keyword));
            }
            Expr::Between { expr, low, high, .. } => {
                q(expr);
                q(low);
                q(high);
            }
            Expr::Case { operand, whens, else_result } => {
                operand.iter_mut().for_each(q);
                for (w, t) in whens {
                    w.qualify(source, keyword);
                    t.qualify(source, keyword);
                }
                else_result.iter_mut().for_each(q);
            }
            Expr::Subscript { expr, index, .. } => {
                q(expr);
                q(index);
            }
            Expr::Function { name, args, .. } => {
                for (i, a) in args.iter_mut().enumerate() {
                    if !keyword(name, i, a) {
                        a.qualify(source, keyword);
                    }
                }
            }
            Expr::Array(items) => items.iter_mut().for_each(|e| e.qualify(source, keyword)),
            Expr::Map(entries) => {
                for (k, v) in entries {
                    k.qualify(source, keyword);
                    v.qualify(source, keyword);
                }
            }
            Expr::Struct(fields) => fields.iter_mut().for_each(|(_, e)| e.qualify(source, keyword)),
        }
    }

    /// The direct subexpressions, for rewrites.
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            Expr::Column { .. } | Expr::Literal(_) => Vec::new(),
            Expr::Unary { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Field { expr, .. }
            | Expr::Nested(expr) => vec![expr.as_mut()],
            Expr::Binary { left, right, .. } => vec![left.as_mut(), right.as_mut()],
            Expr::Like { expr, pattern, .. } => vec![expr.as_mut(), pattern.as_mut()],
            Expr::InList { expr, list, .. } => std::iter::once(expr.as_mut()).chain(list.iter_mut()).collect(),
            Expr::Between { expr, low, high, .. } => vec![expr.as_mut(), low.as_mut(), high.as_mut()],
            Expr::Case { operand, whens, else_result } => operand
                .iter_mut()
                .map(|e| e.as_mut())
                .chain(whens.iter_mut().flat_map(|(w, t)| [w, t]))
                .chain(else_result.iter_mut().map(|e| e.as_mut()))
                .collect(),
            Expr::Subscript { expr, index, .. } => vec![expr.as_mut(), index.as_mut()],
            Expr::Function { args, .. } | Expr::Array(args) => args.iter_mut().collect(),
            Expr::Map(entries) => entries.iter_mut().flat_map(|(k, v)| [k, v]).collect(),
            Expr::Struct(fields) => fields.iter_mut().map(|(_, e)| e).collect(),
        }
    }

    /// Renames every column `from` (unqualified or qualified) to `to`.
    pub fn rename_column(&mut self, from: &str, to: &str) {
        if let Expr::Column { name, .. } = self {
            if name == from {
                *name = to.to_owned();
            }
        }
        for child in self.children_mut() {
            child.rename_column(from, to);
        }
    }

    /// The position of the expression's first token, where known.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            Expr::Column { pos, .. }
            | Expr::Binary { pos, .. }
            | Expr::Cast { pos, .. }
            | Expr::Subscript { pos, .. }
            | Expr::Field { pos, .. }
            | Expr::Function { pos, .. } => Some(*pos),
            Expr::Unary { expr, .. }
            | Expr::Like { expr, .. }
            | Expr::InList { expr, .. }
            | Expr::Between { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Nested(expr) => expr.pos(),
            _ => None,
        }
    }
}

/// Writes an identifier, quoting it with backticks when it would not read back as is.
pub struct Ident<'a>(pub &'a str);

impl fmt::Display for Ident<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let plain = !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
            && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && !crate::parser::is_reserved(s);
        if plain {
            f.write_str(s)
        } else {
            write!(f, "`{}`", s.replace('`', "``"))
        }
    }
}

fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn comma_sep<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Boolean(b) => f.write_str(if *b { "true" } else { "false" }),
            Literal::Integer(i) => write!(f, "{i}"),
            Literal::Decimal(d) => f.write_str(d),
            Literal::Double(d) => {
                let s = format!("{d:E}");
                f.write_str(&s)
            }
            Literal::String(s) => f.write_str(&quote_str(s)),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column { qualifier: Some(q), name, .. } => write!(f, "{}.{}", Ident(q), Ident(name)),
            Expr::Column { qualifier: None, name, .. } => write!(f, "{}", Ident(name)),
            Expr::Literal(l) => write!(f, "{l}"),
            Expr::Unary { op: UnaryOp::Not, expr } => write!(f, "(NOT {expr})"),
            Expr::Unary { op: UnaryOp::Negate, expr } => write!(f, "-{expr}"),
            Expr::Binary { op, left, right, .. } => write!(f, "({left} {} {right})", op.symbol()),
            Expr::Like { expr, pattern, escape, negated } => {
                write!(f, "({expr} {}LIKE {pattern}", if *negated { "NOT " } else { "" })?;
                if let Some(c) = escape {
                    write!(f, " ESCAPE {}", quote_str(&c.to_string()))?;
                }
                f.write_str(")")
            }
            Expr::InList { expr, list, negated } => {
                write!(f, "({expr} {}IN (", if *negated { "NOT " } else { "" })?;
                comma_sep(f, list)?;
                f.write_str("))")
            }
            Expr::Between { expr, low, high, negated } => {
                write!(f, "({expr} {}BETWEEN {low} AND {high})", if *negated { "NOT " } else { "" })
            }
            Expr::IsNull { expr, negated } => {
                write!(f, "({expr} IS {}NULL)", if *negated { "NOT " } else { "" })
            }
            Expr::Case { operand, whens, else_result } => {
                f.write_str("(CASE")?;
                if let Some(o) = operand {
                    write!(f, " {o}")?;
                }
                for (w, t) in whens {
                    write!(f, " WHEN {w} THEN {t}")?;
                }
                if let Some(e) = else_result {
                    write!(f, " ELSE {e}")?;
                }
                f.write_str(" END)")
            }
            Expr::Cast { expr, data_type, .. } => write!(f, "CAST({expr} AS {data_type})"),
            Expr::Subscript { expr, index, .. } => write!(f, "{expr}[{index}]"),
            Expr::Field { expr, field, .. } => write!(f, "{expr}->{}", Ident(field)),
            Expr::Function { name, args, star, distinct, .. } => {
                write!(f, "{}(", Ident(name))?;
                if *star {
                    f.write_str("*")?;
                } else {
                    if *distinct {
                        f.write_str("DISTINCT ")?;
                    }
                    comma_sep(f, args)?;
                }
                f.write_str(")")
            }
            Expr::Array(items) => {
                f.write_str("ARRAY[")?;
                comma_sep(f, items)?;
                f.write_str("]")
            }
            Expr::Map(entries) => {
                f.write_str("MAP(")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}:={v}")?;
                }
                f.write_str(")")
            }
            Expr::Struct(fields) => {
                f.write_str("STRUCT(")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}:={v}", Ident(k))?;
                }
                f.write_str(")")
            }
            Expr::Nested(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for SelectItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Wildcard { qualifier: Some(q) } => write!(f, "{}.*", Ident(q)),
            SelectItem::Wildcard { qualifier: None } => f.write_str("*"),
            SelectItem::Expr { expr, alias: Some(a) } => write!(f, "{expr} AS {}", Ident(a)),
            SelectItem::Expr { expr, alias: None } => write!(f, "{expr}"),
        }
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        comma_sep(f, &self.projection)?;
        write!(f, " FROM {}", Ident(&self.from.name))?;
        if let Some(a) = &self.from.alias {
            write!(f, " {}", Ident(a))?;
        }
        for j in &self.joins {
            write!(f, " {} {}", j.kind.keywords(), Ident(&j.right.name))?;
            if let Some(a) = &j.right.alias {
                write!(f, " {}", Ident(a))?;
            }
            if let Some(w) = &j.within {
                if w.before_ms == w.after_ms {
                    write!(f, " WITHIN {} MILLISECONDS", w.before_ms)?;
                } else {
                    write!(f, " WITHIN ({} MILLISECONDS, {} MILLISECONDS)", w.before_ms, w.after_ms)?;
                }
                if let Some(g) = w.grace_ms {
                    write!(f, " GRACE PERIOD {g} MILLISECONDS")?;
                }
            }
            write!(f, " ON {}", j.on)?;
        }
        if let Some(w) = &self.window {
            write!(f, " WINDOW {w}")?;
        }
        if let Some(w) = &self.selection {
            write!(f, " WHERE {w}")?;
        }
        if !self.group_by.is_empty() {
            f.write_str(" GROUP BY ")?;
            comma_sep(f, &self.group_by)?;
        }
        if let Some(h) = &self.having {
            write!(f, " HAVING {h}")?;
        }
        if !self.partition_by.is_empty() {
            f.write_str(" PARTITION BY ")?;
            comma_sep(f, &self.partition_by)?;
        }
        if self.emit_changes {
            f.write_str(" EMIT CHANGES")?;
        }
        if self.emit_final {
            f.write_str(" EMIT FINAL")?;
        }
        if let Some(l) = self.limit {
            write!(f, " LIMIT {l}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WITH (")?;
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={v}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for ColumnDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Ident(&self.name), self.data_type)?;
        if self.key {
            f.write_str(" KEY")?;
        }
        Ok(())
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::CreateSource(c) => {
                write!(f, "CREATE {}{}", if c.or_replace { "OR REPLACE " } else { "" }, c.kind)?;
                if c.if_not_exists {
                    f.write_str(" IF NOT EXISTS")?;
                }
                write!(f, " {}", Ident(&c.name))?;
                if !c.columns.is_empty() {
                    f.write_str(" (")?;
                    comma_sep(f, &c.columns)?;
                    f.write_str(")")?;
                }
                if !c.with.is_empty() {
                    write!(f, " {}", c.with)?;
                }
                Ok(())
            }
            Statement::CreateAsSelect(c) => {
                write!(f, "CREATE {}{}", if c.or_replace { "OR REPLACE " } else { "" }, c.kind)?;
                if c.if_not_exists {
                    f.write_str(" IF NOT EXISTS")?;
                }
                write!(f, " {}", Ident(&c.name))?;
                if !c.with.is_empty() {
                    write!(f, " {}", c.with)?;
                }
                write!(f, " AS {}", c.query)
            }
            Statement::InsertSelect { target, query } => write!(f, "INSERT INTO {} {query}", Ident(target)),
            Statement::InsertValues { target, columns, values } => {
                write!(f, "INSERT INTO {}", Ident(target))?;
                if let Some(cols) = columns {
                    f.write_str(" (")?;
                    for (i, c) in cols.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{}", Ident(c))?;
                    }
                    f.write_str(")")?;
                }
                f.write_str(" VALUES (")?;
                comma_sep(f, values)?;
                f.write_str(")")
            }
            Statement::Select(q) => write!(f, "{q}"),
            Statement::Show { what, extended } => {
                let w = match what {
                    ShowKind::Streams => "STREAMS",
                    ShowKind::Tables => "TABLES",
                    ShowKind::Queries => "QUERIES",
                    ShowKind::Topics => "TOPICS",
                    ShowKind::Properties => "PROPERTIES",
                    ShowKind::Functions => "FUNCTIONS",
                };
                write!(f, "SHOW {w}{}", if *extended { " EXTENDED" } else { "" })
            }
            Statement::Describe { name, extended } => {
                write!(f, "DESCRIBE {}{}", if *extended { "EXTENDED " } else { "" }, Ident(name))
            }
            Statement::DescribeFunction { name } => write!(f, "DESCRIBE FUNCTION {}", Ident(name)),
            Statement::Drop { kind, if_exists, name, delete_topic } => {
                write!(f, "DROP {kind}")?;
                if *if_exists {
                    f.write_str(" IF EXISTS")?;
                }
                write!(f, " {}", Ident(name))?;
                if *delete_topic {
                    f.write_str(" DELETE TOPIC")?;
                }
                Ok(())
            }
            Statement::Terminate { query_id: Some(id) } => write!(f, "TERMINATE {}", Ident(id)),
            Statement::Terminate { query_id: None } => f.write_str("TERMINATE ALL"),
            Statement::Explain(ExplainTarget::Statement(s)) => write!(f, "EXPLAIN {s}"),
            Statement::Explain(ExplainTarget::QueryId(id)) => write!(f, "EXPLAIN {}", Ident(id)),
            Statement::Set { name, value } => write!(f, "SET {} = {}", quote_str(name), quote_str(value)),
            Statement::Unset { name } => write!(f, "UNSET {}", quote_str(name)),
            Statement::Print { topic, from_beginning, interval, limit } => {
                write!(f, "PRINT {}", quote_str(topic))?;
                if *from_beginning {
                    f.write_str(" FROM BEGINNING")?;
                }
                if let Some(i) = interval {
                    write!(f, " INTERVAL {i}")?;
                }
                if let Some(l) = limit {
                    write!(f, " LIMIT {l}")?;
                }
                Ok(())
            }
            Statement::RunScript { path } => write!(f, "RUN SCRIPT {}", quote_str(path)),
            Statement::CreateFunction(c) => {
                write!(f, "CREATE {}FUNCTION {}", if c.or_replace { "OR REPLACE " } else { "" }, Ident(&c.name))?;
                if let Some(sig) = &c.signature {
                    f.write_str("(")?;
                    for (i, (n, t)) in sig.params.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{} {t}", Ident(n))?;
                    }
                    write!(f, ") RETURNS {}", sig.returns)?;
                }
                match &c.source {
                    ModuleSource::Url(u) => write!(f, " AS WASM FROM {}", quote_str(u))?,
                    ModuleSource::Base64(b) => write!(f, " AS WASM FROM BASE64 {}", quote_str(b))?,
                }
                if !c.with.is_empty() {
                    write!(f, " {}", c.with)?;
                }
                Ok(())
            }
            Statement::DropFunction { if_exists, name } => {
                write!(f, "DROP FUNCTION {}{}", if *if_exists { "IF EXISTS " } else { "" }, Ident(name))
            }
        }
    }
}
