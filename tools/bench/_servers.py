"""The `odoo-bin` servers of the bench harness (tools/bench/_harness.py): one server
(threaded or prefork) or several behind the round-robin proxy of _proxy.py, each in
its own process group, stopped when the harness exits."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log(msg):
    sys.stderr.write("[harness] %s\n" % msg)
    sys.stderr.flush()


class ServersMixin:
    """Needs the harness's db, _exit, _odoo_bin(), _odoo_args(), odoo_log_level."""

    server = None
    server_port = None
    servers = ()
    proxy = None

    # -- odoo-bin server ---------------------------------------------------------
    def start_server(self, *, workers=0, cron_threads=1, extra=(), log_file=None):
        """Start `odoo-bin` on this database (HTTP on a free port); wait until ready."""
        if self.server is not None:
            return self.server
        self.server_port = free_port()
        self.server_log = log_file or "/tmp/%s-server.log" % self.db
        self.server = self._spawn_server(
            self.server_port, self.server_log, workers, cron_threads, extra
        )
        self.servers = [self.server]
        self._exit.callback(self.stop_server)
        self._wait_listening(self.server, self.server_port, self.server_log)
        return self.server

    def start_servers(
        self, count, *, workers=2, cron_threads=1, extra=(), log_files=None
    ):
        """`count` `odoo-bin` servers on this one database, each on its own HTTP
        port (prefork when `workers`, with `cron_threads` cron workers each) and
        `--proxy-mode`, behind a round-robin proxy (tools/bench/_proxy.py) started
        here: `self.server_port` is the proxy's port, the one clients and webhooks
        use. Sessions and the filestore are shared through one `--data-dir`."""
        from _proxy import RoundRobinProxy

        if self.server is not None:
            return self.servers
        ports = [free_port() for _n in range(count)]
        logs = list(log_files or [])
        logs += [
            "/tmp/%s-server%d.log" % (self.db, n + 1) for n in range(len(logs), count)
        ]
        self.servers = []
        self._exit.callback(self.stop_server)
        for port, log_path in zip(ports, logs, strict=True):
            self.servers.append(
                self._spawn_server(
                    port, log_path, workers, cron_threads, ("--proxy-mode", *extra)
                )
            )
        for proc, port, log_path in zip(self.servers, ports, logs, strict=True):
            self._wait_listening(proc, port, log_path)
        self.server = self.servers[0]
        self.server_logs, self.backend_ports = logs, ports
        self.proxy = RoundRobinProxy([("127.0.0.1", p) for p in ports]).start()
        self._exit.callback(self.proxy.stop)
        self.server_port = self.proxy.port
        _log(
            "round-robin proxy on :%d -> %s"
            % (self.proxy.port, ", ".join(":%d" % p for p in ports))
        )
        return self.servers

    def _spawn_server(self, port, log_path, workers, cron_threads, extra):
        log = open(log_path, "ab")  # noqa: SIM115 - closed by the exit stack
        self._exit.callback(log.close)
        cmd = [
            *self._odoo_bin(),
            *self._odoo_args(),
            "--http-port=%d" % port,
            "--http-interface=127.0.0.1",
            "--workers=%d" % workers,
            "--max-cron-threads=%d" % cron_threads,
            "--log-level=%s" % self.odoo_log_level,
            *extra,
        ]
        if workers:
            cmd.append("--gevent-port=%d" % free_port())
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        _log(
            "odoo-bin pid %d on :%d (workers=%d, cron %s=%d), log %s"
            % (
                proc.pid,
                port,
                workers,
                "workers" if workers else "threads",
                cron_threads,
                log_path,
            )
        )
        return proc

    @staticmethod
    def _wait_listening(proc, port, log_path):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("odoo-bin exited early, see %s" % log_path)
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=1),
            ):
                # The port answers once the registry is loaded (-d preloads it).
                return
            time.sleep(0.3)
        raise RuntimeError("odoo-bin did not listen in 120s, see %s" % log_path)

    def stop_server(self):
        """Stop the servers this harness started (their own process groups only)."""
        procs, self.servers, self.server = list(self.servers), [], None
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
