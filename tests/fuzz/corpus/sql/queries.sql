SELECT UserId, count(*) AS orders, sum(price) AS total FROM OrderSource WHERE price > 1.5 AND NOT (UserId = 'u1')
GROUP BY UserId HAVING count(*) >= 2 ORDER BY total DESC, UserId LIMIT 10;
SELECT CAST(window(to_timestamp(timestamp / 1000), '10 seconds').start AS STRING) AS begin, count(*) FROM OrderSource
GROUP BY window(to_timestamp(timestamp / 1000), '10 seconds');
DROP TABLE IF EXISTS Nothing;
CREATE TUNNEL IF NOT EXISTS t2 ON OrderSource TYPE BASE_AND_STREAM;
CREATE SCAN s1 ON OrderSource USING STREAM OPTIONS(tunnel.id = 't2', maxoffsetsperchannel = 10000);
