"""Benchmark: the canary judge against scipy's Mann–Whitney U test on the same data.

Judges 200 metrics of 1,000 points per side with :func:`activities.canary.judge.judge`
and runs ``scipy.stats.mannwhitneyu(exp, ctl, method="asymptotic")`` once on each of
the same 200 pairs, in the same process, and prints the ratio of the two times.
The judge does more than one test (a confidence interval and an estimate, each a
root search over the statistic, plus preprocessing and scoring); the target is a
ratio of at most 5.

Run: ``python bench/judge.py [--metrics N] [--points N] [--repeat N] [--seed N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import mannwhitneyu

# Run as a script from a checkout: make the repository importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from activities.canary.judge import judge
from models.canary import CanaryConfig, MetricSetPair, ScoreThresholds

TARGET_RATIO = 5.0


def make_pairs(metrics: int, points: int, seed: int) -> list[MetricSetPair]:
    """Metric series shaped like real ones: latencies, counts with ties, error rates."""
    rng = np.random.default_rng(seed)
    pairs = []
    for i in range(metrics):
        kind = i % 4
        shift = rng.choice([0.0, 0.0, 0.02, -0.02, 0.2])
        if kind == 0:  # latency-like, continuous
            control = rng.lognormal(4.0, 0.3, points)
            experiment = rng.lognormal(4.0 + shift, 0.3, points)
        elif kind == 1:  # request counts, many ties
            control = rng.poisson(50, points).astype(float)
            experiment = rng.poisson(50 * (1 + shift), points).astype(float)
        elif kind == 2:  # small error rates (absolute solver tolerance matters here)
            control = rng.beta(2, 400, points)
            experiment = rng.beta(2, 400 * (1 - shift), points)
        else:  # CPU-like, rounded to one decimal
            control = np.round(rng.normal(40, 5, points), 1)
            experiment = np.round(rng.normal(40 * (1 + shift), 5, points), 1)
        pairs.append(
            MetricSetPair.model_validate(
                {
                    "name": f"metric-{i}",
                    "values": {"control": control.tolist(), "experiment": experiment.tolist()},
                }
            )
        )
    return pairs


def make_config(metrics: int) -> CanaryConfig:
    return CanaryConfig.model_validate(
        {
            "name": "bench",
            "metrics": [
                {"name": f"metric-{i}", "groups": [f"group-{i % 5}"], "query": {"type": "inline"}}
                for i in range(metrics)
            ],
        }
    )


def best_time(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, default=200)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    pairs = make_pairs(args.metrics, args.points, args.seed)
    config = make_config(args.metrics)
    thresholds = ScoreThresholds.model_validate({"pass": 95.0, "marginal": 75.0})
    arrays = [(np.asarray(p.values.experiment), np.asarray(p.values.control)) for p in pairs]

    def run_judge() -> dict[str, Any]:
        return judge(config, thresholds, pairs)

    def run_scipy() -> object:
        return [mannwhitneyu(e, c, method="asymptotic") for e, c in arrays]

    # Warm both up, then interleave the measurements so drift affects both alike.
    run_judge()
    run_scipy()
    judge_time = scipy_time = float("inf")
    for _ in range(args.repeat):
        judge_time = min(judge_time, best_time(run_judge, 1))
        scipy_time = min(scipy_time, best_time(run_scipy, 1))

    ratio = judge_time / scipy_time
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    result = run_judge()
    print(f"metrics: {args.metrics}, points per side: {args.points}, best of {args.repeat}")
    print(f"judge():                     {judge_time * 1e3:8.1f} ms")
    print(f"scipy mannwhitneyu x{args.metrics}:    {scipy_time * 1e3:8.1f} ms")
    print(f"canary score: {result['score']['score']} ({result['score']['classification']})")
    print(f"ratio: {ratio:.2f} (target <= {TARGET_RATIO:g}): {verdict}")


if __name__ == "__main__":
    main()
