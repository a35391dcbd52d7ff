//! SQL types between the host's [`DataType`] and the ABI's `sql-type` (a list of
//! nodes where containers point at their children by index).

use wasp_sql::{DataType, StructField as SqlField};

use super::bindings::{DecimalType, MapType, SqlType, StructField, TypeNode};

/// The ABI form of `t`.
pub fn to_wit(t: &DataType) -> SqlType {
    let mut nodes = Vec::new();
    push_node(t, &mut nodes);
    SqlType { nodes }
}

fn push_node(t: &DataType, nodes: &mut Vec<TypeNode>) {
    let at = nodes.len();
    nodes.push(TypeNode::Boolean);
    let node = match t {
        DataType::Boolean | DataType::Null => TypeNode::Boolean,
        DataType::Int => TypeNode::Int,
        DataType::BigInt => TypeNode::Bigint,
        DataType::Double => TypeNode::Double,
        DataType::Decimal { precision, scale } => {
            TypeNode::Decimal(DecimalType { precision: *precision, scale: *scale })
        }
        DataType::String => TypeNode::String,
        DataType::Bytes => TypeNode::Bytes,
        DataType::Timestamp => TypeNode::Timestamp,
        DataType::Date => TypeNode::Date,
        DataType::Time => TypeNode::Time,
        DataType::Array(item) => {
            let child = nodes.len() as u32;
            push_node(item, nodes);
            TypeNode::Array(child)
        }
        DataType::Map(k, v) => {
            let key = nodes.len() as u32;
            push_node(k, nodes);
            let value = nodes.len() as u32;
            push_node(v, nodes);
            TypeNode::Map(MapType { key, value })
        }
        DataType::Struct(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            for f in fields {
                let ty = nodes.len() as u32;
                push_node(&f.data_type, nodes);
                out.push(StructField { name: f.name.clone(), ty });
            }
            TypeNode::Struct(out)
        }
    };
    nodes[at] = node;
}

/// The host type of a `sql-type` a module described, or why it is malformed.
pub fn from_wit(t: &SqlType) -> Result<DataType, String> {
    if t.nodes.is_empty() {
        return Err("a type with no nodes".into());
    }
    node(&t.nodes, 0, 0)
}

fn node(nodes: &[TypeNode], at: usize, depth: usize) -> Result<DataType, String> {
    if depth > 32 {
        return Err("a type nested more than 32 levels deep".into());
    }
    let child = |i: u32| -> Result<DataType, String> {
        let i = i as usize;
        if i <= at || i >= nodes.len() {
            return Err(format!("type node {at} points at node {i}, which is not after it in the list"));
        }
        node(nodes, i, depth + 1)
    };
    Ok(match &nodes[at] {
        TypeNode::Boolean => DataType::Boolean,
        TypeNode::Int => DataType::Int,
        TypeNode::Bigint => DataType::BigInt,
        TypeNode::Double => DataType::Double,
        TypeNode::Decimal(d) => {
            if d.precision == 0 || d.precision > 38 || d.scale > d.precision {
                return Err(format!("DECIMAL({}, {}) is out of range", d.precision, d.scale));
            }
            DataType::Decimal { precision: d.precision, scale: d.scale }
        }
        TypeNode::String => DataType::String,
        TypeNode::Bytes => DataType::Bytes,
        TypeNode::Timestamp => DataType::Timestamp,
        TypeNode::Date => DataType::Date,
        TypeNode::Time => DataType::Time,
        TypeNode::Array(i) => DataType::Array(Box::new(child(*i)?)),
        TypeNode::Map(m) => DataType::Map(Box::new(child(m.key)?), Box::new(child(m.value)?)),
        TypeNode::Struct(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| Ok(SqlField { name: f.name.to_ascii_uppercase(), data_type: child(f.ty)? }))
                .collect::<Result<_, String>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_types_round_trip() {
        let t = DataType::Map(
            Box::new(DataType::String),
            Box::new(DataType::Array(Box::new(DataType::Struct(vec![
                SqlField { name: "A".into(), data_type: DataType::Decimal { precision: 10, scale: 2 } },
                SqlField { name: "B".into(), data_type: DataType::Timestamp },
            ])))),
        );
        assert_eq!(from_wit(&to_wit(&t)), Ok(t));
        assert_eq!(to_wit(&DataType::Array(Box::new(DataType::String))).nodes.len(), 2);
    }

    #[test]
    fn malformed_types_are_refused() {
        assert!(from_wit(&SqlType { nodes: vec![] }).is_err());
        let cycle = SqlType { nodes: vec![TypeNode::Array(0)] };
        assert!(from_wit(&cycle).unwrap_err().contains("not after it"));
    }
}
