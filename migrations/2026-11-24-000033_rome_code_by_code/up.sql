-- A ROME code's first label, as the files and the API resolve it (`WHERE code = $1 ORDER BY
-- label LIMIT 1`), read from one index: with the code alone the planner walked the labels'
-- index and filtered on the code, hundreds of rows per lookup (a whole-template import spent a
-- third of its database time there).
CREATE INDEX rome_code_code_label_idx ON rome_code (code, label);
DROP INDEX rome_code_code_idx;
