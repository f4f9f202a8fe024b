-- The keys signing access tokens are sealed like connector secrets; rows written before are
-- sealed by the first hub that reads them (it holds the key, the migration does not).
ALTER TABLE signing_key ADD COLUMN sealed boolean NOT NULL DEFAULT false;
