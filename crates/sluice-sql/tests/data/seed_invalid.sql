-- Seed-guide statements that ClickHouse itself rejects with SYNTAX_ERROR (checked with
-- ch-oracle): a `JSONExtract(...)` placeholder and a trailing comma before FROM.

-- Real-time data processing via Materialized Views
CREATE MATERIALIZED VIEW real_time_view AS
SELECT 
    JSONExtract(...) -- Parse and transform
FROM kafka_table;

CREATE MATERIALIZED VIEW orders_mv TO orders_final AS
SELECT
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'id') as order_id,
    -- ... other fields
FROM orders_kafka_json
WHERE isValidJSON(payload);
