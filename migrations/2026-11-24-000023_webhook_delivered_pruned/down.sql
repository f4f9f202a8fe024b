DROP INDEX webhook_delivery_delivered_idx;
ALTER TABLE webhook_subscription DROP COLUMN delivered_pruned;
