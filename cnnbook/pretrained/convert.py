"""Convert a uint8 TensorFlow Lite MobileNet into Keras weights.

Plumbing of :mod:`cnnbook.pretrained` (chapters 11 and 13), not taught.
The offline mirror holds ImageNet-trained MobileNets only as quantised
TFLite flatbuffers; this module reads one with the PyPI package ``tflite``
(a pure-Python reader of the flatbuffer schema, so no TensorFlow is needed
and the same code runs under ``KERAS_BACKEND=jax``) and writes its weights
into the matching ``keras.applications`` model:

* **Dequantisation.** A uint8 tensor ``q`` stands for
  ``scale * (q - zero_point)``, with one scale per tensor or one per output
  channel (the quantised dimension). An int32 bias has zero point 0 and the
  scale ``input scale * weight scale``; the converter checks that identity
  before it uses the bias's own recorded scale.
* **Batch norm.** TFLite folds each batch normalisation into the
  convolution before it (its kernel and a bias ``b``). Keras's MobileNets
  keep a ``BatchNormalization`` layer after each bias-free convolution,
  whose inference-mode output is ``gamma * (x - mean) / sqrt(variance +
  epsilon) + beta``. :func:`convert_weights` first makes it the identity
  plus the folded bias: ``gamma=1``, ``beta=b``, ``moving_mean=0``,
  ``moving_variance=1-epsilon``, so that ``(x - 0) / sqrt(1 - epsilon +
  epsilon) * 1 + b = x + b``. That network is complete, but its batch
  norms would wreck it in training mode (normalising ``x`` by batch
  statistics it never had). So :func:`calibrate_batch_norm` then gives each
  layer the per-channel mean ``m`` and variance ``v`` of ``x`` on real
  photos: ``moving_mean=m``, ``moving_variance=v``, ``gamma=sqrt(v +
  epsilon)``, ``beta=b + m``. In inference mode that is still exactly
  ``x + b`` (``sqrt(v + epsilon) * (x - m) / sqrt(v + epsilon) + b + m``),
  and in training mode a batch of photos like those now gives about the
  same output, as in a network trained with batch norm.
* **Layouts.** A TFLite convolution kernel is ``(out, kh, kw, in)``, Keras's
  ``(kh, kw, in, out)``; a depthwise kernel ``(1, kh, kw, in * m)``, Keras's
  ``(kh, kw, in, m)``.
* **Classes.** The TFLite classifier has 1001 outputs, index 0 being
  "background"; Keras's has the 1000 ImageNet classes, so output 0 is
  dropped.
* **Mapping.** Layers are matched by structure: the n-th TFLite
  convolution (in operator order) to the n-th Keras convolution, depthwise
  convolution or dense layer (in layer order). Every pair is checked
  (kind, kernel shape, strides, padding, fused activation, the batch norm
  after it), and so are the model's input size, its residual additions,
  its global average pooling and its final softmax. Anything unexpected
  raises :class:`~cnnbook.data.DataFormatError`.

Padding: TFLite's ``SAME`` pads ``total = max((out - 1) * s + k - in, 0)``
pixels, ``total // 2`` before and the rest after. Keras's MobileNetV2 pads
its strided depthwise convolutions with ``ZeroPadding2D(correct_pad(...))``
then uses ``VALID``, MobileNet (v1) with ``ZeroPadding2D(((0, 1), (0,
1)))``; the converter checks, layer by layer, that the two give the same
padding at the model's input size (they do for even sizes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnbook.data import DataFormatError

# TFLite enums (schema.fbs): tensor types, padding, fused activations.
_TYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 9: np.int8}
_PADDING = {0: "SAME", 1: "VALID"}
_ACTIVATIONS = {0: None, 1: "RELU", 3: "RELU6"}
_CONVOLUTIONS = ("CONV_2D", "DEPTHWISE_CONV_2D")
#: The operators a MobileNet classifier may contain.
KNOWN_OPERATORS = _CONVOLUTIONS + (
    "ADD",
    "AVERAGE_POOL_2D",
    "RESHAPE",
    "SOFTMAX",
)


@dataclass
class Tensor:
    """One TFLite tensor: its shape, type, quantisation and data."""

    name: str
    shape: tuple
    dtype: type
    scale: np.ndarray | None
    zero_point: np.ndarray | None
    quantized_dimension: int
    data: np.ndarray | None

    def real(self) -> np.ndarray:
        """The real values ``scale * (q - zero_point)`` of a constant."""
        if self.data is None:
            raise DataFormatError(f"TFLite tensor {self.name!r} has no data")
        q = self.data.astype(np.float64)
        if self.scale is None:
            return q.astype(np.float32)
        shape = [1] * q.ndim
        if self.scale.size > 1:  # one scale per channel
            shape[self.quantized_dimension] = self.scale.size
        scale = self.scale.reshape(shape)
        zero = self.zero_point.reshape(shape)
        return (scale * (q - zero)).astype(np.float32)


@dataclass
class Operator:
    """One TFLite operator with its tensors and the options that matter."""

    kind: str
    inputs: list
    outputs: list
    options: dict = field(default_factory=dict)


def _tensor(model, graph, index: int) -> Tensor:
    t = graph.Tensors(index)
    q = t.Quantization()
    scale = zero = None
    dimension = 0
    if q is not None and q.ScaleLength():
        scale = q.ScaleAsNumpy().astype(np.float64)
        zero = q.ZeroPointAsNumpy().astype(np.float64)
        dimension = q.QuantizedDimension()
    dtype = _TYPES.get(t.Type())
    shape = tuple(int(s) for s in t.ShapeAsNumpy())
    data = None
    raw = model.Buffers(t.Buffer()).DataAsNumpy()
    if isinstance(raw, np.ndarray) and raw.size:
        if dtype is None:
            raise DataFormatError(f"TFLite tensor type {t.Type()} unknown")
        data = raw.view(dtype).reshape(shape)
    return Tensor(t.Name().decode(), shape, dtype, scale, zero, dimension,
                  data)


def _options(operator, kind: str) -> dict:
    from tflite.Conv2DOptions import Conv2DOptions
    from tflite.DepthwiseConv2DOptions import DepthwiseConv2DOptions
    from tflite.Pool2DOptions import Pool2DOptions

    classes = {
        "CONV_2D": Conv2DOptions,
        "DEPTHWISE_CONV_2D": DepthwiseConv2DOptions,
        "AVERAGE_POOL_2D": Pool2DOptions,
    }
    if kind not in classes:
        return {}
    table = operator.BuiltinOptions()
    options = classes[kind]()
    options.Init(table.Bytes, table.Pos)
    found = {
        "padding": _PADDING.get(options.Padding()),
        "strides": (options.StrideH(), options.StrideW()),
        "activation": _ACTIVATIONS.get(
            options.FusedActivationFunction(), "unknown"
        ),
    }
    if kind == "DEPTHWISE_CONV_2D":
        found["depth_multiplier"] = options.DepthMultiplier()
    if kind != "AVERAGE_POOL_2D":
        found["dilation"] = (
            options.DilationHFactor(),
            options.DilationWFactor(),
        )
    else:
        found["pool_size"] = (options.FilterHeight(), options.FilterWidth())
    return found


def read_tflite(path) -> list[Operator]:
    """The operators of a TFLite model's only graph, in execution order,
    each with its tensors (constants with their data)."""
    import tflite
    from tflite.BuiltinOperator import BuiltinOperator

    path = Path(path)
    names = {
        value: key
        for key, value in vars(BuiltinOperator).items()
        if not key.startswith("_")
    }
    try:
        buffer = path.read_bytes()
        model = tflite.Model.GetRootAsModel(buffer, 0)
        if model.SubgraphsLength() != 1:
            raise DataFormatError(
                f"{path}: {model.SubgraphsLength()} subgraphs, expected 1"
            )
        graph = model.Subgraphs(0)
        operators = []
        for k in range(graph.OperatorsLength()):
            op = graph.Operators(k)
            code = model.OperatorCodes(op.OpcodeIndex())
            kind = names.get(
                max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "?"
            )
            operators.append(
                Operator(
                    kind,
                    [_tensor(model, graph, i) for i in op.InputsAsNumpy()],
                    [_tensor(model, graph, i) for i in op.OutputsAsNumpy()],
                    _options(op, kind),
                )
            )
    except DataFormatError:
        raise
    except Exception as error:  # a truncated or foreign file
        raise DataFormatError(
            f"{path}: not a readable TFLite model ({error!r})"
        ) from error
    return operators


# --------------------------------------------------------------------------
# Matching the TFLite graph with a Keras MobileNet
# --------------------------------------------------------------------------


def _producer(layer):
    """The layer whose output ``layer`` takes as input (single input)."""
    return layer.input._keras_history.operation


def _consumers(model) -> dict:
    consumers = {}
    for layer in model.layers:
        inputs = layer.input if isinstance(layer.input, list) else [
            layer.input
        ]
        for tensor in inputs:
            source = tensor._keras_history.operation
            consumers.setdefault(id(source), []).append(layer)
    return consumers


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TFLite's (and TensorFlow's) ``SAME`` padding before and after, for
    one spatial dimension of ``size`` pixels."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _fail(where: str, message: str):
    raise DataFormatError(f"converting the TFLite model: {where}: {message}")


def _check_convolution(layer, op, consumers, where):
    """Kind, strides, padding and activation of one matched pair."""
    import keras

    options = op.options
    if options["dilation"] != (1, 1):
        _fail(where, f"dilation {options['dilation']} is not supported")
    if tuple(layer.strides) != tuple(options["strides"]):
        _fail(where, f"strides {layer.strides} != {options['strides']}")
    if options["padding"] != "SAME":
        _fail(where, f"TFLite padding {options['padding']}, expected SAME")
    kernel = op.inputs[1].shape[1:3]
    size = op.inputs[0].shape[1:3]
    wanted = tuple(
        same_padding(n, k, s)
        for n, k, s in zip(size, kernel, options["strides"])
    )
    if layer.padding == "valid" and any(sum(p) for p in wanted):
        pad = _producer(layer)
        got = getattr(pad, "padding", None)
        if not isinstance(pad, keras.layers.ZeroPadding2D) or tuple(
            tuple(p) for p in got
        ) != wanted:
            _fail(where, f"Keras pads {got}, TFLite SAME pads {wanted}")
    elif layer.padding not in ("same", "valid"):
        _fail(where, f"unexpected Keras padding {layer.padding!r}")
    # What follows the convolution: batch norm (then ReLU6), or nothing.
    after = consumers.get(id(layer), [])
    activation = options["activation"]
    if not layer.use_bias:
        if len(after) != 1 or not isinstance(
            after[0], keras.layers.BatchNormalization
        ):
            _fail(where, "a bias-free convolution without batch norm after")
        after = consumers.get(id(after[0]), [])
    relu = [a for a in after if isinstance(a, keras.layers.ReLU)]
    if activation == "RELU6":
        if len(relu) != 1 or float(relu[0].max_value) != 6.0:
            _fail(where, "TFLite applies ReLU6 but Keras does not")
    elif activation is None:
        if relu:
            _fail(where, "Keras applies a ReLU that TFLite does not")
    else:
        _fail(where, f"fused activation {activation} not supported")


def _check_bias_scale(op, where):
    """An int32 bias's scale must be input scale * weight scale."""
    data, weights, bias = op.inputs[0], op.inputs[1], op.inputs[2]
    if bias.scale is None:
        return
    expected = data.scale * weights.scale
    if not np.allclose(bias.scale, expected, rtol=1e-5, atol=0):
        _fail(where, "the bias scale is not input scale * weight scale")


def _kernel(layer, op, where, n_classes):
    """The Keras kernel (and bias) of one TFLite convolution."""
    import keras

    if len(op.inputs) != 3 or op.inputs[2].data is None:
        _fail(where, "a convolution without a (folded) bias")
    kernel = op.inputs[1].real()
    bias = op.inputs[2].real()
    if op.kind == "DEPTHWISE_CONV_2D":
        _, kh, kw, channels = kernel.shape
        multiplier = op.options["depth_multiplier"]
        kernel = kernel.reshape(kh, kw, channels // multiplier, multiplier)
    else:
        kernel = kernel.transpose(1, 2, 3, 0)
    if isinstance(layer, keras.layers.Dense):
        if kernel.shape[:2] != (1, 1):
            _fail(where, f"a {kernel.shape[:2]} kernel for a dense layer")
        kernel = kernel[0, 0]
    if kernel.shape[-1] == n_classes + 1:
        kernel, bias = kernel[..., 1:], bias[1:]  # drop "background"
    return kernel, bias


def _check_graph(model, operators):
    import keras

    kinds = {op.kind for op in operators}
    unknown = kinds - set(KNOWN_OPERATORS)
    if unknown:
        _fail("the graph", f"operators {sorted(unknown)} not supported")
    first = operators[0].inputs[0]
    if tuple(first.shape[1:]) != tuple(model.input_shape[1:]):
        _fail("the input", f"TFLite {first.shape} vs Keras "
              f"{model.input_shape}")
    adds = sum(op.kind == "ADD" for op in operators)
    keras_adds = sum(isinstance(a, keras.layers.Add) for a in model.layers)
    if adds != keras_adds:
        _fail("the graph", f"{adds} additions vs {keras_adds} in Keras")
    pools = [op for op in operators if op.kind == "AVERAGE_POOL_2D"]
    if len(pools) != 1 or pools[0].options["pool_size"] != tuple(
        pools[0].inputs[0].shape[1:3]
    ):
        _fail("the graph", "expected one global average pooling")
    if operators[-1].kind != "SOFTMAX":
        _fail("the graph", f"ends with {operators[-1].kind}, not SOFTMAX")


def convert_weights(model, operators, n_classes: int = 1000) -> dict:
    """Write the weights of the TFLite ``operators`` into the Keras
    MobileNet ``model`` (``include_top=True``, the TFLite model's input
    size), checking every shape. Returns what it did, for the record:
    the number of layers matched and the weights written."""
    import keras

    _check_graph(model, operators)
    convolutions = [op for op in operators if op.kind in _CONVOLUTIONS]
    weighted = (
        keras.layers.Conv2D,
        keras.layers.DepthwiseConv2D,
        keras.layers.Dense,
    )
    layers = [layer for layer in model.layers if isinstance(layer, weighted)]
    if len(layers) != len(convolutions):
        _fail(
            "the graph",
            f"{len(convolutions)} TFLite convolutions vs {len(layers)} "
            f"Keras layers with kernels",
        )
    consumers = _consumers(model)
    n_values = 0
    for layer, op in zip(layers, convolutions):
        where = f"{op.kind} {op.outputs[0].name.split(';')[0]} -> " \
            f"Keras {layer.name}"
        depthwise = op.kind == "DEPTHWISE_CONV_2D"
        if depthwise != isinstance(layer, keras.layers.DepthwiseConv2D):
            _fail(where, "a depthwise convolution matched to a plain one")
        if not isinstance(layer, keras.layers.Dense):
            _check_convolution(layer, op, consumers, where)
        _check_bias_scale(op, where)
        kernel, bias = _kernel(layer, op, where, n_classes)
        own = layer.get_weights()
        if own[0].shape != kernel.shape:
            _fail(where, f"kernel {kernel.shape} vs Keras {own[0].shape}")
        if layer.use_bias:
            layer.set_weights([kernel, bias.astype(np.float32)])
        else:
            norm = consumers[id(layer)][0]
            epsilon = norm.epsilon
            ones = np.ones_like(bias)
            layer.set_weights([kernel])
            norm.set_weights(
                [ones, bias, np.zeros_like(bias), ones * (1.0 - epsilon)]
            )
        n_values += kernel.size + bias.size
    return {"layers_matched": len(layers), "values": int(n_values)}


def calibrate_batch_norm(model, batches) -> int:
    """Give every ``BatchNormalization`` layer of ``model`` the statistics
    of its input over ``batches`` (preprocessed images), keeping its
    inference-mode output unchanged (see the module's docstring). Returns
    the number of images used."""
    import keras

    norms = [
        layer for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    probe = keras.Model(model.input, [norm.input for norm in norms])
    for norm in norms:
        gamma, _, mean, variance = norm.get_weights()
        if not np.allclose(gamma / np.sqrt(variance + norm.epsilon), 1.0,
                           rtol=1e-5) or mean.any():
            raise ValueError(
                f"{norm.name}: calibrate_batch_norm expects the identity "
                f"plus bias that convert_weights writes"
            )
    sums = [0.0] * len(norms)
    squares = [0.0] * len(norms)
    n_images = 0
    for batch in batches:
        outputs = probe.predict_on_batch(batch)
        for k, values in enumerate(outputs):
            values = np.asarray(values)
            axes = (0, 1, 2)
            sums[k] = sums[k] + values.sum(axis=axes, dtype=np.float64)
            squares[k] = squares[k] + np.square(values).sum(
                axis=axes, dtype=np.float64
            )
        n_images += len(batch)
    if not n_images:
        raise ValueError("calibrate_batch_norm needs at least one image")
    for k, norm in enumerate(norms):
        shape = probe.outputs[k].shape
        n = n_images * shape[1] * shape[2]
        mean = sums[k] / n
        variance = np.maximum(squares[k] / n - mean**2, 0.0)
        bias = norm.get_weights()[1]  # the folded bias
        norm.set_weights([
            np.sqrt(variance + norm.epsilon).astype(np.float32),
            (bias + mean).astype(np.float32),
            mean.astype(np.float32),
            variance.astype(np.float32),
        ])
    return n_images
