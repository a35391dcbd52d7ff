//! Persistent queries over a real broker: `CREATE STREAM ... AS SELECT` and
//! `INSERT INTO ... SELECT` write exactly the records they should, with the
//! event time of their input as the record timestamp.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::broker::Tansu;
use crate::server::WaspServer;
use crate::support::{self, ksql_ok, query_id_of, read_topic, seal, wait_until_caught_up, Outgoing, SERVER_ARGS};

const RECORDS: i64 = 10_000;
const EU_RECORDS: i64 = 1_000;
const EU_FIRST_ID: i64 = 100_000;
const CUSTOMERS: [&str; 5] = ["alice", "bob", "carol", "dave", "eve"];
/// Event times lie in 2020, far from the wall clock the records are produced at.
const EPOCH: i64 = 1_600_000_000_000;

/// The order with id `id`, as JSON, and its event time.
fn order(id: i64) -> (Value, i64) {
    let event_ts = EPOCH + id * 1000;
    let order = json!({
        "id": id,
        "customer": CUSTOMERS[(id % 5) as usize],
        "amount": (id * 37) % 1000,
        "event_ts": event_ts,
    });
    (order, event_ts)
}

/// What the queries write for an order, if anything: the filter and the
/// functions computed here independently.
fn expected_output(order: &Value, with_eve: bool) -> Option<Value> {
    let amount = order["amount"].as_i64()?;
    let customer = order["customer"].as_str()?;
    if amount < 250 || (!with_eve && customer == "eve") {
        return None;
    }
    Some(json!({
        "ID": order["id"],
        "CUSTOMER": customer.to_uppercase(),
        "DOUBLED": amount * 2,
        "DISTANCE": (amount - 500).abs(),
        "EVENT_TS": order["event_ts"],
    }))
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_queries_write_exactly_their_results() {
    let broker = Tansu::start();
    broker.create_topic("orders", 3).await;
    let wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
    let producer = support::producer(&broker);

    let orders: Vec<(Value, i64)> = (0..RECORDS).map(order).collect();
    let outgoing: Vec<Outgoing> =
        orders.iter().map(|(o, _)| Outgoing::new((o["id"].as_i64().unwrap_or(0) % 3) as i32, o.to_string())).collect();
    // Half before the query exists (it reads the backlog), half while it runs.
    let (before, after) = outgoing.split_at(outgoing.len() / 2);
    support::produce(&producer, "orders", before).await;

    ksql_ok(
        &wasp,
        "CREATE STREAM orders (id BIGINT, customer VARCHAR, amount INT, event_ts BIGINT) \
         WITH (kafka_topic='orders', value_format='JSON', timestamp='event_ts');",
    )
    .await;
    let csas = ksql_ok(
        &wasp,
        "CREATE STREAM big_orders AS SELECT id, UCASE(customer) AS customer, amount * 2 AS doubled, \
         ABS(amount - 500) AS distance, event_ts FROM orders WHERE amount >= 250 AND customer <> 'eve' EMIT CHANGES;",
    )
    .await;
    let csas_id = query_id_of(&csas);
    support::produce(&producer, "orders", after).await;

    // A second stream feeds the same sink through INSERT INTO ... SELECT.
    ksql_ok(
        &wasp,
        "CREATE STREAM orders_eu (id BIGINT, customer VARCHAR, amount INT, event_ts BIGINT) \
         WITH (kafka_topic='orders_eu', partitions=1, value_format='JSON', timestamp='event_ts');",
    )
    .await;
    let insert = ksql_ok(
        &wasp,
        "INSERT INTO big_orders SELECT id, UCASE(customer) AS customer, amount * 2 AS doubled, \
         ABS(amount - 500) AS distance, event_ts FROM orders_eu WHERE amount >= 250 EMIT CHANGES;",
    )
    .await;
    let insert_id = query_id_of(&insert);
    assert_ne!(insert_id, csas_id);
    assert_eq!(insert[0]["commandStatus"]["message"], format!("Created query with ID {insert_id}"));
    let eu_orders: Vec<(Value, i64)> = (EU_FIRST_ID..EU_FIRST_ID + EU_RECORDS).map(order).collect();
    let eu_outgoing: Vec<Outgoing> = eu_orders.iter().map(|(o, _)| Outgoing::new(0, o.to_string())).collect();
    support::produce(&producer, "orders_eu", &eu_outgoing).await;

    // Seal the inputs with orders the queries filter out, wait until the queries
    // have committed everything, then seal the output (ID -1) and read it.
    let filtered = r#"{"id": -1, "customer": "eve", "amount": 0, "event_ts": 0}"#;
    seal(&broker, "orders", filtered).await;
    seal(&broker, "orders_eu", filtered).await;
    wait_until_caught_up(&broker, &csas_id, "orders", Duration::from_secs(90)).await;
    wait_until_caught_up(&broker, &insert_id, "orders_eu", Duration::from_secs(60)).await;
    seal(&broker, "BIG_ORDERS", r#"{"ID": -1}"#).await;

    // id -> (value, event time) of everything the sink should hold.
    let mut expected: BTreeMap<i64, (Value, i64)> = BTreeMap::new();
    for ((order, ts), with_eve) in orders.iter().map(|o| (o, false)).chain(eu_orders.iter().map(|o| (o, true))) {
        if let Some(out) = expected_output(order, with_eve) {
            expected.insert(order["id"].as_i64().unwrap_or_default(), (out, *ts));
        }
    }
    let mut output = read_topic(&broker, "BIG_ORDERS").await;
    output.retain(|record| record.json()["ID"] != -1);
    let mut actual: BTreeMap<i64, (Value, i64)> = BTreeMap::new();
    for record in &output {
        let value = record.json();
        let id = value["ID"].as_i64().unwrap_or_else(|| panic!("no ID in {value}"));
        let ts = record.timestamp.unwrap_or_else(|| panic!("record {id} has no timestamp"));
        if let Some(previous) = actual.insert(id, (value, ts)) {
            panic!("id {id} written twice: {previous:?} and {:?}", actual[&id]);
        }
    }
    eprintln!("{} input records, {} output records", RECORDS + EU_RECORDS, output.len());
    assert_eq!(output.len(), expected.len(), "output count");
    for (id, (value, ts)) in &expected {
        let Some((got, got_ts)) = actual.get(id) else { panic!("id {id} is missing from the output: {value}") };
        assert_eq!(got, value, "output of id {id}");
        assert_eq!(got_ts, ts, "timestamp of id {id}: the input's event time");
    }
    // Like ksqlDB, the sink topic takes the source's partition count.
    let described = ksql_ok(&wasp, "DESCRIBE big_orders;").await;
    assert_eq!(described[0]["sourceDescription"]["partitions"], 3, "{}", described[0]);
}
