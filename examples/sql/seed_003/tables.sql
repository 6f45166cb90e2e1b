-- Seed 003, step 1 (the Java SDK program CreateTablesAndTunnel): the four store tables and the
-- stream tunnel of OrderSource.
CREATE TABLE IF NOT EXISTS OrderSource (UserId STRING, OrderId STRING, price DOUBLE,
  timestamp BIGINT, PRIMARY KEY (UserId, OrderId)) WITH (channels = 8);
CREATE TABLE IF NOT EXISTS OrderStreamSink (begin STRING, end STRING, count BIGINT,
  totalPrice DOUBLE, PRIMARY KEY (begin, end));
CREATE TABLE IF NOT EXISTS OrderBatchSink (UserId STRING, count BIGINT, totalPrice DOUBLE,
  PRIMARY KEY (UserId));
CREATE TABLE IF NOT EXISTS OrderTotalSink (count BIGINT, totalPrice DOUBLE, PRIMARY KEY (count));
CREATE TUNNEL IF NOT EXISTS OrderSourceTunnel ON OrderSource TYPE STREAM;
