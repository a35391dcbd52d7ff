-- Run by statements.slt with RUN SCRIPT: two statements, one stream and one query.
CREATE STREAM scripted (id INT KEY, v STRING) WITH (KAFKA_TOPIC='scripted', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM scripted_upper AS SELECT id, UCASE(v) AS v FROM scripted;
