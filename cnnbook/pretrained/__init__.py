"""An ImageNet-trained MobileNet that Keras can train and differentiate,
online and offline: the pretrained network of chapter 11 (transfer
learning), also used by chapter 13 (visualising ConvNets).

Usage::

    import cnnbook.data
    from cnnbook.pretrained import decode, load_mobilenet, preprocess

    model = load_mobilenet("v2")  # prints where its weights came from
    x = preprocess(cnnbook.data.load_sample_image("coffee"), "v2")
    decode(model.predict(x, verbose=0), top=3)[0]  # [("espresso", 0.98), ..
    base = load_mobilenet("v2", include_top=False, pooling="avg",
                          input_shape=(128, 128, 3))  # for transfer

``load_mobilenet(version="v2", include_top=True, pooling=None,
input_shape=None, classifier_activation="softmax")`` returns a
``keras.applications.MobileNetV2(alpha=1.0)`` (224x224; ``"v1"``:
``MobileNet(alpha=0.5)`` at 160x160) with ImageNet weights: Keras's own
when it can download them, otherwise converted from the uint8 TensorFlow
Lite model in the book's offline data mirror (the conversion, and what it
does with quantisation, batch norm, padding and the 1001st "background"
class, is explained in :mod:`cnnbook.pretrained.convert`). One printed line
says which; :class:`WeightsNotFoundError` says what to do when neither is
there. Never random weights. ``python data_scripts/fetch_data.py mobilenet``
(also part of ``all``) prepares the weights of both versions ahead of time
(:data:`PRETRAINED`, :func:`fetch_pretrained`).

``preprocess(images, version)`` resizes photos and scales them exactly like
``keras.applications.mobilenet_v2.preprocess_input`` (``x / 127.5 - 1``);
``resize_images`` gives the resized uint8 photos for figures; ``decode``
turns predictions into ``(class name, score)`` pairs; ``input_size`` is the
training size of a version.

The converted weights need no TensorFlow (the flatbuffer is read with the
``tflite`` package) and work under ``KERAS_BACKEND=jax``. There, take
gradients with ``jax.jit(jax.grad(f))`` where ``f`` calls
``model.stateless_call`` (as ``tests/test_pretrained.py`` does): an eager
``jax.grad`` through the model compiles op by op and is several times
slower.
"""

from cnnbook.pretrained.mobilenet import (
    MOBILENETS,
    PRETRAINED,
    MobileNetVersion,
    WeightsNotFoundError,
    decode,
    fetch_pretrained,
    input_size,
    load_mobilenet,
    preprocess,
    resize_images,
)

__all__ = [
    "MOBILENETS",
    "PRETRAINED",
    "MobileNetVersion",
    "WeightsNotFoundError",
    "decode",
    "fetch_pretrained",
    "input_size",
    "load_mobilenet",
    "preprocess",
    "resize_images",
]
