#!/usr/bin/env python3
"""The floor the Gymnasium bridge is measured against: how fast Python alone steps K envs.

    python3 bridge_floor.py --env ID --envs K --steps N [--seed S] [--only plain]

times, with random actions sampled up front and resets included,
  (a) a plain Python loop over K `gymnasium.make(ID)` envs, resetting each when its episode ends;
  (b) `gymnasium.vector.AsyncVectorEnv` with K envs (shared memory, default autoreset);
  (c) the bridge (Sources/GymBridge/Python/ppo_gym_bridge.py) driven by the Python client of its tests;
and prints one JSON object. A "step" is one env step: a vector step of K envs counts K. N is rounded down to a
multiple of K.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "Tests" / "GymBridgeTests" / "python"))


def plain_loop(env_id, k, vector_steps, seed, kwargs):
    envs = [gym.make(env_id, **kwargs) for _ in range(k)]
    for i, env in enumerate(envs):
        env.reset(seed=seed + i)
        env.action_space.seed(seed + i)
    actions = [[env.action_space.sample() for env in envs] for _ in range(vector_steps)]
    begin = time.perf_counter()
    for row in actions:
        for env, action in zip(envs, row):
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
    elapsed = time.perf_counter() - begin
    for env in envs:
        env.close()
    return k * vector_steps / elapsed


def async_vector_env(env_id, k, vector_steps, seed, kwargs):
    envs = gym.vector.AsyncVectorEnv([lambda: gym.make(env_id, **kwargs)] * k, shared_memory=True)
    envs.reset(seed=seed)
    envs.action_space.seed(seed)
    actions = [envs.action_space.sample() for _ in range(vector_steps)]
    begin = time.perf_counter()
    for action in actions:
        envs.step(action)
    elapsed = time.perf_counter() - begin
    envs.close()
    return k * vector_steps / elapsed


def bridge_python_client(env_id, k, vector_steps, seed, spin_us, kwargs):
    import bridge_client

    space = gym.make(env_id, **kwargs).action_space
    space.seed(seed)
    actions = np.array([[np.atleast_1d(space.sample()) for _ in range(k)] for _ in range(vector_steps)],
                       dtype=np.float32)
    with bridge_client.Bridge(env_id, kwargs, count=k, spin_us=spin_us) as bridge:
        bridge.attach()
        assert bridge.reset([seed + i for i in range(k)])[0] == 0
        begin = time.perf_counter()
        for row in actions:
            status, index, message = bridge.step(row)
            if status != 0:
                raise RuntimeError(f"the bridge answered status {status} for env {index}: {message}")
        elapsed = time.perf_counter() - begin
        bridge.close()
    return k * vector_steps / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="a gymnasium.make id, e.g. CartPole-v1")
    parser.add_argument("--envs", type=int, default=8, help="K, the number of environments")
    parser.add_argument("--steps", type=int, default=20000, help="N, env steps to time (K per vector step)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--env-args", type=json.loads, default={},
                        help="gymnasium.make keyword arguments as a JSON object, e.g. '{\"include_cfrc_ext_in_observation\": false}'")
    parser.add_argument("--client-spin-us", type=float, default=1000,
                        help="how long the bridge client spins on a reply before it blocks")
    parser.add_argument("--only", choices=["plain"], help="time only (a), the plain loop")
    options = parser.parse_args()
    vector_steps = max(1, options.steps // options.envs)
    result = {
        "env": options.env, "envs": options.envs, "steps": vector_steps * options.envs,
        "plain_loop_steps_per_second": plain_loop(options.env, options.envs, vector_steps, options.seed, options.env_args),
    }
    if options.only is None:
        result["async_vector_env_steps_per_second"] = async_vector_env(options.env, options.envs, vector_steps, options.seed, options.env_args)
        result["bridge_python_client_steps_per_second"] = bridge_python_client(
            options.env, options.envs, vector_steps, options.seed, options.client_spin_us, options.env_args)
    print(json.dumps({key: round(value) if isinstance(value, float) else value for key, value in result.items()}))


if __name__ == "__main__":
    main()
