"""The MuJoCo learning curves: Benchmarks/mujoco-curves.csv (from the TensorBoard logs Benchmarks/mujoco-results.sh
keeps) drawn as Benchmarks/mujoco-curves.png, one panel per environment, one line per seed, the goal dashed.

    python3 Benchmarks/plot_mujoco.py [--logs DIR] [--csv Benchmarks/mujoco-curves.csv] [--png Benchmarks/mujoco-curves.png]

With --logs, the training return every run folder in DIR (named ENV-wW-lagL-seedS) logged after each update
(charts/episodic_return: the mean of the last 20 training episodes, sampled actions) is averaged over windows of
50k env steps into the CSV first (needs tensorboard); then the CSV is drawn (needs matplotlib). The CSV is small
enough to keep in the repository; the logs are not. The goals are for the deterministic evaluation after training,
which is higher than the training return with sampled actions.
"""
import argparse
import csv
import os
import re
from collections import defaultdict

WINDOW = 50_000
GOALS = {"HalfCheetah-v5": 5800, "Hopper-v5": 2400, "Walker2d-v5": 3500, "Ant-v5": 1400, "Humanoid-v5": 720,
         "Swimmer-v5": 280, "InvertedPendulum-v5": 1000, "InvertedDoublePendulum-v5": 9000, "Reacher-v5": -5,
         "Pusher-v5": -40}
RUN = re.compile(r"^(?P<env>.+)-w(?P<workers>\d+)-lag(?P<lag>\d+)-seed(?P<seed>\d+)$")


def extract(logs, target):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    rows = []
    for name in sorted(os.listdir(logs)):
        match = RUN.match(name)
        if not match:
            continue
        events = EventAccumulator(os.path.join(logs, name), size_guidance={"scalars": 0})
        events.Reload()
        if "charts/episodic_return" not in events.Tags()["scalars"]:
            continue
        windows = defaultdict(list)
        for event in events.Scalars("charts/episodic_return"):
            windows[event.step // WINDOW].append(event.value)
        for index, values in sorted(windows.items()):
            rows.append((match["env"], int(match["seed"]), (index + 1) * WINDOW, sum(values) / len(values), len(values)))
    with open(target, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["env", "seed", "env_steps", "mean_training_return", "episodes"])
        for env, seed, steps, mean, count in rows:
            writer.writerow([env, seed, steps, f"{mean:.1f}", count])


def draw(source, target):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    curves = defaultdict(lambda: defaultdict(list))
    for row in csv.DictReader(open(source)):
        curves[row["env"]][int(row["seed"])].append((int(row["env_steps"]), float(row["mean_training_return"])))
    envs = [env for env in GOALS if env in curves] + sorted(set(curves) - set(GOALS))
    columns = 5
    rows = -(-len(envs) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3.2 * rows), dpi=100, squeeze=False)
    for ax, env in zip(axes.flat, envs):
        for seed, points in sorted(curves[env].items()):
            xs, ys = zip(*sorted(points))
            ax.plot([x / 1e6 for x in xs], ys, lw=1.2, label=f"seed {seed}")
        if env in GOALS:
            ax.axhline(GOALS[env], color="black", ls="--", lw=1, label="goal")
        ax.set_title(env, fontsize=10)
        ax.set_xlabel("env steps (M)", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(envs):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Training return (mean of the last 20 episodes after each update, averaged over 50k-step windows), "
                 "the shipped presets; dashed: the goal for the deterministic evaluation", fontsize=11)
    fig.tight_layout()
    fig.savefig(target)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs")
    parser.add_argument("--csv", default="Benchmarks/mujoco-curves.csv")
    parser.add_argument("--png", default="Benchmarks/mujoco-curves.png")
    args = parser.parse_args()
    if args.logs:
        extract(args.logs, args.csv)
    draw(args.csv, args.png)


if __name__ == "__main__":
    main()
