//! Pull queries: `SELECT ... FROM table [WHERE ...]` without `EMIT CHANGES`, answered
//! from the state of the query that builds the table, as of its last checkpoint.
//!
//! The table's writer is an aggregation. Its pipeline is built afresh: the aggregate
//! stage reads the groups from the store (only the key asked for, when the WHERE names
//! one), the stages after it (its projection) turn them into the table's rows, and the
//! pull query's own filter and projection run over those.

use wasp_sql::ast::BinaryOp;
use wasp_sql::ast::Query;
use wasp_sql::expr::BoundExpr;
use wasp_sql::plan::plan_pull;
use wasp_sql::ColumnRole;

use super::*;
use crate::batch::Batch;
use crate::columnar::value_at;
use crate::operators::OpContext;

impl Engine {
    pub(super) fn pull_query(&self, q: &Query) -> Result<PushQuery, EngineError> {
        let (plan, table, writer, writer_source) = {
            let st = self.lock();
            let bind = BindCatalog { catalog: &st.catalog, functions: &self.functions };
            let plan = plan_pull(q, &bind)?;
            let table = st.catalog.sources.get(plan.source_name()).cloned();
            let table = table.ok_or_else(|| EngineError::Internal("planned source vanished".into()))?;
            let writer = st.catalog.writers(&table.name).into_iter().find(|w| w.id.starts_with("CTAS_")).cloned();
            let writer = writer.ok_or_else(|| {
                EngineError::Statement(format!(
                    "Table '{}' is not materialized: pull queries read tables built by CREATE TABLE ... AS SELECT",
                    table.name
                ))
            })?;
            let source = st.catalog.sources.get(&writer.source).cloned();
            let source = source.ok_or_else(|| EngineError::Internal("the writer's source vanished".into()))?;
            (plan, table, writer, source)
        };
        let Some(data_dir) = &self.config.data_dir else {
            return Err(EngineError::Statement("pull queries need a data directory, where state is kept".into()));
        };
        let columns: Vec<ColumnInfo> = plan
            .schema()
            .stored()
            .map(|f| ColumnInfo { name: f.name.clone(), data_type: f.data_type.clone() })
            .collect();

        // The table's rows, from the writer's state.
        let mut writer_pipeline = self.build_pipeline(&writer.plan, &writer_source)?;
        // The table is the last stateful stage's (a joined table's comes before it).
        let at = writer_pipeline
            .stages
            .iter()
            .rposition(|s| s.operator.is_stateful())
            .ok_or_else(|| EngineError::Internal(format!("{} keeps no state", writer.id)))?;
        let dir = data_dir.join("state").join(&writer.id).join(format!("stage-{at}"));
        let key = key_lookup(&plan);
        let mut batch = writer_pipeline.stages[at]
            .operator
            .read_state(&dir, key.as_deref())
            .ok_or_else(|| EngineError::Internal(format!("{} keeps no state", writer.id)))?
            .map_err(|e| EngineError::Internal(format!("reading the state of {}: {e}", writer.id)))?;
        let mut ctx = OpContext::default();
        for stage in &mut writer_pipeline.stages[at + 1..] {
            if batch.rows == 0 {
                break;
            }
            ctx.origin_columns = stage.origin_columns;
            stage.operator.process(&mut batch, &mut ctx);
        }

        // Laid out as the pull query's source row, then through its filter and projection.
        let mut pull = Pipeline::build(&plan, &table, &self.functions)?;
        let table_row = &pull.input_schema;
        let mut rows = Vec::new();
        if batch.rows > 0 {
            let layout = &writer_pipeline.output_schema;
            let picked: Option<Vec<_>> =
                table_row.fields.iter().map(|f| layout.index_of(&f.name).map(|i| batch.columns[i].clone())).collect();
            let picked = picked
                .ok_or_else(|| EngineError::Internal(format!("{} lacks a column of {}", writer.id, table.name)))?;
            let mut batch = Batch::new(picked, batch.rows);
            for stage in &mut pull.stages {
                if batch.rows == 0 {
                    break;
                }
                ctx.origin_columns = stage.origin_columns;
                stage.operator.process(&mut batch, &mut ctx);
            }
            if let Some(limit) = pull.limit {
                batch.truncate(limit as usize);
            }
            let visible: Vec<usize> = pull
                .output_schema
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.role != ColumnRole::Pseudo)
                .map(|(i, _)| i)
                .collect();
            for r in 0..batch.rows {
                rows.push(Ok(visible.iter().map(|c| value_at(batch.columns[*c].as_ref(), r)).collect()));
            }
        }
        let id = format!("pull_{}_{}", table.name, uuid::Uuid::new_v4().as_u64_pair().0 >> 1);
        Ok(PushQuery { id, columns, rows: futures::stream::iter(rows).boxed(), pull: true })
    }
}

/// The key a pull query asks for: `WHERE key = literal` on a table with one key
/// column (either side, inside an AND), which reads only that key's groups.
fn key_lookup(plan: &LogicalPlan) -> Option<Vec<Value>> {
    let mut node = plan;
    let (predicate, schema) = loop {
        match node {
            LogicalPlan::Filter { input, predicate } => break (predicate, input.schema()),
            LogicalPlan::Project { input, .. } | LogicalPlan::Limit { input, .. } => node = input,
            _ => return None,
        }
    };
    let keys: Vec<usize> =
        schema.fields.iter().enumerate().filter(|(_, f)| f.role == ColumnRole::Key).map(|(i, _)| i).collect();
    let [key] = keys.as_slice() else { return None };
    equality(predicate, *key)
}

fn equality(e: &BoundExpr, key: usize) -> Option<Vec<Value>> {
    let BoundExpr::Binary { op, left, right, .. } = e else { return None };
    match op {
        BinaryOp::And => equality(left, key).or_else(|| equality(right, key)),
        BinaryOp::Eq => match (left.as_ref(), right.as_ref()) {
            (BoundExpr::Column { index, data_type, .. }, BoundExpr::Literal { value, data_type: literal })
            | (BoundExpr::Literal { value, data_type: literal }, BoundExpr::Column { index, data_type, .. })
                if *index == key && *value != Value::Null && data_type == literal =>
            {
                Some(vec![value.clone()])
            }
            _ => None,
        },
        _ => None,
    }
}
