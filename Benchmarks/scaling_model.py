"""The learner capacity model of Benchmarks/README.md ("Scaling"), from measured quantities only.

Three limits. W workers with K envs each, taking s seconds per vector step (the step delay plus the worker's own
work, from one worker's rate: s = K / rate(1)), collect W·K/s transitions per second. The learner trains a rollout
of R transitions in u seconds (ppo_update_duration_seconds). Strictly on-policy (--max-policy-lag 0) a cycle is
collecting a rollout, then training on it:
    rate(W) = R / (R · s / (W · K) + u)
and with a policy lag of 1 collection overlaps the update, so the slower of the two sets the pace:
    rate(W) = min(W · K / s, R / u).
Last, the machine's cores: every transition costs c_w CPU seconds in its worker (policy forward pass, environment,
encoding, the wire) and c_l in the learner (decoding, the gate, the update), both measured per transition with
few workers; C cores carry at most C / (c_w + c_l) transitions per second. Where the workers have machines of
their own, that limit is the learner's alone (1 / c_l per learner core). The curve bends at
    W* = min(R / u, C / (c_w + c_l)) / rate(1)
workers: where linear scaling from one worker meets the lower ceiling.
"""
ROLLOUT = 2048


def fewest(rows, n=3):
    """The runs with the fewest workers: the least disturbed measurements of per-transition costs."""
    return sorted(rows, key=lambda r: int(r["workers"]))[:n]


def step_seconds(rows):
    one = fewest(rows, 1)[0]
    return int(one["envs"]) * int(one["workers"]) / float(one["steps_per_second"])


def update_seconds(rows):
    values = [float(r["update_seconds_per_update"]) for r in fewest(rows) if int(r["updates"]) > 0]
    return sum(values) / len(values)


def cpu_per_transition(rows):
    """c_w + c_l in seconds, or None if the CSV has no worker CPU (older runs)."""
    few = [r for r in fewest(rows) if r.get("worker_cpu_us_per_transition")]
    if not few:
        return None
    return sum(float(r["worker_cpu_us_per_transition"]) + float(r["learner_cpu_us_per_transition"]) for r in few) / len(few) * 1e-6


def cores(rows):
    return int(rows[0].get("cores") or 2)


def cpu_ceiling(rows):
    c = cpu_per_transition(rows)
    return cores(rows) / c if c else float("inf")


def lag(rows):
    return int(rows[0].get("max_policy_lag") or 0)


def predicted_rate(rows, workers):
    s, u, k = step_seconds(rows), update_seconds(rows), int(rows[0]["envs"])
    collection = workers * k / s
    learner = ROLLOUT / (ROLLOUT / collection + u) if lag(rows) == 0 else min(collection, ROLLOUT / u)
    return min(learner, cpu_ceiling(rows))


def bend(rows):
    one = float(fewest(rows, 1)[0]["steps_per_second"])
    return min(ROLLOUT / update_seconds(rows), cpu_ceiling(rows)) / one


if __name__ == "__main__":
    import csv
    import sys
    from collections import defaultdict
    runs = defaultdict(list)
    for row in csv.DictReader(open(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/scaling.csv")):
        runs[(float(row["delay_ms"]), int(row.get("max_policy_lag") or 0))].append(row)
    for (delay, l), rows in sorted(runs.items()):
        rows.sort(key=lambda r: int(r["workers"]))
        one = float(rows[0]["steps_per_second"])
        plateau = max(float(r["steps_per_second"]) for r in rows)
        print(f"{delay:g} ms, lag {l}: s = {step_seconds(rows) * 1e3:.2f} ms, u = {update_seconds(rows) * 1e3:.1f} ms, "
              f"R/u = {ROLLOUT / update_seconds(rows):,.0f}/s, CPU ceiling = {cpu_ceiling(rows):,.0f}/s; "
              f"predicted bend {bend(rows):.1f} workers, measured (highest rate / one worker's) {plateau / one:.1f}")
        for r in rows:
            w, m = int(r["workers"]), float(r["steps_per_second"])
            p = predicted_rate(rows, w)
            print(f"  {w:3d} workers: measured {m:8,.0f}  model {p:8,.0f}  ({m / p - 1:+.0%})  of linear {m / (one * w):.2f}")
