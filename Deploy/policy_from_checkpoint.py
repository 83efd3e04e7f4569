#!/usr/bin/env python3
"""Loads a swift-ppo checkpoint (safetensors) with numpy and computes the policy's action probabilities
(discrete actions; per component for MultiDiscrete, of each bit being 1 for MultiBinary) or action means
(continuous actions) for given observations.

    python3 policy_from_checkpoint.py CHECKPOINT OBSERVATIONS.json > OUT.json

OBSERVATIONS.json is a list of observation vectors; OUT.json is {"probabilities": [...]} or {"means": [...]}. For an
env whose observation is not a flat Box (a Dict, a Tuple, an image, a Discrete…), a vector is the observation as
the bridge flattened it in training: `gymnasium.spaces.flatten(env.observation_space, observation)`.
Needs numpy; uses the `safetensors` package when it is installed and reads the format directly otherwise.
"""
import json
import struct
import sys

import numpy as np


def load(path):
    try:
        from safetensors import safe_open
        tensors = {}
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata()
            for name in f.keys():
                tensors[name] = f.get_tensor(name)
        return tensors, metadata
    except ImportError:
        pass
    # The format: u64 header length (little-endian), JSON header, raw little-endian tensor bytes.
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    dtypes = {"F32": np.float32, "F64": np.float64}
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors, metadata


def main():
    tensors, metadata = load(sys.argv[1])
    network = json.loads(metadata.get("network", "{}")).get("body", {})
    if "convolutional" in network:
        sys.exit("this checkpoint's network is convolutional (an image encoder); this script computes the MLP networks "
                 "only: export it with `ppo export --checkpoint CHECKPOINT --onnx policy.onnx` and run that with "
                 "onnxruntime (Deploy/onnx_policy.py)")
    config = json.loads(metadata["config"])  # snake_case keys, as in the presets (camelCase in older checkpoints)

    def setting(name, camel, default=None):
        return config.get(name, config.get(camel, default))
    space = json.loads(metadata["action_space"])
    x = np.asarray(json.load(open(sys.argv[2])), dtype=np.float64)
    if "obs_normalizer.mean" in tensors:
        mean, var = tensors["obs_normalizer.mean"], tensors["obs_normalizer.var"]
        clip = setting("observation_clip", "observationClip", 10.0)
        x = np.clip((x - mean) / np.sqrt(var + 1e-8), -clip, clip)
    activation = np.tanh if setting("activation", "activation", "tanh") == "tanh" else (lambda v: np.maximum(v, 0))
    layers = len(setting("hidden_sizes", "hiddenSizes")) + 1
    h = x
    for i in range(layers):
        w = tensors[f"actor.{2 * i}.weight"].astype(np.float64)  # [out, in]: y = x W^T + b
        b = tensors[f"actor.{2 * i}.bias"].astype(np.float64)
        h = h @ w.T + b
        if i < layers - 1:
            h = activation(h)
    def softmax(logits):
        z = logits - logits.max(axis=1, keepdims=True)
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    if "discrete" in space:
        json.dump({"probabilities": softmax(h).tolist()}, sys.stdout)
    elif "multiDiscrete" in space:  # one categorical per component, over its segment of the logits
        bounds = np.cumsum([0] + list(space["multiDiscrete"]["_0"]))
        pieces = [softmax(h[:, a:b]).tolist() for a, b in zip(bounds[:-1], bounds[1:])]
        json.dump({"probabilities": pieces}, sys.stdout)
    elif "multiBinary" in space:  # one Bernoulli per bit: the probability of 1
        json.dump({"probabilities": (1 / (1 + np.exp(-h))).tolist()}, sys.stdout)
    else:
        json.dump({"means": h.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
