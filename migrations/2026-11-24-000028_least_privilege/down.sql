DELETE FROM possible_match WHERE reason IN ('outside_reach', 'other_deployment');
ALTER TABLE possible_match DROP CONSTRAINT possible_match_reason_check;
ALTER TABLE possible_match ADD CONSTRAINT possible_match_reason_check
  CHECK (reason IN ('ambiguous', 'pivot_conflict'));
DROP INDEX account_login_email_idx;
ALTER TABLE account DROP COLUMN login_email;
