-- Seed 003, steps 4 to 6, as written; only the endpoint, the credentials and the tunnel id are
-- filled in (Sluice ignores the first two; tunnel.id names the tunnel of tables.sql).
DROP TABLE IF EXISTS order_source;
CREATE TABLE order_source
USING tablestore
OPTIONS(
endpoint="http://127.0.0.1:7400",
access.key.id="",
access.key.secret="",
instance.name="local",
table.name="OrderSource",
tunnel.id="OrderSourceTunnel",
catalog='{"columns": {"UserId": {"col": "UserId", "type": "string"},
"OrderId": {"col": "OrderId", "type": "string"},
"price": {"col": "price", "type": "double"},
"timestamp": {"col": "timestamp", "type": "long"}}}'
);
-- Create external table for OrderStreamSink.
DROP TABLE IF EXISTS order_stream_sink;
CREATE TABLE order_stream_sink
USING tablestore
OPTIONS(
endpoint="http://127.0.0.1:7400",
access.key.id="",
access.key.secret="",
instance.name="local",
table.name="OrderStreamSink",
catalog='{"columns": {"begin": {"col": "begin", "type": "string"},
"end": {"col": "end", "type": "string"},
"count": {"col": "count", "type": "long"},
"totalPrice": {"col": "totalPrice", "type": "double"}}}'
);
-- Create external table for OrderBatchSink.
DROP TABLE IF EXISTS order_batch_sink;
CREATE TABLE order_batch_sink
USING tablestore
OPTIONS(
endpoint="http://127.0.0.1:7400",
access.key.id="",
access.key.secret="",
instance.name="local",
table.name="OrderBatchSink",
catalog='{"columns": {"UserId": {"col": "UserId", "type": "string"},
"count": {"col": "count", "type": "long"},
"totalPrice": {"col": "totalPrice", "type": "double"}}}'
);
-- Create external table for OrderTotalSink.
DROP TABLE IF EXISTS order_total_sink;
CREATE TABLE order_total_sink
USING tablestore
OPTIONS(
endpoint="http://127.0.0.1:7400",
access.key.id="",
access.key.secret="",
instance.name="local",
table.name="OrderTotalSink",
catalog='{"columns": {"count": {"col": "count", "type": "long"},
"totalPrice": {"col": "totalPrice", "type": "double"}}}'
);
INSERT INTO order_batch_sink
SELECT UserId, count(*) AS count, sum(price) AS totalPrice
FROM order_source
GROUP BY UserId;
INSERT INTO order_total_sink
SELECT count(*) AS count, sum(price) AS totalPrice
FROM order_source;
-- Verify the total number of orders.
SELECT count(*) AS total_orders FROM order_source;
-- Verify per-user aggregation results.
SELECT * FROM order_batch_sink;
-- Verify global aggregation results.
SELECT * FROM order_total_sink;
CREATE SCAN order_source_stream_view ON order_source USING STREAM
OPTIONS("maxoffsetsperchannel"="10000");
CREATE STREAM job1
OPTIONS(
checkpointLocation='/tmp/spark/cp/job1',
outputMode='update'
)
INSERT INTO order_stream_sink
SELECT CAST(window.start AS String) AS begin,
CAST(window.end AS String) AS end,
count(*) AS count,
CAST(sum(price) AS Double) AS totalPrice
FROM order_source_stream_view
GROUP BY window(to_timestamp(timestamp / 1000), "30 seconds");
