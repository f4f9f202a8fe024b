-- The notebook document (everything but the beneficiary row) assembled as JSON in one call.
-- A PL/pgSQL function so that PostgreSQL keeps its plan per connection: planning this query of
-- ten sub-selects cost several times its execution on every read.
CREATE FUNCTION notebook_document(p_notebook uuid, p_beneficiary uuid) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN json_build_object(
  'notebook', (SELECT to_json(n) FROM notebook n WHERE n.id = p_notebook),
  'members', coalesce((SELECT json_agg(x ORDER BY x.active DESC, x.member_type = 'referent' DESC, x.created_at) FROM (
      SELECT m.id, m.account_id, m.member_type, m.active, a.role,
             coalesce(p.firstname, om.firstname, mg.firstname, ads.firstname) AS firstname,
             coalesce(p.lastname, om.lastname, mg.lastname, ads.lastname) AS lastname,
             coalesce(p.email, om.email, mg.email, ads.email) AS email,
             s.id AS structure_id, s.name AS structure_name, s.sensitive AS structure_sensitive,
             m.created_at, m.membership_ended_at
      FROM notebook_member m JOIN account a ON a.id = m.account_id
      LEFT JOIN professional p ON p.id = a.professional_id
      LEFT JOIN structure s ON s.id = p.structure_id
      LEFT JOIN orientation_manager om ON om.id = a.orientation_manager_id
      LEFT JOIN manager mg ON mg.id = a.manager_id
      LEFT JOIN admin_structure ads ON ads.id = a.admin_structure_id
      WHERE m.notebook_id = p_notebook) x), '[]'),
  'focuses', coalesce((SELECT json_agg(x ORDER BY x.created_at, x.id) FROM (
      SELECT id, theme, creator_account_id, created_at, updated_at FROM notebook_focus WHERE notebook_id = p_notebook) x), '[]'),
  'targets', coalesce((SELECT json_agg(x ORDER BY x.created_at, x.id) FROM (
      SELECT id, focus_id, target, status, linked_to, user_consent, created_at, updated_at
      FROM notebook_target WHERE notebook_id = p_notebook) x), '[]'),
  'actions', coalesce((SELECT json_agg(x ORDER BY x.starting_at, x.id) FROM (
      SELECT id, target_id, action, status, starting_at, created_at, updated_at
      FROM notebook_action WHERE notebook_id = p_notebook) x), '[]'),
  'appointments', coalesce((SELECT json_agg(x ORDER BY x.date DESC, x.id) FROM (
      SELECT id, account_id, date, status FROM notebook_appointment
      WHERE notebook_id = p_notebook AND deleted_at IS NULL) x), '[]'),
  'situations', coalesce((SELECT json_agg(x ORDER BY x.theme, x.description) FROM (
      SELECT ns.id, ns.situation_id, rs.theme, rs.description, ns.created_at
      FROM notebook_situation ns JOIN ref_situation rs ON rs.id = ns.situation_id
      WHERE ns.notebook_id = p_notebook AND ns.deleted_at IS NULL) x), '[]'),
  'projects', coalesce((SELECT json_agg(x ORDER BY x.created_at, x.id) FROM (
      SELECT pp.id, r.code AS rome_code, r.label AS rome_label, pp.mobility_radius, pp.hourly_rate_cents,
             pp.contract_type_id, pp.employment_type_id, pp.updated_at, pp.created_at
      FROM professional_project pp LEFT JOIN rome_code r ON r.id = pp.rome_code_id
      WHERE pp.notebook_id = p_notebook) x), '[]'),
  'orientation_system', (SELECT to_json(x) FROM (
      SELECT os.id, os.name, os.orientation_type FROM orientation_system os
      JOIN notebook n ON n.orientation_system_id = os.id WHERE n.id = p_notebook) x),
  'structures', coalesce((SELECT json_agg(x ORDER BY x.since) FROM (
      SELECT bs.structure_id, s.name, s.sensitive, bs.created_at AS since
      FROM beneficiary_structure bs JOIN structure s ON s.id = bs.structure_id
      WHERE bs.beneficiary_id = p_beneficiary AND bs.status = 'current') x), '[]')
);
END
$$;
