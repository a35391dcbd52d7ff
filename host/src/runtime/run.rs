//! One attempt of a query: from a fresh source at the committed offsets until the
//! query stops, reaches its LIMIT or end of input, or fails.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use wasp_sql::aggregate::{WINDOWEND, WINDOWSTART};
use wasp_sql::ast::WindowKind;
use wasp_sql::plan::{ROWOFFSET, ROWPARTITION, ROWTIME};
use wasp_sql::{ColumnRole, Value};

use super::commit::{complete, drain, Committer, InFlight};
use super::supervisor::RunError;
use super::{Output, RunSpec};
use crate::columnar::{value_at, Operand};
use crate::connectors::AckTicket;
use crate::formats::RowCodec;
use crate::operators::{Failure, FailureKind, OpContext};
use crate::planner::Pipeline;

/// How an attempt ended without error.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Exit {
    Stopped,
    LimitReached,
    EndOfInput,
    ClientGone,
}

/// Runs one attempt. `emitted` counts the rows a LIMIT has seen, across attempts.
pub(super) fn run_attempt(spec: &RunSpec, mut pipeline: Pipeline, emitted: &mut u64) -> Result<Exit, RunError> {
    let topic = pipeline.source.topic.clone();
    let mut source = spec.broker.source(&topic, &spec.source_options).map_err(|e| e.to_string())?;
    let (mut sink, out_codec, sink_topic) = match &spec.output {
        Output::Topic(def) => (
            Some(spec.broker.sink().map_err(|e| e.to_string())?),
            Some(RowCodec::new(&pipeline.output_schema.fields, def.key_format.clone(), def.value_format.clone())),
            def.topic.clone(),
        ),
        Output::Channel(_) => (None, None, String::new()),
    };
    // The key columns a re-keyed record without a value gets NULL in (see
    // `Pipeline::tombstone_null_keys`), found once.
    let tombstone_null_keys: Vec<usize> = out_codec.as_ref().map_or_else(Vec::new, |codec| {
        codec
            .key_columns()
            .iter()
            .zip(&pipeline.tombstone_null_keys)
            .filter(|(_, null)| **null)
            .map(|(c, _)| *c)
            .collect()
    });
    let out_rowtime = pipeline.output_schema.index_of(ROWTIME);
    // A windowed table's record key is its key followed by the window's bounds, as
    // Kafka Streams' windowed serdes write them.
    let windowed = match &spec.output {
        Output::Topic(def) => def.window.and_then(|kind| {
            let start = pipeline.output_schema.index_of(WINDOWSTART)?;
            let end = pipeline.output_schema.index_of(WINDOWEND)?;
            Some((kind, start, end))
        }),
        Output::Channel(_) => None,
    };
    let mut window_key: Vec<u8> = Vec::new();
    // A record without a key whose key has several columns keeps no key when the
    // query passes its key through (ksqlDB writes the key it read, null); its key
    // columns are NULL, which a record keyed {"A":null,"B":null} has too, so such
    // records are told apart by where they came from.
    let keyless_origin =
        match (&spec.output, pipeline.output_schema.index_of(ROWPARTITION), pipeline.output_schema.index_of(ROWOFFSET))
        {
            (Output::Topic(_), Some(p), Some(o))
                if pipeline.tombstone_null_keys.is_empty() && pipeline.source.key_fields().count() > 1 =>
            {
                Some((p, o))
            }
            _ => None,
        };
    let mut keyless: Vec<(i32, i64)> = Vec::new();
    let visible: Vec<usize> = pipeline
        .output_schema
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.role != ColumnRole::Pseudo)
        .map(|(i, _)| i)
        .collect();
    let mut ctx = OpContext::default();
    let mut decode_failures: Vec<Failure> = Vec::new();
    let mut offsets: Vec<(i32, i64)> = Vec::new();
    let mut in_flight: VecDeque<InFlight> = VecDeque::new();
    let mut committer = Committer::default();
    let mut timings = Timings::default();
    // Stateful stages keep their state from where their last checkpoint left it.
    let stateful = pipeline.stages.iter().any(|s| s.operator.is_stateful());
    for (i, stage) in pipeline.stages.iter_mut().enumerate() {
        if stage.operator.is_stateful() {
            let dir = spec.state_dir.as_ref().map(|d| d.join(format!("stage-{i}")));
            let env = crate::operators::OpenEnv { state_dir: dir.as_deref(), broker: &spec.broker };
            stage.operator.open(&env).map_err(|e| format!("opening the state of {}: {e}", spec.query_id))?;
        }
    }
    let mut checkpoint = stateful.then(Instant::now);
    let (mut key_buf, mut value_buf) = (Vec::with_capacity(64), Vec::with_capacity(512));
    spec.stats.set_state("RUNNING", None);

    loop {
        if spec.stop.load(Ordering::Acquire) {
            if let Some(s) = sink.as_mut() {
                let _ = s.flush(Duration::from_secs(10));
            }
            settle(
                &mut pipeline.stages,
                &mut checkpoint,
                &mut in_flight,
                &mut committer,
                source.as_mut(),
                &spec.stats,
                true,
                true,
                true,
            )?;
            tracing::debug!(query = %spec.query_id, ?timings, "query stopped");
            return Ok(Exit::Stopped);
        }
        offsets.clear();
        decode_failures.clear();
        keyless.clear();
        let decoder = &mut pipeline.decoder;
        // With output waiting for acknowledgements or offsets waiting for their
        // commit, come back soon to commit them: the last records of a burst count as
        // done only once committed.
        let poll_timeout = if in_flight.is_empty() && !committer.pending() {
            Duration::from_millis(100)
        } else {
            Duration::from_millis(5)
        };
        let poll_started = Instant::now();
        let n = source
            .poll(spec.batch_size, poll_timeout, &mut |rec| {
                match offsets.iter_mut().find(|(p, _)| *p == rec.partition) {
                    Some(slot) => slot.1 = slot.1.max(rec.offset + 1),
                    None => offsets.push((rec.partition, rec.offset + 1)),
                }
                if rec.key.is_none() && keyless_origin.is_some() {
                    keyless.push((rec.partition, rec.offset));
                }
                let ts = rec.timestamp.unwrap_or(0);
                if let Err(e) = decoder.decode(rec.key, rec.value, ts, rec.partition, rec.offset) {
                    decode_failures.push(Failure {
                        kind: FailureKind::Deserialization,
                        partition: rec.partition,
                        offset: rec.offset,
                        message: format!("failed to deserialize record: {e}"),
                        topic: None,
                    })
                }
            })
            .map_err(|e| e.to_string())?;
        let mut batch = pipeline.decoder.finish();
        // Rows of records with a null value: the stages keep every row of a batch that
        // has any (the decoder drops them otherwise), so they stay at these positions.
        let mut tombstones = pipeline.decoder.tombstones().to_vec();

        timings.poll += poll_started.elapsed();
        let work_started = Instant::now();
        if n > 0 {
            spec.stats.record(n);
            ctx.failures.clear();
            ctx.tombstones.clear();
            for stage in &mut pipeline.stages {
                if batch.rows == 0 {
                    break;
                }
                ctx.origin_columns = stage.origin_columns;
                stage.operator.process(&mut batch, &mut ctx);
            }
            decode_failures.append(&mut ctx.failures);
            if !ctx.tombstones.is_empty() {
                tombstones = std::mem::take(&mut ctx.tombstones);
            }
            if !decode_failures.is_empty() {
                spec.stats.failures.fetch_add(decode_failures.len() as u64, Ordering::Relaxed);
                // Failures of a joined table's records name its topic.
                let (own, other): (Vec<Failure>, Vec<Failure>) =
                    decode_failures.drain(..).partition(|f| f.topic.is_none());
                spec.log.report(&spec.query_id, &topic, &own);
                for f in &other {
                    spec.log.report(&spec.query_id, f.topic.as_deref().unwrap_or(&topic), std::slice::from_ref(f));
                }
            }
            let mut rows = batch.rows;
            let mut limit_hit = false;
            if let Some(limit) = pipeline.limit {
                let remaining = limit.saturating_sub(*emitted) as usize;
                if rows >= remaining {
                    rows = remaining;
                    limit_hit = true;
                }
            }
            match &spec.output {
                Output::Topic(_) => {
                    let ticket = AckTicket::new();
                    // A batch whose rows were all filtered out may have stopped short of
                    // the last stages, so it may not have the output's layout: skip it.
                    if let (Some(s), Some(codec), true) = (sink.as_mut(), out_codec.as_ref(), rows > 0) {
                        // The timestamps first: a key column that is NULL for a
                        // tombstone may be ROWTIME itself (`PARTITION BY ROWTIME`),
                        // and the record keeps its timestamp all the same.
                        let times = match &pipeline.output_timestamp {
                            Some(stamp) => {
                                let mut errors = crate::udf::RowErrors::default();
                                Some(stamp.eval(&batch, &mut errors))
                            }
                            None => out_rowtime.map(|c| Operand::Array(batch.columns[c].clone())),
                        };
                        if !tombstones.is_empty() && !tombstone_null_keys.is_empty() {
                            null_keys(&mut batch, &tombstone_null_keys, &tombstones);
                        }
                        let times = times.as_ref().map(Operand::ints);
                        let stamped = pipeline.output_timestamp.is_some();
                        let origins = keyless_origin.filter(|_| !keyless.is_empty()).map(|(p, o)| {
                            (Operand::Array(batch.columns[p].clone()), Operand::Array(batch.columns[o].clone()))
                        });
                        let origins = origins.as_ref().map(|(p, o)| (p.ints(), o.ints()));
                        let bounds = windowed.map(|(kind, s, e)| {
                            (kind, Operand::Array(batch.columns[s].clone()), Operand::Array(batch.columns[e].clone()))
                        });
                        let bounds = bounds.as_ref().map(|(kind, s, e)| (*kind, s.ints(), e.ints()));
                        codec.encode(&batch, rows, &mut key_buf, &mut value_buf, |row, key, value| {
                            let key = match (&bounds, key) {
                                (Some((kind, starts, ends)), Some(k)) => {
                                    let (start, end) = (starts.get(row).unwrap_or(0), ends.get(row).unwrap_or(0));
                                    window_key.clear();
                                    window_key.extend_from_slice(k);
                                    if matches!(kind, WindowKind::Session { .. }) {
                                        window_key.extend_from_slice(&end.to_be_bytes());
                                    }
                                    window_key.extend_from_slice(&start.to_be_bytes());
                                    Some(window_key.as_slice())
                                }
                                (_, key) => key,
                            };
                            let ts = times.as_ref().and_then(|t| t.get(row));
                            // A sink TIMESTAMP column that is NULL or negative drops the
                            // record, as ksqlDB's timestamp extractor does.
                            if stamped && ts.is_none_or(|t| t < 0) {
                                return Ok(());
                            }
                            let ts = ts.unwrap_or(0);
                            let value = (tombstones.binary_search(&row).is_err()).then_some(value);
                            let key = match &origins {
                                Some((p, o)) => {
                                    let origin = (p.get(row).unwrap_or(-1) as i32, o.get(row).unwrap_or(-1));
                                    key.filter(|_| !keyless.contains(&origin))
                                }
                                None => key,
                            };
                            s.send(&sink_topic, key, value, ts, &ticket)
                                .map_err(|e| format!("producing to {sink_topic}: {e}"))
                        })?;
                        s.dispatch().map_err(|e| format!("producing to {sink_topic}: {e}"))?;
                    }
                    in_flight.push_back(InFlight { ticket, offsets: offsets.clone(), records: n as u64 });
                }
                Output::Channel(tx) => {
                    for r in 0..rows {
                        if tombstones.binary_search(&r).is_ok() {
                            // A push query has no row to show for a record without a value.
                            continue;
                        }
                        let values: Vec<Value> =
                            visible.iter().map(|c| value_at(batch.columns[*c].as_ref(), r)).collect();
                        if tx.blocking_send(Ok(values)).is_err() {
                            return Ok(Exit::ClientGone);
                        }
                    }
                }
            }
            timings.work += work_started.elapsed();
            timings.batches += 1;
            *emitted += rows as u64;
            spec.stats.messages_out.fetch_add(rows as u64, Ordering::Relaxed);
            if limit_hit {
                if let Some(s) = sink.as_mut() {
                    let _ = s.flush(Duration::from_secs(30));
                }
                settle(
                    &mut pipeline.stages,
                    &mut checkpoint,
                    &mut in_flight,
                    &mut committer,
                    source.as_mut(),
                    &spec.stats,
                    true,
                    true,
                    true,
                )?;
                return Ok(Exit::LimitReached);
            }
        }
        if n == 0 {
            for stage in &mut pipeline.stages {
                stage.operator.idle();
            }
        }
        settle(
            &mut pipeline.stages,
            &mut checkpoint,
            &mut in_flight,
            &mut committer,
            source.as_mut(),
            &spec.stats,
            false,
            n == 0,
            n < spec.batch_size,
        )?;
        if let Output::Channel(tx) = &spec.output {
            if tx.is_closed() {
                return Ok(Exit::ClientGone);
            }
        }
        if source.at_end() && in_flight.is_empty() {
            return Ok(Exit::EndOfInput);
        }
    }
}

/// How often a stateful query checkpoints its state and commits its offsets while
/// records flow (each checkpoint waits for the output in flight and syncs the store).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// Commits what is acknowledged, as [`complete`] does. A stateful pipeline (with
/// `checkpoint` set to its last checkpoint's time) commits only at a checkpoint:
/// every [`CHECKPOINT_INTERVAL`], or when forced, once nothing is in flight, its
/// stages write their state as of the offsets about to be committed, then the
/// offsets are committed. State and offsets thus never disagree after a crash by more
/// than the rows the state already holds, which the stages skip when replayed.
fn settle(
    stages: &mut [crate::planner::Stage],
    checkpoint: &mut Option<Instant>,
    in_flight: &mut VecDeque<InFlight>,
    committer: &mut Committer,
    source: &mut dyn crate::connectors::Source,
    stats: &super::QueryStats,
    wait: bool,
    force: bool,
    caught_up: bool,
) -> Result<(), RunError> {
    let Some(last) = checkpoint else {
        return Ok(complete(in_flight, committer, source, stats, wait, force, caught_up)?);
    };
    let due = wait || force || last.elapsed() >= CHECKPOINT_INTERVAL;
    drain(in_flight, committer, due)?;
    if !due || !in_flight.is_empty() || !committer.pending() {
        return Ok(());
    }
    for stage in stages.iter_mut() {
        stage.operator.checkpoint().map_err(|e| format!("checkpointing state: {e}"))?;
    }
    *last = Instant::now();
    Ok(committer.commit(source, stats, true, caught_up)?)
}

/// Where a query's thread spent its time (logged at debug level when it stops).
#[derive(Debug, Default)]
struct Timings {
    poll: Duration,
    work: Duration,
    batches: u64,
}

/// Sets `key_columns` of `rows` to NULL.
fn null_keys(batch: &mut crate::batch::Batch, key_columns: &[usize], rows: &[usize]) {
    let mut mask = vec![false; batch.rows];
    for &r in rows {
        if let Some(m) = mask.get_mut(r) {
            *m = true;
        }
    }
    let mask = arrow_array::BooleanArray::from(mask);
    for &c in key_columns {
        if let Some(column) = batch.columns.get(c) {
            if let Ok(nulled) = arrow_select::nullif::nullif(column.as_ref(), &mask) {
                batch.columns[c] = nulled;
            }
        }
    }
}
