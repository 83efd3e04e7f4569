"""A Python client of the Gymnasium bridge (Protocol/BRIDGE.md), speaking the channel as the Swift worker does.

It starts `python -c SOURCE --env ID --args JSON --count K`, reads the hello, creates and attaches the shared
memory, and sends requests. The layout is computed here independently of the bridge's own code, from the spec.
Used by the bridge's tests and by Benchmarks/bridge_floor.py.
"""
import itertools
import json
import mmap
import os
import select
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parents[3]
BRIDGE_PATH = REPOSITORY / "Sources" / "GymBridge" / "Python" / "ppo_gym_bridge.py"
FIXTURES = REPOSITORY / "Tests" / "GymBridgeTests" / "fixtures"

MAGIC = 0x424F5050
RESET, STEP, CLOSE = 1, 2, 3
_names = itertools.count()


class BridgeDied(Exception):
    """The bridge closed its channel (it exited or crashed)."""


class BridgeTimeout(Exception):
    """No answer within the deadline."""


def round_up(offset):
    return (offset + 63) // 64 * 64


class Layout:
    """Section offsets of §2 for K envs, observation size O, action size A."""

    def __init__(self, k, o, a):
        self.actions = 1280
        self.seeds = round_up(self.actions + 4 * k * a)
        self.observations = round_up(self.seeds + 8 * k)
        self.final_observations = round_up(self.observations + 4 * k * o)
        self.rewards = round_up(self.final_observations + 4 * k * o)
        self.terminated = round_up(self.rewards + 8 * k)
        self.truncated = round_up(self.terminated + k)
        self.size = round_up(self.truncated + k)


def space_size(description):
    """Floats per env for a hello's space, as the worker sizes its shared memory (BRIDGE.md §1.3)."""
    kind = description["kind"]
    if kind == "discrete":
        return 1
    if kind == "multi_discrete":
        return len(description["nvec"])
    if kind == "multi_binary":
        return description["n"]
    return len(description["low"])


class Bridge:
    """One bridge process. Use as a context manager; the process is killed on exit if it still runs."""

    def __init__(self, env_id, kwargs=None, count=1, *, args_text=None, python=sys.executable, pythonpath=(),
                 environment=None, cwd=None, die_with_parent=False, spin_us=200, wrappers=None, register=None):
        source = BRIDGE_PATH.read_text()
        args = args_text if args_text is not None else json.dumps(kwargs or {})
        argv = [python, "-c", source, "--env", env_id, "--args", args, "--count", str(count)]
        if wrappers is not None:
            argv += ["--wrappers", wrappers if isinstance(wrappers, str) else json.dumps(wrappers)]
        if register is not None:
            argv += ["--register", register if isinstance(register, str) else json.dumps(register)]
        if die_with_parent:
            argv.append("--die-with-parent")
        env = dict(os.environ if environment is None else environment)
        env["PYTHONPATH"] = os.pathsep.join([str(p) for p in pythonpath] + [str(FIXTURES)])
        self.stderr_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr_file,
                                        env=env, cwd=cwd, bufsize=0)
        self.stdin_fd = self.process.stdin.fileno()
        self.stdout_fd = self.process.stdout.fileno()
        self.stdout_poll = select.poll()
        self.stdout_poll.register(self.stdout_fd, select.POLLIN)
        self.count = count
        self.spin_ns = int(spin_us * 1000)
        self.sequence = 0
        self.hello = None

    # -- lifetime --------------------------------------------------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def close_stdin(self):
        self.process.stdin.close()

    def wait(self, timeout=10):
        return self.process.wait(timeout)

    def stderr_text(self):
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    # -- control messages ------------------------------------------------------------------------------------

    def _read_exactly(self, count, deadline):
        data = b""
        while len(data) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.stdout_fd], [], [], remaining)[0]:
                raise BridgeTimeout(f"no control message in time; stderr:\n{self.stderr_text()}")
            chunk = os.read(self.stdout_fd, count - len(data))
            if not chunk:
                raise BridgeDied(f"the bridge closed its channel; stderr:\n{self.stderr_text()}")
            data += chunk
        return data

    def read_control(self, timeout=30):
        deadline = time.monotonic() + timeout
        (length,) = struct.unpack("<I", self._read_exactly(4, deadline))
        assert length <= 1 << 20
        return json.loads(self._read_exactly(length, deadline).decode("utf-8"))

    def write_control(self, message):
        data = json.dumps(message).encode("utf-8")
        os.write(self.stdin_fd, struct.pack("<I", len(data)) + data)

    def read_hello(self, timeout=30):
        self.hello = self.read_control(timeout)
        return self.hello

    # -- shared memory ---------------------------------------------------------------------------------------

    def attach(self, magic=MAGIC, size_change=0):
        """Creates the file, sends the attach message, unlinks the file after the reply; returns the reply."""
        if self.hello is None:
            self.read_hello()
        assert self.hello["ok"], self.hello
        k = self.count
        o = space_size(self.hello["observation"])
        a = space_size(self.hello["action"])
        self.discrete = self.hello["action"]["kind"] == "discrete"
        layout = Layout(k, o, a)
        path = f"/dev/shm/ppo-bridge-{os.getpid()}-{next(_names)}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, layout.size)
            self.buffer = mmap.mmap(fd, layout.size)
        finally:
            os.close(fd)
        try:
            self._views(layout, k, o, a)
            self.header[:] = (magic, 1, k, o, a)
            self.write_control({"path": path, "size": layout.size + size_change})
            return self.read_control()
        finally:
            os.unlink(path)

    def _views(self, layout, k, o, a):
        def view(dtype, offset, shape):
            return np.ndarray(shape, dtype=dtype, buffer=self.buffer, offset=offset)

        self.header = view("<u4", 0, (5,))
        self.request = view("<u4", 64, (3,))  # sequence, command, bridge asleep
        self.reply = view("<u4", 128, (5,))  # sequence, status, env index, message length, worker asleep
        self.message = view(np.uint8, 192, (1024,))
        self.actions = view("<f4", layout.actions, (k, a))
        self.seeds = view("<u8", layout.seeds, (k,))
        self.observations = view("<f4", layout.observations, (k, o))
        self.final_observations = view("<f4", layout.final_observations, (k, o))
        self.rewards = view("<f8", layout.rewards, (k,))
        self.terminated = view(np.uint8, layout.terminated, (k,))
        self.truncated = view(np.uint8, layout.truncated, (k,))

    # -- requests --------------------------------------------------------------------------------------------

    def request_raw(self, command, timeout=10):
        """Sends one request as the worker does (BRIDGE.md §3); returns (status, env index, message). Raises
        BridgeDied or BridgeTimeout."""
        self.request[1] = command
        self.sequence = (self.sequence + 1) & 0xFFFFFFFF
        self.request[0] = self.sequence
        if self.request[2]:  # the bridge sleeps on its stdin: wake it
            try:
                os.write(self.stdin_fd, b"\x01")
            except BrokenPipeError:
                raise BridgeDied(f"the bridge's stdin is closed; stderr:\n{self.stderr_text()}")
        # Spin on the reply sequence yielding the CPU (as the worker does), then say we sleep and sleep on the pipe
        # in slices, draining wake-up bytes.
        start = time.perf_counter_ns()
        spin_until, deadline = start + self.spin_ns, start + int(timeout * 1e9)
        while self.reply[0] != self.sequence and time.perf_counter_ns() < spin_until:
            os.sched_yield()
        while self.reply[0] != self.sequence:
            if time.perf_counter_ns() > deadline:
                raise BridgeTimeout(f"no reply within {timeout} s; stderr:\n{self.stderr_text()}")
            self.reply[4] = 1
            if self.reply[0] != self.sequence and select.select([self.stdout_fd], [], [], 0.01)[0]:
                if not os.read(self.stdout_fd, 64):
                    self.reply[4] = 0
                    raise BridgeDied(f"the bridge closed its channel; stderr:\n{self.stderr_text()}")
            self.reply[4] = 0
        status, index, length = (int(word) for word in self.reply[1:4])
        assert length <= 1024
        return status, index, bytes(self.message[:length]).decode("utf-8")

    def reset(self, seeds, timeout=10):
        self.seeds[:] = seeds
        return self.request_raw(RESET, timeout)

    def step(self, actions, timeout=10):
        self.actions[:] = np.asarray(actions, dtype=np.float32).reshape(self.actions.shape)
        return self.request_raw(STEP, timeout)

    def close(self, timeout=10):
        return self.request_raw(CLOSE, timeout)

    def outputs(self):
        """Copies of the output sections: observations, final observations, rewards, terminated, truncated."""
        return (self.observations.copy(), self.final_observations.copy(), self.rewards.copy(),
                self.terminated.astype(bool), self.truncated.astype(bool))
