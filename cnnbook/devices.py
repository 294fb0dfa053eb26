"""Devices and honest timing (chapter 14).

Which devices Keras's backend computes on, and how to time work on them
without fooling yourself: run the work once or more to warm up (tracing,
compilation, memory allocation), wait until the device has finished before
stopping the clock (accelerators run asynchronously: a call returns before
its result exists), repeat several times, and report the median with the
spread. Chapter 14 shows these functions in full.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


def list_devices() -> list[str]:
    """The devices the current Keras backend computes on, as
    ``"platform:index name"`` strings: the accelerators when there are
    any, else the CPU. The name is the backend's: under JAX the device's
    kind (``"gpu:0 NVIDIA H100 80GB HBM3"``, ``"cpu:0 cpu"``), under
    TensorFlow the logical device (``"gpu:0 /device:GPU:0"``)."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [
            f"{d.platform}:{d.id} {d.device_kind}" for d in jax.devices()
        ]
    if backend == "tensorflow":
        import tensorflow as tf

        for kind in ("GPU", "TPU", "CPU"):
            devices = tf.config.list_logical_devices(kind)
            if devices:
                return [
                    f"{kind.lower()}:{i} {d.name}"
                    for i, d in enumerate(devices)
                ]
        return []
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return [
                f"gpu:{i} {torch.cuda.get_device_name(i)}"
                for i in range(torch.cuda.device_count())
            ]
        return ["cpu:0 CPU"]
    raise ValueError(
        f"unknown Keras backend {backend!r}; this module knows jax, "
        "tensorflow and torch"
    )


def compute_capability() -> tuple[int, int] | None:
    """The CUDA compute capability ``(major, minor)`` of the first NVIDIA
    GPU the current Keras backend computes on (``(9, 0)`` for an H100,
    ``(7, 5)`` for a T4), or None when it computes on anything else."""
    import keras

    backend = keras.backend.backend()
    found = None
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform == "gpu":
            found = getattr(device, "compute_capability", None)  # "9.0"
    elif backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            found = details.get("compute_capability")  # (9, 0)
    elif backend == "torch":
        import torch

        if torch.cuda.is_available() and torch.version.cuda:
            found = torch.cuda.get_device_capability(0)
    if isinstance(found, str):
        found = found.split(".")
    try:
        major, minor = (int(part) for part in found)
    except (TypeError, ValueError):  # no NVIDIA GPU (or an AMD one)
        return None
    return major, minor


def mixed_policies(capability: tuple[int, int] | None) -> list[str]:
    """The mixed-precision policies worth timing against ``float32`` on a
    device of CUDA compute ``capability`` (from :func:`compute_capability`).
    NVIDIA's tensor cores compute in float16 from Volta (7.0) and in
    bfloat16 too from Ampere (8.0); older GPUs save memory and bandwidth only.
    Without a capability (a CPU, a TPU, or an AMD or Apple GPU, whose
    support this function does not know): bfloat16 only, which TPUs
    compute in and some CPUs have instructions for."""
    if capability is None:
        return ["mixed_bfloat16"]
    if (len(capability) != 2
            or not all(isinstance(part, int) for part in capability)):
        raise ValueError(f"capability must be None or a (major, minor) "
                         f"pair of integers such as (8, 0), not "
                         f"{capability!r}")
    major, minor = capability
    policies = []
    if (major, minor) >= (7, 0):
        policies.append("mixed_float16")
    if (major, minor) >= (8, 0):
        policies.append("mixed_bfloat16")
    return policies


def wait_for(result):
    """Block until every array in ``result`` (an array, or a list, tuple
    or dict of them) has been computed, and return ``result``.

    JAX: ``block_until_ready``; TensorFlow: copy the tensor to the host
    (which waits for the op that made it; the copy's time counts too, so
    time calls that return small results); torch: synchronise CUDA. Other
    values (numbers, ``None``) are returned as they are.
    """
    if isinstance(result, dict):
        for value in result.values():
            wait_for(value)
        return result
    if isinstance(result, (list, tuple)):
        for value in result:
            wait_for(value)
        return result
    if hasattr(result, "block_until_ready"):  # a JAX array
        result.block_until_ready()
    elif hasattr(result, "numpy") and hasattr(result, "shape"):
        if type(result).__module__.startswith("torch"):
            import torch

            if torch.cuda.is_available():
                torch.cuda.synchronize()
        else:  # a TensorFlow tensor: reading a value waits for it
            result.numpy()
    return result


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated calls: ``times`` (one per repeat),
    their ``median`` and spread (``low``, ``high``: the fastest and the
    slowest), and the ``warmup`` calls' seconds, kept apart."""

    times: tuple[float, ...]
    warmup: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def low(self) -> float:
        return min(self.times)

    @property
    def high(self) -> float:
        return max(self.times)

    def __str__(self) -> str:
        return (
            f"median {self.median * 1e3:.2f} ms "
            f"(range {self.low * 1e3:.2f}-{self.high * 1e3:.2f} ms, "
            f"{len(self.times)} repeats after {len(self.warmup)} warm-up)"
        )


def time_call(function, *args, warmup: int = 1, repeats: int = 5) -> Timing:
    """Time ``function(*args)`` honestly: ``warmup`` calls first (timed,
    but kept apart), then ``repeats`` timed calls, each waiting with
    :func:`wait_for` until the device has finished."""
    if not callable(function):
        raise TypeError(f"function must be callable, not {function!r}")
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 0:
        raise ValueError(f"warmup must be an integer >= 0, not {warmup!r}")
    if not isinstance(repeats, int) or isinstance(repeats, bool) \
            or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, not {repeats!r}")
    seconds = []
    for _ in range(warmup + repeats):
        start = time.perf_counter()
        wait_for(function(*args))
        seconds.append(time.perf_counter() - start)
    return Timing(
        times=tuple(seconds[warmup:]), warmup=tuple(seconds[:warmup])
    )
