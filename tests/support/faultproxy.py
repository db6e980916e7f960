"""A small TCP fault proxy in front of the broker, as its own process, for the fault suite.

The broker advertises the proxy's address, so every client connection (bootstrap and data)
goes through it. Modes, set over a control port (one line each, answered ``ok``):

- ``pass``: forward both ways;
- ``slow MS``: hold every chunk MS milliseconds before forwarding it;
- ``reset``: reset (RST) every open connection and every new one;
- ``down``: close the listening socket (connection refused) and every open connection.

A hung broker is the proxy process stopped with SIGSTOP: connections stay open, nothing
answers (the kernel still queues new connections). Written by hand: a proxy that resets and
refuses on command is a hundred lines, and the known ones (toxiproxy) are Go services.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field


@dataclass
class _State:
    mode: str = "pass"
    delay_s: float = 0.0
    conns: list[tuple[socket.socket, socket.socket]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _rst(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _pump(src: socket.socket, dst: socket.socket, st: _State) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if st.delay_s:
                time.sleep(st.delay_s)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def _drop_all(st: _State) -> None:
    with st.lock:
        conns, st.conns = st.conns, []
    for a, b in conns:
        _rst(a)
        _rst(b)


def _listen(port: int) -> socket.socket:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(128)
    return srv


def _accept_loop(port: int, target: int, st: _State, stop: threading.Event) -> None:
    srv: socket.socket | None = None
    while not stop.is_set():
        if st.mode == "down":
            if srv is not None:
                srv.close()
                srv = None
            time.sleep(0.02)
            continue
        if srv is None:
            srv = _listen(port)
            srv.settimeout(0.05)
        try:
            client, _ = srv.accept()
        except TimeoutError:
            continue
        except OSError:
            continue
        if st.mode == "reset":
            _rst(client)
            continue
        try:
            upstream = socket.create_connection(("127.0.0.1", target), timeout=5)
        except OSError:
            _rst(client)
            continue
        upstream.settimeout(None)
        for s in (client, upstream):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with st.lock:
            st.conns.append((client, upstream))
        threading.Thread(target=_pump, args=(client, upstream, st), daemon=True).start()
        threading.Thread(target=_pump, args=(upstream, client, st), daemon=True).start()


def _control(port: int, st: _State, stop: threading.Event) -> None:
    srv = _listen(port)
    while not stop.is_set():
        conn, _ = srv.accept()
        with conn, conn.makefile("rw") as f:
            for line in f:
                words = line.split()
                if not words:
                    continue
                if words[0] == "slow":
                    st.delay_s, st.mode = float(words[1]) / 1000, "slow"
                else:
                    st.mode, st.delay_s = words[0], 0.0
                    if st.mode in ("reset", "down"):
                        _drop_all(st)
                f.write("ok\n")
                f.flush()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--control", type=int, required=True)
    args = ap.parse_args()
    st, stop = _State(), threading.Event()
    threading.Thread(
        target=_accept_loop, args=(args.listen, args.target, st, stop), daemon=True
    ).start()
    print("ready", flush=True)
    _control(args.control, st, stop)


class FaultProxy:
    """The proxy process, driven from a test."""

    def __init__(self, listen: int, target: int, control: int) -> None:
        self.listen, self.target, self.control = listen, target, control
        self.proc: subprocess.Popen[str] | None = None
        self._ctl: socket.socket | None = None

    def start(self) -> FaultProxy:
        cmd = [sys.executable, "-m", "tests.support.faultproxy", "--listen", str(self.listen)]
        cmd += ["--target", str(self.target), "--control", str(self.control)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 10
        while True:
            try:
                self._ctl = socket.create_connection(("127.0.0.1", self.control), timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline, "the fault proxy's control port never opened"
                time.sleep(0.05)
        return self

    def mode(self, *words: str) -> None:
        assert self._ctl is not None
        self._ctl.sendall((" ".join(words) + "\n").encode())
        assert self._ctl.recv(16).startswith(b"ok")

    def hang(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            self.resume()
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self._ctl is not None:
            self._ctl.close()


if __name__ == "__main__":
    main()
