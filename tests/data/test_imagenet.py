"""ImageNet class names, TFLite model files and sample photos."""

from __future__ import annotations


import numpy as np
import pytest

from cnnbook import data


def test_imagenet_names_and_tflite(mirror):
    names = data.load("imagenet_class_names")
    assert len(names) == 1000 and names[3] == "class_3"
    assert data.imagenet_class_names() == names
    assert data.SOURCES["imagenet_class_names"].origin == "cache"
    path = data.imagenet_tflite_model()
    assert path.is_file() and path.parent == mirror / "imagenet"
    labels = data.imagenet_tflite_labels()
    assert len(labels) == 1001 and labels[0] == "background"
    with pytest.raises(data.UnknownDatasetError, match="mobilenet_v2"):
        data.imagenet_tflite_model("mobilenet_v2")


def test_tflite_without_mirror(no_mirror):
    with pytest.raises(data.DataNotFoundError, match="no online copy"):
        data.imagenet_tflite_model()


def test_sample_images():
    chelsea = data.load_sample_image("chelsea")
    assert chelsea.dtype == np.uint8 and chelsea.shape == (300, 451, 3)
    assert data.load_sample_image("camera").ndim == 2
    assert data.SOURCES["sample_images"].location == "skimage.data.camera"
    with pytest.raises(data.UnknownDatasetError, match="'chelsea'"):
        data.load_sample_image("chelsey")
