-- A join and a layer over the seeds' orders, as seed 004 builds DWD and DWS: every order meets
-- its user's region (an order of a user without one is left out), and a second job totals the
-- joined orders per region and 10 s event-time window. An update or delete of an order, or of a
-- region, is retracted through both. The tables are in region_tables.sql.
CREATE STREAM orders_with_region
OPTIONS(checkpointLocation='/tmp/spark/cp/orders_with_region')
INSERT INTO OrderRegionSink
SELECT o.UserId, o.OrderId, o.price, o.timestamp, r.region
FROM OrderSource o JOIN UserRegions r ON o.UserId = r.UserId;

CREATE STREAM region_totals
OPTIONS(checkpointLocation='/tmp/spark/cp/region_totals')
INSERT INTO RegionWindowSink
SELECT CAST(window.start AS String) AS begin, region, count(*) AS count, sum(price) AS totalPrice
FROM OrderRegionSink
GROUP BY window(to_timestamp(timestamp / 1000), "10 seconds"), region;
