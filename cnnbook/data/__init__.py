"""Dataset loaders: the local cache, the online loader, the offline mirror.

Every loader looks for its data in the same order and says where it found
it:

1. the **cache** in :func:`cache_dir` (``~/.cache/cnnbook`` unless
   ``CNNBOOK_CACHE`` says otherwise), which holds what an earlier call
   decoded from the offline mirror;
2. the **online loader** that the Keras documentation uses
   (``keras.datasets.mnist.load_data()`` and friends, or
   ``keras.utils.get_file``), which downloads once and keeps its own copy in
   ``~/.keras``. ``CNNBOOK_OFFLINE=1`` skips this step;
3. the **offline mirror** (:func:`mirror_dir`): a read-only folder of real
   data files for machines without internet access. Every file is checked
   against the mirror's ``SHA256SUMS`` before use, decoded, and the result
   written to the cache so that the work happens once;
4. otherwise a :class:`DataNotFoundError` that says what is missing, where
   it looked and which command fetches it.

Nothing is ever made up: a file that fails its checksum raises
:class:`DataIntegrityError`, a file that cannot be decoded raises
:class:`DataFormatError`, and a damaged cache file is deleted and rebuilt.

Each load prints one line naming its source and sizes, and records the same
facts in :data:`SOURCES`, so that a chapter can state (and assert) which
data produced its numbers.
"""

from __future__ import annotations

# The modules of this package, by job:
#   sources   where data comes from: cache, online loaders, the mirror and
#             its checksums, the errors every loader raises
#   mnist     MNIST and Fashion-MNIST
#   cifar     CIFAR-10 and the cats-vs-dogs image folder built from it
#   imdb      IMDB reviews (text and word indices)
#   imagenet  ImageNet class names, the mirror's TFLite models, sample photos
#   subsets   stratified subsets for fast mode
# A new dataset family gets a module of its own and a line in _LOADERS.
from cnnbook.data.cifar import (
    CIFAR10_CLASSES,
    cats_vs_dogs_dir,
    cifar_zip_members,
    load_cifar10,
)
from cnnbook.data.imagenet import (
    IMAGENET_CLASS_INDEX_MD5,
    IMAGENET_CLASS_INDEX_URL,
    SAMPLE_IMAGES,
    TFLITE_MODELS,
    imagenet_class_names,
    imagenet_tflite_labels,
    imagenet_tflite_model,
    load_sample_image,
)
from cnnbook.data.imdb import (
    ACLIMDB_SHA256,
    ACLIMDB_URL,
    clean_review,
    imdb_tokenize,
    imdb_word_index,
    load_imdb,
    load_imdb_text,
)
from cnnbook.data.mnist import load_fashion_mnist, load_mnist, read_idx
from cnnbook.data.sources import (
    CACHE_FORMAT,
    CACHE_VARIABLE,
    MIRROR_VARIABLE,
    OFFLINE_VARIABLE,
    REPO_ROOT,
    SOURCES,
    DataError,
    DataFormatError,
    DataIntegrityError,
    DataNotFoundError,
    DataSource,
    UnknownDatasetError,
    _unknown,
    cache_dir,
    describe_sources,
    fetch_command,
    mirror_dir,
    offline,
)
from cnnbook.data.subsets import stratified_subset

DATASETS = {
    "mnist": "MNIST handwritten digits, 28x28 grey (Keras: 60k train + "
    "10k test; offline mirror: first 10k train + 10k test)",
    "fashion_mnist": "Fashion-MNIST clothing images, 28x28 grey, "
    "60k train + 10k test",
    "cifar10": "CIFAR-10 colour photos in 10 classes, 32x32x3, "
    "50k train + 10k test",
    "imdb": "IMDB movie reviews labelled positive/negative, as word "
    "indices (and raw text), 25k train + 25k test",
    "cats_vs_dogs": "a folder of cat and dog photos (CIFAR-10's cats and "
    "dogs), 2,000 train / 1,000 validation / 1,000 test",
    "imagenet_class_names": "the 1,000 ImageNet class names in Keras's "
    "index order",
    "sample_images": "a few public-domain photos bundled with "
    "scikit-image (chelsea, astronaut, coffee, rocket, camera)",
}

_LOADERS = {
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
    "imdb": load_imdb,
    "cats_vs_dogs": cats_vs_dogs_dir,
    "imagenet_class_names": imagenet_class_names,
}


def load(name, /, **kwargs):
    """Load a dataset by name (see :data:`DATASETS`); ``kwargs`` go to its
    loader. ``load("sample_images")`` returns ``{name: image}`` for all the
    sample photos, ``load("sample_images", name="chelsea")`` one of them.
    """
    if name == "sample_images":
        if "name" in kwargs:
            return load_sample_image(kwargs["name"])
        return {image: load_sample_image(image) for image in SAMPLE_IMAGES}
    if name not in _LOADERS:
        raise _unknown("dataset", name, DATASETS)
    return _LOADERS[name](**kwargs)


__all__ = [
    "ACLIMDB_SHA256",
    "ACLIMDB_URL",
    "CACHE_FORMAT",
    "CACHE_VARIABLE",
    "CIFAR10_CLASSES",
    "DATASETS",
    "DataError",
    "DataFormatError",
    "DataIntegrityError",
    "DataNotFoundError",
    "DataSource",
    "IMAGENET_CLASS_INDEX_MD5",
    "IMAGENET_CLASS_INDEX_URL",
    "MIRROR_VARIABLE",
    "OFFLINE_VARIABLE",
    "REPO_ROOT",
    "SAMPLE_IMAGES",
    "SOURCES",
    "TFLITE_MODELS",
    "UnknownDatasetError",
    "cache_dir",
    "cats_vs_dogs_dir",
    "cifar_zip_members",
    "clean_review",
    "describe_sources",
    "fetch_command",
    "imagenet_class_names",
    "imagenet_tflite_labels",
    "imagenet_tflite_model",
    "imdb_tokenize",
    "imdb_word_index",
    "load",
    "load_cifar10",
    "load_fashion_mnist",
    "load_imdb",
    "load_imdb_text",
    "load_mnist",
    "load_sample_image",
    "mirror_dir",
    "offline",
    "read_idx",
    "stratified_subset",
]
