"""The return of a uniformly random policy on a Gymnasium environment: the baseline a trained policy's
deterministic evaluation is compared with (Benchmarks/spaces.sh).

usage: random_policy.py ENV_ID [--episodes 20] [--seed 101] [--args JSON]

ENV_ID is what gymnasium.make takes (`highway_env:highway-fast-v0` imports highway_env first). Episode i is reset
with seed SEED + i and its actions are sampled from the action space seeded with SEED + i; the time limit is the
registration's. Prints one JSON object: {"env", "episodes", "mean", "std", "min", "max"}.
"""
import argparse
import json
import statistics

import gymnasium as gym


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_id")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--args", default="{}", help="gymnasium.make's keyword arguments, a JSON object")
    options = parser.parse_args()
    env = gym.make(options.env_id, **json.loads(options.args))
    returns = []
    for episode in range(options.episodes):
        seed = options.seed + episode
        env.reset(seed=seed)
        env.action_space.seed(seed)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    print(json.dumps({"env": options.env_id, "episodes": len(returns), "mean": statistics.fmean(returns),
                      "std": statistics.pstdev(returns), "min": min(returns), "max": max(returns)}))


if __name__ == "__main__":
    main()
