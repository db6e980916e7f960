"""``weekly_report_delivery``: the Monday schedule's last step. The week's report goes to the
destinations of ``alerting.yaml``'s ``reports.to`` through the router's guarantees
(``alerting.reports``): once per destination, whatever the retries and restarts.

It lives here, not in ``assets``, because it joins two L1 peers: the report the assets wrote and
the alert router's delivery."""

from pathlib import Path

import dagster as dg
import orjson

from alerting.config import AlertingConfig, load_alerting
from alerting.ledger import Ledger
from alerting.reports import Delivered, Report, ReportNotDelivered, deliver_report
from assets.partitions import iso_week, weekly
from assets.report.asset import Reports


class ReportDestinations(dg.ConfigurableResource):  # type: ignore[type-arg]
    """``alerting.yaml`` (read when the asset runs, with its secrets) and the router's ledger."""

    alerting_file: str
    alerts_dir: str

    def config(self) -> AlertingConfig:
        return load_alerting(Path(self.alerting_file))

    def deliver(self, config: AlertingConfig, report: Report) -> Delivered:
        ledger = Ledger(Path(self.alerts_dir) / "router.sqlite")
        try:
            return deliver_report(config, ledger, report)
        finally:
            ledger.close()


def load_report(reports: Reports, week: str, base_url: str) -> Report:
    html_path, summary_path = reports.html(week), reports.summary(week)
    summary = orjson.loads(summary_path.read_bytes())
    return Report(
        week=week,
        headline=list(summary.get("headline", [])),
        summary=summary,
        html=html_path.read_bytes(),
        filename=html_path.name,
        url=f"{base_url.rstrip('/')}/{html_path.name}" if base_url else "",
    )


@dg.asset(
    deps=["weekly_report"],
    group_name="report",
    partitions_def=weekly,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="The week's report sent to alerting.yaml's reports.to, once per destination.",
)
def weekly_report_delivery(
    context: dg.AssetExecutionContext, reports: Reports, report_destinations: ReportDestinations
) -> dg.MaterializeResult:
    config = report_destinations.config()
    if config.reports is None:
        context.log.warning("alerting.yaml has no reports section: the report is not sent")
        return dg.MaterializeResult(metadata={"sent": "no reports.to in alerting.yaml"})
    outcomes: dict[str, str] = {}
    for key in context.partition_keys:
        week = iso_week(key)
        report = load_report(reports, week, config.reports.base_url)
        delivered = report_destinations.deliver(config, report)
        outcomes.update({f"{week} {d}": o for d, o in delivered.outcomes.items()})
        if delivered.failed:
            raise ReportNotDelivered(
                f"report {week} not delivered to {', '.join(delivered.failed)}: "
                + "; ".join(delivered.outcomes[d] for d in delivered.failed)
            )
    return dg.MaterializeResult(metadata=outcomes)
