-- Poor ratings from iOS users (seed: "Apache Kafka and KSQL in Action").
CREATE STREAM ratings (rating_id BIGINT, user_id INT, stars INT, route_id INT, rating_time BIGINT, channel VARCHAR, message VARCHAR)
  WITH (KAFKA_TOPIC='ratings', VALUE_FORMAT='JSON', PARTITIONS=4, TIMESTAMP='rating_time');

CREATE STREAM poor_ratings AS SELECT * FROM ratings WHERE stars < 3 AND channel LIKE 'iOS%';
