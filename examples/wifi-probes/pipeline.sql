-- Wi-Fi probe requests captured with tshark (seed: "Streaming ETL with pcap data and ksqlDB").
CREATE STREAM PCAP_RAW (timestamp BIGINT, wlan_fc_type_subtype ARRAY<INT>, wlan_radio_signal_dbm ARRAY<DOUBLE>, wlan_sa ARRAY<VARCHAR>, wlan_ssid ARRAY<VARCHAR>)
  WITH (KAFKA_TOPIC='pcap', VALUE_FORMAT='JSON', TIMESTAMP='timestamp');

-- Probe requests are management frames of subtype 4.
CREATE STREAM PCAP_PROBE AS SELECT * FROM PCAP_RAW WHERE wlan_fc_type_subtype[1] = 4;
