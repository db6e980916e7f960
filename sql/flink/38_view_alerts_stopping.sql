-- The alerts of the rules that stop spend: the five per-run rules and the customer's hourly
-- ceiling. Each also opens a breaker (43_view_breakers_opened.sql).
--   run_cost_ceiling run-1, run_tool_call_budget run-9, customer_spend_ceiling cust-7, ...
CREATE TEMPORARY VIEW alerts_stopping AS
SELECT * FROM alerts_run_cost_ceiling
UNION ALL
SELECT * FROM alerts_run_tool_call_budget
UNION ALL
SELECT * FROM alerts_loop_detected
UNION ALL
SELECT * FROM alerts_run_token_budget
UNION ALL
SELECT * FROM alerts_run_time_budget
UNION ALL
SELECT * FROM alerts_customer_spend_ceiling
