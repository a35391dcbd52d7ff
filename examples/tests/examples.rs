//! Every example runs and produces what its README says.

use serde_json::json;
use wasp_examples::Example;

#[test]
fn ratings_keeps_poor_ios_ratings() {
    let run = Example::named("ratings").run().unwrap();
    let rows = run.query("SELECT rating_id, stars, channel FROM poor_ratings EMIT CHANGES;").unwrap();
    assert_eq!(rows, vec![json!([1, 1, "iOS"]), json!([3, 2, "iOS-test"]), json!([6, 1, "iOS"])]);
    let values = run.topic_values("POOR_RATINGS");
    assert_eq!(values.len(), 3);
    assert!(values[0].starts_with(r#"{"RATING_ID":1,"USER_ID":10,"STARS":1"#), "{}", values[0]);
}

#[test]
fn syslog_finds_invalid_users() {
    let run = Example::named("syslog").run().unwrap();
    let all = run.query("SELECT HOST FROM SYSLOG_INVALID_USERS EMIT CHANGES;").unwrap();
    assert_eq!(all, vec![json!(["rpi-03"]), json!(["proxmox01"]), json!(["rpi-03"])]);
    let one = run.query("SELECT MESSAGE FROM SYSLOG_INVALID_USER_LOGIN LIMIT 5;").unwrap();
    assert_eq!(one.len(), 2);
    assert_eq!(one[1], json!(["Invalid user test from 58.242.83.38 port 12217"]));
    let seeded = run
        .query("SELECT TIMESTAMPTOSTRING(DATE, 'yyyy-MM-dd HH:mm:ss') AS SYSLOG_TS, HOST, MESSAGE FROM SYSLOG;")
        .unwrap();
    assert_eq!(seeded[0][0], json!("2018-11-10 08:53:20"));
}

#[test]
fn wifi_probes_for_one_ssid() {
    let run = Example::named("wifi-probes").run().unwrap();
    let sql = std::fs::read_to_string(Example::named("wifi-probes").dir.join("query.sql")).unwrap();
    let rows = run.query(&sql).unwrap();
    assert_eq!(
        rows,
        vec![
            json!(["2019-11-12 13:43:33", "a4:83:e7:4e:39:15", "RNM0"]),
            json!(["2019-11-12 13:43:36", "a4:83:e7:4e:39:15", "RNM0"]),
        ]
    );
}

#[test]
fn wifi_probes_stats_answer_the_bots_pull_query() {
    let run = Example::named("wifi-probes").run().unwrap();
    let rows = run
        .query("SELECT PROBE_COUNT, FIRST_PROBE, LAST_PROBE, UNIQUE_SSIDS_PROBED, SSIDS_PROBED FROM PCAP_STATS_01 WHERE ROWKEY = 'a4:83:e7:4e:39:15';")
        .unwrap();
    assert_eq!(rows, vec![json!([3, "2019-11-12 13:43:33", "2019-11-12 13:43:40", 2, ["RNM0", "FULLERS"]])]);
    let all = run.query("SELECT SOURCE_DEVICE, PROBE_COUNT FROM PCAP_STATS_01;").unwrap();
    assert_eq!(all, vec![json!(["a4:83:e7:4e:39:15", 3]), json!(["f0:99:bf:1c:3e:2d", 1])]);
}

#[test]
fn fs_events_flags_large_night_writes() {
    let run = Example::named("fs-events").run().unwrap();
    let rows = run.query("SELECT event_id, username, size_mb, at FROM fs_anomalies EMIT CHANGES;").unwrap();
    assert_eq!(
        rows,
        vec![
            json!(["evt-2", "mallory", 4096, "2023-07-02 02:00:00"]),
            json!(["evt-5", "eve", 500, "2023-07-02 00:00:00"])
        ]
    );
    assert_eq!(run.topic_keys("FS_ANOMALIES"), vec!["evt-2", "evt-5"]);
}
