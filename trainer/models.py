"""The networks: an MLP of any depth, a small CNN for the 8x8 digit images, and a GRU or a
one-layer transformer for token sequences (``(batch, length, vocabulary)`` one-hot)."""

from __future__ import annotations

import math

import torch
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


class GRUClassifier(nn.Module):
    """A one-layer GRU over the sequence; its last hidden state feeds a linear head."""

    def __init__(self, vocab: int, hidden: int, out_features: int) -> None:
        super().__init__()
        self.gru = nn.GRU(vocab, hidden, batch_first=True)
        self.head = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, last = self.gru(x)
        return self.head(last[-1])


class TinyTransformer(nn.Module):
    """Embedding + learned positions, one encoder layer, mean pooling, a linear head."""

    def __init__(self, vocab: int, length: int, width: int, out_features: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.embed = nn.Linear(vocab, width)
        self.position = nn.Parameter(torch.zeros(length, width))
        self.encoder = nn.TransformerEncoderLayer(width, nhead=2, dim_feedforward=2 * width,
                                                  dropout=dropout, batch_first=True)
        self.head = nn.Linear(width, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.embed(x) + self.position).mean(1))


def init_normal_(model: nn.Module, std: float) -> None:
    """Draw every weight from N(0, std) and zero every bias (a deliberately bad init)."""
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(module.weight, 0.0, std)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.GRU):
            for name, param in module.named_parameters():
                (nn.init.normal_(param, 0.0, std) if "weight" in name else nn.init.zeros_(param))


def init_output_bias_(model: nn.Module, bias: float) -> None:
    """Set the output layer's bias to ``bias`` for its first unit (a wrong prior, e.g.
    a class-0 logit far above the others, or a regression offset far from the target)."""
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        last.bias.zero_()
        last.bias[0] = bias


def build(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """The network a spec asks for, initialised as it says (call after seeding)."""
    out = num_classes or 1
    if spec.model == "cnn":
        model = cnn(out, channels=spec.hidden[0] if spec.hidden else 16, dropout=spec.dropout)
    elif spec.model == "mlp":
        model = mlp(math.prod(input_shape), spec.hidden, out, spec.activation, spec.dropout)
    elif spec.model == "rnn":
        model = GRUClassifier(input_shape[-1], spec.hidden[0] if spec.hidden else 32, out)
    elif spec.model == "transformer":
        model = TinyTransformer(input_shape[-1], input_shape[0],
                                spec.hidden[0] if spec.hidden else 32, out, spec.dropout)
    else:
        raise ValueError(f"unknown model {spec.model!r}: use 'mlp', 'cnn', 'rnn' or "
                         "'transformer'")
    if spec.init == "normal":
        init_normal_(model, spec.init_std)
    elif spec.init == "output_bias":
        init_output_bias_(model, spec.init_std)
    elif spec.init != "default":
        raise ValueError(f"unknown init {spec.init!r}: use 'default', 'normal' or "
                         "'output_bias'")
    return model
