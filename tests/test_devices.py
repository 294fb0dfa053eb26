"""cnnbook.devices: device names and honest timing (chapter 14)."""

import statistics
import time

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnbook import devices


def test_list_devices_names_at_least_one_device():
    found = devices.list_devices()
    assert found, "no device listed"
    platform = found[0].split(":")[0]
    assert platform in {"cpu", "gpu", "tpu", "cuda", "rocm"}, found


def test_wait_for_returns_its_argument_for_nested_structures():
    x = keras.ops.ones((3, 3))
    nested = {"a": [x, (x, 2.0)], "b": None}
    assert devices.wait_for(nested) is nested
    assert devices.wait_for(x) is x
    assert devices.wait_for(5) == 5


def test_wait_for_waits_for_a_backend_tensor():
    y = keras.ops.matmul(keras.ops.ones((64, 64)), keras.ops.ones((64, 64)))
    out = devices.wait_for(y)
    assert float(keras.ops.convert_to_numpy(out)[0, 0]) == 64.0


def test_time_call_separates_warmup_and_repeats():
    calls = []

    def work():
        calls.append(1)
        time.sleep(0.02 if len(calls) == 1 else 0.001)

    timing = devices.time_call(work, warmup=1, repeats=4)
    assert len(calls) == 5
    assert len(timing.times) == 4 and len(timing.warmup) == 1
    assert timing.warmup[0] >= 0.02
    assert timing.median < timing.warmup[0]
    assert timing.low <= timing.median <= timing.high
    assert "median" in str(timing) and "4 repeats" in str(timing)


def test_time_call_passes_arguments():
    seen = []
    devices.time_call(lambda a, b: seen.append((a, b)), 1, 2, warmup=0,
                      repeats=2)
    assert seen == [(1, 2), (1, 2)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=9))
def test_timing_statistics(times):
    timing = devices.Timing(times=tuple(times), warmup=())
    assert timing.median == statistics.median(times)
    assert timing.low == min(times) and timing.high == max(times)
    assert np.isclose(timing.median, np.median(times))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"warmup": -1}, ValueError, "warmup must be an integer >= 0"),
        ({"warmup": 1.5}, ValueError, "warmup"),
        ({"repeats": 0}, ValueError, "repeats must be an integer >= 1"),
        ({"repeats": True}, ValueError, "repeats"),
    ],
)
def test_time_call_rejects_bad_counts(kwargs, error, words):
    with pytest.raises(error, match=words):
        devices.time_call(lambda: None, **kwargs)


def test_time_call_rejects_what_cannot_be_called():
    with pytest.raises(TypeError, match="must be callable"):
        devices.time_call(3)


def test_compute_capability_is_none_or_a_pair_of_integers():
    found = devices.compute_capability()
    if devices.list_devices()[0].startswith("cpu"):
        assert found is None
    else:
        assert found is None or (len(found) == 2
                                 and all(isinstance(p, int) for p in found))


@pytest.mark.parametrize("capability, policies", [
    (None, ["mixed_bfloat16"]),             # a CPU or a TPU
    ((6, 0), []),                           # P100: no tensor cores
    ((7, 0), ["mixed_float16"]),            # V100
    ((7, 5), ["mixed_float16"]),            # T4
    ((8, 0), ["mixed_float16", "mixed_bfloat16"]),  # A100
    ((9, 0), ["mixed_float16", "mixed_bfloat16"]),  # H100
])
def test_mixed_policies_follow_the_tensor_cores(capability, policies):
    assert devices.mixed_policies(capability) == policies


@pytest.mark.parametrize("bad", [(8,), "8.0", (8.0, 0), (8, 0, 1)])
def test_mixed_policies_refuses_what_is_not_a_capability(bad):
    with pytest.raises(ValueError, match="major, minor"):
        devices.mixed_policies(bad)


class _FakeJaxDevice:
    def __init__(self, platform, compute_capability=None):
        self.platform = platform
        if compute_capability is not None:
            self.compute_capability = compute_capability


@pytest.mark.parametrize("device, expected", [
    (_FakeJaxDevice("gpu", "9.0"), (9, 0)),      # an H100
    (_FakeJaxDevice("gpu", "7.5"), (7, 5)),      # a T4
    (_FakeJaxDevice("gpu", "gfx90a"), None),     # an AMD GPU under ROCm
    (_FakeJaxDevice("gpu"), None),               # no such attribute
    (_FakeJaxDevice("cpu"), None),
])
def test_compute_capability_reads_jax_devices(monkeypatch, device,
                                              expected):
    jax = pytest.importorskip("jax")
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setattr(jax, "devices", lambda: [device])
    assert devices.compute_capability() == expected


@pytest.mark.parametrize("gpus, details, expected", [
    (["gpu"], {"compute_capability": (8, 6)}, (8, 6)),
    (["gpu"], {"device_name": "an AMD GPU"}, None),
    ([], {"compute_capability": (8, 6)}, None),
])
def test_compute_capability_reads_tensorflow_devices(monkeypatch, gpus,
                                                     details, expected):
    tf = pytest.importorskip("tensorflow")
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: gpus if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda device: details)
    assert devices.compute_capability() == expected
