"""IMDB reviews (text and word indices) from a fake mirror."""

from __future__ import annotations


import numpy as np

from cnnbook import data
from tests.data.fixtures import (
    REVIEWS,
)


def test_imdb_sequences_follow_keras_conventions(mirror, capsys):
    (x_train, y_train), (x_test, y_test) = data.load_imdb()
    assert x_train.dtype == object and x_train.shape == (6,)
    assert y_train.dtype == np.int64 and len(x_test) == len(y_test) == 4
    assert all(seq[0] == 1 for seq in x_train)  # start_char
    assert all(min(seq[1:]) >= 2 for seq in x_train)  # words or oov_char
    # As in Keras, num_words=None means "below the largest index", so the
    # rarest word becomes oov_char (2); a large num_words keeps every word.
    assert 2 in {w for seq in x_train for w in seq}
    (x_train, y_train), (x_test, y_test) = data.load_imdb(num_words=10**6)
    assert all(min(seq[1:]) >= 3 for seq in x_train)  # index_from
    assert "word indices differ from Keras" in capsys.readouterr().out

    # The same seed shuffles the texts the same way: decode and compare.
    (texts, labels), (texts_test, _) = data.load_imdb_text()
    np.testing.assert_array_equal(labels, y_train)
    assert not any("<br" in text for text in texts + texts_test)
    index = data.imdb_word_index()
    assert index["it"] == 1  # the most frequent training word
    words = {i + 3: word for word, i in index.items()}
    for seq, text in zip(x_train, texts):
        assert [words[i] for i in seq[1:]] == data.imdb_tokenize(text)
    # A word never seen in training is skipped in the test set.
    test_words = [w for seq in x_test for w in seq]
    assert "unseenword" not in index and len(test_words) > 0


def test_imdb_num_words_and_maxlen(mirror):
    (x_train, _), (x_test, _) = data.load_imdb(num_words=6)
    assert max(max(seq) for seq in list(x_train) + list(x_test)) <= 5
    assert 2 in {w for seq in x_train for w in seq}  # oov_char
    (x_short, y_short), _ = data.load_imdb(maxlen=8)
    assert all(len(seq) < 8 for seq in x_short)
    assert len(x_short) == len(y_short) < 6
    assert data.SOURCES["imdb"].n_train == len(x_short)


def test_imdb_text_counts(mirror):
    (texts, labels), (texts_test, labels_test) = data.load_imdb_text()
    assert len(texts) == 6 and len(texts_test) == 4
    assert isinstance(texts[0], str) and labels.dtype == np.int64
    (ordered, ordered_labels), _ = data.load_imdb_text(seed=None)
    assert ordered_labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert ordered[0] == REVIEWS[("train", "neg", 0, 1)].replace(
        "<br />", " "
    )
