-- The seed guide's three statements ("Step-by-Step Implementation", ../shared/seed/
-- clickhouse-kafka-engine-guide.md), verbatim. `sluice demo` and the engine's Kafka pipeline
-- test run them with 'kafka:9092' replaced by the embedded broker's address.

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
