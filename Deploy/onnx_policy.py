#!/usr/bin/env python3
"""Runs a policy exported by `ppo export --onnx` with onnxruntime, outside the training code.

    onnx_policy.py describe MODEL.onnx                  inputs, outputs and metadata
    onnx_policy.py play MODEL.onnx [--episodes 10] [--seed 0]
                                                        greedy episodes on the model's env (gymnasium.make with the
                                                        env id and arguments in its metadata): mean ± std return
    onnx_policy.py compare MODEL.onnx RECORD.jsonl [--min-rows 1000] [--tolerance 1e-5]
                                                        onnx.checker, then the model's outputs on the observations
                                                        `ppo eval --record` wrote against the actions and values
                                                        the trained policy gave; exit 1 if any differs

compare's rule: discrete actions equal wherever the model's top two logits differ by more than the tolerance;
continuous means (and clipped actions), and values, within the tolerance absolutely or relatively. It prints one
JSON object with the figures (and, for an env whose step info says "success" or "is_success", the share of episodes that
succeeded at some step). Needs numpy and onnxruntime; compare needs onnx, play needs gymnasium.
"""
import argparse
import json
import sys

import numpy as np


def session(path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def metadata(sess):
    return dict(sess.get_modelmeta().custom_metadata_map)


def describe(args):
    sess = session(args.model)
    for i in sess.get_inputs():
        print(f"input  {i.name}: {i.type} {i.shape}")
    for o in sess.get_outputs():
        print(f"output {o.name}: {o.type} {o.shape}")
    for key, value in sorted(metadata(sess).items()):
        print(f"{key}: {value}")


def imported(path):
    """The object a `module:Name` path names (Name may be dotted)."""
    import importlib
    module, _, name = path.partition(":")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def make_env(meta):
    """The model's env as training made it: its register functions called, gymnasium.make with its env_args, then
    its wrappers applied in order."""
    import gymnasium as gym
    env_id = meta["env_id"]
    if env_id.startswith("gym:"):
        env_id = env_id[len("gym:"):]
        if ":" in env_id:  # module:ID imports the module that registers the env
            module, env_id = env_id.split(":", 1)
            __import__(module)
    for path in json.loads(meta.get("register") or "[]"):
        function = imported(path)
        if not callable(function):
            raise SystemExit(f"the model's registration function {path} is not callable")
        function()
    env = gym.make(env_id, **json.loads(meta.get("env_args") or "{}"))
    for wrapper in json.loads(meta.get("wrappers") or "[]"):
        cls = imported(wrapper["class"])
        # As the bridge: only a gymnasium.Wrapper subclass is instantiated (SECURITY.md).
        if not (isinstance(cls, type) and issubclass(cls, gym.Wrapper)):
            raise SystemExit(f"the model's wrapper {wrapper['class']} is not a subclass of gymnasium.Wrapper")
        env = cls(env, **wrapper.get("kwargs", {}))
    return env


def play(args):
    import gymnasium as gym
    sess = session(args.model)
    env = make_env(metadata(sess))
    returns, successes = [], []
    for episode in range(args.episodes):
        obs, _ = env.reset(seed=args.seed + episode)
        total, done, succeeded = 0.0, False, None
        while not done:
            # The model takes the observation as the bridge flattened it in training, and gives a Box's action flat.
            flat = gym.spaces.flatten(env.observation_space, obs)
            action = sess.run(["action"], {"observation": np.asarray(flat, dtype=np.float32)[None]})[0][0]
            if action.ndim == 0:
                action = int(action)
            else:
                action = action.reshape(env.action_space.shape).astype(env.action_space.dtype)
            obs, reward, terminated, truncated, info = env.step(action)
            total += float(reward)
            done = terminated or truncated
            if "success" in info or "is_success" in info:  # goal-reaching envs (gymnasium-robotics) say so
                succeeded = bool(succeeded) or bool(info.get("success", info.get("is_success")))
        returns.append(total)
        if succeeded is not None:
            successes.append(succeeded)
    result = {"env": metadata(sess)["env_id"], "episodes": len(returns), "mean": float(np.mean(returns)),
              "std": float(np.std(returns)), "returns": returns}
    if successes:
        result["success_rate"] = sum(successes) / len(successes)
    print(json.dumps(result))


def close(a, b, tolerance):
    """|a − b| ≤ tolerance, or ≤ tolerance·|b|, elementwise."""
    diff = np.abs(a - b)
    return (diff <= tolerance) | (diff <= tolerance * np.abs(b))


def normalizer_figures(path):
    """How far the graph's normaliser is from the identity (largest |mean| and the range of 1/std)."""
    import onnx
    from onnx import numpy_helper
    tensors = {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}
    if "obs_normalizer.mean" not in tensors:
        return None
    inv = tensors["obs_normalizer.inverse_std"]
    return {"mean_max_abs": float(np.abs(tensors["obs_normalizer.mean"]).max()),
            "inverse_std_min": float(inv.min()), "inverse_std_max": float(inv.max())}


def index_agreement(space, out, recorded_actions, t):
    """Per action component: whether the model decided it (its top two logits of the segment more than t apart,
    a bit's logit more than t from 0) and whether it chose the recorded index."""
    logits = out["logits"]
    chosen = out["action"].reshape(len(logits), -1)
    recorded = recorded_actions.astype(np.int64).reshape(len(logits), -1)
    if "multiBinary" in space:
        return np.abs(logits) > t, chosen == recorded
    sizes = space["multiDiscrete"]["_0"] if "multiDiscrete" in space else [logits.shape[1]]
    bounds = np.cumsum([0] + list(sizes))
    decided = np.stack([np.diff(np.sort(logits[:, a:b], axis=1)[:, -2:], axis=1)[:, 0] > t
                        for a, b in zip(bounds[:-1], bounds[1:])], axis=1)
    return decided, chosen == recorded


def compare(args):
    import onnx
    onnx.checker.check_model(onnx.load(args.model), full_check=True)
    rows = [json.loads(line) for line in open(args.record) if line.strip()]
    if len(rows) < args.min_rows:
        sys.exit(f"{args.record} has {len(rows)} steps, fewer than --min-rows {args.min_rows}")
    obs = np.asarray([r["observation"] for r in rows], dtype=np.float32)
    recorded_actions = np.asarray([r["action"] for r in rows], dtype=np.float64)
    recorded_values = np.asarray([r["value"] for r in rows], dtype=np.float64)
    sess = session(args.model)
    names = [o.name for o in sess.get_outputs()]
    out = dict(zip(names, sess.run(names, {"observation": obs})))
    t = args.tolerance
    report = {"model": args.model, "rows": len(rows), "tolerance": t, "normalizer": normalizer_figures(args.model)}
    values_ok = close(out["value"].astype(np.float64), recorded_values, t)
    report["value_max_abs_diff"] = float(np.abs(out["value"] - recorded_values).max())
    report["value_mismatches"] = int((~values_ok).sum())
    if "logits" in out:
        decided, agree = index_agreement(json.loads(metadata(sess)["action_space"]), out, recorded_actions, t)
        report["action_compared"] = int(decided.sum())
        report["action_exempt_near_ties"] = int((~decided).sum())
        report["action_mismatches"] = int((decided & ~agree).sum())
    else:
        mean_ok = close(out["mean"].astype(np.float64), recorded_actions, t)
        report["mean_max_abs_diff"] = float(np.abs(out["mean"] - recorded_actions).max())
        report["action_mismatches"] = int((~mean_ok.all(axis=1)).sum())
        space = json.loads(metadata(sess)["action_space"])["box"]
        clipped = np.clip(recorded_actions, np.asarray(space["low"]), np.asarray(space["high"]))
        if "clipped" in metadata(sess)["action"]:
            report["clipped_action_mismatches"] = int((~close(out["action"].astype(np.float64), clipped, t).all(axis=1)).sum())
    print(json.dumps(report))
    failed = report["value_mismatches"] + report["action_mismatches"] + report.get("clipped_action_mismatches", 0)
    sys.exit(1 if failed else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("describe", help="inputs, outputs and metadata")
    d.add_argument("model")
    p = sub.add_parser("play", help="greedy episodes on the model's env")
    p.add_argument("model")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("compare", help="check the model against `ppo eval --record`")
    c.add_argument("model")
    c.add_argument("record")
    c.add_argument("--min-rows", type=int, default=1000)
    c.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()
    {"describe": describe, "play": play, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
