-- Seed 004, step 4, continuously: the two jobs Airflow ran every 10 minutes, each over the rows
-- loaded in the last 10 minutes, become two streams that keep DWD and DWS exact as each change
-- arrives, with no scheduler and nothing stale. A join needs no time filter to find the rows of a
-- batch: every order meets its customer as they stand now, and an update or delete on either
-- side retracts what it had joined (a customer's new name reaches all its orders). The DWS
-- buckets are the seed's 10-minute intervals, as event-time windows over the DWD timestamp.
-- DWD's timestamp is the order's ODS load time, as the seed's '{start_time}' is the load batch's.
CREATE STREAM ods_to_dwd
OPTIONS(checkpointLocation='seed004_ods_to_dwd')
INSERT INTO dwd_order_customer_valid
SELECT
o.timestamp,
o.order_id,
o.order_revenue,
o.order_region,
c.customer_id,
c.customer_age,
c.customer_name
FROM customers c JOIN orders o ON c.customer_id=o.customer_id;

-- order_total_revenue is an INT column, as in the seed: the sum is cast (truncated toward zero).
CREATE STREAM dwd_to_dws
OPTIONS(checkpointLocation='seed004_dwd_to_dws')
INSERT INTO dws_agg_by_region
SELECT
window.start,
order_region,
count(*) AS order_cnt,
CAST(sum(order_revenue) AS INT) AS order_total_revenue
FROM dwd_order_customer_valid
GROUP BY window(timestamp, "10 minutes"), order_region;
