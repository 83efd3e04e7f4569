"""The Python side of the Gymnasium bridge, version 1 (normative description: Protocol/BRIDGE.md).

The worker runs it as

    python3 -c SOURCE --env ID --args JSON --count K [--render] [--die-with-parent]

It makes K environments with `gymnasium.make(ID, **args)`, sends a hello (or a refusal) on its channel, maps the
shared-memory file named by the worker's attach message, and then serves reset / step / close requests: the
inputs and outputs live in shared memory, and one byte on each pipe per request and reply keeps the two sides
in step. It needs only the standard library, numpy and gymnasium, and it does not rely on `__file__`, so it
runs from `-c` as well as imported as a module (the tests do that).
"""
import argparse
import ctypes
import importlib
import json
import math
import mmap
import os
import select
import signal
import struct
import sys
import time
import traceback

BRIDGE_VERSION = 1
LAYOUT_VERSION = 1
MAGIC = 0x424F5050  # "PPOB" read as a little-endian u32
MAX_CONTROL_BYTES = 1 << 20
MAX_MESSAGE_BYTES = 1024

# Fixed offsets of the shared-memory layout (§2); the per-env sections start at ACTIONS_OFFSET.
REQUEST_OFFSET = 64
REPLY_OFFSET = 128
MESSAGE_OFFSET = 192
ACTIONS_OFFSET = 1280
SECTION_ALIGNMENT = 64

# Commands and reply statuses (§3).
RESET, STEP, CLOSE, RENDER = 1, 2, 3, 4
# The largest frame side `--render` accepts (a frame is H × W × 3 bytes per env in the shared memory).
MAX_FRAME_SIDE = 4096
OK, ENV_FAILED, BAD_REQUEST = 0, 1, 2

# How long the bridge spins on the request sequence before it blocks on stdin.
DEFAULT_SPIN_US = 1000
# Longest sleep on stdin before the request sequence is looked at again (bounds a missed wake-up).
SLEEP_SLICE_SECONDS = 0.01
# The first part of the spin does not give the CPU away (a request usually comes within microseconds; a yield costs
# a system call).
BUSY_SPIN_NS = 200_000

# numpy and gymnasium: imported by import_dependencies() only once fd 1 points at stderr, so that whatever they
# print at import time cannot reach the channel, and so that a failing import becomes a refusal.
np = None
gym = None


class Refusal(Exception):
    """A reason not to serve: sent as {"ok": false, "kind": kind, "message": message}, then the bridge exits 1."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


# ---------------------------------------------------------------------------------------------------------------
# Process setup (§1.2)


def set_channel_aside():
    """Duplicates fd 1 to a private descriptor, the channel out, and points fd 1 at stderr.

    Anything an environment prints, from Python or from C, then goes to stderr. os.dup returns a
    non-inheritable descriptor, so processes an environment starts never hold the channel.
    """
    if sys.stdout is not None:
        sys.stdout.flush()
    channel_out = os.dup(1)
    os.dup2(2, 1)
    if sys.stdout is not None:
        # The worker keeps the last lines of stderr: let an env's prints arrive line by line.
        sys.stdout.reconfigure(line_buffering=True)
    return channel_out


def die_with_parent():
    """On Linux, asks the kernel to SIGKILL this process when the thread that started it ends (best effort).

    Only on request (--die-with-parent): the worker asks for it when it starts the bridge from its main thread,
    which lives as long as the worker. It covers an environment stuck inside `step` when the worker is killed;
    otherwise end-of-file on stdin ends the bridge.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def import_dependencies():
    global np, gym
    try:
        import numpy
        import gymnasium
    except Exception as error:
        raise Refusal("gymnasium_missing",
                      f"Gymnasium or numpy cannot be imported by {sys.executable}; install them into this "
                      f"interpreter (pip install gymnasium numpy): {exception_line(error)}")
    np, gym = numpy, gymnasium


class CommandLine(argparse.ArgumentParser):
    def error(self, message):
        raise Refusal("bad_arguments", f"The bridge's command line is malformed: {message}")


def parse_command_line(argv):
    parser = CommandLine(prog="ppo_gym_bridge", add_help=False)
    parser.add_argument("--env", required=True)
    parser.add_argument("--args", default="{}")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--wrappers", default="[]")
    parser.add_argument("--register", default="[]")
    parser.add_argument("--render", action="store_true")
    parser.add_argument("--die-with-parent", action="store_true")
    options = parser.parse_args(argv)
    if options.count < 1:
        parser.error(f"--count must be at least 1, not {options.count}")
    options.kwargs = parsed_json("--args", options.args, dict, "a JSON object of keyword arguments")
    options.wrappers = parsed_json("--wrappers", options.wrappers, list, 'a JSON list of {"class": "module:Name", '
                                   '"kwargs": {...}} objects')
    if not all(isinstance(w, dict) and isinstance(w.get("class"), str) and isinstance(w.get("kwargs", {}), dict)
               and set(w) <= {"class", "kwargs"} for w in options.wrappers):
        raise Refusal("bad_arguments", f'--wrappers must be a JSON list of {{"class": "module:Name", "kwargs": {{...}}}} '
                                       f"objects, not {options.wrappers}")
    options.register = parsed_json("--register", options.register, list, 'a JSON list of "module:function" strings')
    if not all(isinstance(r, str) for r in options.register):
        raise Refusal("bad_arguments", f'--register must be a JSON list of "module:function" strings, not {options.register}')
    return options


def parsed_json(flag, text, kind, expected):
    try:
        value = json.loads(text)
    except ValueError as error:
        raise Refusal("bad_arguments", f"{flag} is not valid JSON ({error}): {text}")
    if not isinstance(value, kind):
        raise Refusal("bad_arguments", f"{flag} must be {expected}, not {text}")
    return value


def spin_nanoseconds():
    try:
        return max(0, int(float(os.environ.get("PPO_BRIDGE_SPIN_US", DEFAULT_SPIN_US)) * 1000))
    except ValueError:
        return DEFAULT_SPIN_US * 1000


# ---------------------------------------------------------------------------------------------------------------
# Making the environments and the hello (§1.3)


def make_envs(options):
    """The --count envs: the registration functions called, then gymnasium.make, then the wrappers in order."""
    import_env_module(options.env)
    for path in options.register:
        call_registration(path)
    kwargs = dict(options.kwargs, render_mode="rgb_array") if options.render else options.kwargs
    return [wrapped(make_env(options.env, kwargs), options.wrappers) for _ in range(options.count)]


def imported(path, what):
    """The object a `module:Name` path names (`Name` may be dotted), imported; a Refusal when it cannot be."""
    module_name, _, name = path.partition(":")
    if not module_name or not name:
        raise Refusal("bad_arguments", f"The {what} {path!r} must be written module:Name")
    try:
        target = importlib.import_module(module_name)
    except Exception as error:
        print_traceback(f"importing {module_name!r} failed:")
        raise Refusal("module_import", f"Importing module {module_name!r} for the {what} {path!r} failed: "
                                       f"{exception_line(error)}")
    for part in name.split("."):
        if not hasattr(target, part):
            raise Refusal("bad_arguments", f"The module {module_name!r} has no {name!r} (the {what} {path!r})")
        target = getattr(target, part)
    return target


def call_registration(path):
    """Calls a package's function that registers its envs (Gymnasium 1.x no longer loads plugins on its own)."""
    function = imported(path, "registration function")
    if not callable(function):
        raise Refusal("bad_arguments", f"The registration function {path!r} is not callable")
    try:
        function()
    except Exception as error:
        print_traceback(f"{path}() failed:")
        raise Refusal("make_failed", f"Registering environments with {path}() failed: {exception_line(error)}")


def wrapped(env, wrappers):
    """`env` inside each wrapper in order; a wrapper is instantiated only if it is a gymnasium.Wrapper subclass."""
    for wrapper in wrappers:
        path, kwargs = wrapper["class"], wrapper.get("kwargs", {})
        cls = imported(path, "wrapper")
        if not (isinstance(cls, type) and issubclass(cls, gym.Wrapper)):
            raise Refusal("bad_arguments", f"The wrapper {path!r} is not a subclass of gymnasium.Wrapper, and the "
                                           "bridge instantiates nothing else")
        try:
            env = cls(env, **kwargs)
        except Exception as error:
            print_traceback(f"{path}(env, **{kwargs}) failed:")
            kind = "bad_arguments" if isinstance(error, TypeError) else "make_failed"
            raise Refusal(kind, f"Wrapping the env in {path} with {json.dumps(kwargs)} failed: {exception_line(error)}")
    return env


def frame_shape(env):
    """(H, W) of the env's rgb_array frames, from one render after a reset (§1.3, `--render`)."""
    try:
        env.reset(seed=0)
        frame = env.render()
    except Exception as error:
        print_traceback("rendering the first frame failed:")
        raise Refusal("render_failed", f"The environment cannot render an rgb_array frame: {exception_line(error)}")
    return checked_frame(frame, None)


def checked_frame(frame, shape):
    """The (H, W) of a frame that is a uint8 H × W × 3 array (of `shape` when given); else a Refusal."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        described = type(frame).__name__ if not isinstance(frame, np.ndarray) else f"{frame.dtype} {frame.shape}"
        raise Refusal("render_failed", f"render() must return a uint8 array of shape (H, W, 3), not {described}")
    h, w = int(frame.shape[0]), int(frame.shape[1])
    if not (1 <= h <= MAX_FRAME_SIDE and 1 <= w <= MAX_FRAME_SIDE):
        raise Refusal("render_failed", f"a frame of {h} × {w} is outside 1–{MAX_FRAME_SIDE} pixels a side")
    if shape is not None and (h, w) != shape:
        raise Refusal("render_failed", f"a frame of {h} × {w}, where the first was {shape[0]} × {shape[1]}")
    return h, w


def import_env_module(env_id):
    """Imports the module of a `module:Name-vN` id, so a failing import is reported as such."""
    if ":" not in env_id:
        return
    module = env_id.split(":", 1)[0]
    try:
        importlib.import_module(module)
    except Exception as error:
        print_traceback(f"importing {module!r} failed:")
        raise Refusal("module_import", f"Importing module {module!r} for {env_id!r} failed: {exception_line(error)}")


def make_env(env_id, kwargs):
    try:
        return gym.make(env_id, **kwargs)
    except Exception as error:
        print_traceback(f"gymnasium.make({env_id!r}) failed:")
        raise make_refusal(env_id, kwargs, error)


def make_refusal(env_id, kwargs, error):
    """Sorts what gymnasium.make raised into unknown_env, bad_arguments and make_failed."""
    line = exception_line(error)
    name = env_id.split(":", 1)[-1]
    lookup_errors = (gym.error.UnregisteredEnv, gym.error.DeprecatedEnv)
    if isinstance(error, lookup_errors) or (type(error) is gym.error.Error and name not in gym.registry):
        return Refusal("unknown_env",
                       f"No environment {env_id!r} is registered in Gymnasium ({line}); check the id, and that the "
                       f"package that registers it is installed in this interpreter ({sys.executable})")
    if isinstance(error, TypeError) and "unexpected keyword argument" in str(error):
        return Refusal("bad_arguments", f"gymnasium.make({env_id!r}) rejected the arguments {json.dumps(kwargs)}: {line}")
    return Refusal("make_failed", f"gymnasium.make({env_id!r}) failed: {line}")


# Which spaces the bridge takes, and how an observation becomes the row of float32 values it writes (§1.3).
# An observation is flattened as gymnasium.spaces.flatten does (one-hots for Discrete and MultiDiscrete, a Dict's
# keys in the space's own order); an action row is reshaped to a Box's shape.

# The most values an observation or an action may hold (the wire's limit, Wire/Limits.swift).
MAX_VALUES = 65535
OBSERVATION_KINDS = "Box, Discrete, MultiDiscrete and MultiBinary observations, and one level of Dict or Tuple of them"


def image_high(space):
    """The largest value of an image Box — 255 for uint8 pixels of bounds 0..255, 1 for a bool Box (0/1 planes) — of
    2 or 3 axes; None for any other space. The worker decides which images a convolutional encoder reads."""
    if not isinstance(space, gym.spaces.Box) or len(space.shape) not in (2, 3) or 0 in space.shape:
        return None
    if space.dtype == np.bool_:
        return 1
    if space.dtype == np.uint8 and np.all(space.low == 0) and np.all(space.high == 255):
        return 255
    return None


def describe_images(space):
    """The images of the flattened observation, in its order: each one's first value, its shape as the env gives it
    and its largest value (gymnasium.spaces.flatten keeps a Box's values in their own C order)."""
    leaves = list(space.spaces.values()) if isinstance(space, gym.spaces.Dict) else \
        list(space.spaces) if isinstance(space, gym.spaces.Tuple) else [space]
    images, offset = [], 0
    for leaf in leaves:
        high = image_high(leaf)
        if high is not None:
            images.append({"offset": offset, "shape": [int(n) for n in leaf.shape], "high": high})
        offset += int(gym.spaces.flatdim(leaf))
    return images


def check_observation_leaf(space, where):
    """Refuses a space inside the observation (`where` names it) that the bridge cannot flatten."""
    spaces = gym.spaces
    if isinstance(space, (spaces.Dict, spaces.Tuple)):
        raise Refusal("unsupported_space",
                      f"{where} is {space!r}, and the bridge flattens only one level of Dict or Tuple: flatten the "
                      "whole observation with gymnasium.wrappers.FlattenObservation")
    if not isinstance(space, (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        remedy = "leave it out with gymnasium.wrappers.FilterObservation" if "key" in where else \
            "turn it into one with a custom gymnasium.ObservationWrapper"
        raise Refusal("unsupported_space",
                      f"{where} is {space!r}, which the bridge cannot encode (it takes {OBSERVATION_KINDS}): {remedy}")


def check_observation_space(space):
    spaces = gym.spaces
    if isinstance(space, spaces.Dict):
        for key, subspace in space.spaces.items():
            check_observation_leaf(subspace, f"The observation key {key!r}")
    elif isinstance(space, spaces.Tuple):
        for index, subspace in enumerate(space.spaces):
            check_observation_leaf(subspace, f"Element {index} of the observation Tuple")
    else:
        check_observation_leaf(space, "The observation space")
    size = int(spaces.flatdim(space))
    if not 1 <= size <= MAX_VALUES:
        raise Refusal("unsupported_space",
                      f"The observation space {space!r} flattens to {size} values, and an observation holds 1–"
                      f"{MAX_VALUES}: shrink it with gymnasium.wrappers.ResizeObservation or "
                      "FilterObservation")


def check_action_space(space):
    spaces = gym.spaces
    if isinstance(space, spaces.Discrete) and space.start == 0:
        return
    if isinstance(space, (spaces.Box, spaces.MultiBinary)) and 1 <= int(np.prod(space.shape)) <= MAX_VALUES:
        return
    if isinstance(space, spaces.MultiDiscrete) and np.all(space.start == 0) and 1 <= space.nvec.size \
            and int(space.nvec.sum()) <= MAX_VALUES:
        return
    unsupported = f"The action space {space!r} is not supported (the bridge takes Discrete, Box, MultiDiscrete " \
                  "and MultiBinary actions)"
    if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete)) and np.any(np.asarray(space.start) != 0):
        message = f"The action space {space!r} does not start at 0, and the bridge supports only Discrete and " \
                  "MultiDiscrete action spaces starting at 0: shift it with a custom gymnasium.ActionWrapper"
    elif isinstance(space, spaces.MultiDiscrete):
        message = f"The action space {space!r} has {int(space.nvec.sum())} choices in all, and an action " \
                  f"space holds 1–{MAX_VALUES}"
    elif isinstance(space, (spaces.Box, spaces.MultiBinary)):
        message = f"The action space {space!r} has {int(np.prod(space.shape))} values, and an action holds 1–" \
                  f"{MAX_VALUES}"
    else:
        message = unsupported
    raise Refusal("unsupported_space", message)


def is_flat_box(space):
    return isinstance(space, gym.spaces.Box) and len(space.shape) == 1


def encode_bounds(values):
    """Bounds as float32 values converted to Python floats; infinities as the strings "inf" and "-inf"."""
    with np.errstate(over="ignore"):
        values = np.asarray(values, dtype=np.float32).ravel().astype(np.float64)
    return [value if math.isfinite(value) else ("inf" if value > 0 else "-inf") for value in values.tolist()]


def describe_box(box):
    return {"kind": "box", "low": encode_bounds(box.low), "high": encode_bounds(box.high)}


def describe_observation(space):
    """The Box of the flattened observation (gymnasium.spaces.flatten_space's bounds): what the worker sees."""
    return describe_box(space if is_flat_box(space) else gym.spaces.flatten_space(space))


def describe_action(space):
    """Discrete(n); MultiDiscrete's nvec and MultiBinary's n, flattened; or the Box's bounds flattened."""
    if isinstance(space, gym.spaces.Discrete):
        return {"kind": "discrete", "n": int(space.n)}
    if isinstance(space, gym.spaces.MultiDiscrete):
        return {"kind": "multi_discrete", "nvec": [int(n) for n in space.nvec.ravel()]}
    if isinstance(space, gym.spaces.MultiBinary):
        return {"kind": "multi_binary", "n": int(np.prod(space.shape))}
    return describe_box(space)


def is_flat_action(space):
    """Whether the worker's action is the env's own: a Discrete, or a one-dimensional Box, MultiDiscrete or
    MultiBinary (anything else is flattened, and its repr becomes part of the env's signature)."""
    if isinstance(space, gym.spaces.Discrete):
        return True
    return isinstance(space, (gym.spaces.Box, gym.spaces.MultiDiscrete, gym.spaces.MultiBinary)) and len(space.shape) == 1


def observation_size(space):
    """Floats per env in the shared memory's observation rows: the flattened size."""
    return int(gym.spaces.flatdim(space))


def action_size(space):
    """Floats per env in the shared memory's action rows: 1 for a Discrete action, else one per component."""
    return 1 if isinstance(space, gym.spaces.Discrete) else int(np.prod(space.shape))


def observation_encoder(space):
    """The function from an env's observation to the values of its shared-memory row: the observation itself
    for a one-dimensional Box (numpy converts on assignment, and refuses another length), else
    gymnasium.spaces.flatten's vector, which must have the flattened space's size."""
    if is_flat_box(space):
        return lambda observation: observation
    size = observation_size(space)

    def encode(observation):
        try:
            flat = gym.spaces.flatten(space, observation)
        except Exception as error:
            raise ValueError(f"the observation does not fit its space {space!r}: {exception_line(error)}") from None
        if flat.shape != (size,):
            values = "value" if flat.size == 1 else "values"
            raise ValueError(f"the observation flattens to {flat.size} {values}, and its space {space!r} to {size}")
        return flat
    return encode


def hello(env_id, env, frame=None):
    check_observation_space(env.observation_space)
    check_action_space(env.action_space)
    spec = env.spec
    max_episode_steps = spec.max_episode_steps if spec is not None else None
    reward_threshold = spec.reward_threshold if spec is not None else None
    if reward_threshold is not None and not math.isfinite(reward_threshold):
        reward_threshold = None
    observation_space, action_space = env.observation_space, env.action_space
    return {"ok": True, "bridge": BRIDGE_VERSION, "gymnasium": gym.__version__, "env_id": env_id,
            "observation": describe_observation(observation_space), "action": describe_action(action_space),
            "images": describe_images(observation_space),
            "observation_flattened_from": None if is_flat_box(observation_space) else repr(observation_space),
            "action_flattened_from": None if is_flat_action(action_space) else repr(action_space),
            "max_episode_steps": None if max_episode_steps is None else int(max_episode_steps),
            "reward_threshold": None if reward_threshold is None else float(reward_threshold),
            "frame": None if frame is None else list(frame)}


# ---------------------------------------------------------------------------------------------------------------
# Control messages on the pipes: a u32 little-endian length, then that many bytes of UTF-8 JSON.


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_control(channel_out, message):
    data = json.dumps(message, allow_nan=False).encode("utf-8")
    write_all(channel_out, struct.pack("<I", len(data)) + data)


def read_exactly(fd, count):
    """Reads `count` bytes from fd, or returns None on end-of-file."""
    chunks = []
    while count:
        chunk = os.read(fd, count)
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_control():
    """The next control message on stdin, decoded; None on end-of-file (the worker is gone)."""
    prefix = read_exactly(0, 4)
    if prefix is None:
        return None
    (length,) = struct.unpack("<I", prefix)
    if length > MAX_CONTROL_BYTES:
        raise Refusal("attach_failed", f"The attach message announces {length} bytes, more than the 1 MiB a "
                                       "control message may have")
    data = read_exactly(0, length)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError as error:
        raise Refusal("attach_failed", f"The attach message is not UTF-8 JSON: {error}")


# ---------------------------------------------------------------------------------------------------------------
# Shared memory (§2)


def align(offset):
    return -(-offset // SECTION_ALIGNMENT) * SECTION_ALIGNMENT


def layout(count, observation_size, action_size, frame=None):
    """The offsets of the per-env sections for K envs, O floats per observation, A per action, and the size.

    The fixed part ends with the message at 192 + 1024; the actions start at 1280, as §2's table says. Every
    later section starts at its predecessor's end rounded up to a multiple of 64, and the total size is the end
    of the last one rounded up to 64.
    """
    k, o, a = count, observation_size, action_size
    sections = (("actions", 4 * k * a), ("seeds", 8 * k), ("observations", 4 * k * o),
                ("final_observations", 4 * k * o), ("rewards", 8 * k), ("terminated", k), ("truncated", k))
    if frame is not None:  # `--render`: K frames of H × W × 3 bytes
        sections += (("frames", k * frame[0] * frame[1] * 3),)
    offsets = {}
    offset = ACTIONS_OFFSET
    for name, size in sections:
        offsets[name] = offset
        offset = align(offset + size)
    return offsets, offset


class SharedMemory:
    """numpy views of every section of the mapped file; nothing is copied in or out."""

    def __init__(self, buffer, count, observation_size, action_size, frame=None):
        k, o, a = count, observation_size, action_size
        offsets, _ = layout(k, o, a, frame)

        def view(dtype, offset, shape):
            return np.ndarray(shape, dtype=dtype, buffer=buffer, offset=offset)

        self.header = view("<u4", 0, (5,))
        self.request = view("<u4", REQUEST_OFFSET, (3,))  # sequence, command, bridge asleep (ours)
        self.reply = view("<u4", REPLY_OFFSET, (5,))  # sequence, status, env index, message length, worker asleep
        self.message = view(np.uint8, MESSAGE_OFFSET, (MAX_MESSAGE_BYTES,))
        self.actions = view("<f4", offsets["actions"], (k, a))
        self.seeds = view("<u8", offsets["seeds"], (k,))
        self.observations = view("<f4", offsets["observations"], (k, o))
        self.final_observations = view("<f4", offsets["final_observations"], (k, o))
        self.rewards = view("<f8", offsets["rewards"], (k,))
        self.terminated = view(np.uint8, offsets["terminated"], (k,))
        self.truncated = view(np.uint8, offsets["truncated"], (k,))
        self.frame = frame
        self.frames = None if frame is None else view(np.uint8, offsets["frames"], (k, frame[0], frame[1], 3))
        # The request sequence as the worker left it before attaching: the first request is the next value.
        # It must be read before the attach reply, after which the worker may send at once.
        self.last_sequence = int(self.request[0])


def attach(message, count, observation_size, action_size, frame=None):
    """Maps the file an attach message names and checks its size and header against the hello."""
    if not isinstance(message, dict) or not isinstance(message.get("path"), str) \
            or type(message.get("size")) is not int:
        raise Refusal("attach_failed", f"The attach message must be {{\"path\": ..., \"size\": ...}}, not {message}")
    path, size = message["path"], message["size"]
    _, expected = layout(count, observation_size, action_size, frame)
    if size != expected:
        raise Refusal("attach_failed", f"The shared memory is {size} bytes, but K={count}, O={observation_size}, "
                                       f"A={action_size} need {expected}")
    try:
        fd = os.open(path, os.O_RDWR)
        try:
            if os.fstat(fd).st_size < size:
                raise Refusal("attach_failed", f"{path} is smaller than the {size} bytes the attach message says")
            buffer = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
    except OSError as error:
        raise Refusal("attach_failed", f"Cannot map {path}: {error}")
    shared = SharedMemory(buffer, count, observation_size, action_size, frame)
    found = tuple(int(word) for word in shared.header)
    wanted = (MAGIC, LAYOUT_VERSION, count, observation_size, action_size)
    if found != wanted:
        raise Refusal("attach_failed", f"The shared memory's header (magic, version, K, O, A) is {found}, "
                                       f"expected {wanted}")
    return shared


# ---------------------------------------------------------------------------------------------------------------
# Requests (§3)


def action_converter(space):
    """The function from the K rows of f32 actions to what each env's `step` takes, in one call per vector step:
    a list of ints for `Discrete`; for `MultiDiscrete` and `MultiBinary`, a fresh array of the space's dtype and
    shape per env (the worker has checked every index); for `Box`, a fresh array (an env may keep its action) in
    the env's dtype, clipped to the bounds in that dtype, whose rows, in the Box's shape, go to the envs."""
    if isinstance(space, gym.spaces.Discrete):
        return lambda rows: rows[:, 0].astype(np.int64).tolist()
    if isinstance(space, (gym.spaces.MultiDiscrete, gym.spaces.MultiBinary)):
        indices_shape, dtype = space.shape, space.dtype
        return lambda rows: rows.astype(dtype).reshape((len(rows),) + indices_shape)
    low, high, dtype = space.low.ravel(), space.high.ravel(), space.dtype
    if len(space.shape) == 1:
        return lambda rows: np.clip(rows.astype(dtype), low, high)
    shape = space.shape
    return lambda rows: np.clip(rows.astype(dtype), low, high).reshape((len(rows),) + shape)


class Codec:
    """How the envs' observations become shared-memory rows, the action rows `step`'s arguments, and the worker's
    seeds the envs' (`narrow_seeds`: the low 32 bits, for envs that take no more)."""

    def __init__(self, env, narrow_seeds=False):
        self.encode_observation = observation_encoder(env.observation_space)
        self.convert_actions = action_converter(env.action_space)
        self.narrow_seeds = narrow_seeds

    def seed(self, seed):
        return seed % 2**32 if self.narrow_seeds else seed


def takes_only_32_bit_seeds(options):
    """Whether the env refuses a seed of 2**32 with a ValueError, as envs seeded by NumPy's legacy RandomState do
    (MinAtar's). Asked of an env made for the question and closed after it: a reset that raised inside the served
    envs' wrappers would leave Gymnasium's env checker without the reset it expects."""
    probe = wrapped(make_env(options.env, options.kwargs), options.wrappers)
    try:
        probe.reset(seed=2**32)
        return False
    except ValueError:
        return True
    except Exception:
        return False  # whatever else it raises, the served envs' first reset reports
    finally:
        try:
            probe.close()
        except Exception:
            pass


def reset_all(envs, shared, codec):
    shared.final_observations.fill(0)
    shared.rewards.fill(0)
    shared.terminated.fill(0)
    shared.truncated.fill(0)
    for i, env in enumerate(envs):
        try:
            observation, _ = env.reset(seed=codec.seed(int(shared.seeds[i])))
            shared.observations[i] = codec.encode_observation(observation)
        except Exception as error:
            return env_failed(i, error)
    return OK, 0, ""



def step_all(envs, shared, codec):
    """Steps every env; rewards and flags are gathered and written once (numpy's per-element stores cost more
    than the env itself for a cheap env)."""
    actions = codec.convert_actions(shared.actions)
    encode = codec.encode_observation
    observations, final_observations = shared.observations, shared.final_observations
    # Final observations are zero except for the envs whose episode ended at this step.
    final_observations.fill(0)
    rewards, terminated_flags, truncated_flags = [], [], []
    for i, env in enumerate(envs):
        try:
            observation, reward, terminated, truncated, _ = env.step(actions[i])
            terminated, truncated = bool(terminated), bool(truncated)
            rewards.append(float(reward))
            terminated_flags.append(terminated)
            truncated_flags.append(truncated)
            if terminated or truncated:
                final_observations[i] = encode(observation)
                observation, _ = env.reset()  # no seed: the env continues its own generator
            observations[i] = encode(observation)
        except Exception as error:
            return env_failed(i, error)
    shared.rewards[:] = rewards
    shared.terminated[:] = terminated_flags
    shared.truncated[:] = truncated_flags
    return OK, 0, ""


def render_all(envs, shared):
    """Writes every env's rgb_array frame into the frames section (`--render` only)."""
    if shared.frames is None:
        return BAD_REQUEST, 0, "render asked of a bridge started without --render"
    for i, env in enumerate(envs):
        try:
            frame = env.render()
            checked_frame(frame, shared.frame)
            shared.frames[i] = frame
        except Refusal as refusal:
            return ENV_FAILED, i, refusal.message
        except Exception as error:
            return env_failed(i, error)
    return OK, 0, ""


def close_all(envs):
    result = (OK, 0, "")
    for i, env in enumerate(envs):
        try:
            env.close()
        except Exception as error:
            if result[0] == OK:
                result = env_failed(i, error)
    return result


def handle(command, envs, shared, codec):
    """Runs one request; returns (status, env index, message)."""
    if command == RESET:
        return reset_all(envs, shared, codec)
    if command == STEP:
        return step_all(envs, shared, codec)
    if command == CLOSE:
        return close_all(envs)
    if command == RENDER:
        return render_all(envs, shared)
    return BAD_REQUEST, 0, f"unknown command {command}"


def wait_for_request(request, last_sequence, spin_ns):
    """Spins on the request sequence for up to spin_ns, yielding the CPU after the first 200 µs (a request that comes
    quickly costs no wake-up); then says
    it sleeps (request[2] = 1), looks once more, and sleeps on stdin in slices of at most 10 ms until the sequence
    moves. Bytes on stdin only mean "look again" and are drained. Returns the new request sequence, or None on
    end-of-file (the worker is gone).

    Python has no fence: the flag's store may become visible after the sequence's load, so a wake-up can be
    missed. The 10 ms slices bound what that costs.
    """
    now = time.perf_counter_ns()
    busy_until, deadline = now + min(spin_ns, BUSY_SPIN_NS), now + spin_ns
    while request[0] == last_sequence and time.perf_counter_ns() < busy_until:
        pass
    while request[0] == last_sequence and time.perf_counter_ns() < deadline:
        os.sched_yield()  # the worker on this core (two workers on two cores) gets its turn
    while request[0] == last_sequence:
        request[2] = 1
        if request[0] == last_sequence:
            readable, _, _ = select.select([0], [], [], SLEEP_SLICE_SECONDS)
            if readable and not os.read(0, 64):
                request[2] = 0
                return None
        request[2] = 0
    return int(request[0])


def send_reply(shared, channel_out, sequence, status, index, message):
    """Writes the status words, then the reply sequence (last: the worker reads it first), then the byte.

    The outputs were written before this; these are plain stores in program order, which x86-64 makes visible
    to the worker in that order (the spec's "x86's store order on the Python side").
    """
    data = truncate_utf8(message, MAX_MESSAGE_BYTES)
    if data:
        shared.message[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    reply = shared.reply
    reply[1] = status
    reply[2] = index
    reply[3] = len(data)
    reply[0] = sequence
    if reply[4]:  # the worker sleeps on the pipe: wake it
        os.write(channel_out, b"\x01")


def serve(envs, shared, channel_out, spin_ns, narrow_seeds=False):
    """The request loop; returns the exit status (0 on close or end-of-file)."""
    codec = Codec(envs[0], narrow_seeds)
    last_sequence = shared.last_sequence
    while True:
        sequence = wait_for_request(shared.request, last_sequence, spin_ns)
        if sequence is None:
            return 0
        command = int(shared.request[1])
        status, index, message = handle(command, envs, shared, codec)
        send_reply(shared, channel_out, sequence, status, index, message)
        last_sequence = sequence
        if command == CLOSE:
            return 0


# ---------------------------------------------------------------------------------------------------------------
# Errors


def exception_line(error):
    """`Type: message`, the last line of the exception's traceback (before any notes), on one line."""
    lines = traceback.format_exception_only(type(error), error)
    notes = getattr(error, "__notes__", None)
    skipped = len(notes) if isinstance(notes, (list, tuple)) and len(notes) < len(lines) else 0
    return lines[-1 - skipped].strip().replace("\n", " ")


def truncate_utf8(text, limit):
    """The UTF-8 bytes of text, cut to at most `limit` bytes at a character boundary."""
    return text.encode("utf-8", "replace")[:limit].decode("utf-8", "ignore").encode("utf-8")


def print_traceback(heading):
    print(f"ppo_gym_bridge: {heading}", file=sys.stderr)
    traceback.print_exc(file=sys.stderr)
    sys.stderr.flush()


def env_failed(index, error):
    print_traceback(f"environment {index} raised:")
    return ENV_FAILED, index, exception_line(error)


# ---------------------------------------------------------------------------------------------------------------


def main(argv):
    channel_out = set_channel_aside()
    try:
        try:
            options = parse_command_line(argv)
            if options.die_with_parent:
                die_with_parent()
            import_dependencies()
            envs = make_envs(options)
            narrow_seeds = takes_only_32_bit_seeds(options)
            frame = frame_shape(envs[0]) if options.render else None
            write_control(channel_out, hello(options.env, envs[0], frame))
            message = read_control()
            if message is None:
                return 0
            sizes = observation_size(envs[0].observation_space), action_size(envs[0].action_space)
            shared = attach(message, len(envs), *sizes, frame)
        except Refusal as refusal:
            write_control(channel_out, {"ok": False, "kind": refusal.kind, "message": refusal.message})
            return 1
        write_control(channel_out, {"ok": True})
        return serve(envs, shared, channel_out, spin_nanoseconds(), narrow_seeds)
    except BrokenPipeError:
        return 0  # the worker closed the channel: it is gone


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
