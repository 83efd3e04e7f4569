#!/usr/bin/env python3
"""Summarises Benchmarks/eval-stop.csv: per env and stop rule, how many runs' final greedy evaluations reach the
env's reward threshold (Gymnasium's: CartPole-v1 475, Acrobot-v1 −100) and the rule's own target, how many stopped
early, their env steps, and what evaluating cost.

usage: eval_stop_report.py [Benchmarks/eval-stop.csv]
"""
import csv
import statistics
import sys
from collections import defaultdict

THRESHOLDS = {"CartPole-v1": 475.0, "Acrobot-v1": -100.0, "MountainCar-v0": -110.0, "MountainCarContinuous-v0": 90.0}
RULES = {"training": "`--stop-at-return`", "greedy": "`--eval-every {every} --stop-at-eval-return`"}


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/eval-stop.csv"
    groups = defaultdict(list)
    with open(path) as f:
        for row in csv.DictReader(f):
            groups[(row["env"], row["target"], row["rule"])].append(row)
    print("| env | rule, target | runs | final greedy ≥ threshold | final greedy ≥ target | stopped early "
          "| env steps, median | final greedy, mean ± std | evaluation time, share of the run |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (env, target, rule), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] != "training")):
        finals = [float(r["final_eval_mean"]) for r in rows]
        threshold = THRESHOLDS.get(env)
        reach_threshold = "—" if threshold is None else f"{sum(x >= threshold for x in finals)} ({threshold:g})"
        reach_target = sum(x >= float(target) for x in finals)
        stopped = sum(r["stopped_early"] == "true" for r in rows)
        steps = statistics.median(int(r["env_steps"]) for r in rows)
        share = sum(float(r["evaluation_seconds"]) for r in rows) / max(sum(float(r["wall_seconds"]) for r in rows), 1e-9)
        label = RULES[rule].format(every=rows[0]["eval_every"]) + f" {float(target):g}"
        print(f"| {env} | {label} | {len(rows)} | {reach_threshold} | {reach_target} | {stopped} | {steps:,.0f} "
              f"| {statistics.mean(finals):.1f} ± {statistics.pstdev(finals):.1f} | {100 * share:.1f} % |")


if __name__ == "__main__":
    main()
