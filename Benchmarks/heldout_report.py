#!/usr/bin/env python3
"""The held-out results table: per env, over the runs on the reporting seeds (101–110) in heldout-results.csv,
mean ± std of the deterministic evaluations, the interquartile mean (IQM) with a 95 % percentile-bootstrap
interval over runs, the goal, and the tuning seeds' mean beside it (classic-results.csv: the seeds 1–5 figures of
Benchmarks/README.md's training results; mujoco-results.csv: the MuJoCo runs).

The IQM and its interval are rliable's (Agarwal et al., NeurIPS 2021): `aggregate_iqm` is
`scipy.stats.trim_mean(scores, 0.25)`, which with 10 runs cuts the 2 lowest and the 2 highest (⌊0.25·10⌋ per
side) and averages the middle 6; the interval resamples the runs with replacement (stratified by env: one env per
table row) and takes the 2.5th and 97.5th percentiles of the resampled IQMs. `--check-rliable` computes both with
rliable itself (a benchmark venv: pip install rliable) and fails if they differ by more than the bootstrap's own
noise.

usage: heldout_report.py [CSV] [--seeds 101-110] [--tuning CSV…] [--reps 50000]
                         [--check-rliable]
"""
import argparse
import csv
import statistics
import sys
from collections import defaultdict

import numpy as np

# The goal beside each env: Gymnasium's reward_threshold for classic control (Pendulum-v1 has none), and for
# MuJoCo the best of CleanRL's and rl-baselines3-zoo's PPO at 1M steps, as the README's MuJoCo table states.
GOALS = {
    "CartPole-v1": 475, "Acrobot-v1": -100, "MountainCar-v0": -110, "Pendulum-v1": None,
    "MountainCarContinuous-v0": 90,
    "HalfCheetah-v5": 5800, "Hopper-v5": 2400, "Walker2d-v5": 3500, "Ant-v5": 1400, "Humanoid-v5": 720,
    "Swimmer-v5": 280, "InvertedPendulum-v5": 1000, "InvertedDoublePendulum-v5": 9000, "Reacher-v5": -5,
    "Pusher-v5": -40,
}


def iqm(scores):
    """rliable's aggregate_iqm for one env: scipy.stats.trim_mean(scores, 0.25), written out with numpy."""
    x = np.sort(np.asarray(scores, dtype=float))
    cut = int(0.25 * len(x))
    return float(x[cut:len(x) - cut].mean())


def bootstrap_interval(scores, reps, rng, size=0.95):
    """Percentile bootstrap over runs: resample the runs with replacement `reps` times, IQM of each resample."""
    x = np.asarray(scores, dtype=float)
    idx = rng.integers(0, len(x), size=(reps, len(x)))
    samples = np.sort(x[idx], axis=1)
    cut = int(0.25 * len(x))
    stats = samples[:, cut:len(x) - cut].mean(axis=1)
    tail = (1 - size) / 2 * 100
    return float(np.percentile(stats, tail)), float(np.percentile(stats, 100 - tail))


def rliable_estimate(scores, reps):
    from rliable import library as rly
    from rliable import metrics
    point, interval = rly.get_interval_estimates(
        {"run": np.asarray(scores, dtype=float).reshape(-1, 1)},
        lambda x: np.array([metrics.aggregate_iqm(x)]), reps=reps)
    return float(point["run"][0]), float(interval["run"][0][0]), float(interval["run"][1][0])


def parse_seeds(text):
    seeds = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.update(range(int(lo), int(hi or lo) + 1))
    return seeds


def held_out_runs(path, seeds):
    """Per env, the rows of the newest (preset hash, commit) group on the reporting seeds, one per seed."""
    by_env = defaultdict(list)
    with open(path) as f:
        for row in csv.DictReader(f):
            if int(row["seed"]) in seeds:
                by_env[row["env"]].append(row)
    chosen = {}
    for env, rows in by_env.items():
        newest = max(rows, key=lambda r: r["finished_utc"])
        group = [r for r in rows if (r["preset_hash"], r["commit"]) == (newest["preset_hash"], newest["commit"])]
        chosen[env] = sorted({int(r["seed"]): r for r in group}.values(), key=lambda r: int(r["seed"]))
    return chosen


def tuning_means(paths):
    """Per env, the mean over the tuning seeds (1–5) of the runs in these CSVs (env, seed, eval_mean)."""
    means = defaultdict(list)
    for path in paths:
        with open(path) as f:
            for row in csv.DictReader(f):
                if int(row["seed"]) in range(1, 6):
                    means[row["env"]].append(float(row["eval_mean"]))
    return {env: statistics.mean(v) for env, v in means.items()}


def fmt(x):
    return f"{x:,.1f}".replace("-", "−")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", nargs="?", default="Benchmarks/heldout-results.csv")
    ap.add_argument("--seeds", default="101-110", help="reporting seeds, e.g. 101-110 or 101,103")
    ap.add_argument("--tuning", nargs="*", default=["Benchmarks/classic-results.csv", "Benchmarks/mujoco-results.csv"],
                    help="CSVs of the tuning-seed runs (env, seed, eval_mean)")
    ap.add_argument("--reps", type=int, default=50000, help="bootstrap resamples (rliable's default)")
    ap.add_argument("--check-rliable", action="store_true", help="compare the IQM and interval with rliable's")
    args = ap.parse_args()
    runs = held_out_runs(args.csv, parse_seeds(args.seeds))
    tuning = tuning_means(args.tuning)
    rng = np.random.default_rng(0)
    print("| env | goal | runs | mean ± std | IQM (95 % CI) | meets goal: mean / IQM | tuning seeds 1–5, mean "
          "| per seed | wall time per run, median (load) |")
    print("|---|---|---|---|---|---|---|---|---|")
    failures = 0
    for env in [e for e in GOALS if e in runs] + sorted(set(runs) - set(GOALS)):
        rows = runs[env]
        scores = [float(r["eval_mean"]) for r in rows]
        mean, std = statistics.mean(scores), statistics.pstdev(scores)
        point = iqm(scores)
        lo, hi = bootstrap_interval(scores, args.reps, rng)
        goal = GOALS.get(env)
        met = "—" if goal is None else f"{'yes' if mean >= goal else 'no'} / {'yes' if point >= goal else 'no'}"
        walls = [float(r["wall_seconds"]) for r in rows]
        load = max(float(r["load_1min"]) for r in rows)
        tune = fmt(tuning[env]) if env in tuning else "—"
        print(f"| {env} | {'—' if goal is None else fmt(goal)} | {len(rows)} | {fmt(mean)} ± {fmt(std)} "
              f"| {fmt(point)} [{fmt(lo)}, {fmt(hi)}] | {met} | {tune} "
              f"| {', '.join(fmt(s) for s in scores)} | {statistics.median(walls):.1f} s (≤ {load:.1f}) |")
        if args.check_rliable:
            r_point, r_lo, r_hi = rliable_estimate(scores, args.reps)
            # The interval's endpoints are percentiles of a random resample: two independent resamplings of
            # 50,000 agree to well under 1 % of the scores' range.
            noise = 0.01 * (max(scores) - min(scores)) + 1e-9
            ok = abs(r_point - point) < 1e-9 and abs(r_lo - lo) <= noise and abs(r_hi - hi) <= noise
            failures += not ok
            print(f"  rliable: IQM {r_point:.4f} [{r_lo:.4f}, {r_hi:.4f}] — ours {point:.4f} [{lo:.4f}, {hi:.4f}]"
                  f" {'agree' if ok else 'DISAGREE'}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
