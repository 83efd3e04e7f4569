"""The learner capacity model of Benchmarks/README.md ("Scaling"), from measured quantities only.

W workers with K envs each, taking s seconds per vector step (the step delay plus the worker's own work, from one
worker's rate: s = K / rate(1)), collect W·K/s transitions per second if nothing else limits them. The learner
trains a rollout of R transitions in u seconds (ppo_update_duration_seconds). And every transition costs CPU: c_w
in its worker (policy forward pass, environment, encoding, the wire) and c_i in the learner outside the update
(decoding, the gate, the accounts), on a machine of C cores shared by all of them. c_w, c_i and u are measured
with few workers (1 to 4), where nothing competes.

Strictly on-policy (--max-policy-lag 0) a cycle collects a rollout, then trains on it; collecting is limited by
the workers' pace or by the cores, whichever is slower:
    rate(W) = R / (max(R·s / (W·K), R·(c_w + c_i) / C) + u)
With a policy lag of 1 collection overlaps the update, so the slowest of the three limits sets the pace:
    rate(W) = min(W·K / s, R / u, C / (c_w + c_i + u/R))
Where the workers have machines of their own, c_w leaves the learner's cores and only u and c_i remain.
The curve bends at W* = rate(∞) / rate(1) workers: where linear scaling from one worker meets the ceiling.
"""
ROLLOUT = 2048


def fewest(rows, n=3):
    """The runs with the fewest workers: the least disturbed measurements of per-transition costs."""
    return sorted(rows, key=lambda r: int(r["workers"]))[:n]


def mean(values):
    return sum(values) / len(values)


def step_seconds(rows):
    one = fewest(rows, 1)[0]
    return int(one["envs"]) * int(one["workers"]) / float(one["steps_per_second"])


def update_seconds(rows):
    return mean([float(r["update_seconds_per_update"]) for r in fewest(rows) if int(r["updates"]) > 0])


def costs(rows):
    """(c_w, c_i) in CPU seconds per transition, or None if the CSV has no worker CPU (older runs)."""
    few = [r for r in fewest(rows) if r.get("worker_cpu_us_per_transition")]
    if not few:
        return None
    threads = 1  # the runs' --learner-threads: the update keeps one core busy for u
    c_w = mean([float(r["worker_cpu_us_per_transition"]) for r in few]) * 1e-6
    c_l = mean([float(r["learner_cpu_us_per_transition"]) for r in few]) * 1e-6
    return c_w, max(0.0, c_l - threads * update_seconds(rows) / ROLLOUT)


def cores(rows):
    return int(rows[0].get("cores") or 2)


def lag(rows):
    return int(rows[0].get("max_policy_lag") or 0)


def predicted_rate(rows, workers):
    s, u, k, c = step_seconds(rows), update_seconds(rows), int(rows[0]["envs"]), cores(rows)
    c_w, c_i = costs(rows) or (0.0, 0.0)
    if lag(rows) == 0:
        collect = max(ROLLOUT * s / (workers * k), ROLLOUT * (c_w + c_i) / c)
        return ROLLOUT / (collect + u)
    return min(workers * k / s, ROLLOUT / u, c / (c_w + c_i + u / ROLLOUT))


def bend(rows):
    return predicted_rate(rows, 10**9) / float(fewest(rows, 1)[0]["steps_per_second"])


if __name__ == "__main__":
    import csv
    import sys
    from collections import defaultdict
    runs = defaultdict(list)
    for row in csv.DictReader(open(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/scaling.csv")):
        runs[(row.get("hosts") or "loopback", int(row.get("max_policy_lag") or 0), float(row["delay_ms"]))].append(row)
    for (hosts, l, delay), rows in sorted(runs.items()):
        rows.sort(key=lambda r: int(r["workers"]))
        one = float(rows[0]["steps_per_second"])
        plateau = max(float(r["steps_per_second"]) for r in rows)
        c_w, c_i = costs(rows) or (0.0, 0.0)
        print(f"{hosts}, lag {l}, {delay:g} ms: s = {step_seconds(rows) * 1e3:.2f} ms, u = {update_seconds(rows) * 1e3:.1f} ms, "
              f"c_w = {c_w * 1e6:.1f} µs, c_i = {c_i * 1e6:.1f} µs; predicted bend {bend(rows):.1f} workers, "
              f"measured (highest rate / one worker's) {plateau / one:.1f}")
        for r in rows:
            w, m = int(r["workers"]), float(r["steps_per_second"])
            p = predicted_rate(rows, w)
            print(f"  {w:3d} workers: measured {m:8,.0f}  model {p:8,.0f}  ({m / p - 1:+.0%})  of linear {m / (one * w):.2f}")
