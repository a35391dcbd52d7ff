-- Wi-Fi probe requests captured with tshark (seed: "Streaming ETL with pcap data and ksqlDB").
CREATE STREAM PCAP_RAW (timestamp BIGINT, wlan_fc_type_subtype ARRAY<INT>, wlan_radio_signal_dbm ARRAY<DOUBLE>, wlan_sa ARRAY<VARCHAR>, wlan_ssid ARRAY<VARCHAR>)
  WITH (KAFKA_TOPIC='pcap', VALUE_FORMAT='JSON', TIMESTAMP='timestamp');

-- Probe requests are management frames of subtype 4.
CREATE STREAM PCAP_PROBE AS SELECT * FROM PCAP_RAW WHERE wlan_fc_type_subtype[1] = 4;

-- Per-device statistics, as the seed builds them; its Telegram bot looks a device up
-- with a pull query (see README).
CREATE TABLE PCAP_STATS_01 AS SELECT WLAN_SA[1] AS SOURCE_DEVICE ,COUNT(*) AS PROBE_COUNT ,TIMESTAMPTOSTRING(MIN(ROWTIME),'yyyy-MM-dd HH:mm:ss','Europe/London') AS FIRST_PROBE ,TIMESTAMPTOSTRING(MAX(ROWTIME),'yyyy-MM-dd HH:mm:ss','Europe/London') AS LAST_PROBE ,COUNT_DISTINCT(WLAN_SSID[1]) AS UNIQUE_SSIDS_PROBED ,COLLECT_SET(WLAN_SSID[1]) AS SSIDS_PROBED FROM PCAP_RAW WHERE wlan_fc_type_subtype[1]=4 GROUP BY WLAN_SA[1];
