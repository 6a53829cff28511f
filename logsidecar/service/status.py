"""What the service says about itself: readiness, the status page's data, and the metrics about
the process (read at scrape time; they describe this process, not the lines, so they are not in
the checkpoint)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from logsidecar import __version__
from logsidecar.detect.alerts import AnomalySnapshot
from logsidecar.metrics.anomalies import anomaly_families
from logsidecar.service.committer import Committer
from logsidecar.service.loop import Loop
from logsidecar.service.reloader import Reloader


class Status:
    def __init__(
        self,
        loop: Loop,
        committer: Committer,
        reloader: Reloader,
        rules_path: str,
        stall_seconds: float,
    ) -> None:
        self.loop = loop
        self.committer = committer
        self.reloader = reloader
        self.rules_path = rules_path
        self.stall_seconds = stall_seconds

    def healthy(self) -> bool:
        return self.loop.clock.monotonic() - self.loop.heartbeat < self.stall_seconds

    def not_ready(self) -> list[str]:
        """Why the sidecar is not ready; empty when it is."""
        why = []
        if self.reloader.running is None:
            why.append("no rule set loaded: " + (self.reloader.last_error or "not yet"))
        elif self.committer.state is not None and not self.committer.ever_committed:
            why.append("no state commit has succeeded yet (is the state directory writable?)")
        if not self.loop.first_pass_done:
            why.append("starting")
        if self.loop.stopping.is_set():
            why.append("stopping")
        return why

    def ready(self) -> bool:
        return not self.not_ready()

    def status(self) -> dict[str, Any]:
        running = self.reloader.running
        snap = self.committer.published
        lag = snap.series.get("logsidecar_file_lag_bytes", {})
        committer = self.committer
        return {
            "version": __version__,
            "ready": self.ready(),
            "not_ready_because": self.not_ready(),
            "rules": self.rules_path,
            "rule_files": list(running.files) if running else [],
            "rules_digest": running.digest if running else "",
            "last_reload_successful": self.reloader.last_ok,
            "last_reload_error": self.reloader.last_error,
            "sources": [
                {"name": s.name, "format": s.format, "paths": list(s.paths)}
                for s in (running.sources if running else ())
            ],
            "rules_loaded": [r.rule.name for r in running.rules] if running else [],
            "files": {labels[0]: value for labels, value in lag.items()},
            "persistence": committer.state.path if committer.state else "off",
            "last_commit": committer.last_success,
            "commit_failing": committer.failing,
            "detectors": detector_status(committer.anomalies),
        }

    def metrics(self) -> Iterator[Metric]:
        reloader, committer = self.reloader, self.committer
        yield from anomaly_families(committer.anomalies)
        yield GaugeMetricFamily(
            "logsidecar_config_last_reload_successful",
            "Whether the rules on disk are the rules in force (0: the last load failed).",
            value=1.0 if reloader.last_ok else 0.0,
        )
        yield GaugeMetricFamily(
            "logsidecar_config_last_reload_success_timestamp_seconds",
            "When the rules were last loaded successfully.",
            value=reloader.last_success,
        )
        yield CounterMetricFamily(
            "logsidecar_config_reloads_total",
            "Rule loads attempted after start-up (a failed load at start-up counts too).",
            value=reloader.reloads,
        )
        yield CounterMetricFamily(
            "logsidecar_config_reload_failures_total",
            "Rule loads that failed (the rules in force, if any, were kept).",
            value=reloader.failures,
        )
        info = GaugeMetricFamily(
            "logsidecar_config_info",
            "The rules in force: a digest of the rule files' names and texts (12 hex digits).",
            labels=["digest"],
        )
        if reloader.running is not None:
            info.add_metric([reloader.running.digest[:12]], 1.0)
        yield info
        if committer.state is None:
            return
        yield GaugeMetricFamily(
            "logsidecar_checkpoint_last_success_timestamp_seconds",
            "When state (offsets with the metrics they produced) was last committed.",
            value=committer.last_success,
        )
        yield CounterMetricFamily(
            "logsidecar_checkpoint_failures_total",
            "Commits that could not be written (metrics are not published until one is).",
            value=committer.failures,
        )
        yield GaugeMetricFamily(
            "logsidecar_checkpoint_bytes",
            "Size of the last state file.",
            value=committer.size,
        )


def detector_status(snap: AnomalySnapshot) -> list[dict[str, Any]]:
    """Each detector as committed: its alerts (state, labels, value, condition, since) and the
    readings of some of its groups (value and condition), for the status page."""
    out = []
    for info in snap.detectors:
        out.append(
            {
                "name": info.name,
                "type": info.type,
                "groups": info.groups,
                "went_firing": info.total,
                "overflow": info.overflow,
                "alerts": [
                    {
                        "state": a.state,
                        "labels": dict(a.labels),
                        "value": a.value,
                        "condition": a.condition,
                        "since": a.since,
                    }
                    for a in snap.active
                    if a.detector == info.name
                ],
                "readings": [
                    {"group": dict(group), "value": value, "condition": condition}
                    for group, value, condition in info.readings
                ],
            }
        )
    return out
