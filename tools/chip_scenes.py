#!/usr/bin/python3
"""Turns chip shards (docs/chips.md) into GeoTIFF mosaics for `geosr eval` and a PNG preview.

usage: chip_scenes.py OUT_DIR NAME=SHARD [NAME=SHARD ...] [--columns N] [--scale S] [--preview K]

Every shard must hold the same number of equally sized chips (e.g. HR chips and the SR / bicubic
results of geosr-sample-chips). Chips are laid out row by row, `--columns` per row, into
OUT_DIR/NAME.tif (uint8 shards only). The preview OUT_DIR/preview.png shows the first K chips as
rows of LR (nearest-upsampled area mean of the first shard, by --scale) followed by every shard.
"""
import argparse
import struct
import sys

import numpy as np
from osgeo import gdal


def read_shard(path):
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:8] != b"GEOSRCHP":
            sys.exit(f"{path}: not a chip shard")
        _, dtype, c, h, w, _ = struct.unpack("<IIIIII", header[8:32])
        (n,) = struct.unpack("<Q", header[32:40])
        np_type = {1: np.uint8, 2: np.uint16, 3: np.float32}[dtype]
        return np.frombuffer(f.read(), dtype=np_type).reshape(n, c, h, w)


def mosaic(chips, columns):
    n, c, h, w = chips.shape
    rows = (n + columns - 1) // columns
    out = np.zeros((c, rows * h, columns * w), chips.dtype)
    for i in range(n):
        r, q = divmod(i, columns)
        out[:, r * h:(r + 1) * h, q * w:(q + 1) * w] = chips[i]
    return out


def write(path, array, driver="GTiff"):
    c, h, w = array.shape
    mem = gdal.GetDriverByName("MEM").Create("", w, h, c, gdal.GDT_Byte)
    for b in range(c):
        mem.GetRasterBand(b + 1).WriteArray(array[b])
    gdal.GetDriverByName(driver).CreateCopy(path, mem)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("shards", nargs="+")
    parser.add_argument("--columns", type=int, default=4)
    parser.add_argument("--scale", type=int, default=5)
    parser.add_argument("--preview", type=int, default=4)
    args = parser.parse_args()
    named = [s.split("=", 1) for s in args.shards]
    data = {name: read_shard(path) for name, path in named}
    first = data[named[0][0]]
    for name, chips in data.items():
        if chips.shape != first.shape:
            sys.exit(f"{name}: shape {chips.shape} differs from {first.shape}")
        write(f"{args.out_dir}/{name}.tif", mosaic(chips, args.columns))
    k, s = min(args.preview, len(first)), args.scale
    n, c, h, w = first.shape
    lh, lw = h // s, w // s
    lr = first[:k, :, :lh * s, :lw * s].astype(np.float64).reshape(k, c, lh, s, lw, s).mean(axis=(3, 5))
    lr = np.repeat(np.repeat(np.round(lr).astype(np.uint8), s, axis=2), s, axis=3)
    lr_full = np.zeros((k, c, h, w), np.uint8)
    lr_full[:, :, :lh * s, :lw * s] = lr
    gap = 4
    columns = [lr_full] + [data[name][:k] for name, _ in named]
    canvas = np.full((c, k * (h + gap), len(columns) * (w + gap)), 255, np.uint8)
    for i in range(k):
        for j, col in enumerate(columns):
            canvas[:, i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = col[i]
    write(f"{args.out_dir}/preview.png", canvas, "PNG")
    print("columns: LR (nearest) | " + " | ".join(name for name, _ in named))


if __name__ == "__main__":
    main()
