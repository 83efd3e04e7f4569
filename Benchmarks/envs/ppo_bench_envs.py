"""Environments of the project's own for learning results on spaces the popular packages do not cover, registered
when this module is imported (`gym:ppo_bench_envs:ID` with this folder on PYTHONPATH; Benchmarks/spaces.sh puts it
there).

- `GridReach-v0`: MultiDiscrete actions. An agent and a goal on a 9 × 9 grid, both placed at random; the
  observation is their positions scaled to [-1, 1] (4 floats); the action is MultiDiscrete([3, 3]), a step of -1,
  0 or +1 along x and along y at once (so 9 moves, diagonals included). Reward -0.05 per step, +1 on reaching the
  goal, which ends the episode; 40 steps at most. A policy that heads straight for the goal returns about 0.8
  (at most 8 steps); a uniformly random one rarely gets there.
"""
import gymnasium as gym
import numpy as np
from gymnasium import spaces

SIDE = 9


class GridReachEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = spaces.Box(-1.0, 1.0, (4,), np.float32)
        self.action_space = spaces.MultiDiscrete([3, 3])
        self._agent = np.zeros(2, np.int64)
        self._goal = np.zeros(2, np.int64)

    def _observe(self):
        scale = 2.0 / (SIDE - 1)
        return (np.concatenate([self._agent, self._goal]) * scale - 1.0).astype(np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._agent = self.np_random.integers(0, SIDE, 2)
        self._goal = self.np_random.integers(0, SIDE, 2)
        while np.array_equal(self._agent, self._goal):
            self._goal = self.np_random.integers(0, SIDE, 2)
        return self._observe(), {}

    def step(self, action):
        move = np.asarray(action, np.int64) - 1
        self._agent = np.clip(self._agent + move, 0, SIDE - 1)
        reached = bool(np.array_equal(self._agent, self._goal))
        reward = 1.0 if reached else -0.05
        return self._observe(), reward, reached, False, {"is_success": reached}


gym.register("GridReach-v0", entry_point=f"{__name__}:GridReachEnv", max_episode_steps=40)
