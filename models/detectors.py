"""Small two-stage detector heads with fixed random weights (seeded, no downloads), built on the
roi_ops PyTorch ops, so that the export holds roi_ops nodes:

- `faster_rcnn_fpn`: an FPN backbone (P2-P5, strides 4-32) and a box head behind
  MultiScaleRoIAlign (7x7, torchvision's defaults);
- `mask_rcnn_mask_head`: the same backbone's P2 through RoIAlign 14x14 (aligned) into a
  mask head (28x28 logits);
- `rfcn_head`: position-sensitive score maps through PSRoIPool 7x7, voted per class;
- `rotated_head`: rotated boxes through RoIAlignRotated 7x7 into a box head;
- `faster_rcnn_detector`: `faster_rcnn_fpn` (the same weights) on a fixed grid of 1008 anchor
  proposals, with the box decoding and class scores of a detector: image in, boxes
  (cx, cy, w, h) and per-class scores out. The demo wraps it in pre- and post-processing.

Inputs are an image [1,3,256,256] and proposals [K,5] (batch index, x1, y1, x2, y2; rotated:
batch index, cx, cy, w, h, angle); the detector takes the image only.
"""
from __future__ import annotations

import math

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


def anchors(sizes=(32, 64, 128), ratios=(0.5, 1.0, 2.0)) -> torch.Tensor:
    """[K,4] (x1, y1, x2, y2) anchors of each size and aspect ratio (h/w) every size/2 pixels,
    clipped to the image: 768 + 192 + 48 = 1008 proposals, about the 1000 that torchvision's
    Faster R-CNN keeps per image at test time."""
    out = []
    for size in sizes:
        stride = size // 2
        centers = torch.arange(stride / 2, IMAGE, stride)
        cy, cx = torch.meshgrid(centers, centers, indexing="ij")
        for r in ratios:
            h, w = size * r ** 0.5, size / r ** 0.5
            out.append(torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1).reshape(-1, 4))
    return torch.cat(out).clamp(0, IMAGE)


class FasterRCNNDetector(nn.Module):
    """Box head on anchor proposals plus torchvision's box decoding (weights 10, 10, 5, 5): for
    each proposal, the best foreground class's refined box as (cx, cy, w, h) and the softmax
    scores of the foreground classes. A detector's last step, NMS, is left to post-processing."""

    def __init__(self):
        super().__init__()
        self.rcnn = FasterRCNNFPN()
        a = anchors()
        self.register_buffer("proposals", torch.cat([torch.zeros(len(a), 1), a], 1))

    def forward(self, image):
        logits, deltas = self.rcnn(image, self.proposals)
        scores = torch.softmax(logits, -1)[:, 1:]
        best = scores.argmax(-1) + 1
        d = deltas.reshape(len(deltas), CLASSES, 4)[torch.arange(len(deltas)), best]
        d = d / torch.tensor([10.0, 10.0, 5.0, 5.0])
        a = self.proposals[:, 1:]
        wh = a[:, 2:] - a[:, :2]
        center = a[:, :2] + 0.5 * wh + d[:, :2] * wh
        size = wh * torch.exp(d[:, 2:].clamp(max=math.log(1000 / 16)))
        return torch.cat([center, size], 1), scores


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
    "faster_rcnn_detector": (FasterRCNNDetector, None, ["pred_boxes", "pred_scores"]),
}


def build(name: str, seed: int = 2026) -> nn.Module:
    """The model `name` with its fixed weights (the same on every call)."""
    torch.manual_seed(seed)
    return MODELS[name][0]().eval()


def example_inputs(name: str, seed: int = 1) -> tuple:
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(1, 3, IMAGE, IMAGE, generator=g)
    kind = MODELS[name][1]
    return (image,) if kind is None else (image, proposals(kind))


def input_names(name: str) -> list:
    return ["image"] if MODELS[name][1] is None else ["image", "proposals"]
