"""pytest setup for the bridge's tests: the client module and the fixtures folder on sys.path, and a `bridge`
factory whose processes are killed after each test."""
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "fixtures"))

import bridge_client  # noqa: E402


@pytest.fixture
def bridge(tmp_path):
    """bridge(env_id, kwargs=None, count=1, **options) starts a bridge process (see bridge_client.Bridge) in the
    test's temporary directory (MuJoCo writes MUJOCO_LOG.TXT into the working directory)."""
    started = []

    def start(env_id, kwargs=None, count=1, **options):
        options.setdefault("cwd", tmp_path)
        process = bridge_client.Bridge(env_id, kwargs, count, **options)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
