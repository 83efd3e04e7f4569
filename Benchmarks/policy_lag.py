#!/usr/bin/env python3
"""Wall time to a deterministic evaluation of 500 on CartPole-v1, strictly on-policy (--max-policy-lag 0) against
collection overlapping learning (--max-policy-lag 1), with every worker's environment step made to take --delay
(ppo train --step-delay). Seeds alternate between the two lags so that drift of the machine hits both alike.

For each run: `ppo train --workers W --step-delay D --max-policy-lag L --seed S --checkpoint-every K`; while it
trains, every checkpoint the learner writes is copied the moment it appears, with its time since the start of
the command. Afterwards each copy is evaluated (ppo eval, 20 deterministic episodes, the seed ppo train uses): the
first whose mean is 500 gives the time to 500, and the first from which every later one is 500 the time to a
policy that stays at 500. Their resolution is K updates. One CSV row per run.

usage: Benchmarks/policy_lag.py [--seeds 1 2 3 4 5] [--delay 1ms] [--workers 2] [--every 5]
                                [--out Benchmarks/policy-lag.csv]
Build first: swift build -c release.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release")


def train(lag, seed, args, work):
    """Runs one training; returns (copies as [(seconds, path)], total seconds, ppo train's summary)."""
    out = os.path.join(work, f"lag{lag}-seed{seed}")
    ckpt = os.path.join(out, "checkpoint.safetensors")
    copies, last = [], None
    cmd = [os.path.join(BIN, "ppo"), "train", "--env", "CartPole-v1", "--workers", str(args.workers),
           "--step-delay", args.delay, "--max-policy-lag", str(lag), "--seed", str(seed), "--out", out,
           "--checkpoint-every", str(args.every), "--status-port=-1", "--json"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None:
        try:
            st = os.stat(ckpt)
            key = (st.st_ino, st.st_mtime_ns)
            if key != last:  # the learner writes atomically (rename): a new inode is a whole new checkpoint
                last = key
                path = os.path.join(work, f"lag{lag}-seed{seed}-{len(copies):04d}.safetensors")
                shutil.copyfile(ckpt, path)
                copies.append((time.monotonic() - start, path))
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    total = time.monotonic() - start
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"ppo train (lag {lag}, seed {seed}) exited {proc.returncode}: {stderr[-2000:]}")
    return copies, total, json.loads(stdout)


def evaluations(copies, seed):
    """[(seconds, deterministic mean over 20 episodes)] of every copy, in order."""
    result = []
    for seconds, path in copies:
        r = subprocess.run([os.path.join(BIN, "ppo"), "eval", "--checkpoint", path, "--episodes", "20",
                            "--seed", str(seed + 1_000_000), "--json"], capture_output=True, text=True, check=True)
        result.append((seconds, json.loads(r.stdout)["mean"]))
    return result


def first_500(evaluated):
    """Seconds to the first copy that evaluates 500, and to the first from which every later one does."""
    first = next((t for t, mean in evaluated if mean >= 500), None)
    stable = None
    for t, mean in reversed(evaluated):
        if mean < 500:
            break
        stable = t
    return first, stable


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--delay", default="1ms")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--every", type=int, default=5)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "policy-lag.csv"))
    args = p.parse_args()
    fields = ["lag", "seed", "delay", "workers", "seconds_to_500", "seconds_to_stable_500", "checkpoints", "total_seconds",
              "steps_per_second", "final_eval_mean", "final_eval_std"]
    with tempfile.TemporaryDirectory() as work, open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for seed in args.seeds:
            for lag in (0, 1):
                copies, total, report = train(lag, seed, args, work)
                first, stable = first_500(evaluations(copies, seed))
                s, e = report["summary"], report.get("evaluation") or {}
                row = {"lag": lag, "seed": seed, "delay": args.delay, "workers": args.workers,
                       "seconds_to_500": f"{first:.2f}" if first is not None else "",
                       "seconds_to_stable_500": f"{stable:.2f}" if stable is not None else "",
                       "checkpoints": len(copies),
                       "total_seconds": f"{total:.2f}", "steps_per_second": f"{s['stepsPerSecond']:.0f}",
                       "final_eval_mean": e.get("mean", ""), "final_eval_std": e.get("std", "")}
                w.writerow(row)
                f.flush()
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
