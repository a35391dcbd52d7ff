-- Filesystem events: large files written outside working hours (seed: "KafkaStreams, KSQL and KDB on Kubernetes").
CREATE STREAM fs_events (event_id VARCHAR KEY, path VARCHAR, action VARCHAR, size_bytes BIGINT, username VARCHAR, event_time BIGINT)
  WITH (KAFKA_TOPIC='fs_events', KEY_FORMAT='KAFKA', VALUE_FORMAT='JSON', TIMESTAMP='event_time');

CREATE STREAM fs_anomalies AS
  SELECT event_id, LCASE(username) AS username, path, size_bytes / 1048576 AS size_mb,
         TIMESTAMPTOSTRING(event_time, 'yyyy-MM-dd HH:mm:ss') AS at
  FROM fs_events
  WHERE action IN ('CREATE', 'MODIFY')
    AND size_bytes > 104857600
    AND CAST(TIMESTAMPTOSTRING(event_time, 'HH') AS INT) NOT BETWEEN 8 AND 18;
