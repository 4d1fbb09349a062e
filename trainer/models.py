"""The networks: an MLP of any depth and a small CNN for the 8x8 digit images."""

from __future__ import annotations

import math

from torch import nn

from .spec import RunSpec

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def mlp(in_features: int, hidden: tuple[int, ...], out_features: int,
        activation: str = "relu", dropout: float = 0.0) -> nn.Sequential:
    """Linear layers of widths ``hidden`` with an activation (and dropout) between."""
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def cnn(out_features: int, channels: int = 16, dropout: float = 0.0) -> nn.Sequential:
    """Two 3x3 convolutions and a pooling step on 1x8x8 images, then a linear head."""
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
        nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(2 * channels * 4 * 4, out_features),
    )


def init_normal_(model: nn.Module, std: float) -> None:
    """Draw every weight from N(0, std) and zero every bias (a deliberately bad init)."""
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(module.weight, 0.0, std)
            nn.init.zeros_(module.bias)


def build(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """The network a spec asks for, initialised as it says (call after seeding)."""
    out = num_classes or 1
    if spec.model == "cnn":
        model = cnn(out, channels=spec.hidden[0] if spec.hidden else 16, dropout=spec.dropout)
    elif spec.model == "mlp":
        model = mlp(math.prod(input_shape), spec.hidden, out, spec.activation, spec.dropout)
    else:
        raise ValueError(f"unknown model {spec.model!r}: use 'mlp' or 'cnn'")
    if spec.init == "normal":
        init_normal_(model, spec.init_std)
    elif spec.init != "default":
        raise ValueError(f"unknown init {spec.init!r}: use 'default' or 'normal'")
    return model
