"""Read-side functions over the warehouse and the lake, without Dagster: replay and audit of a
session, alert acknowledgement, the scorecard query and the lake export."""
