-- Per workflow across segments (segment = 'ALL') and the overall row (workflow = 'ALL').
INSERT INTO scorecard_weekly_rollup BY NAME
SELECT * FROM scorecard_stage WHERE level IN ('workflow', 'overall')
