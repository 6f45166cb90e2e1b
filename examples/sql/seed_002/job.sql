-- Seed 002's Flink SQL as written; only the endpoint, instance, tunnel name and credentials are
-- filled in (Sluice ignores all but tunnelName, which names the tunnel of tables.sql).
create table order_source(
  order_Md5ID VARCHAR,
  cabinet_province VARCHAR,
  order_start_time BIGINT  ,
  order_end_time BIGINT ,
  cabinet_pricePerHour  DOUBLE 
) with (
  type ='ots',
  endPoint ='http://127.0.0.1:7400',
  instanceName = 'local',
  tableName ='order',
  tunnelName = 'order_tunnel',
  accessId ='',
  accessKey ='',
  ignoreDelete = 'false'
);
CREATE TABLE order_sink (
    order_province VARCHAR,
    total_price DOUBLE,
    order_count BIGINT,
    primary key(order_province)
) WITH (
    type = 'ots',
    endPoint ='http://127.0.0.1:7400',
      instanceName = 'local',
      tableName ='order_sink',
      accessId ='',
      accessKey ='',
    valueColumns = 'total_price,order_count'
);
INSERT INTO order_sink
SELECT
    cabinet_province AS province,
    sum((order_end_time - order_start_time)/3600/1000 * cabinet_pricePerHour) AS             total_price,
    count(order_Md5ID) AS order_count
    FROM order_source
    GROUP BY cabinet_province;
