"""Benchmarks of the book's code (not for readers' notebooks).

``python -m bench.time_to_accuracy --task mnist|cifar10``: seconds of
training to reach a test accuracy, with device, backend, versions and date
written to a JSON record in ``bench/results/`` (the results page shows the
committed records).
"""
