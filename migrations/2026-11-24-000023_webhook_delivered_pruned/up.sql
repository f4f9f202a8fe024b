-- Delivered webhook deliveries are pruned after the retention (100 changes a second would be
-- 8.6 million rows a day); each subscription keeps how many it delivered before, so that its
-- `delivered` count never goes back.
ALTER TABLE webhook_subscription ADD COLUMN delivered_pruned bigint NOT NULL DEFAULT 0 CHECK (delivered_pruned >= 0);
CREATE INDEX webhook_delivery_delivered_idx ON webhook_delivery (delivered_at) WHERE status = 'delivered';
