"""Benchmarks/mujoco-results.csv (from Benchmarks/mujoco-results.sh) as the two Markdown tables of
Benchmarks/README.md's "MuJoCo" section: the results against the goals, and the wall times against Gymnasium
alone and Stable-Baselines3.

    python3 Benchmarks/mujoco_table.py [Benchmarks/mujoco-results.csv] [Benchmarks/mujoco-modes.csv]

With the second file (from Benchmarks/mujoco-modes.sh), a third table: each env's training steps/s the four ways of
using the cores, the fastest in bold.

Where an env was run more than once with the same seed, the last row counts (the CSV is appended to).
"""
import csv
import statistics
import sys

# The goals of the issue the presets were tuned for: the best of CleanRL's and rl-baselines3-zoo's PPO at 1M steps.
GOALS = [("HalfCheetah-v5", 5800), ("Hopper-v5", 2400), ("Walker2d-v5", 3500), ("Ant-v5", 1400), ("Humanoid-v5", 720),
         ("Swimmer-v5", 280), ("InvertedPendulum-v5", 1000), ("InvertedDoublePendulum-v5", 9000),
         ("Reacher-v5", -5), ("Pusher-v5", -40)]
WALL_TIME_ENVS = ["HalfCheetah-v5", "Hopper-v5", "Walker2d-v5", "Ant-v5", "Humanoid-v5"]


def number(value):
    return f"{value:,.1f}".replace("-", "−")


def at_least(goal):
    return f"≥ {goal:,}".replace("-", "−")


def load(path):
    runs = {}
    for row in csv.DictReader(open(path)):
        runs.setdefault(row["env"], {})[int(row["seed"])] = row
    return runs


def mode(row):
    lag = row["max_policy_lag"]
    return f"`--workers {row['workers']}" + (f" --max-policy-lag {lag}`" if lag != "0" else "`")


def results_table(runs):
    print("| env | goal | deterministic evaluation, mean ± std over seeds | met | per seed (seeds 1–5) | wall time per run | how |")
    print("|---|---|---|---|---|---|---|")
    for env, goal in GOALS:
        if env not in runs:
            print(f"| {env} | {at_least(goal)} | not run | | | | |")
            continue
        rows = [runs[env][seed] for seed in sorted(runs[env])]
        means = [float(r["eval_mean"]) for r in rows]
        walls = [float(r["wall_seconds"]) for r in rows]
        mean, spread = statistics.mean(means), statistics.pstdev(means) if len(means) > 1 else 0.0
        met = "yes" if mean >= goal else "no"
        print(f"| {env} | {at_least(goal)} | {number(mean)} ± {number(spread)} ({len(rows)} seeds) | {met} | "
              + ", ".join(number(m) for m in means)
              + f" | {statistics.mean(walls):.0f} s ({min(walls):.0f}–{max(walls):.0f}) | {mode(rows[0])} |")


def wall_time_table(runs):
    print("| env | training, 1M steps (median of the runs) | Gymnasium alone, 1M random steps | ratio | "
          "Stable-Baselines3, same preset (projected) | SB3 / ours |")
    print("|---|---|---|---|---|---|")
    for env in WALL_TIME_ENVS:
        if env not in runs:
            continue
        rows = list(runs[env].values())
        ours = statistics.median(float(r["wall_seconds"]) for r in rows)
        floor = next((float(r["gymnasium_alone_seconds"]) for r in rows if r["gymnasium_alone_seconds"]), None)
        sb3 = next((float(r["sb3_projected_seconds"]) for r in rows if r.get("sb3_projected_seconds")), None)
        ratio = f"{ours / floor:.2f}×" if floor else "—"
        print(f"| {env} | {ours:.0f} s | {floor:.0f} s | {ratio} | " + (f"{sb3:.0f} s | {sb3 / ours:.1f}× |" if sb3 else "— | — |"))


def modes_table(path):
    modes = ["single", "single-lag1", "workers2", "workers2-lag1"]
    rates = {}
    for row in csv.DictReader(open(path)):
        rates.setdefault(row["env"], {})[row["mode"]] = float(row["steps_per_second"])
    print("| env | `--workers 0` | `--workers 0 --max-policy-lag 1` | `--workers 2` | `--workers 2 --max-policy-lag 1` |")
    print("|---|---|---|---|---|")
    for env in [e for e, _ in GOALS if e in rates]:
        best = max(rates[env].values())
        cells = [(f"**{rates[env][m]:,.0f}**" if rates[env][m] == best else f"{rates[env][m]:,.0f}") if m in rates[env] else "—"
                 for m in modes]
        print(f"| {env} | " + " | ".join(cells) + " |")


def main():
    runs = load(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/mujoco-results.csv")
    results_table(runs)
    print()
    wall_time_table(runs)
    if len(sys.argv) > 2:
        print()
        modes_table(sys.argv[2])


if __name__ == "__main__":
    main()
