"""IMDB movie reviews: raw text and word-index sequences.

Online from Keras and the Stanford aclImdb archive; offline from the
mirror's copy of aclImdb, tokenised here with Keras's conventions.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from pathlib import Path

import numpy as np

from cnnbook.data.sources import (
    SOURCES,
    DataFormatError,
    DataSource,
    _load_arrays,
    _mirror_file,
    _read_cache,
    _report,
    _source_files,
    _split,
)

ACLIMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ACLIMDB_SHA256 = (
    "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
)

# --------------------------------------------------------------------------
# IMDB
# --------------------------------------------------------------------------

_IMDB_FILE = "imdb/aclImdb-labeled.tar.gz"
_IMDB_MEMBER = re.compile(r"^aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_LINE_BREAK = re.compile(r"<br\s*/?>", flags=re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_IMDB_TEXT_NOTE = (
    "the mirror lacks 4 of aclImdb's 50,000 labelled reviews (2 per "
    "split, overwritten upstream)."
)
_IMDB_NOTE = (
    "tokenised here from the aclImdb text (lower case, <br /> and "
    "punctuation removed, words ranked by training-set frequency), so word "
    "indices differ from Keras's published index: use imdb_word_index(). "
)


def clean_review(text: str) -> str:
    """A review with its ``<br />`` line breaks replaced by spaces."""
    return _LINE_BREAK.sub(" ", text)


def imdb_tokenize(text: str) -> list[str]:
    """Split a review into lower-case words the way the offline IMDB index
    was built: ``<br />`` and punctuation removed, apostrophes inside a
    word kept (``don't``)."""
    return _WORD.findall(clean_review(text).lower())


def _read_aclimdb(path: Path) -> dict:
    """The labelled reviews of an aclImdb tar.gz, in a fixed order.

    Returns ``{"train": (texts, labels), "test": (texts, labels)}`` with
    the negative reviews first, each group sorted by review id; labels are
    int64, 1 for positive. Unlabelled (``unsup``) reviews are skipped.
    """
    found = {"train": [], "test": []}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                match = _IMDB_MEMBER.match(member.name)
                if not match or not member.isfile():
                    continue
                split, polarity, review_id, _ = match.groups()
                raw = archive.extractfile(member).read()
                text = clean_review(raw.decode("utf-8"))
                label = 1 if polarity == "pos" else 0
                found[split].append((label, int(review_id), text))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DataFormatError(
            f"{path} is not a readable tar.gz file ({error}); it is "
            f"truncated or corrupted."
        ) from error
    except UnicodeDecodeError as error:
        raise DataFormatError(f"{path}: a review is not UTF-8 ({error})")
    result = {}
    for split, reviews in found.items():
        if not reviews:
            raise DataFormatError(f"{path}: no {split} reviews found")
        reviews.sort()
        texts = [text for _, _, text in reviews]
        labels = np.array([label for label, _, _ in reviews], dtype=np.int64)
        result[split] = (texts, labels)
    return result


def _pack_strings(strings) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one uint8 array of UTF-8 bytes plus end offsets (so the
    cache can be read back without pickle)."""
    encoded = [s.encode("utf-8") for s in strings]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


def _unpack_strings(data: np.ndarray, ends: np.ndarray) -> list[str]:
    raw = data.tobytes()
    starts = np.concatenate([[0], ends[:-1]])
    return [raw[a:b].decode("utf-8") for a, b in zip(starts, ends)]


def _pack_sequences(sequences) -> tuple[np.ndarray, np.ndarray]:
    """Lists of ints as one flat int32 array plus end offsets."""
    ends = np.cumsum([len(s) for s in sequences], dtype=np.int64)
    flat = np.fromiter(
        (i for s in sequences for i in s), dtype=np.int32, count=ends[-1]
    )
    return flat, ends


def _unpack_sequences(flat: np.ndarray, ends: np.ndarray) -> list:
    starts = np.concatenate([[0], ends[:-1]])
    return [flat[a:b].tolist() for a, b in zip(starts, ends)]


def _imdb_texts_info(mirror_or_url: str, reviews: dict, origin: str):
    note = _IMDB_TEXT_NOTE if origin == "mirror" else None
    return dict(
        location=mirror_or_url,
        note=note,
        n_train=len(reviews["train"][0]),
        n_test=len(reviews["test"][0]),
    )


def _texts_arrays(reviews: dict) -> dict:
    arrays = {}
    for split, (texts, labels) in reviews.items():
        data, ends = _pack_strings(texts)
        arrays[f"{split}_text"], arrays[f"{split}_ends"] = data, ends
        arrays[f"y_{split}"] = labels
    return arrays


def _build_imdb_text(mirror: Path):
    path = _mirror_file(mirror, _IMDB_FILE)
    reviews = _read_aclimdb(path)
    info = _imdb_texts_info(str(mirror / "imdb"), reviews, "mirror")
    info["source_files"] = _source_files(mirror, [_IMDB_FILE])
    return _texts_arrays(reviews), info


def _online_imdb_text():
    import keras

    path = keras.utils.get_file(
        "aclImdb_v1.tar.gz", ACLIMDB_URL, file_hash=ACLIMDB_SHA256
    )
    reviews = _read_aclimdb(Path(path))
    info = _imdb_texts_info(ACLIMDB_URL, reviews, "online")
    return _texts_arrays(reviews), DataSource("imdb_text", "online", **info)


def _rank_words(train_tokens) -> list[str]:
    """Words by decreasing training-set frequency (ties alphabetical)."""
    from collections import Counter

    counts = Counter(word for tokens in train_tokens for word in tokens)
    return sorted(counts, key=lambda word: (-counts[word], word))


def _build_imdb(mirror: Path):
    """Tokenise the mirror's reviews; word ranks start at 1 as in Keras."""
    path = _mirror_file(mirror, _IMDB_FILE)
    reviews = _read_aclimdb(path)
    tokens = {
        split: [imdb_tokenize(text) for text in texts]
        for split, (texts, _) in reviews.items()
    }
    vocabulary = _rank_words(tokens["train"])
    rank = {word: i + 1 for i, word in enumerate(vocabulary)}
    arrays = {}
    for split, (_, labels) in reviews.items():
        # Words never seen in training are skipped, as in Keras's copy.
        sequences = [
            [rank[w] for w in words if w in rank] for words in tokens[split]
        ]
        flat, ends = _pack_sequences(sequences)
        arrays[f"{split}_words"], arrays[f"{split}_ends"] = flat, ends
        arrays[f"y_{split}"] = labels
    arrays["vocabulary"] = _pack_strings(["\n".join(vocabulary)])[0]
    info = _imdb_texts_info(str(mirror / "imdb"), reviews, "mirror")
    info["note"] = _IMDB_NOTE + "The m" + _IMDB_TEXT_NOTE[5:]
    info["source_files"] = _source_files(mirror, [_IMDB_FILE])
    return arrays, info


def _keras_imdb_steps(
    x_train,
    labels_train,
    x_test,
    labels_test,
    num_words,
    skip_top,
    maxlen,
    seed,
    start_char,
    oov_char,
    index_from,
):
    """The steps of ``keras.datasets.imdb.load_data`` after it reads its
    file (shuffle, start/offset, maxlen filter, num_words/skip_top), copied
    so that the offline copy follows the same conventions."""
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train = x_train[indices]
    labels_train = labels_train[indices]

    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test = x_test[indices]
    labels_test = labels_test[indices]

    if start_char is not None:
        x_train = [[start_char] + [w + index_from for w in x] for x in x_train]
        x_test = [[start_char] + [w + index_from for w in x] for x in x_test]
    elif index_from:
        x_train = [[w + index_from for w in x] for x in x_train]
        x_test = [[w + index_from for w in x] for x in x_test]
    else:
        x_train = [list(x) for x in x_train]
        x_test = [list(x) for x in x_test]

    if maxlen:
        x_train, labels_train = _remove_long(maxlen, x_train, labels_train)
        x_test, labels_test = _remove_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen="
                f"{maxlen}, no sequence was kept. Increase maxlen."
            )

    xs = x_train + x_test
    labels = np.concatenate([labels_train, labels_test])
    if not num_words:  # Keras's rule: the largest index itself is OOV
        num_words = max(max(x) for x in xs if x)
    if oov_char is not None:
        xs = [
            [w if (skip_top <= w < num_words) else oov_char for w in x]
            for x in xs
        ]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]

    split = len(x_train)
    x_train, y_train = _object_array(xs[:split]), labels[:split]
    x_test, y_test = _object_array(xs[split:]), labels[split:]
    return (x_train, y_train), (x_test, y_test)


def _remove_long(maxlen, sequences, labels):
    """Keep the sequences shorter than ``maxlen`` (as Keras does)."""
    kept = [(x, y) for x, y in zip(sequences, labels) if len(x) < maxlen]
    return [x for x, _ in kept], np.array([y for _, y in kept], np.int64)


def _object_array(lists) -> np.ndarray:
    """A 1-D object array of lists (``np.array`` would make it 2-D when
    all lists happen to have the same length)."""
    array = np.empty(len(lists), dtype=object)
    for i, item in enumerate(lists):
        array[i] = item
    return array


def load_imdb(
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """IMDB reviews as word indices, like ``keras.datasets.imdb.load_data``.

    Returns ``(x_train, y_train), (x_test, y_test)``: object arrays of
    lists of ints and int64 labels (1 = positive), with the same arguments
    and conventions as Keras (0 padding, ``start_char``, ``oov_char``, real
    words from ``index_from`` on, ranked by training-set frequency).

    Offline, the reviews are tokenised here from the aclImdb text (see
    :func:`imdb_tokenize`), so the word indices differ from Keras's
    published ones: decode them with :func:`imdb_word_index`, which always
    matches the source that was used.
    """
    arrays, source = _load_arrays(
        "imdb",
        lambda: _online_imdb(
            num_words, skip_top, maxlen, seed, start_char, oov_char, index_from
        ),
        "the online loader keras.datasets.imdb.load_data()",
        _build_imdb,
    )
    if source.origin != "online":
        sequences = {}
        for split in ("train", "test"):
            words = arrays[f"{split}_words"]
            lists = _unpack_sequences(words, arrays[f"{split}_ends"])
            sequences[split] = _object_array(lists)
        result = _keras_imdb_steps(
            sequences["train"],
            arrays["y_train"].astype(np.int64),
            sequences["test"],
            arrays["y_test"].astype(np.int64),
            num_words,
            skip_top,
            maxlen,
            seed,
            start_char,
            oov_char,
            index_from,
        )
        arrays = dict(x_train=result[0][0], y_train=result[0][1])
        arrays.update(x_test=result[1][0], y_test=result[1][1])
        source = _with_counts(source, arrays)
    _report(source)
    return _split(arrays)


def _with_counts(source: DataSource, arrays: dict) -> DataSource:
    """``source`` with the sizes of ``arrays`` (after a maxlen filter)."""
    from dataclasses import replace

    return replace(
        source, n_train=len(arrays["x_train"]), n_test=len(arrays["x_test"])
    )


def _online_imdb(*args):
    import keras

    names = ("num_words", "skip_top", "maxlen", "seed")
    names += ("start_char", "oov_char", "index_from")
    loader = keras.datasets.imdb.load_data
    (x_train, y_train), (x_test, y_test) = loader(**dict(zip(names, args)))
    arrays = dict(x_train=x_train, y_train=y_train)
    arrays.update(x_test=x_test, y_test=y_test)
    source = DataSource(
        name="imdb",
        origin="online",
        n_train=len(x_train),
        n_test=len(x_test),
        location="keras.datasets.imdb.load_data()",
    )
    return arrays, source


def imdb_word_index() -> dict[str, int]:
    """The word -> index table of the IMDB copy that :func:`load_imdb`
    uses (index 1 is the most frequent word; add ``index_from`` to match
    the sequences). Loads the data first if it has not been loaded."""
    source = SOURCES.get("imdb") or _load_imdb_source()
    if source.origin == "online":
        import keras

        return keras.datasets.imdb.get_word_index()
    cached = _read_cache("imdb")
    if cached is None:  # deleted since the load: build it again
        load_imdb()
        cached = _read_cache("imdb")
    vocabulary = cached[0]["vocabulary"].tobytes().decode("utf-8")
    return {word: i + 1 for i, word in enumerate(vocabulary.split("\n"))}


def _load_imdb_source() -> DataSource:
    load_imdb()
    return SOURCES["imdb"]


def load_imdb_text(seed=113):
    """The raw IMDB reviews: ``(texts_train, y_train), (texts_test,
    y_test)`` with lists of str (``<br />`` replaced by spaces) and int64
    labels (1 = positive).

    The reviews are shuffled with ``np.random.RandomState(seed)`` as
    Keras shuffles its sequences (``seed=None`` keeps the file order:
    negatives then positives, by review id). Online they come from the
    Stanford aclImdb archive, offline from the mirror's copy of it.
    """
    arrays, source = _load_arrays(
        "imdb_text",
        _online_imdb_text,
        f"the online download {ACLIMDB_URL}",
        _build_imdb_text,
    )
    result = []
    rng = np.random.RandomState(seed) if seed is not None else None
    for split in ("train", "test"):
        texts = _unpack_strings(
            arrays[f"{split}_text"], arrays[f"{split}_ends"]
        )
        labels = arrays[f"y_{split}"].astype(np.int64)
        order = np.arange(len(texts))
        if rng is not None:
            rng.shuffle(order)
        result.append(([texts[i] for i in order], labels[order]))
    _report(source)
    return tuple(result)


