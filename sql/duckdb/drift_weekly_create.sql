CREATE TABLE IF NOT EXISTS drift_weekly (
  week_start DATE, workflow VARCHAR, segment VARCHAR, runs BIGINT, prev_runs BIGINT,
  d_success_rate DOUBLE, d_failure_rate DOUBLE, d_escalation_rate DOUBLE, d_override_rate DOUBLE,
  d_retry_rate DOUBLE, d_latest_prompt_share DOUBLE, d_latest_policy_share DOUBLE,
  cost_psi DOUBLE, duration_psi DOUBLE, drift_flag BOOLEAN
)
