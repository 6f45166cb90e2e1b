-- The store tables of the seeds' order scenario (Tablestore tables in the seeds).
CREATE TABLE IF NOT EXISTS OrderSource (UserId STRING, OrderId STRING, price DOUBLE,
  timestamp BIGINT, PRIMARY KEY (UserId, OrderId)) WITH (channels = 8);
CREATE TABLE IF NOT EXISTS OrderStreamSink (begin STRING, end STRING, count BIGINT,
  totalPrice DOUBLE, PRIMARY KEY (begin, end));
CREATE TABLE IF NOT EXISTS OrderBatchSink (UserId STRING, count BIGINT, totalPrice DOUBLE,
  PRIMARY KEY (UserId));
CREATE TABLE IF NOT EXISTS OrderTotalSink (count BIGINT, totalPrice DOUBLE, PRIMARY KEY (count));
CREATE TABLE IF NOT EXISTS UserWindowSink (UserId STRING, begin STRING, count BIGINT,
  totalPrice DOUBLE, PRIMARY KEY (UserId, begin));
