-- A person's login address is their account's own, no longer their contact e-mail: data exchange
-- (batch, imports, connectors) changes the contact e-mail, never where login links are sent.
ALTER TABLE account ADD COLUMN login_email text CHECK (login_email ~ '^[^@\s]+@[^@\s]+$');
UPDATE account a SET login_email = b.email
  FROM beneficiary b WHERE a.beneficiary_id = b.id AND b.email IS NOT NULL;
CREATE INDEX account_login_email_idx ON account (lower(login_email)) WHERE login_email IS NOT NULL;

-- A record about someone its writer may not change is held for the managers: outside the
-- writer's reach, or a NIR known in another deployment.
ALTER TABLE possible_match DROP CONSTRAINT possible_match_reason_check;
ALTER TABLE possible_match ADD CONSTRAINT possible_match_reason_check
  CHECK (reason IN ('ambiguous', 'pivot_conflict', 'outside_reach', 'other_deployment'));
