"""Alert delivery: ``agent-alerts`` -> Slack, PagerDuty and signed webhooks (``alerts route``)."""
