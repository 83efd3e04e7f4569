"""Tests of the Python side of the Gymnasium bridge (Sources/GymBridge/Python/ppo_gym_bridge.py).

Every test but the unit tests at the end starts the bridge as the worker does, `python -c SOURCE --env ID
--args JSON --count K`, and speaks the channel of Protocol/BRIDGE.md through bridge_client.
"""
import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time

import gymnasium as gym
import numpy as np
import pytest

import bridge_client
from bridge_client import BRIDGE_PATH, CLOSE, BridgeDied


def started(bridge, env_id, kwargs=None, count=1, **options):
    """A bridge that has sent its hello and attached."""
    process = bridge(env_id, kwargs, count, **options)
    hello = process.read_hello()
    assert hello["ok"], hello
    assert process.attach() == {"ok": True}
    return process


def convert_action(space, row):
    """What the spec says the bridge passes to env.step for one env's row of f32 actions."""
    if isinstance(space, gym.spaces.Discrete):
        return int(row[0])
    return np.clip(row.astype(space.dtype), space.low.ravel(), space.high.ravel()).reshape(space.shape)


def flat(space, observation):
    """The row the spec says the bridge writes for an observation: gymnasium.spaces.flatten's, in float32."""
    return np.asarray(gym.spaces.flatten(space, observation), np.float32)


def direct_rollout(env_id, seeds, actions):
    """The bridge's outputs computed with Gymnasium directly: the reset observations, then per step the tuple
    (observations, final observations, rewards, terminated, truncated), with the bridge's auto-reset."""
    envs = [gym.make(env_id) for _ in seeds]
    space = envs[0].observation_space
    k, o = len(envs), gym.spaces.flatdim(space)
    first = np.array([flat(space, env.reset(seed=int(seed))[0]) for env, seed in zip(envs, seeds)], dtype=np.float32)
    steps = []
    for row in actions:
        observations, finals = np.zeros((k, o), np.float32), np.zeros((k, o), np.float32)
        rewards, terminated, truncated = np.zeros(k), np.zeros(k, bool), np.zeros(k, bool)
        for i, env in enumerate(envs):
            observation, rewards[i], terminated[i], truncated[i], _ = env.step(convert_action(env.action_space, row[i]))
            if terminated[i] or truncated[i]:
                finals[i] = flat(space, observation)
                observation, _ = env.reset()
            observations[i] = flat(space, observation)
        steps.append((observations, finals, rewards, terminated, truncated))
    for env in envs:
        env.close()
    return first, steps


def assert_matches_direct_loop(bridge, env_id, seeds, actions):
    expected_first, expected_steps = direct_rollout(env_id, seeds, actions)
    process = started(bridge, env_id, count=len(seeds))
    assert process.reset(seeds) == (0, 0, "")
    np.testing.assert_array_equal(process.observations, expected_first)
    for t, (row, expected) in enumerate(zip(actions, expected_steps)):
        assert process.step(row) == (0, 0, ""), f"step {t}"
        for name, got, wanted in zip(("observations", "final observations", "rewards", "terminated", "truncated"),
                                     process.outputs(), expected):
            np.testing.assert_array_equal(got, wanted, err_msg=f"{name} at step {t}")
    # A reset afterwards starts the same episodes again and zeroes the step outputs.
    assert process.reset(seeds) == (0, 0, "")
    observations, finals, rewards, terminated, truncated = process.outputs()
    np.testing.assert_array_equal(observations, expected_first)
    assert not finals.any() and not rewards.any() and not terminated.any() and not truncated.any()
    assert process.close() == (0, 0, "")
    assert process.wait() == 0
    return expected_steps


# ---------------------------------------------------------------------------------------------------------------
# (a) The same trajectories as a direct Gymnasium loop


def test_cartpole_matches_a_direct_gymnasium_loop(bridge):
    actions = np.random.default_rng(1).integers(0, 2, (300, 3, 1)).astype(np.float32)
    steps = assert_matches_direct_loop(bridge, "CartPole-v1", [7, 8, 2**40 + 9], actions)
    assert sum(step[3].sum() for step in steps) >= 5  # episodes ended and were reset along the way


def test_pendulum_matches_a_direct_gymnasium_loop_with_clipped_actions(bridge):
    actions = np.random.default_rng(2).uniform(-4.0, 4.0, (300, 2, 1)).astype(np.float32)
    steps = assert_matches_direct_loop(bridge, "Pendulum-v1", [3, 4], actions)
    assert sum(step[4].sum() for step in steps) == 2  # both envs truncated at step 200 and reset


def test_box_actions_are_clipped_in_the_envs_dtype_and_passed_as_a_fresh_array(bridge):
    process = started(bridge, "ppo_test_envs:EchoAction-v0")
    assert process.reset([0]) == (0, 0, "")
    assert process.step([[5.0, -0.1]]) == (0, 0, "")
    # Clipped to the float64 bound 0.3, so the action is inside the space (the env reports it in component 2).
    np.testing.assert_array_equal(process.observations[0], np.float32([0.3, np.float32(-0.1), 1.0]))
    assert process.step([[-9.0, 0.25]]) == (0, 0, "")
    np.testing.assert_array_equal(process.observations[0], np.float32([-0.3, 0.25, 1.0]))


@pytest.mark.parametrize("env_id, size", [("ppo_test_envs:AllSpaces-v0", 60 + 6 + 4 + 3 + 5 + 2 + 1),
                                          ("ppo_test_envs:TupleObs-v0", 3 + 4), ("ppo_test_envs:DictObs-v0", 3),
                                          ("ppo_test_envs:Image-v0", 8 * 8 * 3), ("FrozenLake-v1", 16)])
def test_observations_arrive_as_gymnasiums_flatten_gives_them(bridge, env_id, size):
    """Dict keys in the space's order, one-hots for Discrete (with its start) and MultiDiscrete, bits, bools,
    integers and uint8 pixels as their values; the hello describes the flattened Box and names the space."""
    space = gym.make(env_id).observation_space
    process = bridge(env_id, count=2)
    hello = process.read_hello()
    assert hello["ok"], hello
    flat_space = gym.spaces.flatten_space(space)
    assert len(hello["observation"]["low"]) == size == flat_space.shape[0]
    np.testing.assert_array_equal(np.float32(hello["observation"]["low"]), flat_space.low.astype(np.float32))
    np.testing.assert_array_equal(np.float32(hello["observation"]["high"]), flat_space.high.astype(np.float32))
    assert hello["observation_flattened_from"] == repr(space)
    process.kill()
    actions_size = gym.spaces.flatdim(gym.make(env_id).action_space) if "AllSpaces" in env_id else 1
    actions = np.random.default_rng(4).uniform(-1.5, 1.5, (25, 2, actions_size)).astype(np.float32)
    if actions_size == 1:
        actions = (actions > 0).astype(np.float32)
    steps = assert_matches_direct_loop(bridge, env_id, [11, 12], actions)
    if env_id.startswith("ppo_test_envs"):
        assert sum(step[4].sum() for step in steps) == 4  # 10-step episodes: the final observations were flattened
        assert any(step[1].any() for step in steps)


@pytest.mark.parametrize("kind, described, action", [
    ("multi_discrete", {"kind": "multi_discrete", "nvec": [2, 3, 4, 5]}, [1.0, 2.0, 0.0, 4.0]),
    ("multi_binary", {"kind": "multi_binary", "n": 4}, [1.0, 0.0, 0.0, 1.0])])
def test_index_actions_reach_step_in_their_spaces_dtype_and_shape(bridge, kind, described, action):
    """A 2 × 2 MultiDiscrete (int8) or MultiBinary action: described flattened, row-major, and named in the hello;
    each env gets an array of the space's own dtype and shape, inside the space (the env reports it last)."""
    process = started(bridge, "ppo_test_envs:EchoIndexAction-v0", {"kind": kind})
    assert process.hello["action"] == described
    assert process.hello["action_flattened_from"] == repr(gym.make("ppo_test_envs:EchoIndexAction-v0", kind=kind).action_space)
    assert process.reset([0]) == (0, 0, "")
    assert process.step([action]) == (0, 0, "")
    np.testing.assert_array_equal(process.observations[0], np.float32(action + [1.0]))


def test_one_dimensional_index_actions_are_the_envs_own(bridge):
    for env_id, described in [("ppo_test_envs:MultiSign-v0", {"kind": "multi_discrete", "nvec": [2, 3]}),
                              ("ppo_test_envs:BitSign-v0", {"kind": "multi_binary", "n": 3})]:
        process = started(bridge, env_id)
        assert process.hello["action"] == described and process.hello["action_flattened_from"] is None


@pytest.mark.parametrize("lie, fragment", [("long", "flattens to 3 values, and its space Dict('position'"),
                                            ("missing", "does not fit its space Dict('position'"),
                                            ("scalar", "flattens to 1 value, and its space Dict('position'")])
def test_an_observation_that_does_not_fit_its_space_is_an_env_error(bridge, lie, fragment):
    """Nothing of it is written as an observation: the step fails for that env, as a raising env does."""
    process = started(bridge, "ppo_test_envs:LyingDict-v0", {"lie": lie})
    assert process.reset([0]) == (0, 0, "")
    assert process.step([[1.0]]) == (0, 0, "")
    status, index, message = process.step([[1.0]])
    assert (status, index) == (1, 0) and message.startswith("ValueError: ") and fragment in message, message


def test_a_box_action_of_two_dimensions_reaches_step_in_its_shape_clipped(bridge):
    process = started(bridge, "ppo_test_envs:EchoMatrixAction-v0")
    assert process.hello["action"] == {"kind": "box", "low": [-0.5] * 4, "high": [0.5] * 4}
    assert process.hello["action_flattened_from"] == repr(gym.make("ppo_test_envs:EchoMatrixAction-v0").action_space)
    assert process.hello["observation_flattened_from"] is None
    assert process.reset([0]) == (0, 0, "")
    assert process.step([[5.0, -0.1, 0.25, -7.0]]) == (0, 0, "")
    # Row-major, as numpy reshapes; a float64 2 × 2 array inside the space (component 4).
    np.testing.assert_array_equal(process.observations[0], np.float32([0.5, -0.1, 0.25, -0.5, 1.0]))


def test_the_sign_fixture_rewards_the_sign_and_truncates_at_32(bridge):
    process = started(bridge, "ppo_test_envs:Sign-v0", count=2)
    assert process.reset([1, 2]) == (0, 0, "")
    for t in range(1, 65):
        correct = (process.observations[:, :1] > 0).astype(np.float32)  # action 1 for a positive sign
        assert process.step(correct) == (0, 0, "")
        np.testing.assert_array_equal(process.rewards, [1.0, 1.0])
        np.testing.assert_array_equal(process.truncated, [t % 32 == 0] * 2)
        assert not process.terminated.any()
        assert set(np.abs(process.observations[:, 0])) == {1.0}


def test_an_env_that_refuses_64_bit_seeds_is_reset_with_their_low_32_bits(bridge):
    # MinAtar's envs seed NumPy's legacy RandomState, which takes seeds below 2**32 only.
    process = started(bridge, "ppo_test_envs:LegacySeed-v0", count=2)
    seeds = [5, (7 << 32) + 9]
    assert process.reset(seeds) == (0, 0, "")
    np.testing.assert_array_equal(process.observations[:, 1], np.float32([5 / 2**32, 9 / 2**32]))


def test_prints_inside_an_env_go_to_stderr_and_leave_the_channel_intact(bridge):
    actions = np.random.default_rng(3).integers(0, 2, (45, 2, 1)).astype(np.float32)
    assert_matches_direct_loop(bridge, "ppo_test_envs:Chatty-v0", [5, 6], actions)
    # Run once more to read the stderr of a bridge process that printed.
    process = started(bridge, "ppo_test_envs:Chatty-v0")
    assert process.reset([0]) == (0, 0, "")
    assert process.step([[1.0]]) == (0, 0, "")
    process.close()
    process.wait()
    stderr = process.stderr_text()
    assert "chatty: step 1" in stderr and "chatty (fd 1): step 1" in stderr


# ---------------------------------------------------------------------------------------------------------------
# (b) The hello


def read_hello(bridge, env_id, count=1):
    process = bridge(env_id, count=count)
    hello = process.read_hello()
    assert hello["ok"] is True and hello["bridge"] == 1, hello
    assert hello["gymnasium"] == gym.__version__ and hello["env_id"] == env_id
    process.close_stdin()
    assert process.wait() == 0
    return hello


def test_hello_for_cartpole(bridge):
    hello = read_hello(bridge, "CartPole-v1", count=2)
    f32 = lambda value: float(np.float32(value))  # noqa: E731
    assert hello["observation"] == {"kind": "box", "low": [f32(-4.8), "-inf", f32(-0.41887903), "-inf"],
                                    "high": [f32(4.8), "inf", f32(0.41887903), "inf"]}
    assert hello["action"] == {"kind": "discrete", "n": 2}
    assert hello["max_episode_steps"] == 500 and hello["reward_threshold"] == 475.0


def test_hello_for_pendulum(bridge):
    hello = read_hello(bridge, "Pendulum-v1")
    assert hello["observation"] == {"kind": "box", "low": [-1.0, -1.0, -8.0], "high": [1.0, 1.0, 8.0]}
    assert hello["action"] == {"kind": "box", "low": [-2.0], "high": [2.0]}
    assert hello["max_episode_steps"] == 200 and hello["reward_threshold"] is None


def test_hello_for_half_cheetah(bridge):
    pytest.importorskip("mujoco")
    hello = read_hello(bridge, "HalfCheetah-v5")
    assert hello["observation"] == {"kind": "box", "low": ["-inf"] * 17, "high": ["inf"] * 17}
    assert hello["action"] == {"kind": "box", "low": [-1.0] * 6, "high": [1.0] * 6}
    assert hello["max_episode_steps"] == 1000 and hello["reward_threshold"] == 4800.0


def test_hello_for_a_user_env(bridge):
    hello = read_hello(bridge, "ppo_test_envs:Sign-v0")
    assert hello["observation"] == {"kind": "box", "low": [-1.0, -1.0], "high": [1.0, 1.0]}
    assert hello["action"] == {"kind": "discrete", "n": 2}
    assert hello["max_episode_steps"] == 32 and hello["reward_threshold"] == 30.0


# ---------------------------------------------------------------------------------------------------------------
# (c) Refusals


def assert_refused(process, kind, *fragments):
    hello = process.read_hello()
    assert hello["ok"] is False and hello["kind"] == kind, hello
    assert set(hello) == {"ok", "kind", "message"}
    for fragment in fragments:
        assert fragment in hello["message"], hello["message"]
    assert "\n" not in hello["message"]
    assert process.wait() == 1


@pytest.mark.parametrize("missing", ["gymnasium", "numpy"])
def test_refusal_when_gymnasium_or_numpy_cannot_be_imported(bridge, tmp_path, missing):
    # A module of that name first on PYTHONPATH shadows the installed package and fails as a missing one would.
    (tmp_path / f"{missing}.py").write_text(f'raise ImportError("No module named {missing!r}")\n')
    process = bridge("CartPole-v1", pythonpath=[tmp_path])
    assert_refused(process, "gymnasium_missing", f"ImportError: No module named '{missing}'", sys.executable)


@pytest.mark.parametrize("env_id, fragment", [
    ("NoSuchEnv-v0", "NameNotFound"),
    ("CartPole-v99", "VersionNotFound"),
    ("no_such_namespace/CartPole-v1", "NamespaceNotFound"),
    ("ppo_test_envs:NoSuchEnv-v0", "NameNotFound"),
])
def test_refusal_of_an_unknown_id(bridge, env_id, fragment):
    assert_refused(bridge(env_id), "unknown_env", repr(env_id), fragment, "check the id",
                   "installed in this interpreter")


def test_refusal_of_a_module_that_fails_to_import(bridge):
    assert_refused(bridge("ppo_broken_module:Env-v0"), "module_import", "'ppo_broken_module'",
                   "RuntimeError: ppo_broken_module fails to import on purpose")


def test_refusal_of_a_module_that_does_not_exist(bridge):
    assert_refused(bridge("ppo_no_such_module:Env-v0"), "module_import",
                   "ModuleNotFoundError: No module named 'ppo_no_such_module'")


@pytest.mark.parametrize("args_text, fragment", [
    ('{"no_such_kwarg": 1}', "unexpected keyword argument 'no_such_kwarg'"),
    ("[1, 2]", "JSON object"),
    ("not json", "not valid JSON"),
])
def test_refusal_of_bad_arguments(bridge, args_text, fragment):
    assert_refused(bridge("CartPole-v1", args_text=args_text), "bad_arguments", fragment)


def test_refusal_of_a_malformed_command_line(bridge):
    assert_refused(bridge("CartPole-v1", count=0), "bad_arguments", "--count")


def test_refusal_when_make_fails(bridge):
    assert_refused(bridge("ppo_test_envs:Faulty-v0", {"fault": "bogus"}), "make_failed",
                   "ValueError: fault must be one of")


@pytest.mark.parametrize("env_id, fragments", [
    ("ppo_test_envs:TextKey-v0", ["observation key 'mission' is Text(", "cannot encode",
                                  "gymnasium.wrappers.FilterObservation"]),
    ("ppo_test_envs:NestedDict-v0", ["observation key 'arm' is Dict('angle'", "one level of Dict or Tuple",
                                     "gymnasium.wrappers.FlattenObservation"]),
    ("ppo_test_envs:SequenceObs-v0", ["observation space is Sequence(", "custom gymnasium.ObservationWrapper"]),
    ("ppo_test_envs:ShiftedMultiDiscrete-v0", ["MultiDiscrete([2 3], start=[0 1])", "does not start at 0",
                                               "starting at 0", "ActionWrapper"]),
    ("ppo_test_envs:ShiftedDiscrete-v0", ["Discrete(3, start=-1)", "does not start at 0", "starting at 0"]),
])
def test_refusal_of_unsupported_spaces(bridge, env_id, fragments):
    assert_refused(bridge(env_id), "unsupported_space", *fragments)


def test_the_hello_names_the_images_of_the_flattened_observation(bridge):
    large = started(bridge, "ppo_test_envs:LargeImage-v0")
    assert large.hello["images"] == [{"offset": 0, "shape": [3, 40, 48], "high": 255}]
    # Dict keys in the space's own (sorted) order: "frame" (36 × 36 × 1) first, then "noise".
    bright = started(bridge, "ppo_test_envs:BrightSide-v0")
    assert bright.hello["images"] == [{"offset": 0, "shape": [36, 36, 1], "high": 255}]
    assert len(bright.hello["observation"]["low"]) == 36 * 36 + 2
    # A float Box is no image; a 3-D uint8 Box under a Dict key is one at its flattened offset.
    assert started(bridge, "CartPole-v1").hello["images"] == []
    assert started(bridge, "ppo_test_envs:TextKey-v0", wrappers=[
        {"class": "gymnasium.wrappers:FilterObservation", "kwargs": {"filter_keys": ["image"]}}]).hello["images"] == \
        [{"offset": 0, "shape": [3, 3, 3], "high": 255}]


def test_wrappers_apply_in_order_with_their_own_arguments(bridge):
    wrappers = [{"class": "gymnasium.wrappers:FilterObservation", "kwargs": {"filter_keys": ["position"]}}]
    process = started(bridge, "ppo_test_envs:DictObs-v0", wrappers=wrappers)
    assert len(process.hello["observation"]["low"]) == 2
    assert process.hello["observation_flattened_from"].startswith("Dict('position': Box(")
    flattened = started(bridge, "ppo_test_envs:DictObs-v0",
                        wrappers=wrappers + [{"class": "gymnasium.wrappers:FlattenObservation"}])
    assert len(flattened.hello["observation"]["low"]) == 2 and flattened.hello["observation_flattened_from"] is None
    # A time limit of 5 from a wrapper's keyword argument: the fifth step truncates.
    limited = started(bridge, "ppo_test_envs:Sign-v0", wrappers=[{"class": "gymnasium.wrappers:TimeLimit",
                                                                   "kwargs": {"max_episode_steps": 5}}])
    assert limited.reset([1]) == (0, 0, "")
    for t in range(1, 6):
        assert limited.step([[1.0]]) == (0, 0, "")
        assert bool(limited.truncated[0]) == (t == 5)


@pytest.mark.parametrize("wrappers, kind, fragments", [
    ([{"class": "collections:OrderedDict"}], "bad_arguments", ["not a subclass of gymnasium.Wrapper"]),
    ([{"class": "ppo_no_such_module:Wrapper"}], "module_import", ["'ppo_no_such_module'", "ModuleNotFoundError"]),
    ([{"class": "gymnasium.wrappers:NoSuchWrapper"}], "bad_arguments", ["has no 'NoSuchWrapper'"]),
    ([{"class": "gymnasium.wrappers:TimeLimit", "kwargs": {"no_such": 1}}], "bad_arguments",
     ["gymnasium.wrappers:TimeLimit", '{"no_such": 1}', "TypeError"]),
    ([{"class": "TimeLimit"}], "bad_arguments", ["must be written module:Name"]),
    ('[{"class": 3}]', "bad_arguments", ["--wrappers must be a JSON list"]),
    ("{", "bad_arguments", ["--wrappers is not valid JSON"]),
])
def test_refusal_of_a_bad_wrapper(bridge, wrappers, kind, fragments):
    assert_refused(bridge("CartPole-v1", wrappers=wrappers), kind, *fragments)


def test_a_registration_function_runs_before_make(bridge):
    assert_refused(bridge("Late-v0"), "unknown_env", "'Late-v0'")
    process = started(bridge, "Late-v0", register=["ppo_test_envs:register_late_envs"])
    assert process.hello["max_episode_steps"] == 32
    assert_refused(bridge("Late-v0", register=["ppo_test_envs:VECTOR"]), "bad_arguments", "is not callable")
    assert_refused(bridge("Late-v0", register=["ppo_test_envs:no_such_function"]), "bad_arguments", "has no")


@pytest.mark.parametrize("change, fragment", [({"magic": 0x12345678}, "header"), ({"size_change": 64}, "need")])
def test_refusal_of_a_bad_attach(bridge, change, fragment):
    process = bridge("CartPole-v1")
    process.read_hello()
    reply = process.attach(**change)
    assert reply["ok"] is False and reply["kind"] == "attach_failed" and fragment in reply["message"], reply
    assert process.wait() == 1


# ---------------------------------------------------------------------------------------------------------------
# (d) Environments that fail


def test_an_env_that_raises_is_reported_with_its_index_and_the_bridge_stays_alive(bridge):
    process = started(bridge, "ppo_test_envs:Faulty-v0", {"fault": "raise", "at_step": 10}, count=2)
    zeros = np.zeros((2, 1), np.float32)
    assert process.reset([0, 1]) == (0, 0, "")
    for _ in range(9):
        assert process.step(zeros) == (0, 0, "")
    # Env 0 raises at its 10th step; env 1 was not stepped, so it raises at the next request.
    assert process.step(zeros) == (1, 0, "RuntimeError: injected fault at step 10")
    assert process.step(zeros) == (1, 1, "RuntimeError: injected fault at step 10")
    assert process.step(zeros) == (0, 0, "")
    stderr = process.stderr_text()
    assert "Traceback (most recent call last)" in stderr and "environment 1 raised" in stderr


def test_a_fault_with_a_once_file_fires_once_across_envs_and_restarts(bridge, tmp_path):
    kwargs = {"fault": "raise", "at_step": 3, "once_file": str(tmp_path / "fired")}
    zeros = np.zeros((2, 1), np.float32)
    first = started(bridge, "ppo_test_envs:Faulty-v0", kwargs, count=2)
    first.reset([0, 1])
    statuses = [first.step(zeros)[:2] for _ in range(5)]
    assert statuses == [(0, 0), (0, 0), (1, 0), (0, 0), (0, 0)]
    restarted = started(bridge, "ppo_test_envs:Faulty-v0", kwargs, count=2)
    restarted.reset([0, 1])
    assert all(restarted.step(zeros) == (0, 0, "") for _ in range(5))


def test_an_env_that_exits_closes_the_channel(bridge):
    process = started(bridge, "ppo_test_envs:Faulty-v0", {"fault": "exit", "at_step": 3})
    process.reset([0])
    zeros = np.zeros((1, 1), np.float32)
    assert process.step(zeros) == (0, 0, "") and process.step(zeros) == (0, 0, "")
    with pytest.raises(BridgeDied):
        process.step(zeros)
    assert process.wait() == 3


@pytest.mark.parametrize("fault", ["nan_obs", "nan_reward"])
def test_nan_travels_through_unchanged(bridge, fault):
    process = started(bridge, "ppo_test_envs:Faulty-v0", {"fault": fault, "at_step": 2}, count=2)
    process.reset([0, 1])
    zeros = np.zeros((2, 1), np.float32)
    assert process.step(zeros) == (0, 0, "") and np.isfinite(process.observations).all()
    assert process.step(zeros) == (0, 0, "")
    if fault == "nan_obs":
        assert np.isnan(process.observations[:, 0]).all() and np.isfinite(process.observations[:, 1]).all()
    else:
        assert np.isnan(process.rewards).all()


def test_an_unknown_command_is_status_2_and_the_bridge_goes_on(bridge):
    process = started(bridge, "CartPole-v1")
    assert process.request_raw(7) == (2, 0, "unknown command 7")
    assert process.reset([0]) == (0, 0, "")
    assert process.step([[1.0]]) == (0, 0, "")


def test_a_discrete_action_out_of_range_is_the_envs_error(bridge):
    process = started(bridge, "CartPole-v1", count=2)
    process.reset([0, 1])
    status, index, message = process.step([[0.0], [5.0]])
    assert (status, index) == (1, 1) and message.startswith("AssertionError"), message


# ---------------------------------------------------------------------------------------------------------------
# (e) Lifetime


def test_end_of_file_before_attach_exits_0(bridge):
    process = bridge("CartPole-v1")
    assert process.read_hello()["ok"]
    process.close_stdin()
    assert process.wait(5) == 0


def test_end_of_file_while_waiting_for_a_request_exits_0_promptly(bridge):
    process = started(bridge, "CartPole-v1")
    assert process.reset([0]) == (0, 0, "")
    begin = time.monotonic()
    process.close_stdin()
    assert process.wait(5) == 0
    assert time.monotonic() - begin < 2


def test_close_answers_and_exits_0(bridge):
    process = started(bridge, "CartPole-v1", count=2)
    process.reset([0, 1])
    assert process.request_raw(CLOSE) == (0, 0, "")
    assert process.wait(5) == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
@pytest.mark.parametrize("die_with_parent", [True, False])
def test_the_bridge_dies_with_its_parent_only_when_asked(die_with_parent):
    # A parent that starts the bridge, waits for its hello, prints its pid and sleeps. The bridge's stdin is a
    # pipe this test holds open, so only the parent's death can end the bridge, and only with --die-with-parent.
    parent_code = textwrap.dedent("""
        import subprocess, sys, time
        bridge = subprocess.Popen([sys.executable, "-c", open(sys.argv[1]).read(), "--env", "CartPole-v1",
                                   "--args", "{}", "--count", "1"] + sys.argv[3:],
                                  stdin=int(sys.argv[2]), stdout=subprocess.PIPE)
        bridge.stdout.read(4)
        print(bridge.pid, flush=True)
        time.sleep(60)
    """)
    read_end, write_end = os.pipe()
    flag = ["--die-with-parent"] if die_with_parent else []
    parent = subprocess.Popen([sys.executable, "-c", parent_code, str(BRIDGE_PATH), str(read_end)] + flag,
                              stdout=subprocess.PIPE, pass_fds=(read_end,))
    try:
        bridge_pid = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        os.close(read_end)
        assert wait_for_exit(bridge_pid, 5 if die_with_parent else 0.5) == die_with_parent
        if not die_with_parent:
            os.close(write_end)  # end-of-file on its stdin ends it
            write_end = None
            assert wait_for_exit(bridge_pid, 5)
    finally:
        parent.kill()
        if write_end is not None:
            os.close(write_end)


def wait_for_exit(pid, seconds):
    """Whether the process `pid` ended (or is a zombie) within `seconds`."""
    deadline = time.monotonic() + seconds
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def process_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# ---------------------------------------------------------------------------------------------------------------
# Unit tests of the bridge's helpers (the module imports without side effects)


@pytest.fixture(scope="module")
def bridge_module():
    spec = importlib.util.spec_from_file_location("ppo_gym_bridge", BRIDGE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_layout_offsets(bridge_module):
    # K=8 HalfCheetah: actions 8×6 f32 = 192 bytes end on a multiple of 64, so the seeds follow directly.
    offsets, size = bridge_module.layout(8, 17, 6)
    assert offsets == {"actions": 1280, "seeds": 1472, "observations": 1536, "final_observations": 2112,
                       "rewards": 2688, "terminated": 2752, "truncated": 2816}
    assert size == 2880
    for k, o, a in [(1, 4, 1), (3, 3, 1), (16, 1, 4), (64, 348, 17), (5, 0, 1)]:
        offsets, size = bridge_module.layout(k, o, a)
        client = bridge_client.Layout(k, o, a)
        assert offsets == {name: getattr(client, name) for name in offsets} and size == client.size


def test_render_writes_every_envs_frame_of_the_size_the_hello_gives(bridge_module):
    import mmap
    bridge_module.import_dependencies()
    envs = bridge_module.make_envs(bridge_module.parse_command_line(["--env", "ppo_test_envs:Sign-v0", "--count", "2",
                                                                     "--render"]))
    frame = bridge_module.frame_shape(envs[0])
    assert frame == (8, 12)
    assert bridge_module.hello("ppo_test_envs:Sign-v0", envs[0], frame)["frame"] == [8, 12]
    offsets, size = bridge_module.layout(2, 2, 1, frame)
    assert offsets["frames"] == bridge_module.align(offsets["truncated"] + 2) and size == bridge_module.align(offsets["frames"] + 2 * 8 * 12 * 3)
    shared = bridge_module.SharedMemory(mmap.mmap(-1, size), 2, 2, 1, frame)
    for i, env in enumerate(envs):
        env.reset(seed=i)
    assert bridge_module.render_all(envs, shared) == (bridge_module.OK, 0, "")
    for i, env in enumerate(envs):
        assert (shared.frames[i] == env.render()).all()


def test_render_refusals(bridge_module):
    import mmap
    bridge_module.import_dependencies()
    # Faulty-v0 cannot render: gym.Env.render raises.
    faulty = bridge_module.make_envs(bridge_module.parse_command_line(["--env", "ppo_test_envs:Faulty-v0", "--count", "1"]))
    with pytest.raises(bridge_module.Refusal) as refusal:
        bridge_module.frame_shape(faulty[0])
    assert refusal.value.kind == "render_failed" and "cannot render" in refusal.value.message
    with pytest.raises(bridge_module.Refusal, match="uint8 array of shape"):
        bridge_module.checked_frame(np.zeros((4, 4), np.uint8), None)
    with pytest.raises(bridge_module.Refusal, match="where the first was"):
        bridge_module.checked_frame(np.zeros((4, 4, 3), np.uint8), (8, 12))
    offsets, size = bridge_module.layout(1, 2, 1)
    plain = bridge_module.SharedMemory(mmap.mmap(-1, size), 1, 2, 1)
    assert bridge_module.render_all(faulty, plain)[0] == bridge_module.BAD_REQUEST


def test_messages_are_cut_at_a_character_boundary(bridge_module):
    assert bridge_module.truncate_utf8("€" * 400, 1024) == ("€" * 341).encode()  # 1023 bytes
    assert bridge_module.truncate_utf8("é" * 600, 1024) == ("é" * 512).encode()
    assert bridge_module.truncate_utf8("short", 1024) == b"short"


def test_exception_line_is_the_last_line_of_the_traceback(bridge_module):
    assert bridge_module.exception_line(ValueError("bad value")) == "ValueError: bad value"
    assert bridge_module.exception_line(gym.error.NameNotFound("x")) == "gymnasium.error.NameNotFound: x"
    error = RuntimeError("two\nlines")
    error.add_note("a note")
    assert bridge_module.exception_line(error) == "RuntimeError: two lines"
