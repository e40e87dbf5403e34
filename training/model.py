"""A small ResNet for 1-channel 224x224 radiographs, in plain torch.nn.

Global average pooling + a linear head keep class-activation maps exact: the CAM of class k is
the head's weights for k applied to the last feature map, and its spatial mean is the logit.
A second linear head scores "not a chest X-ray" (trained with outlier exposure), and
``ExportWrapper`` adds the Mahalanobis distance of the pooled features for the ONNX export.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class CxrNet(nn.Module):
    def __init__(self, num_classes: int = 3, width: int = 32, blocks: tuple[int, ...] = (1, 1, 1, 1),
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        layers, cin = [], width
        for i, n in enumerate(blocks):
            cout = width * 2**i
            for j in range(n):
                layers.append(BasicBlock(cin, cout, 2 if (j == 0 and i > 0) else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.feature_dim = cin
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, num_classes)
        self.outlier_head = nn.Linear(cin, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)  # each residual block starts as identity

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.stem(x))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> (class logits, outlier logit (N,), pooled features)."""
        pooled = self.feature_map(x).mean(dim=(2, 3))
        dropped = self.dropout(pooled)
        return self.head(dropped), self.outlier_head(dropped).squeeze(1), pooled


class ExportWrapper(nn.Module):
    """The graph that ships: logits, CAMs and raw OOD scores, as the app's Classifier expects.

    ood_scores[:, 0] = min over classes of the Mahalanobis distance of the pooled features
    (shared covariance), ood_scores[:, 1] = sigmoid(outlier logit).
    """

    def __init__(self, net: CxrNet, class_means: torch.Tensor, precision_chol: torch.Tensor) -> None:
        super().__init__()
        self.net = net
        # d_k(f) = || (f - mu_k) L ||^2 with L L^T = precision, computed as f L - mu_k L.
        self.register_buffer("chol", precision_chol.float())
        self.register_buffer("means_proj", (class_means.float() @ precision_chol.float()))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        fmap = self.net.feature_map(image)
        pooled = fmap.mean(dim=(2, 3))
        logits = self.net.head(pooled)
        w = self.net.head.weight[:, :, None, None]
        cam = F.conv2d(fmap, w, self.net.head.bias)  # spatial mean of cam == logits
        proj = pooled @ self.chol
        d2 = ((proj[:, None, :] - self.means_proj[None]) ** 2).sum(-1)
        maha = d2.min(dim=1).values
        outlier = torch.sigmoid(self.net.outlier_head(pooled)).squeeze(1)
        return logits, cam, torch.stack([maha, outlier], dim=1)
