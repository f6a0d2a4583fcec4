"""Small two-stage detector heads with fixed random weights (seeded, no downloads), built on the
roi_ops PyTorch ops, so that the export holds roi_ops nodes:

- `faster_rcnn_fpn`: an FPN backbone (P2-P5, strides 4-32) and a box head behind
  MultiScaleRoIAlign (7x7, torchvision's defaults);
- `mask_rcnn_mask_head`: the same backbone's P2 through RoIAlign 14x14 (aligned) into a
  mask head (28x28 logits);
- `rfcn_head`: position-sensitive score maps through PSRoIPool 7x7, voted per class;
- `rotated_head`: rotated boxes through RoIAlignRotated 7x7 into a box head.

Inputs are an image [1,3,256,256] and proposals [K,5] (batch index, x1, y1, x2, y2; rotated:
batch index, cx, cy, w, h, angle).
"""
from __future__ import annotations

import torch
from torch import nn

import roi_ops.torch as rt

IMAGE = 256
CLASSES = 5


class Backbone(nn.Module):
    """Four stride-2 stages after a stride-2 stem: features at strides 4, 8, 16, 32, each
    projected to `width` channels (an FPN without the top-down path; enough for the heads)."""

    def __init__(self, width: int = 16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.Conv2d(8, 16, 3, 2, 1), nn.ReLU())
        chans = [16, 24, 32, 48]
        self.stages = nn.ModuleList([nn.Identity()] + [nn.Sequential(nn.Conv2d(chans[i - 1], chans[i], 3, 2, 1),
                                                                     nn.ReLU()) for i in range(1, 4)])
        self.lateral = nn.ModuleList([nn.Conv2d(c, width, 1) for c in chans])

    def forward(self, image):
        x = self.stem(image)
        feats = []
        for stage, lateral in zip(self.stages, self.lateral):
            x = stage(x)
            feats.append(lateral(x))
        return feats  # P2 (64x64), P3, P4, P5 (8x8)


class BoxHead(nn.Module):
    def __init__(self, in_features: int):
        super().__init__()
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(in_features, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.cls = nn.Linear(64, CLASSES)
        self.box = nn.Linear(64, 4 * CLASSES)

    def forward(self, pooled):
        h = self.fc(pooled)
        return self.cls(h), self.box(h)


class FasterRCNNFPN(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.pooler = rt.MultiScaleRoIAlign(["p2", "p3", "p4", "p5"], 7, 2)
        self.head = BoxHead(16 * 7 * 7)

    def forward(self, image, proposals):
        p = dict(zip(["p2", "p3", "p4", "p5"], self.backbone(image)))
        # torchvision's pooler interface: boxes per image, image sizes (one image here).
        pooled = self.pooler(p, [proposals[:, 1:]], [(IMAGE, IMAGE)])
        return self.head(pooled)


class MaskHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.convs = nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, 1, 1), nn.ReLU())
        self.up = nn.ConvTranspose2d(16, 16, 2, 2)
        self.logits = nn.Conv2d(16, CLASSES, 1)

    def forward(self, image, proposals):
        p2 = self.backbone(image)[0]
        pooled = rt.roi_align(p2, proposals, output_height=14, output_width=14, spatial_scale=1 / 4,
                              sampling_ratio=2, aligned=1)
        return self.logits(torch.relu(self.up(self.convs(pooled))))


class RFCNHead(nn.Module):
    def __init__(self, k: int = 7):
        super().__init__()
        self.k = k
        self.backbone = Backbone()
        self.scores = nn.Conv2d(16, k * k * CLASSES, 1)

    def forward(self, image, proposals):
        p4 = self.backbone(image)[2]
        pooled = rt.ps_roi_pool(self.scores(p4), proposals, output_height=self.k, output_width=self.k,
                                spatial_scale=1 / 16)
        return pooled.mean(dim=(2, 3))  # vote: [K, classes]


class RotatedHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.head = BoxHead(16 * 7 * 7)

    def forward(self, image, proposals):
        p3 = self.backbone(image)[1]
        pooled = rt.roi_align_rotated(p3, proposals, output_height=7, output_width=7, spatial_scale=1 / 8,
                                      sampling_ratio=2)
        return self.head(pooled)


def proposals(kind: str, count: int = 32, seed: int = 0) -> torch.Tensor:
    """Fixed proposals for the example inputs: [K,5] boxes, or [K,6] rotated boxes."""
    g = torch.Generator().manual_seed(seed)
    wh = torch.exp(torch.empty(count, 2).uniform_(2.5, 5.3, generator=g))  # 12 to 200 px
    xy = torch.rand(count, 2, generator=g) * (IMAGE - wh)
    index = torch.zeros(count, 1)
    if kind == "rotated":
        angle = torch.empty(count, 1).uniform_(-90, 90, generator=g)
        return torch.cat([index, xy + wh / 2, wh, angle], 1)
    return torch.cat([index, xy, xy + wh], 1)


MODELS = {
    "faster_rcnn_fpn": (FasterRCNNFPN, "boxes", ["class_logits", "box_deltas"]),
    "mask_rcnn_mask_head": (MaskHead, "boxes", ["mask_logits"]),
    "rfcn_head": (RFCNHead, "boxes", ["class_scores"]),
    "rotated_head": (RotatedHead, "rotated", ["class_logits", "box_deltas"]),
}


def build(name: str, seed: int = 2026) -> nn.Module:
    """The model `name` with its fixed weights (the same on every call)."""
    torch.manual_seed(seed)
    return MODELS[name][0]().eval()


def example_inputs(name: str, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(1, 3, IMAGE, IMAGE, generator=g), proposals(MODELS[name][1])
