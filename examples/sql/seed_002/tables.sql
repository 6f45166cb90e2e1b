-- Seed 002: the Tablestore tables its Flink (Blink) job reads and writes, as store tables, and
-- the stream tunnel on the order table (the seed creates them in the Tablestore console).
CREATE TABLE IF NOT EXISTS `order` (order_Md5ID STRING, cabinet_province STRING,
  order_start_time BIGINT, order_end_time BIGINT, cabinet_pricePerHour DOUBLE,
  PRIMARY KEY (order_Md5ID)) WITH (channels = 8);
CREATE TABLE IF NOT EXISTS order_sink (order_province STRING, total_price DOUBLE,
  order_count BIGINT, PRIMARY KEY (order_province));
CREATE TUNNEL IF NOT EXISTS order_tunnel ON `order` TYPE STREAM;
