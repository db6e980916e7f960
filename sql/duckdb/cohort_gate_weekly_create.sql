CREATE TABLE IF NOT EXISTS cohort_gate_weekly (
  week_start DATE, workflow VARCHAR, canary_runs BIGINT, control_runs BIGINT,
  canary_success_rate DOUBLE, control_success_rate DOUBLE,
  canary_escalation_rate DOUBLE, control_escalation_rate DOUBLE,
  canary_override_rate DOUBLE, control_override_rate DOUBLE, gate_pass BOOLEAN
)
