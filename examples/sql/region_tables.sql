-- The tables of region_layers.sql: the seeds' orders, each user's region, the orders with
-- their region (the join's result), and the totals per region and 10 s window (the layer's).
-- Load the regions with `sluice put UserRegions < user_regions.jsonl` (or `sluice chaos --load
-- UserRegions=examples/sql/user_regions.jsonl`).
CREATE TABLE IF NOT EXISTS OrderSource (UserId STRING, OrderId STRING, price DOUBLE,
  timestamp BIGINT, PRIMARY KEY (UserId, OrderId)) WITH (channels = 8);
CREATE TABLE IF NOT EXISTS UserRegions (UserId STRING, region STRING, PRIMARY KEY (UserId));
CREATE TABLE IF NOT EXISTS OrderRegionSink (UserId STRING, OrderId STRING, price DOUBLE,
  timestamp BIGINT, region STRING, PRIMARY KEY (UserId, OrderId)) WITH (channels = 8);
CREATE TABLE IF NOT EXISTS RegionWindowSink (begin STRING, region STRING, count BIGINT,
  totalPrice DOUBLE, PRIMARY KEY (begin, region));
