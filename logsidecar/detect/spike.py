"""spike: a rule's matches in the current window against the same-sized windows of a baseline.

Buckets of `window / 10` (10 per window, not the 60-bucket rule of the other windows), aligned to
the epoch. With `B = floor(baseline / window)` baseline slots, at `now` (bucket `b`):
current = buckets `b-9 .. b`; slot j (1..B) = buckets `b-10(j+1)+1 .. b-10j`. The ring keeps the
last `10 (B + 1)` buckets per group, sparse, with a running total; the baseline statistics
(slot sums, mean, population sd, EWMA) change only when `b` moves, so they are cached per group
with the bucket index they belong to (O(B) per group per bucket step, none per read in between);
current = total - baseline sum.

Methods: ratio = current / mean (mean 0: inf when current > 0, else 1); zscore = (current -
mean) / sd (sd 0: 0 when current == mean, else +-inf); ewma over the slots oldest first (alpha =
2 / (B + 1), m = x1, v = 0; d = x - m; m += alpha d; v = (1 - alpha)(v + alpha d^2)), value =
(current - m) / sqrt(v) (v 0: like zscore). `up` fires when value >= threshold and current >=
min_current; `down` when value <= 1/threshold (ratio) or <= -threshold (others) and the baseline
mean >= min_current; `both`: either. Before the detector has watched `window * (B + 1)`
(a whole baseline and a window) no group has a value and none fires; groups share the detector's
start, so a group first seen late has a baseline of zeros. A group goes when all its buckets are
empty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from logsidecar.detect.buckets import Ring, RingMeasure, Track
from logsidecar.detect.compare import g, span
from logsidecar.detect.measure import Labels, Reading
from logsidecar.rules.detectors import Spike

PER_WINDOW = 10  # buckets per window
Stats = tuple[int, float, float, float, float, float]  # bucket, baseline sum, mean, sd, m, sd_m


class SpikeMeasure(RingMeasure):
    kind = "spike"

    def __init__(self, detector: Spike, started: float) -> None:
        super().__init__(started)
        self.window = detector.window
        self.slots = max(1, math.floor(detector.baseline / detector.window + 1e-9))
        self.width = len(detector.group_by)
        self.method = detector.method
        self.direction = detector.direction
        self.threshold = detector.threshold
        self.min_current = detector.min_current
        self.watch = detector.window * (self.slots + 1)  # history needed for a full baseline
        res = detector.window / PER_WINDOW
        self.ring = Ring(res, PER_WINDOW * (self.slots + 1), 1, 1, detector.max_groups)

    def add(
        self, tap: int, time: float, group: Labels, count: int, values: Mapping[str, int] | None
    ) -> None:
        time = self._at(time)
        b = self.ring.index(time)
        track = self.ring.admit(group, b, time)
        if track is None:
            self.overflow += count
            return
        self.ring.put(track, b, 0, count)

    def read(self, now: float) -> dict[Labels, Reading]:
        now = self._at(now)
        b = self.ring.index(now)
        full = now - self.started >= self.watch
        out: dict[Labels, Reading] = {}
        for group, track in self.ring.items():
            if self.ring.advance(track, b):
                del self.ring.tracks[group]
                continue
            stats = self._stats(track, b)
            current = track.totals[0] - stats[1]
            if not full:
                text = (
                    f"baseline not full: watched {span(now - self.started)} of "
                    f"{span(self.watch)} (current {g(current)})"
                )
                out[group] = Reading(None, False, text)
            else:
                out[group] = self._reading(current, stats)
        return out

    def _stats(self, track: Track, b: int) -> Stats:
        cached: Stats | None = track.cache
        if cached is not None and cached[0] == b:
            return cached
        sums = [0.0] * (self.slots + 1)  # 0: current; j: baseline slot j (newest first)
        for bucket in track.buckets:
            sums[(b - int(bucket[0])) // PER_WINDOW] += bucket[1]
        base = sums[1:]
        total = sum(base)
        mean = total / self.slots
        sd = math.sqrt(sum((x - mean) ** 2 for x in base) / self.slots)
        m = v = 0.0
        if self.method == "ewma":
            alpha = 2 / (self.slots + 1)
            oldest_first = base[::-1]
            m = oldest_first[0]
            for x in oldest_first[1:]:
                d = x - m
                m += alpha * d
                v = (1 - alpha) * (v + alpha * d * d)
        stats = track.cache = (b, total, mean, sd, m, math.sqrt(v))
        return stats

    def _value(self, current: float, mean: float, sd: float, m: float, sd_m: float) -> float:
        if self.method == "ratio":
            if mean == 0:
                return math.inf if current > 0 else 1.0
            return current / mean
        centre, spread = (mean, sd) if self.method == "zscore" else (m, sd_m)
        if spread == 0:
            return 0.0 if current == centre else math.copysign(math.inf, current - centre)
        return (current - centre) / spread

    def _reading(self, current: float, stats: Stats) -> Reading:
        _, _, mean, sd, m, sd_m = stats
        value = self._value(current, mean, sd, m, sd_m)
        low = 1 / self.threshold if self.method == "ratio" else -self.threshold
        up = self.direction != "down" and value >= self.threshold
        down = self.direction != "up" and value <= low
        up_fires = up and current >= self.min_current
        down_fires = down and mean >= self.min_current
        fires = up_fires or down_fires
        if self.method == "ewma":
            about = f"current {g(current)}, ewma {m:.1f} sd {sd_m:.1f} over {self.slots} windows"
        else:
            spread = f" sd {sd:.1f}" if self.method == "zscore" else ""
            about = f"current {g(current)}, baseline mean {mean:.1f}{spread}"
            about += f" over {self.slots} windows"
        said = f"{self.method} {value:.2f}"
        if up or down:
            relation = f">= {g(self.threshold)}" if up else f"<= {g(low)}"
            said = f"{said} {relation}"
            if not fires:
                short = f"current {g(current)}" if up else f"baseline mean {mean:.1f}"
                said = f"{said} but {short} < min_current {g(self.min_current)}"
        else:
            wanted = [f">= {g(self.threshold)}"] if self.direction != "down" else []
            wanted += [f"<= {g(low)}"] if self.direction != "up" else []
            said = f"{said}, not {' nor '.join(wanted)}"
        return Reading(value, fires, f"{said} ({about})")
