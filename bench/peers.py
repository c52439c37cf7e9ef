#!/usr/bin/env python3
"""Peer implementations for `npm run bench -- --peers`: the same jobs as our bench entries, done by
the libraries people would otherwise reach for, on the same data in the same run.

    python3 bench/peers.py ENTRY [ENTRY ...]   ->  one JSON object on stdout:
        {"ENTRY": [{"peer": "...", "seconds": s, "accuracy": a}, ...], ...}

Adding a peer = one function decorated with @peer(["entry-name"], "peer label", data=loader): the
harness calls `loader()` (cached) before the clock starts, then times `fn(data)`, which does the
whole job and returns the test accuracy. Entries without peers get an empty list. Each peer runs
once per process even when several entries share it (the auto, dense and pruned kNN entries do the
same job). Needs numpy and scikit-learn (Debian: python3-sklearn; PyTorch peers: python3-torch).
"""
from __future__ import annotations

import functools
import gzip
import json
import os
import sys
import time
from typing import Callable

import numpy as np

Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # train x, train y, test x, test y
Peer = tuple[str, Callable[[], Data], Callable[[Data], float]]
PEERS: dict[str, list[Peer]] = {}


def peer(entries: list[str] | tuple[str, ...], label: str, data: Callable[[], Data]):
    """Registers the decorated `fn(data) -> accuracy` as a peer of each bench entry in `entries`."""

    def register(fn: Callable[[Data], float]) -> Callable[[Data], float]:
        for entry in entries:
            PEERS.setdefault(entry, []).append((label, data, fn))
        return fn

    return register


# --- data: the same files and scaling as lib/src/data (pixels / 255 as float32) -----------------
def _idx_dirs(name: str) -> list[str]:
    here = os.path.dirname(os.path.abspath(__file__))
    data_dir = os.environ.get("CLASSIFIERS_DATA_DIR") or os.path.join(here, "..", "data")
    return [os.path.join(data_dir, name), f"/usr/share/datasets/{name}"]


def _read_idx(name: str, stem: str) -> np.ndarray:
    for d in _idx_dirs(name):
        for path in (os.path.join(d, stem), os.path.join(d, stem + ".gz")):
            if os.path.exists(path):
                with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
                    raw = f.read()
                ndim = raw[3]
                shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
                return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    raise SystemExit(f"peers: {stem} of {name} not found in {', '.join(_idx_dirs(name))}")


@functools.cache
def fashion_mnist() -> Data:
    """(train x [60000, 784] float32 in [0, 1], train y, test x [10000, 784], test y)."""
    x = lambda stem: (_read_idx("fashion-mnist", stem).reshape(-1, 784).astype(np.float32) / 255)
    y = lambda stem: _read_idx("fashion-mnist", stem).astype(np.int64)
    return (x("train-images-idx3-ubyte"), y("train-labels-idx1-ubyte"),
            x("t10k-images-idx3-ubyte"), y("t10k-labels-idx1-ubyte"))


@functools.cache
def fashion_mnist_centred() -> Data:
    """Fashion-MNIST minus the training mean image, as the linear bench entries use it."""
    train_x, train_y, test_x, test_y = fashion_mnist()
    mean = train_x.mean(axis=0)
    return train_x - mean, train_y, test_x - mean, test_y


# --- kNN: 1-NN, L2, 60,000 x 10,000 -------------------------------------------------------------
KNN_ENTRIES = ("knn-fashion-mnist", "knn-fashion-mnist-dense", "knn-fashion-mnist-pruned")


@peer(KNN_ENTRIES, "scikit-learn brute-force kNN", data=fashion_mnist)
def knn_sklearn_brute(data: Data) -> float:
    from sklearn.neighbors import KNeighborsClassifier

    train_x, train_y, test_x, test_y = data
    model = KNeighborsClassifier(n_neighbors=1, algorithm="brute").fit(train_x, train_y)
    return float((model.predict(test_x) == test_y).mean())


@peer(KNN_ENTRIES, "numpy no-loop kNN (BLAS)", data=fashion_mnist)
def knn_numpy_no_loop(data: Data) -> float:
    train_x, train_y, test_x, test_y = data
    train_sq = np.einsum("ij,ij->i", train_x, train_x)
    train_t = np.ascontiguousarray(train_x.T)
    nearest = np.empty(len(test_x), dtype=np.int64)
    for start in range(0, len(test_x), 1024):
        q = test_x[start : start + 1024]
        # |q|^2 is the same for every row of a query: it cannot change the argmin
        nearest[start : start + len(q)] = np.argmin(train_sq - 2 * (q @ train_t), axis=1)
    return float((train_y[nearest] == test_y).mean())


# --- linear models: 20 epochs of SGD on 60,000 images ------------------------------------------
def _sgd(loss: str, data: Data) -> float:
    from sklearn.linear_model import SGDClassifier

    train_x, train_y, test_x, test_y = data
    model = SGDClassifier(loss=loss, alpha=1e-4, max_iter=20, tol=None, random_state=0)
    model.fit(train_x, train_y)
    return float(model.score(test_x, test_y))


@peer(["svm-fashion-mnist"], "scikit-learn SGDClassifier hinge", data=fashion_mnist_centred)
def svm_sklearn_sgd(data: Data) -> float:
    return _sgd("hinge", data)


@peer(["softmax-fashion-mnist"], "scikit-learn SGDClassifier log_loss", data=fashion_mnist_centred)
def softmax_sklearn_sgd(data: Data) -> float:
    return _sgd("log_loss", data)


# --- networks: 784-100-10 ReLU, 5 epochs on 60,000 images (bench/mlp-entries.ts) ---------------
def _mlp_torch(data: Data, loss: str, lr: float, batch: int, epochs: int = 5) -> float:
    """The same job as our MLP entries in PyTorch on the CPU: He-style default init, shuffled batches."""
    import torch

    torch.manual_seed(0)
    train_x, train_y, test_x, test_y = data
    x, y = torch.from_numpy(train_x), torch.from_numpy(train_y)
    model = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    if loss == "softmax":
        criterion, optimizer = torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=lr)
    else:
        # MultiMarginLoss averages the hinge over the C classes; ours sums it: the same step needs C·lr.
        criterion, optimizer = torch.nn.MultiMarginLoss(), torch.optim.SGD(model.parameters(), lr=lr * 10)
    order = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=order)
        for start in range(0, len(x), batch):
            rows = perm[start : start + batch]
            optimizer.zero_grad()
            criterion(model(x[rows]), y[rows]).backward()
            optimizer.step()
    with torch.no_grad():
        predicted = model(torch.from_numpy(test_x)).argmax(1).numpy()
    return float((predicted == test_y).mean())


@functools.cache
def fashion_mnist_centred_torch_warm() -> Data:
    """The centred data, after importing torch (1.1 s here) and running a few steps of both MLP jobs
    on other weights, so neither the import nor the first calls' set-up is timed (as for the CNN)."""
    import torch

    data = fashion_mnist_centred()
    x, y = torch.from_numpy(data[0][:640]), torch.from_numpy(data[1][:640])
    model = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    for criterion, optimizer, batch in [
        (torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3), 64),
        (torch.nn.MultiMarginLoss(), torch.optim.SGD(model.parameters(), lr=0.2), 20),
    ]:
        for start in range(0, len(x), batch):
            optimizer.zero_grad()
            criterion(model(x[start : start + batch]), y[start : start + batch]).backward()
            optimizer.step()
    return data


@peer(["mlp-fashion-mnist-adam"], "PyTorch CPU MLP, Adam, batch 64", data=fashion_mnist_centred_torch_warm)
def mlp_adam_torch(data: Data) -> float:
    return _mlp_torch(data, "softmax", 1e-3, 64)


@peer(["mlp-fashion-mnist-svm"], "PyTorch CPU MLP, SVM loss, SGD, batch 20", data=fashion_mnist_centred_torch_warm)
def mlp_svm_torch(data: Data) -> float:
    return _mlp_torch(data, "svm", 0.02, 20)


# --- convolutional network: notebook 05's small CNN, 2 epochs on 60,000 images (bench/cnn-entries.ts)
def _cnn_torch_model():
    import torch

    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 100), nn.ReLU(), nn.Linear(100, 10),
    )


@functools.cache
def fashion_mnist_images_torch_warm():
    """Fashion-MNIST as torch images [N, 1, 28, 28] (pixels / 255), after importing torch and running
    a few training steps of the same network on other weights, so that neither the import nor the
    first calls' set-up (thread pool, kernel selection, allocator) is timed."""
    import torch

    train_x, train_y, test_x, test_y = fashion_mnist()
    images = lambda x: torch.from_numpy(x).reshape(-1, 1, 28, 28)
    data = (images(train_x), torch.from_numpy(train_y), images(test_x), torch.from_numpy(test_y))
    model = _cnn_torch_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = torch.nn.CrossEntropyLoss()
    for start in range(0, 20 * 64, 64):
        optimizer.zero_grad()
        criterion(model(data[0][start : start + 64]), data[1][start : start + 64]).backward()
        optimizer.step()
    with torch.no_grad():
        model(data[2][:1000])
    return data


@peer(["cnn-fashion-mnist"], "PyTorch CPU CNN, Adam, batch 64", data=fashion_mnist_images_torch_warm)
def cnn_adam_torch(data) -> float:
    import torch

    torch.manual_seed(0)
    x, y, test_x, test_y = data
    model = _cnn_torch_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = torch.nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(0)
    for _ in range(2):
        perm = torch.randperm(len(x), generator=order)
        for start in range(0, len(x), 64):
            rows = perm[start : start + 64]
            optimizer.zero_grad()
            criterion(model(x[rows]), y[rows]).backward()
            optimizer.step()
    with torch.no_grad():
        predicted = torch.cat([model(test_x[i : i + 1000]).argmax(1) for i in range(0, len(test_x), 1000)])
    return float((predicted == test_y).float().mean())


# --- harness --------------------------------------------------------------------------------------
@functools.cache
def timed(data: Callable[[], Data], fn: Callable[[Data], float]) -> tuple[float, float]:
    """(seconds, accuracy) of one peer, once per process; loading the data is not timed."""
    loaded = data()
    start = time.perf_counter()
    accuracy = fn(loaded)
    return time.perf_counter() - start, accuracy


def main(entries: list[str]) -> None:
    import warnings

    warnings.filterwarnings("ignore")  # SGDClassifier's convergence warning at a fixed epoch count
    results = {}
    for entry in entries:
        results[entry] = []
        for label, data, fn in PEERS.get(entry, []):
            seconds, accuracy = timed(data, fn)
            print(f"peers: {entry}: {label}: {seconds:.2f} s, accuracy {accuracy:.4f}", file=sys.stderr)
            results[entry].append({"peer": label, "seconds": seconds, "accuracy": accuracy})
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
