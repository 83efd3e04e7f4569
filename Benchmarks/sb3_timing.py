#!/usr/bin/env python3
"""Stable-Baselines3's PPO on a preset's settings, timed: the wall-time yardstick of Benchmarks/mujoco-results.sh.

    python3 sb3_timing.py --preset Sources/Training/Presets/HalfCheetah-v5.yaml --steps 100000 [--seed 1]

builds SB3's PPO with the preset's network (hidden sizes, activation, initialisation, initial log-std) and rollout
settings (the env's env_args, envs, steps per update, minibatch, epochs, gamma, lambda, clip ranges, coefficients, learning rate and
its schedule, observation and reward normalisation through VecNormalize), pins torch to one thread, trains for
--steps environment steps and prints one JSON object with the wall time and its projection to the preset's
total_steps (linear: PPO's cost per step is constant). Needs stable-baselines3, gymnasium[mujoco] and pyyaml.
"""
import argparse
import json
import time

import gymnasium as gym
import torch
import yaml
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize


def sb3_arguments(preset):
    envs = int(preset.get("num_envs", 1))
    rate = float(preset.get("learning_rate", 3e-4))
    activation = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[preset.get("activation", "tanh")]
    hidden = list(preset.get("hidden_sizes", [64, 64]))
    return envs, dict(
        n_steps=int(preset.get("rollout_steps", 2048)) // envs,
        batch_size=int(preset.get("minibatch_size", 64)),
        n_epochs=int(preset.get("update_epochs", 10)),
        gamma=float(preset.get("gamma", 0.99)),
        gae_lambda=float(preset.get("gae_lambda", 0.95)),
        learning_rate=(lambda left: left * rate) if preset.get("learning_rate_schedule") == "linear" else rate,
        clip_range=float(preset.get("clip_coef", 0.2)),
        clip_range_vf=preset.get("value_clip_coef"),
        ent_coef=float(preset.get("entropy_coef", 0.01)),
        # SB3's value loss is the mean squared error, the preset's half of it: the same loss has half the weight.
        vf_coef=float(preset.get("value_coef", 0.5)) / 2,
        max_grad_norm=float(preset.get("max_grad_norm", 0.5)),
        policy_kwargs=dict(
            net_arch=dict(pi=hidden, vf=hidden), activation_fn=activation,
            ortho_init=preset.get("initialization", "orthogonal") == "orthogonal",
            log_std_init=float(preset.get("initial_log_std", 0.0))),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", required=True)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with open(args.preset) as file:
        preset = yaml.safe_load(file)
    env_id = preset["env"].removeprefix("gym:")
    torch.set_num_threads(1)
    envs, kwargs = sb3_arguments(preset)
    env_args = dict(preset.get("env_args") or {})
    vec = DummyVecEnv([lambda: gym.make(env_id, **env_args) for _ in range(envs)])
    if preset.get("normalize_observations") or preset.get("normalize_rewards"):
        vec = VecNormalize(vec, norm_obs=bool(preset.get("normalize_observations")),
                           norm_reward=bool(preset.get("normalize_rewards")), gamma=kwargs["gamma"])
    model = PPO("MlpPolicy", vec, seed=args.seed, device="cpu", verbose=0, **kwargs)
    begin = time.perf_counter()
    model.learn(total_timesteps=args.steps)
    seconds = time.perf_counter() - begin
    total = int(preset.get("total_steps", 1_000_000))
    print(json.dumps({"env": env_id, "steps": args.steps, "seconds": round(seconds, 2),
                      "projected_total_steps": total, "projected_seconds": round(seconds * total / args.steps, 1)}))


if __name__ == "__main__":
    main()
