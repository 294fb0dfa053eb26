"""Seeing what a ConvNet has learned: gradients, heatmaps and images made
to order (chapter 13).

Chapter 13 derives every public function here. The gradient methods it
shows in full (``tests/book/test_helpers_in_sync.py`` keeps those copies
identical); the image-making ones (``gradient_ascent`` and what uses it),
``nearest_neighbours``, ``top_activations`` and ``receptive_boxes`` it
explains and imports from here.
The models are Keras models that map preprocessed images ``(N, H, W, C)``
to class *scores* ``(N, classes)``: logits, not probabilities (build them
without the final softmax, e.g. ``load_mobilenet(...,
classifier_activation=None)``), because a softmax output saturates and
its gradient says more about the other classes than about this one.

What is here, in the chapter's order:

- *which pixels matter*: :func:`class_gradients` (with the backward rule
  of Chapter 4 at every ReLU: ``"backprop"``, ``"deconvnet"`` or
  ``"guided"``, from :func:`relu_with_rule` and :func:`with_relu_rule`),
  :func:`saliency` (the maximum of ``|gradient|`` over colour channels),
  :func:`smooth_gradients` (SmoothGrad), :func:`occlusion_map`;
- *where the class is*: :func:`split_model` and :func:`grad_cam` (for
  Sequential and Functional models alike), :func:`upsample`;
- *what a unit responds to*: :func:`nearest_neighbours`,
  :func:`top_activations`, :func:`receptive_boxes`;
- *images made to order*: :func:`gradient_ascent` with the regularisers
  :func:`total_variation` and blur, used by :func:`class_model_image`,
  :func:`deep_dream` and :func:`invert_features`; and the adversarial
  :func:`fgsm`.

Backends: every gradient is taken by :mod:`cnnbook.gradients` (Chapter
4) and the ReLU rules are written with ``keras.ops.custom_gradient``, so
the module runs on TensorFlow and JAX, both tested (``SUPPORTED_BACKENDS``;
any other backend raises a ``RuntimeError``). Functions that take many
gradient steps compile the function they differentiate once
(``tf.function`` or ``jax.jit``); a one-off gradient runs eagerly on
both backends, because compiling a network's backward pass costs more
than running it once (measured under JAX on MobileNet V1 at 160 pixels:
about 3 s of CPU to compile each new function, against 0.3 s for an
eager gradient once JAX has cached its operations).
"""

from __future__ import annotations

import numpy as np

from cnnbook.gradients import gradient, value_and_gradient
from cnnbook.sizing import conv_output_size

SUPPORTED_BACKENDS = ("tensorflow", "jax")
RELU_RULES = ("backprop", "deconvnet", "guided")

__all__ = [
    "RELU_RULES",
    "SUPPORTED_BACKENDS",
    "class_gradients",
    "class_model_image",
    "deep_dream",
    "fgsm",
    "grad_cam",
    "gradient_ascent",
    "invert_features",
    "nearest_neighbours",
    "occlusion_map",
    "receptive_boxes",
    "relu_with_rule",
    "saliency",
    "smooth_gradients",
    "split_model",
    "top_activations",
    "total_variation",
    "upsample",
    "with_relu_rule",
]


# --------------------------------------------------------------------------
# Which pixels matter: gradients of a class score
# --------------------------------------------------------------------------


def relu_with_rule(rule, max_value=None):
    """A ReLU (ReLU6 with ``max_value=6``) whose backward pass follows one
    of Chapter 4's three rules; the forward pass is unchanged.

    ``"backprop"`` passes the signal where the forward input was in the
    ReLU's linear range (0 < x, and x < max_value), which is the true
    derivative; ``"deconvnet"`` passes it where the signal itself is
    positive, ignoring the forward input; ``"guided"`` needs both.
    """
    from keras import ops

    _check_rule(rule)

    @ops.custom_gradient
    def relu(x):
        if max_value is None:
            y = ops.relu(x)
            linear = ops.cast(x > 0, x.dtype)
        else:
            y = ops.clip(x, 0.0, max_value)
            linear = ops.cast((x > 0) & (x < max_value), x.dtype)

        def backward(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            if rule == "backprop":
                return upstream * linear
            if rule == "deconvnet":
                return ops.relu(upstream)
            return ops.relu(upstream) * linear

        return y, backward

    return relu


def with_relu_rule(model, rule):
    """A copy of ``model`` whose ReLUs send gradients back by ``rule``.

    Every ``keras.layers.ReLU`` (plain or capped, such as MobileNet's
    ReLU6) and every layer with ``activation="relu"`` or ``"relu6"`` gets
    :func:`relu_with_rule`; all other layers are the model's own (shared,
    not copied), so the copy computes the same outputs. Layers whose
    activation is rewritten get a copy of their weights: make the copy
    after training. Leaky ReLUs and other activations keep their own
    gradient.
    """
    import keras

    _check_backend()
    _check_rule(rule)
    _check_model(model)
    relus = (keras.activations.relu, keras.activations.relu6)
    copies = []

    def swap(layer):
        if isinstance(layer, keras.layers.ReLU):
            if layer.negative_slope or layer.threshold:
                return layer
            return keras.layers.Activation(
                relu_with_rule(rule, layer.max_value), name=layer.name
            )
        activation = getattr(layer, "activation", None)
        if activation in relus:
            top = 6.0 if activation is keras.activations.relu6 else None
            config = layer.get_config()
            config["activation"] = relu_with_rule(rule, top)
            copy = layer.__class__.from_config(config)
            copies.append((copy, layer))
            return copy
        return layer

    clone = keras.models.clone_model(model, clone_function=swap,
                                     recursive=True)
    for copy, layer in copies:
        copy.set_weights(layer.get_weights())
    return clone


def class_gradients(model, images, class_index, rule="backprop"):
    """The gradient of each image's class score with respect to its
    pixels, shape ``(N, H, W, C)`` like ``images``.

    ``class_index`` is one class for every image, or one per image.
    ``rule`` is the backward rule at every ReLU (:func:`with_relu_rule`):
    ``"backprop"`` is the true gradient (Simonyan et al.'s saliency),
    ``"deconvnet"`` Zeiler and Fergus's, ``"guided"`` Springenberg et
    al.'s guided backpropagation.
    """
    import keras

    _check_backend()
    images = _batch(images)
    one_hot = _one_hot(model, class_index, len(images))
    net = model if rule == "backprop" else with_relu_rule(model, rule)

    def total_score(x):
        return keras.ops.sum(net(x, training=False) * one_hot)

    return gradient(_compiled(total_score), images)


def saliency(gradients):
    """Simonyan et al.'s saliency map: the largest ``|gradient|`` over the
    colour channels of each pixel, shape ``(N, H, W)``."""
    gradients = np.asarray(gradients)
    if gradients.ndim != 4:
        raise ValueError(
            f"gradients of shape {gradients.shape}: expected (N, H, W, C), "
            f"as class_gradients returns"
        )
    return np.abs(gradients).max(axis=-1)


def smooth_gradients(model, images, class_index, samples=16, noise=0.15,
                     seed=0, rule="backprop"):
    """SmoothGrad: the class gradient averaged over ``samples`` noisy
    copies of each image (Smilkov et al.).

    The noise is Gaussian with a standard deviation of ``noise`` times
    the image's range (max - min); all copies go through the network as
    one batch.
    """
    images = _batch(images)
    if int(samples) != samples or samples < 1:
        raise ValueError(f"samples must be a positive integer, got "
                         f"{samples!r}")
    if not 0 <= noise <= 1:
        raise ValueError(f"noise is a fraction of the image's range, in "
                         f"[0, 1]; got {noise!r}")
    rng = np.random.default_rng(seed)
    spread = np.ptp(images, axis=(1, 2, 3)) * noise
    noisy = images[None] + rng.normal(size=(samples, *images.shape)) * (
        spread[None, :, None, None, None])
    classes = np.broadcast_to(_classes(model, class_index, len(images)),
                              (samples, len(images)))
    grads = class_gradients(model, noisy.reshape(-1, *images.shape[1:]),
                            classes.ravel(), rule)
    return grads.reshape(samples, *images.shape).mean(axis=0)


def occlusion_map(model, image, class_index, patch, stride, fill=0.0):
    """Zeiler and Fergus's occlusion test: the probability of the class as
    a grey square of side ``patch`` slides over the image by ``stride``.

    Returns an array of ``conv_output_size(H, patch, stride)`` rows by as
    many columns (Chapter 3's formula, leftover pixels dropped); entry
    (j, k) is the softmax probability of ``class_index`` with the square's
    top-left corner at (j * stride, k * stride). ``fill`` is the value
    the square gets (0 is mid-grey for inputs scaled to [-1, 1]).
    """
    import keras

    image = _batch(image)
    if len(image) != 1:
        raise ValueError(f"one image at a time, got a batch of "
                         f"{len(image)}")
    height, width = image.shape[1:3]
    rows = conv_output_size(height, patch, stride, mode="floor")
    cols = conv_output_size(width, patch, stride, mode="floor")
    occluded = np.repeat(image, rows * cols, axis=0)
    for n, (j, k) in enumerate(np.ndindex(rows, cols)):
        top, left = j * stride, k * stride
        occluded[n, top : top + patch, left : left + patch] = fill
    logits = model.predict(occluded, batch_size=32, verbose=0)
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    column = _classes(model, class_index, 1)[0]
    return probabilities[:, column].reshape(rows, cols)


# --------------------------------------------------------------------------
# Where the class is: Grad-CAM
# --------------------------------------------------------------------------


def split_model(model, layer):
    """Cut ``model`` after ``layer`` into ``(head, tail)``, two Keras
    models with ``tail(head(x))`` equal to ``model(x)``; ``head(x)`` is
    the layer's output.

    Works for Sequential models (also when ``layer`` sits inside a model
    nested in them, such as a pretrained base) and for Functional models
    where every path from the input to the output passes through
    ``layer``. ``layer`` is a layer or its name.
    """
    import keras

    _check_model(model)
    if isinstance(model, keras.Sequential):
        for index, candidate in enumerate(model.layers):
            if candidate is layer or candidate.name == layer:
                before, after = model.layers[: index + 1], []
                after = model.layers[index + 1 :]
                return keras.Sequential(before), keras.Sequential(after)
            if isinstance(candidate, keras.Model) and _contains(candidate,
                                                                layer):
                inner_head, inner_tail = split_model(candidate, layer)
                head = keras.Sequential([*model.layers[:index], inner_head])
                tail = keras.Sequential(
                    [inner_tail, *model.layers[index + 1 :]])
                return head, tail
        raise _no_layer(model, layer)
    target = _top_level_layer(model, layer)
    head = keras.Model(model.input, target.output)
    try:
        tail = keras.Model(target.output, model.output)
    except ValueError as error:
        raise ValueError(
            f"the graph of {model.name!r} goes around layer "
            f"{target.name!r} (a skip connection crosses it), so the model "
            f"cannot be cut there; choose a layer every path passes "
            f"through, such as the last convolutional block ({error})"
        ) from None
    return head, tail


def grad_cam(model, images, class_index, layer):
    """Grad-CAM (Selvaraju et al.): where in the image the evidence for a
    class lies, as seen by the feature maps of ``layer``.

    With ``A`` the layer's feature maps and ``y`` the class score, each
    map ``k`` gets the weight ``a_k = mean over positions of dy/dA_k``,
    and the heatmap is ``ReLU(sum_k a_k A_k)``, shape ``(N, h, w)`` at the
    layer's resolution (:func:`upsample` brings it to the image's).
    Works on Sequential and Functional models (:func:`split_model`).
    """
    import keras

    _check_backend()
    images = _batch(images)
    one_hot = _one_hot(model, class_index, len(images))
    head, tail = split_model(model, layer)
    features = keras.ops.convert_to_numpy(head(images, training=False))

    def total_score(a):
        return keras.ops.sum(tail(a, training=False) * one_hot)

    grads = gradient(_compiled(total_score), features)
    weights = grads.mean(axis=(1, 2))
    cam = np.einsum("nhwk,nk->nhw", features, weights)
    return np.maximum(cam, 0.0)


def upsample(maps, size):
    """Bilinear resizing of heatmaps ``(N, h, w)`` to ``(N, size, size)``
    (or ``size=(rows, cols)``), as NumPy."""
    import keras

    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"maps of shape {maps.shape}: expected (N, h, w)")
    size = (size, size) if np.ndim(size) == 0 else tuple(size)
    resized = keras.ops.image.resize(maps[..., None], size,
                                     interpolation="bilinear")
    return keras.ops.convert_to_numpy(resized)[..., 0]


# --------------------------------------------------------------------------
# What a unit responds to
# --------------------------------------------------------------------------


def nearest_neighbours(queries, bank, k=5):
    """Indices of the ``k`` rows of ``bank`` closest to each row of
    ``queries`` in Euclidean (L2) distance, nearest first, shape
    ``(len(queries), k)``. Rows are flattened first, so they can be images
    (pixel space) or feature vectors (feature space)."""
    queries = np.asarray(queries, dtype=np.float64)
    bank = np.asarray(bank, dtype=np.float64)
    queries = queries.reshape(len(queries), -1)
    bank = bank.reshape(len(bank), -1)
    if queries.shape[1] != bank.shape[1]:
        raise ValueError(f"queries have {queries.shape[1]} values each but "
                         f"the bank {bank.shape[1]}: compare like with like")
    if int(k) != k or not 1 <= k <= len(bank):
        raise ValueError(f"k must be an integer in 1..{len(bank)}, got "
                         f"{k!r}")
    squared = ((queries**2).sum(1)[:, None] + (bank**2).sum(1)[None]
               - 2 * queries @ bank.T)
    return np.argsort(squared, axis=1, kind="stable")[:, : int(k)]


def top_activations(feature_maps, channel, k=9):
    """The ``k`` images whose maps of ``channel`` reach the highest value,
    as rows ``(image, row, column)`` of the maximum in each, strongest
    first. ``feature_maps`` has shape ``(N, h, w, K)``."""
    maps = np.asarray(feature_maps)
    if maps.ndim != 4:
        raise ValueError(f"feature_maps of shape {maps.shape}: expected "
                         f"(N, h, w, K)")
    if int(channel) != channel or not 0 <= channel < maps.shape[-1]:
        raise ValueError(f"channel must be in 0..{maps.shape[-1] - 1}, got "
                         f"{channel!r}")
    if int(k) != k or not 1 <= k <= len(maps):
        raise ValueError(f"k must be an integer in 1..{len(maps)}, got "
                         f"{k!r}")
    flat = maps[..., int(channel)].reshape(len(maps), -1)
    best = flat.argmax(axis=1)
    images = np.argsort(-flat.max(axis=1), kind="stable")[: int(k)]
    rows, cols = np.unravel_index(best[images], maps.shape[1:3])
    return np.stack([images, rows, cols], axis=1)


def receptive_boxes(feature_model, images, units):
    """The input box each unit can see: for row ``(row, column, channel)``
    of ``units`` (one per image), the smallest box ``(top, left, bottom,
    right)`` (bottom and right exclusive) holding every pixel of its image
    with a non-zero gradient of that unit's activation.

    One gradient call serves all the units: the images are independent,
    so the gradient of the sum of their units splits image by image.
    """
    import keras

    _check_backend()
    images = _batch(images)
    units = np.asarray(units, dtype=int).reshape(-1, 3)
    if len(units) != len(images):
        raise ValueError(f"{len(units)} units for {len(images)} images: "
                         f"give one (row, column, channel) per image")
    mask = np.zeros((len(images), *_output_shape(feature_model, images)),
                    np.float32)
    mask[np.arange(len(images)), units[:, 0], units[:, 1], units[:, 2]] = 1

    def total_activation(x):
        return keras.ops.sum(feature_model(x, training=False) * mask)

    grads = gradient(_compiled(total_activation), images)
    boxes = []
    for grad in np.abs(grads).sum(axis=-1):
        rows, cols = np.nonzero(grad)
        if len(rows) == 0:
            boxes.append((0, 0, 0, 0))
        else:
            boxes.append((rows.min(), cols.min(), rows.max() + 1,
                          cols.max() + 1))
    return np.array(boxes)


# --------------------------------------------------------------------------
# Images made to order
# --------------------------------------------------------------------------


def total_variation(x, beta=2.0):
    """Mahendran and Vedaldi's total variation of a batch of images
    ``(N, H, W, C)``: the sum over pixels and channels of
    ``((x[i, j+1] - x[i, j])**2 + (x[i+1, j] - x[i, j])**2) ** (beta/2)``,
    as a backend tensor (differentiable). Small when neighbouring pixels
    agree; ``beta`` >= 1 (below 2, a tiny constant keeps the gradient
    finite where neighbours are equal)."""
    from keras import ops

    if beta < 1:
        raise ValueError(f"beta must be at least 1, got {beta!r}")
    x = ops.convert_to_tensor(x)
    right = x[:, :-1, 1:, :] - x[:, :-1, :-1, :]
    down = x[:, 1:, :-1, :] - x[:, :-1, :-1, :]
    squared = right**2 + down**2
    if beta == 2:
        return ops.sum(squared)
    return ops.sum((squared + 1e-8) ** (beta / 2))


def gradient_ascent(objective, start, steps, learning_rate, jitter=0,
                    blur_every=0, blur_sigma=0.5, bounds=(-1.0, 1.0),
                    seed=0):
    """Climb ``objective`` (a function of a batch of images, written with
    ``keras.ops``, returning a scalar) from the images ``start``.

    Each step moves the images by ``learning_rate`` times the gradient
    divided by its mean absolute value (so the step size does not depend
    on the objective's scale) and clips them to ``bounds``. Optional
    regularisers of the image itself: ``jitter`` shifts the images by a
    random number of pixels (up to ``jitter``, with wrap-around) before
    each gradient and back after it; ``blur_every`` steps, a Gaussian blur
    of ``blur_sigma`` pixels. Returns the images and the objective's value
    before each step.
    """
    _check_backend()
    x = _batch(start).copy()
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    rng = np.random.default_rng(seed)
    climb = _compiled(objective, repeated=True)
    values = []
    for step in range(int(steps)):
        shift = tuple(rng.integers(-jitter, jitter + 1, size=2))
        value, grad = value_and_gradient(climb, np.roll(x, shift, (1, 2)))
        grad = np.roll(grad, (-shift[0], -shift[1]), (1, 2))
        x = x + learning_rate * grad / (np.abs(grad).mean() + 1e-12)
        if blur_every and (step + 1) % blur_every == 0:
            x = _blur(x, blur_sigma)
        x = np.clip(x, *bounds).astype(np.float32)
        values.append(value)
    return x, values


def class_model_image(model, class_index, steps=200, learning_rate=0.02,
                      l2=0.0, tv=0.0, jitter=0, blur_every=0,
                      blur_sigma=0.5, seed=0):
    """Simonyan et al.'s class model: an image, grown from near-zero
    noise, that maximises one class score minus ``l2`` times its squared
    L2 norm and ``tv`` times its total variation (Mahendran and Vedaldi's
    prior), with the ``jitter`` of Deep Dream's code and the Gaussian blur
    of Yosinski et al. (both as in :func:`gradient_ascent`). Returns the
    image ``(1, H, W, C)`` and the objective's values."""
    from keras import ops

    shape = tuple(model.input_shape[1:])
    one_hot = _one_hot(model, class_index, 1)
    start = np.random.default_rng(seed).normal(0, 0.01, (1, *shape))

    def objective(x):
        score = ops.sum(model(x, training=False) * one_hot)
        return score - l2 * ops.sum(x**2) - tv * total_variation(x)

    return gradient_ascent(objective, start.astype(np.float32), steps,
                           learning_rate, jitter, blur_every, blur_sigma,
                           seed=seed)


def deep_dream(feature_model, image, steps=20, learning_rate=0.01,
               jitter=0, seed=0):
    """Deep Dream (Mordvintsev et al.): change ``image`` to maximise
    ``L = 1/2 * sum(z**2)`` over the activations ``z`` of
    ``feature_model``, amplifying whatever the layer already sees.
    Returns the images and the values of ``L``."""
    from keras import ops

    def objective(x):
        z = feature_model(x, training=False)
        return 0.5 * ops.sum(z**2)

    return gradient_ascent(objective, image, steps, learning_rate, jitter,
                           seed=seed)


def invert_features(feature_model, image, steps=200, learning_rate=0.02,
                    alpha=6.0, alpha_weight=1e-3, tv_weight=1e-2,
                    beta=2.0, seed=0):
    """Mahendran and Vedaldi's inversion: an image, grown from noise,
    whose features match those of ``image``.

    It minimises ``|phi(x) - phi0|**2 / |phi0|**2 + alpha_weight *
    mean(|x|**alpha) + tv_weight * TV_beta(x) / x.size`` (the mean of the
    alpha-norm and of the total variation per value), by
    :func:`gradient_ascent` on its negative. Returns the image and the
    values of the loss (positive)."""
    import keras
    from keras import ops

    image = _batch(image)
    target = keras.ops.convert_to_numpy(feature_model(image, training=False))
    norm = float((target**2).sum())
    start = np.random.default_rng(seed).normal(0, 0.01, image.shape)

    def negative_loss(x):
        match = ops.sum((feature_model(x, training=False) - target) ** 2)
        size = float(np.prod(image.shape))
        prior = (alpha_weight * ops.sum(ops.abs(x) ** alpha)
                 + tv_weight * total_variation(x, beta)) / size
        return -(match / norm + prior)

    x, values = gradient_ascent(negative_loss, start.astype(np.float32),
                                steps, learning_rate, seed=seed)
    return x, [-v for v in values]


def fgsm(model, images, labels, epsilon, bounds=(-1.0, 1.0)):
    """Goodfellow et al.'s fast gradient sign method: every pixel value
    moves by ``epsilon`` in the direction that increases the
    cross-entropy of the true ``labels``; the result is clipped to
    ``bounds``. The change of any value is at most ``epsilon``
    (an L-infinity bound)."""
    import keras

    _check_backend()
    images = _batch(images)
    labels = _classes(model, labels, len(images))
    if not epsilon >= 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon!r}")

    def total_loss(x):
        logits = model(x, training=False)
        return keras.ops.sum(keras.losses.sparse_categorical_crossentropy(
            labels, logits, from_logits=True))

    grads = gradient(_compiled(total_loss), images)
    adversarial = np.clip(images + epsilon * np.sign(grads), *bounds)
    return adversarial.astype(images.dtype)


# --------------------------------------------------------------------------
# Plumbing: argument checks, compiling (not shown in the chapter)
# --------------------------------------------------------------------------


def _backend():
    import keras

    return keras.backend.backend()


def _check_backend():
    backend = _backend()
    if backend not in SUPPORTED_BACKENDS:
        raise RuntimeError(
            f"cnnbook.explain supports the backends "
            f"{', '.join(SUPPORTED_BACKENDS)}; Keras runs on {backend!r}. "
            f"Set KERAS_BACKEND to one of them before importing keras."
        )


def _check_rule(rule):
    if rule not in RELU_RULES:
        raise ValueError(
            f"rule={rule!r} is not a backward rule for ReLU; allowed: "
            f"{', '.join(repr(r) for r in RELU_RULES)} (Chapter 4)"
        )


def _check_model(model):
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got "
                        f"{type(model).__name__}")
    if not model.built:
        raise ValueError(f"model {model.name!r} is not built: call it on a "
                         f"batch, or start it with keras.Input")


def _batch(images):
    """A float32 batch (N, H, W, C) of finite values; one image (H, W, C)
    becomes a batch of one."""
    import keras

    if keras.ops.is_tensor(images):
        images = keras.ops.convert_to_numpy(images)
    array = np.asarray(images)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or 0 in array.shape:
        raise ValueError(
            f"images of shape {array.shape}: expected a batch (N, H, W, C) "
            f"or one image (H, W, C), preprocessed for the model"
        )
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"images have dtype {array.dtype}, not numbers")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError("images contain NaN or infinite values")
    return array


def _n_classes(model):
    _check_model(model)
    shape = tuple(model.output_shape)
    if len(shape) != 2:
        raise ValueError(
            f"model {model.name!r} outputs shape {shape}; expected (N, "
            f"classes): one score per class"
        )
    return shape[1]


def _classes(model, class_index, n_images):
    """One class index per image, as an int array, checked against the
    number of classes the model scores."""
    n_classes = _n_classes(model)
    classes = np.asarray(class_index)
    if not np.issubdtype(classes.dtype, np.integer):
        raise ValueError(f"class_index must be an integer or integers, got "
                         f"{class_index!r}")
    if classes.ndim == 0:
        classes = np.full(n_images, int(classes))
    if classes.shape != (n_images,):
        raise ValueError(f"class_index: {classes.size} classes for "
                         f"{n_images} images; give one, or one per image")
    if classes.min() < 0 or classes.max() >= n_classes:
        raise ValueError(f"class_index {classes.tolist()} out of range: "
                         f"the model scores classes 0..{n_classes - 1}")
    return classes.astype(np.int32)


def _one_hot(model, class_index, n_images):
    classes = _classes(model, class_index, n_images)
    one_hot = np.zeros((n_images, _n_classes(model)), np.float32)
    one_hot[np.arange(n_images), classes] = 1.0
    return one_hot


def _compiled(f, repeated=False):
    """``f`` compiled for its backend where that pays: only for a function
    called many times (``jax.jit`` or ``tf.function``); compiling costs
    more than one eager call, and each call of a helper here makes a new
    function, which would be compiled again."""
    backend = _backend()
    if backend == "jax" and repeated:
        import jax

        return jax.jit(f)
    if backend == "tensorflow" and repeated:
        import tensorflow as tf

        return tf.function(f, reduce_retracing=True)
    return f


def _contains(model, layer):
    for candidate in model.layers:
        if candidate is layer or candidate.name == layer:
            return True
        if hasattr(candidate, "layers") and _contains(candidate, layer):
            return True
    return False


def _no_layer(model, layer):
    name = getattr(layer, "name", layer)
    names = [candidate.name for candidate in model.layers]
    return ValueError(f"model {model.name!r} has no layer {name!r}; its "
                      f"layers are {', '.join(names)}")


def _top_level_layer(model, layer):
    for candidate in model.layers:
        if candidate is layer or candidate.name == layer:
            return candidate
    if any(hasattr(c, "layers") and _contains(c, layer)
           for c in model.layers):
        raise ValueError(
            f"layer {getattr(layer, 'name', layer)!r} is inside a model "
            f"nested in the Functional model {model.name!r}: split_model "
            f"follows nested models only in Sequential models; build the "
            f"outer model as keras.Sequential, or pass the nested model"
        )
    raise _no_layer(model, layer)


def _output_shape(model, images):
    """The shape of one output of ``model`` for ``images`` (no batch
    axis)."""
    import keras

    out = model(images[:1], training=False)
    return tuple(keras.ops.convert_to_numpy(out).shape[1:])


def _blur(x, sigma):
    """A Gaussian blur of each image and channel, over rows and columns."""
    from skimage.filters import gaussian

    return np.stack([
        gaussian(image, sigma=sigma, channel_axis=-1, preserve_range=True)
        for image in x
    ]).astype(np.float32)
