//! The pull query of the seed's Telegram bot ("Building a Telegram bot with ksqlDB"),
//! sent to `POST /query` as the bot sends it, answers with the row where the bot reads
//! it: `result[1]['row']['columns']`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::broker::Tansu;
use crate::server::WaspServer;
use crate::support::{ksql_ok, query_id_of, wait_until_caught_up, SERVER_ARGS};

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_bots_pull_query_gets_its_row() {
    let broker = Tansu::start();
    let wasp = WaspServer::start(broker.bootstrap(), SERVER_ARGS).await;
    ksql_ok(
        &wasp,
        "CREATE STREAM PCAP_RAW (timestamp BIGINT, wlan_fc_type_subtype ARRAY<INT>, wlan_radio_signal_dbm ARRAY<DOUBLE>, wlan_sa ARRAY<VARCHAR>, wlan_ssid ARRAY<VARCHAR>) \
         WITH (KAFKA_TOPIC='pcap', VALUE_FORMAT='JSON', TIMESTAMP='timestamp', PARTITIONS=1);",
    )
    .await;
    for (ts, subtype, sa, ssid) in [
        (1_587_229_467_000i64, 4, "a4:83:e7:4e:39:15", "RNM0"),
        (1_587_229_468_000, 8, "a4:83:e7:4e:39:15", "beacon"),
        (1_587_229_469_000, 4, "78:8a:20:1a:c2:b5", "FULLERS"),
        (1_587_563_020_000, 4, "a4:83:e7:4e:39:15", "skyclub"),
        (1_587_563_021_000, 4, "a4:83:e7:4e:39:15", "RNM0"),
    ] {
        ksql_ok(
            &wasp,
            &format!(
                "INSERT INTO PCAP_RAW (timestamp, wlan_fc_type_subtype, wlan_radio_signal_dbm, wlan_sa, wlan_ssid) \
                 VALUES ({ts}, ARRAY[{subtype}], ARRAY[-60.0E0], ARRAY['{sa}'], ARRAY['{ssid}']);"
            ),
        )
        .await;
    }
    // The seed's statement, as written.
    let created = ksql_ok(
        &wasp,
        "CREATE TABLE PCAP_STATS_01 AS SELECT WLAN_SA[1] AS SOURCE_DEVICE ,COUNT(*) AS PROBE_COUNT ,TIMESTAMPTOSTRING(MIN(ROWTIME),'yyyy-MM-dd HH:mm:ss','Europe/London') AS FIRST_PROBE ,TIMESTAMPTOSTRING(MAX(ROWTIME),'yyyy-MM-dd HH:mm:ss','Europe/London') AS LAST_PROBE ,COUNT_DISTINCT(WLAN_SSID[1]) AS UNIQUE_SSIDS_PROBED ,COLLECT_SET(WLAN_SSID[1]) AS SSIDS_PROBED FROM PCAP_RAW WHERE wlan_fc_type_subtype[1]=4 GROUP BY WLAN_SA[1];",
    )
    .await;
    wait_until_caught_up(&broker, &query_id_of(&created), "pcap", Duration::from_secs(60)).await;

    // The bot's request: its headers and its body, unchanged.
    let device = "a4:83:e7:4e:39:15";
    let body = json!({"ksql": format!("SELECT PROBE_COUNT, FIRST_PROBE, LAST_PROBE, UNIQUE_SSIDS_PROBED, SSIDS_PROBED FROM PCAP_STATS_01 WHERE ROWKEY = '{device}';")});
    let response = reqwest::Client::new()
        .post(format!("{}/query", wasp.url()))
        .header("Content-Type", "application/vnd.ksql.v1+json; charset=utf-8")
        .body(body.to_string())
        .send()
        .await
        .expect("POST /query");
    assert_eq!(response.status(), 200, "the bot checks for 200");
    let result: Value = response.json().await.expect("a JSON body");
    let result = result.as_array().unwrap_or_else(|| panic!("an array: {result}"));
    assert_eq!(result.len(), 2, "a header and one row: {result:?}");
    let columns = &result[1]["row"]["columns"];
    assert_eq!(
        *columns,
        json!([3, "2020-04-18 18:04:27", "2020-04-22 14:43:41", 2, ["RNM0", "skyclub"]]),
        "the row the bot formats"
    );
    // An unknown device: the header only, which the bot reports as no result.
    let none = reqwest::Client::new()
        .post(format!("{}/query", wasp.url()))
        .header("Content-Type", "application/vnd.ksql.v1+json; charset=utf-8")
        .body(json!({"ksql": "SELECT PROBE_COUNT FROM PCAP_STATS_01 WHERE ROWKEY = 'nobody';"}).to_string())
        .send()
        .await
        .expect("POST /query");
    let none: Value = none.json().await.expect("a JSON body");
    assert_eq!(none.as_array().map(Vec::len), Some(1), "{none}");
}
