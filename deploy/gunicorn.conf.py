"""gunicorn settings for the registry (docs/deployment.md). Values can be overridden by the environment
variables named below, e.g. in /etc/registry/registry.env."""

import multiprocessing
import os

bind = os.environ.get("REGISTRY_BIND", "127.0.0.1:8000")  # only nginx may reach it: the app trusts X-Forwarded-*
workers = int(os.environ.get("REGISTRY_WORKERS", min(2 * multiprocessing.cpu_count(), 8)))
threads = int(os.environ.get("REGISTRY_THREADS", 4))
worker_class = "gthread"
timeout = 60  # the longest legitimate request is a large PDF or XLSX export
graceful_timeout = 30
keepalive = 5
max_requests = 5000  # recycle workers now and then, so memory cannot creep
max_requests_jitter = 500
preload_app = True  # one import in the master; workers fork with the code loaded
wsgi_app = "registry:create_app()"
# The application writes its own JSON-line request log (registry/core/logs.py) on stderr, which systemd's
# journal keeps; gunicorn's access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = "warning"
forwarded_allow_ips = "127.0.0.1"

