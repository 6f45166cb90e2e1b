-- Seed 004, step 1, as written: the source database and tables in MySQL (here MariaDB), where
-- the application writes its orders and customers. Run it with the mariadb client; the binlog
-- must be on, row-based, with full images (log_bin, binlog_format = ROW, binlog_row_image =
-- FULL), and the user Sluice reads as needs SELECT, RELOAD, REPLICATION SLAVE and REPLICATION
-- CLIENT.
CREATE DATABASE IF NOT EXISTS flink_cdc;

CREATE TABLE flink_cdc.orders (
   order_id INT NOT NULL AUTO_INCREMENT,
   order_revenue FLOAT NOT NULL,
   order_region VARCHAR(40) NOT NULL,
   customer_id INT NOT NULL,
   PRIMARY KEY ( order_id )
);

CREATE TABLE flink_cdc.customers (
   customer_id INT NOT NULL,
   customer_age INT NOT NULL,
   customer_name VARCHAR(40) NOT NULL,
   PRIMARY KEY ( customer_id )
);
