#!/usr/bin/python3
"""A small stand-in for clean-fid's Inception TorchScript file, for testing the feature path.

usage: make_test_inception.py OUT.pt OUT_expected.json

Like inception-2015-12-05.pt it has a `layers` submodule that takes (x - 128) / 128 for x on the
0..255 scale and returns (N, D, 1, 1) pooled features. The JSON holds the features PyTorch
computes for the deterministic input geosr's test builds too: 5 windows of 3 x 299 x 299 with
values (arange(5 * 3 * 299 * 299) % 251).
"""
import json
import sys

import torch
from torch import nn


class Layers(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 5, stride=4)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return self.pool(torch.relu(self.conv2(torch.relu(self.conv1(x)))))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = Layers()

    def forward(self, x):
        return self.layers((x - 128) / 128).flatten(1)


def main():
    torch.manual_seed(0)
    net = torch.jit.script(Net().eval())
    net.save(sys.argv[1])
    x = (torch.arange(5 * 3 * 299 * 299) % 251).to(torch.float32).view(5, 3, 299, 299)
    with torch.no_grad():
        features = net(x)
    with open(sys.argv[2], "w") as f:
        json.dump({"features": features.double().tolist()}, f)


if __name__ == "__main__":
    main()
