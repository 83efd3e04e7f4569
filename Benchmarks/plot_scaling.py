"""Draws Benchmarks/scaling.csv (from Benchmarks/scaling.sh) as Benchmarks/scaling.png: env steps/s against
workers for each step delay, with the linear extrapolation of one worker and the capacity model's prediction.

usage: python3 Benchmarks/plot_scaling.py [CSV] [PNG]      (needs matplotlib: pip install matplotlib)
"""
import csv, sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from scaling_model import predicted_rate  # noqa: E402

source = sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/scaling.csv"
target = sys.argv[2] if len(sys.argv) > 2 else "Benchmarks/scaling.png"
runs = defaultdict(list)
for row in csv.DictReader(open(source)):
    runs[float(row["delay_ms"])].append(row)

fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
for color, (delay, rows) in zip(["tab:blue", "tab:orange", "tab:green"], sorted(runs.items())):
    rows.sort(key=lambda r: int(r["workers"]))
    w = [int(r["workers"]) for r in rows]
    rate = [float(r["steps_per_second"]) for r in rows]
    ax.plot(w, rate, "o-", color=color, label=f"measured, {delay:g} ms step delay")
    ax.plot(w, [rate[0] * x / w[0] for x in w], ":", color=color, label=f"linear from 1 worker ({delay:g} ms)")
    model = [predicted_rate(rows, x) for x in w]
    ax.plot(w, model, "--", color=color, alpha=0.7, label=f"capacity model ({delay:g} ms)")
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xlabel("worker processes (8 envs each)")
ax.set_ylabel("env steps trained per second")
ax.set_title("CartPole-v1, seed update (2048 × 10 epochs × 64), one learner, 2 cores")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(target)
print(f"wrote {target}")
