"""Backbones PIPNet builds on, written here with the parameter names their checkpoints use.

ResNet-18/50/101 and MobileNet-V2 follow torchvision's layout and names (PIPNet takes them
from ``torchvision.models``; torchvision is not a dependency of this project):

- ResNet: ``conv1`` 7x7/2, ``bn1``, ReLU, 3x3/2 max-pool, ``layer1..4`` of basic blocks
  (18) or bottlenecks with the stride on the 3x3 conv (50, 101), projection shortcuts as
  ``downsample.0`` (1x1 conv) / ``downsample.1`` (BN);
- MobileNet-V2: ``features.0`` conv-BN-ReLU6 3x3/2, seventeen inverted residuals
  ``features.1..17`` (``conv.0`` expand conv-BN-ReLU6 unless t = 1, depthwise conv-BN-ReLU6,
  projection conv + BN), ``features.18`` 1x1 conv-BN-ReLU6 to 1280 channels.

MobileNet-V3-large is PIPNet's own copy (``lib/mobilenetv3.py``): ``features.0`` conv-BN-
h-swish 3x3/2, fifteen inverted residuals whose ``conv`` Sequential has squeeze-excite
(``fc.0``/``fc.2`` linear layers, h-sigmoid gate) at a fixed index, and ``conv`` 1x1
conv-BN-h-swish to 960 channels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

RESNET_LAYERS = {"resnet18": (2, 2, 2, 2), "resnet50": (3, 4, 6, 3), "resnet101": (3, 4, 23, 3)}


class ResNetBasic(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = _projection(cin, planes, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNetBottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = _projection(cin, planes * 4, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


def _projection(cin: int, cout: int, stride: int) -> nn.Sequential | None:
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class ResNetTrunk(nn.Module):
    """torchvision ResNet without ``avgpool``/``fc``: (N, 3, H, W) -> (N, C, H/32, W/32)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        block = ResNetBasic if name == "resnet18" else ResNetBottleneck
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        widths = (64, 128, 256, 512)
        for i, (n, planes) in enumerate(zip(RESNET_LAYERS[name], widths, strict=True), 1):
            blocks = []
            for b in range(n):
                blocks.append(block(cin, planes, 2 if (b == 0 and i > 1) else 1))
                cin = planes * block.expansion
            setattr(self, f"layer{i}", nn.Sequential(*blocks))
        self.out_channels = cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def _conv_bn_act(cin: int, cout: int, k: int, stride: int, groups: int, act: nn.Module) -> list:
    return [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout), act]  # fmt: skip


class V2Block(nn.Module):
    """torchvision MobileNet-V2 inverted residual (names ``conv.0``, ``conv.1``, ...)."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(nn.Sequential(*_conv_bn_act(cin, hidden, 1, 1, 1, nn.ReLU6())))
        layers.append(nn.Sequential(*_conv_bn_act(hidden, hidden, 3, stride, hidden, nn.ReLU6())))
        layers += [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


# (expansion t, channels c, repeats n, first stride s) of torchvision's MobileNet-V2
V2_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
               (6, 160, 3, 2), (6, 320, 1, 1))  # fmt: skip


class MobileNetV2Trunk(nn.Module):
    """``features`` of torchvision's MobileNet-V2: (N, 3, H, W) -> (N, 1280, H/32, W/32)."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Sequential(*_conv_bn_act(3, 32, 3, 2, 1, nn.ReLU6()))]
        cin = 32
        for t, c, n, s in V2_SETTINGS:
            for i in range(n):
                layers.append(V2Block(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(nn.Sequential(*_conv_bn_act(cin, 1280, 1, 1, 1, nn.ReLU6())))
        self.features = nn.Sequential(*layers)
        self.out_channels = 1280

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


class HSigmoid(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu6(x + 3.0) / 6.0


class HSwish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * (F.relu6(x + 3.0) / 6.0)


def _divisible(v: float, divisor: int = 8) -> int:
    """Round channels to a multiple of 8, never more than 10 % down (the TF reference rule)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


class SqueezeExcite(nn.Module):
    """Global average -> ``fc.0`` -> ReLU -> ``fc.2`` -> h-sigmoid gate."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        mid = _divisible(channels // 4)
        self.fc = nn.Sequential(
            nn.Linear(channels, mid), nn.ReLU(), nn.Linear(mid, channels), HSigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.fc(x.mean(dim=(2, 3)))
        return x * gate[:, :, None, None]


class V3Block(nn.Module):
    """PIPNet's MobileNet-V3 inverted residual; layer indices as in their ``conv``."""

    def __init__(self, cin: int, hidden: int, cout: int, k: int, stride: int, se: bool,
                 hs: bool) -> None:  # fmt: skip
        super().__init__()

        def act() -> nn.Module:
            return HSwish() if hs else nn.ReLU()

        gate: nn.Module = SqueezeExcite(hidden) if se else nn.Identity()
        dw = [nn.Conv2d(hidden, hidden, k, stride, (k - 1) // 2, groups=hidden, bias=False),
              nn.BatchNorm2d(hidden)]  # fmt: skip
        project = [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        if cin == hidden:  # dw, BN, act, SE, project
            layers = [*dw, act(), gate, *project]
        else:  # expand, BN, act, dw, BN, SE, act, project
            expand = [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), act()]
            layers = [*expand, *dw, gate, act(), *project]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


# (kernel, expansion, channels, squeeze-excite, h-swish, stride) of MobileNet-V3-large
V3_LARGE = (
    (3, 1, 16, 0, 0, 1), (3, 4, 24, 0, 0, 2), (3, 3, 24, 0, 0, 1), (5, 3, 40, 1, 0, 2),
    (5, 3, 40, 1, 0, 1), (5, 3, 40, 1, 0, 1), (3, 6, 80, 0, 1, 2), (3, 2.5, 80, 0, 1, 1),
    (3, 2.3, 80, 0, 1, 1), (3, 2.3, 80, 0, 1, 1), (3, 6, 112, 1, 1, 1), (3, 6, 112, 1, 1, 1),
    (5, 6, 160, 1, 1, 2), (5, 6, 160, 1, 1, 1), (5, 6, 160, 1, 1, 1),
)  # fmt: skip


class MobileNetV3Trunk(nn.Module):
    """``features`` + ``conv`` of PIPNet's MobileNet-V3-large: -> (N, 960, H/32, W/32)."""

    def __init__(self) -> None:
        super().__init__()
        cin = _divisible(16)
        layers: list[nn.Module] = [nn.Sequential(*_conv_bn_act(3, cin, 3, 2, 1, HSwish()))]
        hidden = cin
        for k, t, c, se, hs, s in V3_LARGE:
            cout, hidden = _divisible(c), _divisible(cin * t)
            layers.append(V3Block(cin, hidden, cout, k, s, bool(se), bool(hs)))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.conv = nn.Sequential(*_conv_bn_act(cin, hidden, 1, 1, 1, HSwish()))
        self.out_channels = hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.features(x))
