"""Small datasets that ship inside scikit-learn (or are generated), as tensors.

Every dataset is split once with a fixed seed (the split never depends on the
run's seed, so runs that differ only in their seed see the same data) and
standardised with the training split's statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

#: the split is the same for every run
SPLIT_SEED = 1234
VAL_FRACTION = 0.3


@dataclass(frozen=True)
class Data:
    """Train and validation tensors; ``num_classes`` is 0 for regression."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


def _arrays(name: str) -> tuple[np.ndarray, np.ndarray, int]:
    from sklearn import datasets

    if name in ("digits", "digits_images"):
        bunch = datasets.load_digits()
        return bunch.data / 16.0, bunch.target, 10
    if name == "breast_cancer":
        bunch = datasets.load_breast_cancer()
        return bunch.data, bunch.target, 2
    if name == "wine":
        bunch = datasets.load_wine()
        return bunch.data, bunch.target, 3
    if name == "diabetes":
        bunch = datasets.load_diabetes()
        return bunch.data, bunch.target, 0
    if name == "moons":
        x, y = datasets.make_moons(n_samples=1500, noise=0.25, random_state=SPLIT_SEED)
        return x, y, 2
    if name == "iris":
        bunch = datasets.load_iris()
        return bunch.data, bunch.target, 3
    if name == "circles":
        x, y = datasets.make_circles(n_samples=1500, noise=0.12, factor=0.5,
                                     random_state=SPLIT_SEED)
        return x, y, 2
    if name == "blobs":
        x, y = datasets.make_blobs(n_samples=1500, centers=6, n_features=8, cluster_std=2.5,
                                   random_state=SPLIT_SEED)
        return x, y, 6
    if name == "friedman":
        x, y = datasets.make_friedman1(n_samples=1500, noise=1.0, random_state=SPLIT_SEED)
        return x, y, 0
    if name.startswith("synth_c") and name[7:].isdigit():
        classes = int(name[7:])
        x, y = datasets.make_classification(
            n_samples=max(2000, 40 * classes), n_features=40, n_informative=30,
            n_redundant=5, n_classes=classes, n_clusters_per_class=1, class_sep=1.5,
            flip_y=0.01, random_state=SPLIT_SEED)
        return x, y, classes
    raise ValueError(f"unknown dataset {name!r}")


#: the generated sequence task: tokens from a vocabulary of SEQ_VOCAB, SEQ_LENGTH long
SEQ_VOCAB, SEQ_LENGTH, SEQ_SAMPLES = 8, 12, 2400


def sequences() -> tuple[np.ndarray, np.ndarray, int]:
    """One-hot token sequences labelled by their most frequent token (ties: the smallest).

    Shape ``(n, SEQ_LENGTH, SEQ_VOCAB)``: a task for a recurrent net or a small
    transformer that an MLP on the flat one-hot input learns less easily.
    """
    rng = np.random.RandomState(SPLIT_SEED)
    tokens = rng.randint(0, SEQ_VOCAB, size=(SEQ_SAMPLES, SEQ_LENGTH))
    counts = np.stack([(tokens == v).sum(1) for v in range(SEQ_VOCAB)], axis=1)
    return np.eye(SEQ_VOCAB)[tokens], counts.argmax(1), SEQ_VOCAB


def load(name: str, train_size: int | None = None) -> Data:
    """Load dataset ``name``, split it, standardise it, keep ``train_size`` examples."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y, num_classes = sequences() if name == "sequences" else _arrays(name)
    stratify = y if num_classes else None
    x_tr, x_va, y_tr, y_va = train_test_split(
        x, y, test_size=VAL_FRACTION, random_state=SPLIT_SEED, stratify=stratify
    )
    if train_size is not None and train_size < len(x_tr):
        keep = np.random.RandomState(SPLIT_SEED).permutation(len(x_tr))[:train_size]
        x_tr, y_tr = x_tr[keep], y_tr[keep]
    if name.startswith("digits"):
        # one scale for all pixels: a pixel that is always blank in a small
        # training subset must not be blown up by its own (zero) spread
        mean, std = x_tr.mean(), x_tr.std()
        x_tr, x_va = (x_tr - mean) / std, (x_va - mean) / std
        if name == "digits_images":
            x_tr, x_va = x_tr.reshape(-1, 1, 8, 8), x_va.reshape(-1, 1, 8, 8)
    elif name == "sequences":
        pass  # one-hot tokens: already on one scale
    else:
        scaler = StandardScaler().fit(x_tr)
        x_tr, x_va = scaler.transform(x_tr), scaler.transform(x_va)
    if not num_classes:
        y_mean, y_std = y_tr.mean(), y_tr.std()
        y_tr, y_va = (y_tr - y_mean) / y_std, (y_va - y_mean) / y_std
    y_dtype = torch.long if num_classes else torch.float32
    return Data(
        x_train=torch.as_tensor(x_tr, dtype=torch.float32),
        y_train=torch.as_tensor(y_tr, dtype=y_dtype),
        x_val=torch.as_tensor(x_va, dtype=torch.float32),
        y_val=torch.as_tensor(y_va, dtype=y_dtype),
        num_classes=num_classes,
    )
