"""The few calls of Flink's REST API that running the job on a cluster needs.

A thin client over httpx rather than a library: no maintained Python client covers Flink 2.0's
REST API (the endpoints are documented at
https://nightlies.apache.org/flink/flink-docs-release-2.0/docs/ops/rest_api/).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from streams.errors import AgentgaugeError

TERMINAL = frozenset({"FINISHED", "FAILED", "CANCELED"})


class FlinkRestError(AgentgaugeError):
    """The cluster's REST endpoint did not answer, or refused a request."""


class FlinkRest:
    """One cluster's REST endpoint, ``host:port``."""

    def __init__(self, address: str, timeout_s: float = 10.0) -> None:
        self.address = address
        self._http = httpx.Client(base_url=f"http://{address}", timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise FlinkRestError(f"Flink REST {self.address}{path}: {exc}") from exc
        if response.status_code >= 400:
            raise FlinkRestError(
                f"Flink REST {method} {path}: HTTP {response.status_code} {response.text[:300]}"
            )
        return response.json() if response.content else {}

    def reachable(self) -> bool:
        try:
            self.overview()
        except FlinkRestError:
            return False
        return True

    def overview(self) -> dict[str, Any]:
        """``taskmanagers``, ``slots-total``, ``slots-available``, ``jobs-running``, ..."""
        found: dict[str, Any] = self._call("GET", "/overview")
        return found

    def taskmanagers(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "/taskmanagers").get("taskmanagers", [])
        return found

    def jobs(self) -> list[dict[str, Any]]:
        """Every job the cluster knows: ``jid``, ``name``, ``state``, ``start-time``, ..."""
        found: list[dict[str, Any]] = self._call("GET", "/jobs/overview").get("jobs", [])
        return found

    def job(self, job_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/jobs/{job_id}")
        return found

    def state(self, job_id: str) -> str:
        return str(self.job(job_id).get("state", "UNKNOWN"))

    def root_exception(self, job_id: str) -> dict[str, str]:
        """The newest failure of a job: exception class, message and the task it came from."""
        history = self._call("GET", f"/jobs/{job_id}/exceptions").get("exceptionHistory") or {}
        entries = history.get("entries") or []
        if not entries:
            return {"exception": "unknown", "message": "", "operator": "unknown"}
        entry = entries[0]
        lines = str(entry.get("stacktrace") or "").splitlines()
        # The root cause: the last "Caused by:" (the first line is Flink's wrapper, such as
        # "Recovery is suppressed by NoRestartBackoffTimeStrategy").
        causes = [ln.removeprefix("Caused by: ") for ln in lines if ln.startswith("Caused by: ")]
        root = (causes or lines or [str(entry.get("exceptionName", "unknown"))])[-1]
        name, _, message = root.partition(": ")
        return {
            "exception": name.strip() or "unknown",
            "message": message.strip(),
            "operator": str(entry.get("taskName") or "unknown"),
        }

    def checkpoints(self, job_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/jobs/{job_id}/checkpoints")
        return found

    def cancel(self, job_id: str) -> None:
        self._call("PATCH", f"/jobs/{job_id}", params={"mode": "cancel"})

    def stop_with_savepoint(self, job_id: str, directory: str, timeout_s: float = 60.0) -> str:
        """Stop the job with a savepoint into ``directory``; returns the savepoint's location.
        Right after a start some tasks are still deploying and Flink refuses the savepoint:
        then it is asked again, until ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            trigger = self._call(
                "POST",
                f"/jobs/{job_id}/stop",
                json={"targetDirectory": directory, "drain": False, "formatType": "CANONICAL"},
            )["request-id"]
            while True:
                status = self._call("GET", f"/jobs/{job_id}/savepoints/{trigger}")
                if status.get("status", {}).get("id") == "COMPLETED":
                    break
                if time.monotonic() > deadline:
                    raise FlinkRestError(f"the savepoint of {job_id} took over {timeout_s:.0f} s")
                time.sleep(0.5)  # polling the trigger's status
            operation = status.get("operation") or {}
            if "location" in operation:
                return str(operation["location"])
            cause = str(operation.get("failure-cause", {}).get("stack-trace", operation))
            if "NOT_ALL_REQUIRED_TASKS_RUNNING" not in cause and "not all required" not in cause:
                raise FlinkRestError(f"the savepoint of {job_id} failed: {cause[:500]}")
            if time.monotonic() > deadline:
                raise FlinkRestError(f"the savepoint of {job_id} failed: {cause[:500]}")
            time.sleep(1.0)  # the tasks are still deploying
