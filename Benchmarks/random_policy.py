"""The return of a uniformly random policy on a Gymnasium environment: the baseline a trained policy's
deterministic evaluation is compared with (Benchmarks/spaces.sh).

usage: random_policy.py ENV_ID [--episodes 20] [--seed 101] [--args JSON] [--register module:function]… [--csv NAME]

ENV_ID is what gymnasium.make takes (`highway_env:highway-fast-v0` imports highway_env first). Episode i is reset
with seed SEED + i and its actions are sampled from the action space seeded with SEED + i; the time limit is the
registration's; each --register function is called first (MinAtar's minatar.gym:register_envs). Prints one JSON object: {"env", "episodes", "mean", "std", "min", "max"}, and "success_rate" (the
share of episodes that succeeded at some step) for an env whose step info says "success" or "is_success". With
--csv NAME, one CSV row instead: NAME,episodes,first_seed,mean,std,min,max,success_rate (empty without one).
"""
import argparse
import importlib
import json
import statistics

import gymnasium as gym


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_id")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--args", default="{}", help="gymnasium.make's keyword arguments, a JSON object")
    parser.add_argument("--csv", metavar="NAME", help="print one CSV row labelled NAME instead of JSON")
    parser.add_argument("--register", action="append", default=[], metavar="module:function",
                        help="a function that registers the env, called before gymnasium.make (repeatable)")
    options = parser.parse_args()
    for path in options.register:
        module, _, function = path.partition(":")
        getattr(importlib.import_module(module), function)()
    env = gym.make(options.env_id, **json.loads(options.args))
    returns, successes = [], []
    for episode in range(options.episodes):
        seed = options.seed + episode
        env.reset(seed=seed)
        env.action_space.seed(seed)
        total, done, succeeded = 0.0, False, None
        while not done:
            _, reward, terminated, truncated, info = env.step(env.action_space.sample())
            total += float(reward)
            done = terminated or truncated
            if "success" in info or "is_success" in info:  # as Deploy/onnx_policy.py play counts it
                succeeded = bool(succeeded) or bool(info.get("success", info.get("is_success")))
        returns.append(total)
        if succeeded is not None:
            successes.append(succeeded)
    env.close()
    result = {"env": options.env_id, "episodes": len(returns), "mean": statistics.fmean(returns),
              "std": statistics.pstdev(returns), "min": min(returns), "max": max(returns)}
    if successes:
        result["success_rate"] = sum(successes) / len(successes)
    if options.csv:
        rate = f"{result['success_rate']:.3f}" if successes else ""
        print(f"{options.csv},{len(returns)},{options.seed},{result['mean']:.3f},{result['std']:.3f},"
              f"{result['min']:.3f},{result['max']:.3f},{rate}")
    else:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
