-- A keyed streaming job: orders and revenue per user, upserted into OrderBatchSink as orders,
-- their updates and their deletes come (a user whose orders are all deleted leaves the table).
CREATE SCAN orders_stream ON OrderSource USING STREAM;
CREATE STREAM user_totals
OPTIONS(checkpointLocation='/tmp/spark/cp/user_totals', outputMode='update')
INSERT INTO OrderBatchSink
SELECT UserId, count(*) AS count, sum(price) AS totalPrice FROM orders_stream GROUP BY UserId;
