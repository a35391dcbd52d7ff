//! The host planner: a `LogicalPlan` plus the source's definition becomes a
//! [`Pipeline`]: a decoder, a chain of operators and the output layout.

use wasp_sql::plan::{ColumnRole, ROWKEY, ROWOFFSET, ROWPARTITION, ROWTIME};
use wasp_sql::{BoundExpr, DataType, LogicalPlan, Schema, Value};

use crate::api::EngineError;
use crate::catalog::SourceDef;
use crate::expr::Evaluator;
use crate::formats::RowCodec;
use crate::operators::{Aggregate, AssignTimestamp, Filter, InputSlots, Operator, Project, StreamTableJoin};
use crate::udf::FunctionRegistry;

/// Positions of the pseudo-columns in a source row.
#[derive(Debug, Clone, Copy)]
pub struct PseudoSlots {
    pub rowtime: usize,
    pub partition: usize,
    pub offset: usize,
    pub rowkey: Option<usize>,
}

impl PseudoSlots {
    pub fn of(schema: &Schema) -> Result<PseudoSlots, EngineError> {
        let find = |n: &str| {
            schema.index_of(n).ok_or_else(|| EngineError::Internal(format!("row layout lacks pseudo-column {n}")))
        };
        Ok(PseudoSlots {
            rowtime: find(ROWTIME)?,
            partition: find(ROWPARTITION)?,
            offset: find(ROWOFFSET)?,
            rowkey: schema.index_of(ROWKEY),
        })
    }
}

/// A stage and the positions of ROWPARTITION/ROWOFFSET in its input.
pub struct Stage {
    pub operator: Box<dyn Operator>,
    pub origin_columns: (usize, usize),
}

/// The physical form of a query over one source.
pub struct Pipeline {
    pub source: SourceDef,
    pub input_schema: Schema,
    pub decoder: RowCodec,
    pub pseudo: PseudoSlots,
    pub stages: Vec<Stage>,
    pub output_schema: Schema,
    pub limit: Option<u64>,
    /// The timestamp of each output record, in epoch milliseconds, when the sink has a
    /// `TIMESTAMP` column (`CREATE STREAM ... WITH (TIMESTAMP='col') AS SELECT`);
    /// otherwise records carry the input's `ROWTIME`.
    pub output_timestamp: Option<Evaluator>,
    /// Per key column of a re-keyed output (`PARTITION BY`), whether a record without a
    /// value gets NULL there: its expression reads a value or pseudo column, which such
    /// a record does not have (ksqlDB's rule; an expression over key columns only is
    /// computed). Empty when the query keeps its input's key.
    pub tombstone_null_keys: Vec<bool>,
}

impl Pipeline {
    /// Builds the pipeline for `plan`, whose source is `source` (and which joins no
    /// table).
    pub fn build(plan: &LogicalPlan, source: &SourceDef, registry: &FunctionRegistry) -> Result<Pipeline, EngineError> {
        Pipeline::build_joined(plan, source, &[], registry)
    }

    /// Builds the pipeline for `plan`, whose stream is `source` and whose joined
    /// tables are among `tables`.
    pub fn build_joined(
        plan: &LogicalPlan,
        source: &SourceDef,
        tables: &[SourceDef],
        registry: &FunctionRegistry,
    ) -> Result<Pipeline, EngineError> {
        let mut nodes = Vec::new();
        let mut cur = plan;
        loop {
            nodes.push(cur);
            cur = match cur {
                LogicalPlan::Source { .. } => break,
                LogicalPlan::Filter { input, .. }
                | LogicalPlan::Project { input, .. }
                | LogicalPlan::Aggregate { input, .. }
                | LogicalPlan::Repartition { input, .. }
                | LogicalPlan::Limit { input, .. } => input,
                LogicalPlan::Join { left, .. } => left,
            };
        }
        nodes.reverse();
        let LogicalPlan::Source { schema: input_schema, .. } = nodes[0] else {
            return Err(EngineError::Internal("plan has no source".into()));
        };
        let pseudo = PseudoSlots::of(input_schema)?;
        let compile =
            |e: &BoundExpr| Evaluator::compile(e, registry).map_err(|e| EngineError::Statement(e.to_string()));
        let mut stages = Vec::new();
        if let Some(ts) = &source.timestamp {
            let extractor = timestamp_extractor(source, input_schema, ts)?;
            stages.push(Stage {
                operator: Box::new(AssignTimestamp::new(compile(&extractor)?, ts.clone(), pseudo.rowtime)),
                origin_columns: (pseudo.partition, pseudo.offset),
            });
        }
        let mut current_schema = input_schema.clone();
        let mut limit = None;
        let mut after_aggregate_having = false;
        for (at, node) in nodes.iter().enumerate().skip(1) {
            if std::mem::take(&mut after_aggregate_having) {
                continue; // the HAVING filter, which the aggregate applies itself
            }
            let origin = (
                current_schema.index_of(ROWPARTITION).unwrap_or(usize::MAX),
                current_schema.index_of(ROWOFFSET).unwrap_or(usize::MAX),
            );
            match node {
                LogicalPlan::Filter { predicate, .. } => stages.push(Stage {
                    operator: Box::new(Filter::new(compile(predicate)?, predicate.to_string())),
                    origin_columns: origin,
                }),
                LogicalPlan::Project { exprs, schema, .. } => {
                    let evaluators = exprs.iter().map(compile).collect::<Result<Vec<_>, _>>()?;
                    let names = exprs
                        .iter()
                        .zip(&schema.fields)
                        .map(
                            |(e, f)| {
                                if e.to_string() == f.name {
                                    f.name.clone()
                                } else {
                                    format!("{e} AS {}", f.name)
                                }
                            },
                        )
                        .collect();
                    stages.push(Stage { operator: Box::new(Project::new(evaluators, names)), origin_columns: origin });
                    current_schema = schema.clone();
                }
                LogicalPlan::Aggregate { keys, calls, window, schema, .. } => {
                    let slot = |name: &str| {
                        current_schema
                            .index_of(name)
                            .ok_or_else(|| EngineError::Internal(format!("aggregate input lacks {name}")))
                    };
                    let slots = InputSlots {
                        rowtime: slot(ROWTIME)?,
                        partition: slot(ROWPARTITION)?,
                        offset: slot(ROWOFFSET)?,
                    };
                    let key_types: Vec<DataType> = keys.iter().map(BoundExpr::data_type).collect();
                    let key_evals = keys.iter().map(compile).collect::<Result<Vec<_>, _>>()?;
                    let args = calls
                        .iter()
                        .map(|c| c.args.iter().map(compile).collect::<Result<Vec<_>, _>>())
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut described = node.to_string().lines().next().unwrap_or_default().trim().to_owned();
                    let having = match nodes.get(at + 1) {
                        Some(LogicalPlan::Filter { predicate, .. }) => {
                            after_aggregate_having = true;
                            described = format!("{described} having [{predicate}]");
                            Some(compile(predicate)?)
                        }
                        _ => None,
                    };
                    let aggregate = Aggregate::new(
                        key_evals,
                        &key_types,
                        args,
                        calls.clone(),
                        window.clone(),
                        having,
                        slots,
                        described,
                    )
                    .map_err(EngineError::Statement)?;
                    stages.push(Stage { operator: Box::new(aggregate), origin_columns: origin });
                    current_schema = schema.clone();
                }
                LogicalPlan::Join { right, kind, left_key, right_key, schema, .. } => {
                    let name = right.source_name();
                    let table = tables
                        .iter()
                        .find(|t| t.name == name)
                        .ok_or_else(|| EngineError::Internal(format!("joined table {name} is not known")))?;
                    let rowtime = current_schema
                        .index_of(ROWTIME)
                        .ok_or_else(|| EngineError::Internal("join input lacks ROWTIME".into()))?;
                    let described = format!(
                        "StreamTableJoin[{}, {left_key} = {name}.{}, table topic={}]",
                        kind.keywords(),
                        right.schema().fields[*right_key].name,
                        table.topic
                    );
                    let join = StreamTableJoin::new(
                        *kind,
                        compile(left_key)?,
                        rowtime,
                        table.clone(),
                        &right.schema().fields,
                        *right_key,
                        described,
                    )
                    .map_err(EngineError::Statement)?;
                    stages.push(Stage { operator: Box::new(join), origin_columns: origin });
                    current_schema = schema.clone();
                }
                LogicalPlan::Repartition { schema, .. } => current_schema = schema.clone(),
                LogicalPlan::Limit { n, .. } => limit = Some(*n),
                LogicalPlan::Source { .. } => {}
            }
        }
        let mut decoder = RowCodec::new(&input_schema.fields, source.key_format.clone(), source.value_format.clone());
        decoder.set_needed(&needed_columns(&nodes, input_schema.len(), source, input_schema));
        // Only stages that keep every row may see a tombstone (the sink writes it back).
        if source.timestamp.is_some()
            || nodes.iter().any(|n| {
                matches!(n, LogicalPlan::Filter { .. } | LogicalPlan::Aggregate { .. } | LogicalPlan::Join { .. })
            })
        {
            decoder.drop_tombstones();
        }
        Ok(Pipeline {
            source: source.clone(),
            input_schema: input_schema.clone(),
            decoder,
            pseudo,
            stages,
            output_schema: plan.schema().clone(),
            limit,
            output_timestamp: None,
            tombstone_null_keys: nodes
                .iter()
                .find_map(|n| match n {
                    LogicalPlan::Repartition { keys, .. } => {
                        Some(keys.iter().map(|k| reads_non_key(k, input_schema)).collect())
                    }
                    _ => None,
                })
                .unwrap_or_default(),
        })
    }

    /// Stamps the records written to `sink` from its `TIMESTAMP` column, as ksqlDB does.
    pub fn stamp_output(&mut self, sink: &SourceDef, registry: &FunctionRegistry) -> Result<(), EngineError> {
        let Some(column) = &sink.timestamp else { return Ok(()) };
        let extractor = timestamp_extractor(sink, &self.output_schema, column)?;
        self.output_timestamp =
            Some(Evaluator::compile(&extractor, registry).map_err(|e| EngineError::Statement(e.to_string()))?);
        Ok(())
    }

    /// The physical plan as indented text, sink first.
    pub fn explain(&self, sink: Option<&SourceDef>) -> String {
        let mut lines = Vec::new();
        if let Some(s) = sink {
            lines.push(format!("Sink[topic={}, key={}, value={}]", s.topic, s.key_format, s.value_format));
        } else {
            lines.push("Client[push]".to_owned());
        }
        if let Some(n) = self.limit {
            lines.push(format!("Limit[{n}]"));
        }
        for stage in self.stages.iter().rev() {
            lines.push(stage.operator.describe());
        }
        lines.push(format!(
            "Source[topic={}, key={}, value={}]",
            self.source.topic, self.source.key_format, self.source.value_format
        ));
        lines.iter().enumerate().map(|(i, l)| format!("{}{l}\n", "  ".repeat(i))).collect()
    }
}

/// Whether `e` reads a column that is not a key column of `schema`.
fn reads_non_key(e: &BoundExpr, schema: &Schema) -> bool {
    let mut found = false;
    e.visit(&mut |n| {
        if let BoundExpr::Column { index, .. } = n {
            found |= schema.fields.get(*index).is_none_or(|f| f.role != ColumnRole::Key);
        }
    });
    found
}

/// Which input columns the plan reads: everything up to and including the first
/// projection is bound against the source row, and so is the TIMESTAMP column.
fn needed_columns(nodes: &[&LogicalPlan], width: usize, source: &SourceDef, schema: &Schema) -> Vec<bool> {
    let mut needed = vec![false; width];
    if let Some(ts) = source.timestamp.as_ref().and_then(|t| schema.index_of(t)) {
        needed[ts] = true;
    }
    let mut mark = |e: &BoundExpr| {
        e.visit(&mut |n| {
            if let BoundExpr::Column { index, .. } = n {
                if let Some(flag) = needed.get_mut(*index) {
                    *flag = true;
                }
            }
        })
    };
    for node in nodes {
        match node {
            LogicalPlan::Filter { predicate, .. } => mark(predicate),
            LogicalPlan::Join { left_key, .. } => mark(left_key),
            LogicalPlan::Project { exprs, .. } => {
                exprs.iter().for_each(&mut mark);
                break;
            }
            LogicalPlan::Aggregate { keys, calls, .. } => {
                keys.iter().for_each(&mut mark);
                calls.iter().flat_map(|c| &c.args).for_each(&mut mark);
                break;
            }
            _ => {}
        }
    }
    needed
}

/// An expression computing epoch milliseconds from the source's TIMESTAMP column.
fn timestamp_extractor(source: &SourceDef, schema: &Schema, column: &str) -> Result<BoundExpr, EngineError> {
    let index = schema
        .index_of(column)
        .ok_or_else(|| EngineError::Statement(format!("TIMESTAMP column {column} does not exist")))?;
    let data_type = schema.fields[index].data_type.clone();
    let col = BoundExpr::Column { index, name: column.to_owned(), data_type: data_type.clone() };
    Ok(match data_type {
        DataType::BigInt | DataType::Int => col.cast_to(&DataType::BigInt),
        DataType::Timestamp => BoundExpr::Cast { expr: Box::new(col), data_type: DataType::BigInt },
        DataType::String => match &source.timestamp_format {
            Some(fmt) => BoundExpr::Function {
                name: "STRINGTOTIMESTAMP".into(),
                args: vec![col, BoundExpr::Literal { value: Value::string(fmt), data_type: DataType::String }],
                data_type: DataType::BigInt,
            },
            None => BoundExpr::Cast {
                expr: Box::new(BoundExpr::Cast { expr: Box::new(col), data_type: DataType::Timestamp }),
                data_type: DataType::BigInt,
            },
        },
        other => {
            return Err(EngineError::Statement(format!(
                "TIMESTAMP column {column} must be BIGINT, TIMESTAMP or STRING (with TIMESTAMP_FORMAT), not {other}"
            )))
        }
    })
}
