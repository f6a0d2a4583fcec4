"""Small PyTorch modules that follow other projects' pooler source line by line (each cites its
file), exported the way those projects export them, so the converter's fusion is tested on the
graphs their exporters write. detectron2 and mmdetection/mmdeploy are not installable here;
torchvision is (roi_ops.torch.torchvision_ops)."""
