"""Model builders: chapter 5's own network, and the papers' layer tables
(chapters 7-9).

One module per chapter's family of networks; a reader imports the module:
``from cnnbook.architectures import classic``.

- :mod:`~cnnbook.architectures.first`: the modern small ConvNet of
  chapter 5 and its AdamW schedule;
- :mod:`~cnnbook.architectures.classic`: LeNet-5, AlexNet, ZFNet, VGG
  (chapter 7);
- :mod:`~cnnbook.architectures.modern`: Inception/GoogLeNet, ResNet,
  DenseNet (chapter 8);
- :mod:`~cnnbook.architectures.efficient`: depthwise separable, grouped and
  dilated convolutions, squeeze-and-excitation, MobileNet, Xception
  (chapter 9);
- :mod:`~cnnbook.architectures.nas`: a small cell search space and the
  search strategies of chapter 9.

Every builder returns a ``keras.Model``, validates its arguments (a depth
the paper's table does not define, a negative growth rate) with a message
that says what is allowed, and is tested against the paper's parameter
counts and, where Keras ships the network, ``keras.applications``.
"""
