"""Draws Benchmarks/scaling.csv (from Benchmarks/scaling.sh) as Benchmarks/scaling.png: env steps/s against
workers, one panel per step delay: strictly on-policy and with --max-policy-lag 1 on loopback, strictly on-policy
on network-namespace hosts, the linear extrapolation of one worker, and the capacity model's prediction.

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
    runs[(float(row["delay_ms"]), row.get("hosts") or "loopback", int(row.get("max_policy_lag") or 0))].append(row)
delays = sorted({d for d, _, _ in runs})
styles = {("loopback", 0): ("tab:blue", "o-", "lag 0, loopback"), ("loopback", 1): ("tab:orange", "s-", "lag 1, loopback"),
          ("netns", 0): ("tab:green", "^-", "lag 0, netns hosts"), ("netns", 1): ("tab:red", "v-", "lag 1, netns hosts")}

fig, axes = plt.subplots(1, len(delays), figsize=(6 * len(delays), 5), dpi=110, squeeze=False)
for ax, delay in zip(axes[0], delays):
    for (d, hosts, lag), rows in sorted(runs.items()):
        if d != delay:
            continue
        rows.sort(key=lambda r: int(r["workers"]))
        color, marker, label = styles[(hosts, lag)]
        w = [int(r["workers"]) for r in rows]
        rate = [float(r["steps_per_second"]) for r in rows]
        ax.plot(w, rate, marker, color=color, label=f"measured, {label}")
        if hosts == "loopback":
            ax.plot(w, [predicted_rate(rows, x) for x in w], "--", color=color, alpha=0.6, label=f"model, {label}")
            if lag == 0:
                ax.plot(w, [rate[0] * x / w[0] for x in w], ":", color="gray", label="linear from 1 worker")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("worker processes (8 envs each)")
    ax.set_ylabel("env steps trained per second")
    ax.set_title(f"{delay:g} ms per vector step")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
fig.suptitle("CartPole-v1, seed update (2048 × 10 epochs × 64), one learner, 2 cores shared with the workers")
fig.tight_layout()
fig.savefig(target)
print(f"wrote {target}")
