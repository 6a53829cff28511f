"""logsidecar: a log-parsing sidecar that turns a Pod's log files into Prometheus metrics."""

__version__ = "0.1.0"
