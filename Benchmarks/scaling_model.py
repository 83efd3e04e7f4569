"""The learner capacity model of Benchmarks/README.md ("Scaling"), from measured quantities only.

Strictly on-policy, a version's rollout of R transitions is collected, then trained on: the cycle takes
    R / (W · K / s)  +  u
where W workers with K envs each take s seconds per vector step (the step delay plus the worker's own work,
measured from one worker's rate: s = K / rate(1)), and u is the update of one rollout (measured on the learner,
ppo_update_duration_seconds). So
    rate(W) = R / (R · s / (W · K) + u)
which is linear while collection dominates and bends towards R / u, the learner's capacity, at
    W* = R · s / (K · u)
where collecting a rollout takes as long as training on it.
"""
ROLLOUT = 2048


def step_seconds(rows):
    one = min(rows, key=lambda r: int(r["workers"]))
    return int(one["envs"]) * int(one["workers"]) / float(one["steps_per_second"])


def update_seconds(rows):
    # The update of one rollout, from the runs whose learner was least disturbed by workers (fewest of them).
    few = sorted(rows, key=lambda r: int(r["workers"]))[:3]
    values = [float(r["update_seconds_per_update"]) for r in few if int(r["updates"]) > 0]
    return sum(values) / len(values)


def predicted_rate(rows, workers):
    s, u, k = step_seconds(rows), update_seconds(rows), int(rows[0]["envs"])
    return ROLLOUT / (ROLLOUT * s / (workers * k) + u)


def bend(rows):
    s, u, k = step_seconds(rows), update_seconds(rows), int(rows[0]["envs"])
    return ROLLOUT * s / (k * u)
