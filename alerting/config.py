"""``alerting.yaml``: destinations, routing rules, quiet hours, rate limits and retries.

Secrets (webhook URLs, routing keys, signing secrets) are named by environment variable in the
file and read when the file is loaded, never at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from streams.errors import ConfigError

Severity = Literal["critical", "warning"]
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"


class AlertingConfigError(ConfigError):
    """alerting.yaml is missing, malformed or names a secret that is not set."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Retry(_Strict):
    attempts: int = Field(default=5, ge=1, le=50)
    initial_seconds: float = Field(default=1.0, ge=0)
    max_seconds: float = Field(default=30.0, ge=0)
    jitter_seconds: float = Field(default=1.0, ge=0)


class QuietHours(_Strict):
    """Non-critical alerts to this destination are held back (recorded, not sent) in
    [start, end), local time in ``timezone``."""

    start: time
    end: time
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def active(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight


class RateLimit(_Strict):
    """At most ``max_alerts`` non-critical alerts per ``per_minutes`` to this destination."""

    max_alerts: int = Field(ge=1)
    per_minutes: float = Field(gt=0)


class _Destination(_Strict):
    timeout_seconds: float | None = Field(default=None, gt=0)
    retry: Retry | None = None
    quiet_hours: QuietHours | None = None
    rate_limit: RateLimit | None = None
    url: str | None = None
    url_env: str | None = None


class SlackDestination(_Destination):
    type: Literal["slack"]
    # The weekly report's file goes through Slack's files API, which needs a bot token (an
    # incoming webhook can only post text): with both set, the report is uploaded to `channel`
    # with the headline as its comment; without, the message links to the report.
    bot_token_env: str | None = None
    channel: str | None = None
    api_url: str = "https://slack.com/api"


class PagerDutyDestination(_Destination):
    type: Literal["pagerduty"]
    routing_key_env: str


class WebhookDestination(_Destination):
    type: Literal["webhook"]
    secret_env: str


Destination = Annotated[
    SlackDestination | PagerDutyDestination | WebhookDestination, Field(discriminator="type")
]


class Match(_Strict):
    """Empty or missing lists match anything."""

    rule: list[str] = Field(default_factory=list)
    severity: list[Severity] = Field(default_factory=list)
    workflow: list[str] = Field(default_factory=list)
    segment: list[str] = Field(default_factory=list)

    def matches(self, alert: Mapping[str, object]) -> bool:
        return all(
            not wanted or alert.get(field) in wanted
            for field, wanted in (
                ("rule", self.rule),
                ("severity", self.severity),
                ("workflow", self.workflow),
                ("segment", self.segment),
            )
        )


class Route(_Strict):
    match: Match = Field(default_factory=Match)
    to: list[str] = Field(min_length=1)


class ReportDelivery(_Strict):
    """Where the weekly report goes on the Monday schedule (docs/report.md)."""

    to: list[str] = Field(min_length=1)
    base_url: str = ""  # prefix of the link readers open (where var/reports is served)


class Defaults(_Strict):
    timeout_seconds: float = Field(default=5.0, gt=0)
    retry: Retry = Field(default_factory=Retry)
    max_alert_age_minutes: float = Field(
        default=1440, gt=0, description="Older alerts are recorded as stale, not sent"
    )


class AlertingFile(_Strict):
    version: Literal[1]
    runbook_base_url: str = ""
    defaults: Defaults = Field(default_factory=Defaults)
    destinations: dict[str, Destination] = Field(min_length=1)
    routes: list[Route] = Field(min_length=1)
    reports: ReportDelivery | None = None


class ResolvedDestination(BaseModel):
    """A destination with its secrets read and its defaults applied."""

    name: str
    type: Literal["slack", "pagerduty", "webhook"]
    url: str
    secret: SecretStr | None = None  # webhook signing secret or PagerDuty routing key
    timeout_seconds: float
    retry: Retry
    quiet_hours: QuietHours | None = None
    rate_limit: RateLimit | None = None
    slack_bot_token: SecretStr | None = None
    slack_channel: str | None = None
    slack_api_url: str = "https://slack.com/api"


class AlertingConfig(BaseModel):
    runbook_base_url: str
    max_alert_age_minutes: float
    destinations: dict[str, ResolvedDestination]
    routes: list[Route]
    reports: ReportDelivery | None = None

    def destinations_for(self, alert: Mapping[str, object]) -> list[str]:
        """Every destination of every route whose match fits (the union, in file order)."""
        out: list[str] = []
        for route in self.routes:
            if route.match.matches(alert):
                out += [d for d in route.to if d not in out]
        return out


def _env(name: str, field: str, env: Mapping[str, str]) -> str:
    value = env.get(name, "")
    if not value:
        raise AlertingConfigError(f"{field}: environment variable {name} is not set")
    return value


def _resolve(
    name: str, d: Destination, defaults: Defaults, env: Mapping[str, str]
) -> ResolvedDestination:
    where = f"destinations.{name}"
    if d.url and d.url_env:
        raise AlertingConfigError(f"{where}: give url or url_env, not both")
    if d.url_env:
        url = _env(d.url_env, f"{where}.url_env", env)
    elif d.url:
        url = d.url
    elif isinstance(d, PagerDutyDestination):
        url = PAGERDUTY_URL
    else:
        raise AlertingConfigError(f"{where}: url or url_env is required")
    if not url.startswith(("http://", "https://")):
        raise AlertingConfigError(f"{where}: url must start with http:// or https://")
    secret: str | None = None
    slack: dict[str, Any] = {}
    if isinstance(d, SlackDestination) and (d.bot_token_env or d.channel):
        if not (d.bot_token_env and d.channel):
            raise AlertingConfigError(f"{where}: give both bot_token_env and channel, or neither")
        slack = {
            "slack_bot_token": SecretStr(_env(d.bot_token_env, f"{where}.bot_token_env", env)),
            "slack_channel": d.channel,
            "slack_api_url": d.api_url.rstrip("/"),
        }
    if isinstance(d, PagerDutyDestination):
        secret = _env(d.routing_key_env, f"{where}.routing_key_env", env)
    elif isinstance(d, WebhookDestination):
        secret = _env(d.secret_env, f"{where}.secret_env", env)
    return ResolvedDestination(
        name=name,
        type=d.type,
        url=url,
        secret=SecretStr(secret) if secret is not None else None,
        timeout_seconds=d.timeout_seconds or defaults.timeout_seconds,
        retry=d.retry or defaults.retry,
        quiet_hours=d.quiet_hours,
        rate_limit=d.rate_limit,
        **slack,
    )


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def load_alerting(path: Path, env: Mapping[str, str] | None = None) -> AlertingConfig:
    """Read and check ``alerting.yaml``; every problem names the file and the field."""
    env = os.environ if env is None else env
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise AlertingConfigError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise AlertingConfigError(f"{path} is not valid YAML: {exc}") from None
    try:
        parsed = AlertingFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise AlertingConfigError(f"{path}: {problems}") from None
    for i, route in enumerate(parsed.routes):
        unknown = [d for d in route.to if d not in parsed.destinations]
        if unknown:
            raise AlertingConfigError(f"{path}: routes.{i}.to: unknown destination(s) {unknown}")
    if parsed.reports is not None:
        unknown = [d for d in parsed.reports.to if d not in parsed.destinations]
        if unknown:
            raise AlertingConfigError(f"{path}: reports.to: unknown destination(s) {unknown}")
        paging = [d for d in parsed.reports.to if parsed.destinations[d].type == "pagerduty"]
        if paging:
            raise AlertingConfigError(
                f"{path}: reports.to: {paging} page on-call; a report goes to Slack or a webhook"
            )
    try:
        destinations = {
            n: _resolve(n, d, parsed.defaults, env) for n, d in parsed.destinations.items()
        }
    except AlertingConfigError as exc:
        raise AlertingConfigError(f"{path}: {exc}") from None
    return AlertingConfig(
        runbook_base_url=parsed.runbook_base_url,
        max_alert_age_minutes=parsed.defaults.max_alert_age_minutes,
        destinations=destinations,
        routes=parsed.routes,
        reports=parsed.reports,
    )
