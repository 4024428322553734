-- Every complete SQL statement of the seed guide
-- (../shared/seed/clickhouse-kafka-engine-guide.md), verbatim; `;` added after blocks
-- that end without one.

-- Create Kafka Engine table to consume raw events
CREATE TABLE orders_kafka_json (
    payload String  -- Complete JSON message as string
) ENGINE = Kafka
SETTINGS 
    kafka_broker_list = 'kafka:9092',
    kafka_topic_list = 'postgres-server.inventory.orders',
    kafka_group_name = 'clickhouse_orders_group',
    kafka_format = 'JSONAsString',
    kafka_num_consumers = 1,
    kafka_row_delimiter = '\n',
    kafka_commit_every_batch = 1,
    kafka_thread_per_consumer = 1;

-- Create final table with proper schema
CREATE TABLE orders_final (
    order_id UInt32,
    order_date Date,
    purchaser UInt32,
    quantity UInt32,
    product_id UInt32,
    operation_type String,  -- INSERT, UPDATE, DELETE
    _synced_at DateTime DEFAULT now(),
    _partition_date Date DEFAULT today()
) ENGINE = MergeTree()
PARTITION BY _partition_date
ORDER BY (order_id, _synced_at)
SETTINGS index_granularity = 8192;

-- Create materialized view for real-time processing
CREATE MATERIALIZED VIEW orders_mv TO orders_final AS
SELECT
    -- Extract data from Debezium JSON structure
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'id') as order_id,
    toDate(JSONExtractString(JSONExtractString(payload, 'after'), 'order_date')) as order_date,
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'purchaser') as purchaser,
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'quantity') as quantity,
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'product_id') as product_id,
    JSONExtractString(payload, 'op') as operation_type,
    now() as _synced_at,
    today() as _partition_date
FROM orders_kafka_json
WHERE JSONExtractString(payload, 'op') IN ('c', 'u', 'r'); -- Only capture INSERT, UPDATE, READ
;

-- Example: New order inserted in PostgreSQL
INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id)
VALUES ('2025-09-03', 1001, 5, 102);

-- Materialized view immediately processes:
SELECT
    10001 as order_id,           -- Extracted from JSON
    '2025-09-03' as order_date,  -- Parsed and converted
    1001 as purchaser,           -- Type converted
    5 as quantity,               -- Type converted
    102 as product_id,           -- Type converted
    'c' as operation_type,       -- Operation type
    now() as _synced_at         -- Timestamp added
-- Result: Structured data in orders_final table
;

-- Data immediately available for analytics
SELECT 
    order_date,
    COUNT(*) as daily_orders,
    SUM(quantity) as total_items
FROM orders_final 
WHERE order_date = today()
GROUP BY order_date;

-- Real-time sales dashboard
SELECT 
    toStartOfHour(order_date) as hour,
    COUNT(*) as orders_count,
    SUM(quantity * price) as revenue,
    AVG(quantity) as avg_order_size
FROM orders_final o
JOIN products_final p ON o.product_id = p.product_id
WHERE order_date >= today()
GROUP BY hour
ORDER BY hour DESC;

-- Detect suspicious activity patterns
SELECT 
    purchaser,
    COUNT(*) as order_count,
    SUM(quantity) as total_items,
    countDistinct(product_id) as unique_products
FROM orders_final 
WHERE _synced_at >= now() - INTERVAL 1 HOUR
GROUP BY purchaser
HAVING order_count > 10 OR total_items > 100;

-- Live inventory tracking
SELECT 
    product_id,
    initial_stock,
    SUM(CASE WHEN operation_type = 'c' THEN -quantity ELSE 0 END) as sold,
    initial_stock + SUM(CASE WHEN operation_type = 'c' THEN -quantity ELSE 0 END) as current_stock
FROM orders_final o
RIGHT JOIN (
    SELECT product_id, stock as initial_stock 
    FROM products_final
) p USING product_id
GROUP BY product_id, initial_stock
HAVING current_stock < 10;

-- Real-time customer journey
SELECT 
    purchaser,
    groupArray(product_id) as purchase_sequence,
    COUNT(*) as total_orders,
    max(_synced_at) as last_activity
FROM orders_final 
WHERE _synced_at >= today()
GROUP BY purchaser
ORDER BY last_activity DESC;

-- ✅ DO: Use appropriate data types
CREATE TABLE orders_kafka_json (
    payload String  -- Store raw JSON for flexibility
) ENGINE = Kafka;

-- ✅ DO: Design efficient target schema
CREATE TABLE orders_final (
    order_id UInt32,           -- Use UInt for IDs
    order_date Date,           -- Date type for date fields
    amount Decimal(10,2),      -- Decimal for money
    _synced_at DateTime,       -- Always include sync timestamp
    _partition_date Date       -- Partition key for performance
) ENGINE = MergeTree()
PARTITION BY _partition_date   -- Partition for better performance
ORDER BY (order_id, _synced_at);

-- ✅ DO: Monitor consumer lag
SELECT 
    database,
    table,
    name,
    consumer_id,
    assignments.topic,
    assignments.partition_id,
    assignments.current_offset,
    assignments.high_water_mark,
    assignments.high_water_mark - assignments.current_offset as lag
FROM system.kafka_consumers
ARRAY JOIN assignments;

-- ✅ DO: Monitor table sizes
SELECT 
    table,
    sum(rows) as total_rows,
    sum(bytes_on_disk) as size_bytes
FROM system.parts 
WHERE table LIKE '%kafka%'
GROUP BY table;

-- ✅ DO: Handle malformed JSON gracefully
CREATE MATERIALIZED VIEW orders_mv TO orders_final AS
SELECT
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'id') as order_id,
    -- Add validation
    if(isValidJSON(payload), 
       toDate(JSONExtractString(JSONExtractString(payload, 'after'), 'order_date')), 
       toDate('1900-01-01')) as order_date,
    JSONExtractString(payload, 'op') as operation_type
FROM orders_kafka_json
WHERE isValidJSON(payload)  -- Filter invalid JSON
  AND JSONExtractString(payload, 'op') IN ('c', 'u', 'r');

ALTER TABLE orders_kafka_json MODIFY SETTING kafka_num_consumers = 4;

ALTER TABLE orders_kafka_json MODIFY SETTING kafka_max_block_size = 131072;

SELECT * FROM system.processes WHERE query LIKE '%kafka%';

-- Problem: Invalid JSON causing view failures
-- Solution: Add validation and error logging

CREATE TABLE json_errors (
    payload String,
    error_time DateTime DEFAULT now()
) ENGINE = MergeTree()
ORDER BY error_time;

-- Capture errors separately
CREATE MATERIALIZED VIEW error_mv TO json_errors AS
SELECT payload
FROM orders_kafka_json
WHERE NOT isValidJSON(payload);

-- Problem: High memory usage
-- Symptoms: OOM errors, slow performance

-- Solution 1: Reduce batch size
ALTER TABLE orders_kafka_json MODIFY SETTING kafka_max_block_size = 32768;

-- Solution 2: Increase flush frequency
ALTER TABLE orders_kafka_json MODIFY SETTING kafka_flush_interval_ms = 3000;

-- Solution 3: Monitor memory usage
SELECT 
    name,
    value
FROM system.asynchronous_metrics 
WHERE name LIKE '%Memory%';

-- Check all Kafka consumers
SELECT 
    database,
    table,
    consumer_id,
    status,
    assignments.topic,
    assignments.partition_id,
    assignments.current_offset,
    assignments.high_water_mark
FROM system.kafka_consumers
ARRAY JOIN assignments;

-- Check processing rates
SELECT 
    table,
    sum(rows) as total_rows,
    max(modification_time) as last_insert,
    now() - max(modification_time) as seconds_behind
FROM system.parts 
WHERE table LIKE '%kafka%'
GROUP BY table;

-- Check for processing errors
SELECT 
    event_time,
    thread_name,
    message
FROM system.text_log 
WHERE logger_name LIKE '%Kafka%'
  AND level = 'Error'
ORDER BY event_time DESC
LIMIT 10;
