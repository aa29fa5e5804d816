"""Test helpers: the application under gunicorn in its own process group, and a small cookie-keeping client."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Run the checkout's code (cwd first on sys.path), whichever checkout the virtual environment was installed from.
REGISTRY = [sys.executable, "-c", "from registry.cli import main; main()"]


def registry(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run the `registry` command in the checkout; returns its output (fails the test on a non-zero exit)."""
    result = subprocess.run([*REGISTRY, *args], cwd=ROOT, env={**os.environ, **env}, input=stdin,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`gunicorn registry:create_app()` on a free port; killed with its workers as one process group."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, threads: int = 4) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--threads", str(threads), "--graceful-timeout", "1", "--preload", "registry:create_app()"],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                _out, err = self.process.communicate(timeout=5)
                raise RuntimeError(f"gunicorn did not start: {err.decode()[-2000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no clean shutdown of anything."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process.stderr:
            self.process.stderr.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Keeps cookies, never follows redirects; returns (status, body, headers)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, method: str, path: str, data: dict[str, str] | None = None,
                timeout: float = 10) -> tuple[int, str, Any]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers

    def csrf(self, path: str) -> str:
        _status, page, _headers = self.request("GET", path)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def sign_in(self, email: str, password: str) -> int:
        token = self.csrf("/login")
        status, _page, _headers = self.request("POST", "/login", {"email": email, "password": password,
                                                                  "csrf_token": token})
        return status
