-- Failed SSH logins from syslog (seeds: "KSQL in Action" and the ksqlDB syslog demos).
CREATE STREAM syslog (host VARCHAR, hostname VARCHAR, message VARCHAR, date BIGINT, facility INT, severity INT)
  WITH (KAFKA_TOPIC='syslog', VALUE_FORMAT='JSON', TIMESTAMP='date');

CREATE STREAM SYSLOG_INVALID_USERS AS SELECT HOST, MESSAGE FROM SYSLOG WHERE MESSAGE LIKE ‘%Invalid user%’;

CREATE STREAM SYSLOG_INVALID_USER_LOGIN AS SELECT * FROM SYSLOG WHERE HOST='rpi-03' AND MESSAGE LIKE '%Invalid user%';
