-- Seed 001: orders per 30-second event-time window, upserted into OrderStreamSink. As in the
-- seed (Spark SQL on EMR over Tablestore), with the endpoint, credentials and tunnel.id left
-- out: the scan reads OrderSource's default tunnel. The checkpointLocation differs from the
-- 10-second job's so that both can run on one data directory without sharing a checkpoint.
DROP TABLE IF EXISTS order_source;
CREATE TABLE order_source
USING tablestore
OPTIONS(
endpoint="",
access.key.id="",
access.key.secret="",
instance.name="",
table.name="OrderSource",
catalog='{"columns": {"UserId": {"col": "UserId", "type": "string"}, "OrderId": {"col": "OrderId", "type": "string"},"price": {"col": "price", "type": "double"}, "timestamp": {"col": "timestamp", "type": "long"}}}'
);
DROP TABLE IF EXISTS order_stream_sink;
CREATE TABLE order_stream_sink
USING tablestore
OPTIONS(
endpoint="",
access.key.id="",
access.key.secret="",
instance.name="",
table.name="OrderStreamSink",
catalog='{"columns": {"begin": {"type": "string"},"end": {"type": "string"}, "count": {"type": "long"}, "totalPrice": {"type": "double"}}}'
);
CREATE SCAN order_source_stream_view ON order_source USING STREAM
OPTIONS(
maxoffsetsperchannel="10000");
CREATE STREAM job1
options(
checkpointLocation='/tmp/spark/cp/job1_30s',
outputMode='update'
)
INSERT INTO order_stream_sink
SELECT CAST(window.start AS String) AS begin, CAST(window.end AS String) AS end, count(*) AS count, CAST(sum(price) AS Double) AS totalPrice FROM order_source_stream_view GROUP BY window(to_timestamp(timestamp / 1000), "30 seconds");
