//! SQL types and function descriptions: the Rust side of `sql-type`, `param` and
//! `function-def` in the WIT package.
//!
//! [`SqlType`] is recursive, as a Rust author thinks of types; the WIT form is a flat
//! list of [`TypeNode`]s (WIT types cannot be recursive), made by
//! [`SqlType::to_nodes`] and read back by [`SqlType::from_nodes`].

use std::fmt;

/// A SQL type, as ksqlDB names the types.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SqlType {
    Boolean,
    /// 32-bit signed integer (`INT`, `INTEGER`).
    Int,
    /// 64-bit signed integer.
    BigInt,
    /// 64-bit IEEE 754 float.
    Double,
    /// Fixed point: `precision` digits, `scale` of them after the point, stored as an
    /// `i128` scaled by 10^scale.
    Decimal {
        precision: u8,
        scale: u8,
    },
    /// UTF-8 text (`STRING`, `VARCHAR`).
    String,
    Bytes,
    /// Milliseconds since the Unix epoch, UTC.
    Timestamp,
    /// Days since the Unix epoch.
    Date,
    /// Milliseconds since midnight.
    Time,
    Array(Box<SqlType>),
    Map(Box<SqlType>, Box<SqlType>),
    /// Named fields, in order.
    Struct(Vec<(String, SqlType)>),
}

/// One node of a flattened [`SqlType`]; indexes point at other nodes of the same list
/// and are always greater than the node's own index (the WIT `type-node`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeNode {
    Boolean,
    Int,
    BigInt,
    Double,
    Decimal { precision: u8, scale: u8 },
    String,
    Bytes,
    Timestamp,
    Date,
    Time,
    Array(u32),
    Map { key: u32, value: u32 },
    Struct(Vec<(String, u32)>),
}

/// A list of type nodes that does not form a type tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidType(pub String);

impl fmt::Display for InvalidType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid SQL type: {}", self.0)
    }
}

impl std::error::Error for InvalidType {}

impl SqlType {
    /// The WIT form: node 0 is this type, children follow their parents.
    pub fn to_nodes(&self) -> Vec<TypeNode> {
        let mut nodes = Vec::new();
        self.push_nodes(&mut nodes);
        nodes
    }

    /// Appends this type's nodes, returning the index of its root node.
    fn push_nodes(&self, nodes: &mut Vec<TypeNode>) -> u32 {
        let at = nodes.len();
        // A placeholder keeps the parent's index before its children's.
        nodes.push(TypeNode::Boolean);
        let node = match self {
            SqlType::Boolean => TypeNode::Boolean,
            SqlType::Int => TypeNode::Int,
            SqlType::BigInt => TypeNode::BigInt,
            SqlType::Double => TypeNode::Double,
            SqlType::Decimal { precision, scale } => TypeNode::Decimal { precision: *precision, scale: *scale },
            SqlType::String => TypeNode::String,
            SqlType::Bytes => TypeNode::Bytes,
            SqlType::Timestamp => TypeNode::Timestamp,
            SqlType::Date => TypeNode::Date,
            SqlType::Time => TypeNode::Time,
            SqlType::Array(element) => TypeNode::Array(element.push_nodes(nodes)),
            SqlType::Map(key, value) => {
                let key = key.push_nodes(nodes);
                TypeNode::Map { key, value: value.push_nodes(nodes) }
            }
            SqlType::Struct(fields) => {
                TypeNode::Struct(fields.iter().map(|(name, ty)| (name.clone(), ty.push_nodes(nodes))).collect())
            }
        };
        nodes[at] = node;
        at as u32
    }

    /// Reads the WIT form back, checking that it is a tree rooted at node 0.
    pub fn from_nodes(nodes: &[TypeNode]) -> Result<SqlType, InvalidType> {
        if nodes.is_empty() {
            return Err(InvalidType("no nodes".into()));
        }
        Self::from_node(nodes, 0)
    }

    fn from_node(nodes: &[TypeNode], at: usize) -> Result<SqlType, InvalidType> {
        let child = |index: u32| -> Result<SqlType, InvalidType> {
            let index = index as usize;
            if index <= at || index >= nodes.len() {
                return Err(InvalidType(format!(
                    "node {at} refers to node {index}; children must come after their parent, within the {} nodes",
                    nodes.len()
                )));
            }
            Self::from_node(nodes, index)
        };
        Ok(match &nodes[at] {
            TypeNode::Boolean => SqlType::Boolean,
            TypeNode::Int => SqlType::Int,
            TypeNode::BigInt => SqlType::BigInt,
            TypeNode::Double => SqlType::Double,
            TypeNode::Decimal { precision, scale } => SqlType::Decimal { precision: *precision, scale: *scale },
            TypeNode::String => SqlType::String,
            TypeNode::Bytes => SqlType::Bytes,
            TypeNode::Timestamp => SqlType::Timestamp,
            TypeNode::Date => SqlType::Date,
            TypeNode::Time => SqlType::Time,
            TypeNode::Array(element) => SqlType::Array(Box::new(child(*element)?)),
            TypeNode::Map { key, value } => SqlType::Map(Box::new(child(*key)?), Box::new(child(*value)?)),
            TypeNode::Struct(fields) => SqlType::Struct(
                fields.iter().map(|(name, ty)| Ok((name.clone(), child(*ty)?))).collect::<Result<_, _>>()?,
            ),
        })
    }
}

/// Prints the ksqlDB spelling: `INTEGER`, `ARRAY<STRING>`, `STRUCT<`A` INTEGER>`.
impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Boolean => f.write_str("BOOLEAN"),
            SqlType::Int => f.write_str("INTEGER"),
            SqlType::BigInt => f.write_str("BIGINT"),
            SqlType::Double => f.write_str("DOUBLE"),
            SqlType::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            SqlType::String => f.write_str("STRING"),
            SqlType::Bytes => f.write_str("BYTES"),
            SqlType::Timestamp => f.write_str("TIMESTAMP"),
            SqlType::Date => f.write_str("DATE"),
            SqlType::Time => f.write_str("TIME"),
            SqlType::Array(element) => write!(f, "ARRAY<{element}>"),
            SqlType::Map(key, value) => write!(f, "MAP<{key}, {value}>"),
            SqlType::Struct(fields) => {
                f.write_str("STRUCT<")?;
                for (i, (name, ty)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{name}` {ty}")?;
                }
                f.write_str(">")
            }
        }
    }
}

/// What a function does with NULL arguments (the WIT `null-handling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullHandling {
    /// Any NULL argument gives a NULL result; the author's code never sees such rows.
    NullOnNull,
    /// The function sees NULL arguments and decides itself.
    CalledOnNull,
}

/// Whether a result depends only on the arguments (the WIT `determinism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Determinism {
    Deterministic,
    Nondeterministic,
}

/// One parameter: a name for signatures and messages, and its type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    pub name: String,
    pub ty: SqlType,
}

/// A function as `describe` reports it (the WIT `function-def`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FunctionDef {
    /// The SQL name, matched case-insensitively by the host.
    pub name: String,
    pub params: Vec<Param>,
    /// The last parameter repeats.
    pub variadic: bool,
    pub returns: SqlType,
    pub null_handling: NullHandling,
    pub determinism: Determinism,
    /// One line for `DESCRIBE FUNCTION`; may be empty.
    pub description: String,
}

impl FunctionDef {
    /// A deterministic, null-on-null function with no description.
    pub fn new(name: impl Into<String>, params: Vec<Param>, returns: SqlType) -> FunctionDef {
        FunctionDef {
            name: name.into(),
            params,
            variadic: false,
            returns,
            null_handling: NullHandling::NullOnNull,
            determinism: Determinism::Deterministic,
            description: String::new(),
        }
    }

    /// The SQL signature, `NAME(p1 TYPE, ...) RETURNS TYPE`, for messages.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let dots = if self.variadic && i + 1 == self.params.len() { "..." } else { "" };
                format!("{} {}{dots}", p.name, p.ty)
            })
            .collect();
        format!("{}({}) RETURNS {}", self.name, params.join(", "), self.returns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested() -> SqlType {
        SqlType::Struct(vec![
            ("ID".into(), SqlType::BigInt),
            ("TAGS".into(), SqlType::Map(Box::new(SqlType::String), Box::new(SqlType::Array(Box::new(SqlType::Int))))),
            ("PRICE".into(), SqlType::Decimal { precision: 10, scale: 2 }),
        ])
    }

    #[test]
    fn nested_types_flatten_parent_first_and_round_trip() {
        let ty = SqlType::Map(Box::new(SqlType::String), Box::new(SqlType::Array(Box::new(SqlType::Int))));
        assert_eq!(
            ty.to_nodes(),
            vec![TypeNode::Map { key: 1, value: 2 }, TypeNode::String, TypeNode::Array(3), TypeNode::Int]
        );
        assert_eq!(SqlType::from_nodes(&ty.to_nodes()), Ok(ty));
        assert_eq!(SqlType::from_nodes(&nested().to_nodes()), Ok(nested()));
    }

    #[test]
    fn node_lists_that_are_not_trees_are_refused() {
        assert!(SqlType::from_nodes(&[]).is_err());
        // A self-reference would recurse forever; an index past the end is garbage.
        assert!(SqlType::from_nodes(&[TypeNode::Array(0)]).is_err());
        assert!(SqlType::from_nodes(&[TypeNode::Array(1)]).is_err());
        let err = SqlType::from_nodes(&[TypeNode::Int, TypeNode::Array(0)]);
        assert_eq!(err, Ok(SqlType::Int), "unreached nodes are ignored");
    }

    #[test]
    fn types_print_as_ksqldb_spells_them() {
        assert_eq!(
            nested().to_string(),
            "STRUCT<`ID` BIGINT, `TAGS` MAP<STRING, ARRAY<INTEGER>>, `PRICE` DECIMAL(10, 2)>"
        );
        let mut def = FunctionDef::new(
            "concat_all",
            vec![
                Param { name: "sep".into(), ty: SqlType::String },
                Param { name: "parts".into(), ty: SqlType::String },
            ],
            SqlType::String,
        );
        def.variadic = true;
        assert_eq!(def.signature(), "concat_all(sep STRING, parts STRING...) RETURNS STRING");
    }
}
