"""Fixtures for end-to-end tests: a real Prometheus, a Pod (network namespace).

A missing prerequisite (Prometheus binaries, root, ``ip netns``) skips the test on a developer
machine, but FAILS it when ``CI=true``: CI must never go green by skipping the e2e suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from .pod import Pod, netns_missing
from .prom import Prometheus, PrometheusFactory, prometheus_missing


def require(missing: str | None) -> None:
    """Skip (locally) or fail (under CI=true) when ``missing`` names a missing prerequisite."""
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"e2e prerequisite missing under CI=true: {missing}", pytrace=False)
    pytest.skip(f"e2e prerequisite missing: {missing}")


@pytest.fixture
def prometheus_factory(tmp_path: Path) -> Iterator[PrometheusFactory]:
    """``prometheus_factory({"job": ["host:port"]})`` starts a Prometheus, stopped at teardown."""
    require(prometheus_missing())
    started: list[Prometheus] = []

    def start(targets: Mapping[str, Sequence[str]], *, scrape_interval: str = "1s") -> Prometheus:
        workdir = tmp_path / f"prometheus-{len(started)}"
        prom = Prometheus(targets, workdir=workdir, scrape_interval=scrape_interval)
        started.append(prom)
        return prom.start()

    yield start
    for prom in reversed(started):
        prom.stop()


@pytest.fixture
def pod(tmp_path: Path) -> Iterator[Pod]:
    """A running Pod; its ``shared_dir`` (the emptyDir) is ``tmp_path / "emptydir"``."""
    require(netns_missing())
    with Pod(shared_dir=tmp_path / "emptydir", workdir=tmp_path / "pod") as p:
        yield p
