#!/usr/bin/env python3
"""Convert official SR3 / InfScene-SR checkpoints to geosr model files (safetensors).

Inputs:
  * SR3 reference (Janspiry) generator weights ``*_gen.pth``: a state dict whose network keys
    start with ``denoise_fn.``, next to schedule buffers (betas, alphas_cumprod, ...);
  * InfScene-SR Lightning ``.ckpt``: ``{"state_dict": {"unet.<key>": ...}, ...}``;
  * a bare U-Net state dict.
The U-Net configuration is inferred from the weight shapes. GroupNorm groups, the image size that
places attention, and dropout leave no trace in the weights: give them with flags or a preset.

Only PyTorch is needed (Debian's python3-torch); the safetensors file is written directly.
"""

import argparse
import json
import re
import struct
import sys

import torch

PRESETS = {
    "paper": dict(inner_channels=64, channel_mults=[1, 2, 4, 8, 16], res_blocks=1, norm_groups=16,
                  attn_res=[], dropout=0.0, image_size=512),
    "small": dict(inner_channels=32, channel_mults=[1, 2, 4, 8], res_blocks=1, norm_groups=8,
                  attn_res=[], dropout=0.0, image_size=128),
    "tiny": dict(inner_channels=16, channel_mults=[1, 2, 2, 4], res_blocks=1, norm_groups=8,
                 attn_res=[], dropout=0.0, image_size=64),
}

DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
          torch.bool: "BOOL"}


def write_safetensors(path, tensors, metadata=None):
    """8-byte little-endian header length, JSON header, then the raw little-endian tensor bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()  # numpy has no bfloat16
        else:
            raw = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # keeps tensors 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def extract_unet_state(checkpoint, prefix=None):
    """Returns (unet state dict with reference key names, description of the source, dropped keys)."""
    if prefix is not None:  # e.g. EMA weights stored beside the live ones
        state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
        if not isinstance(state, dict):
            raise ValueError("not a checkpoint dictionary")
        source = f"checkpoint (prefix '{prefix}')"
    elif isinstance(checkpoint, dict) and isinstance(checkpoint.get("state_dict"), dict):
        state, prefix, source = checkpoint["state_dict"], "unet.", "InfScene-SR Lightning checkpoint"
    elif isinstance(checkpoint, dict) and any(k.startswith("denoise_fn.") for k in checkpoint):
        state, prefix, source = checkpoint, "denoise_fn.", "SR3 reference generator"
    elif isinstance(checkpoint, dict) and "downs.0.weight" in checkpoint:
        state, prefix, source = checkpoint, "", "bare U-Net state dict"
    else:
        raise ValueError("not an SR3 / InfScene-SR checkpoint (no 'state_dict', 'denoise_fn.' or 'downs.0.weight')")
    unet = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix) and torch.is_tensor(v)}
    dropped = sorted(k for k in state if not k.startswith(prefix))
    if "downs.0.weight" not in unet:
        raise ValueError(f"no U-Net weights under the '{prefix}' prefix")
    return unet, source, dropped


def infer_structure(state):
    """Channels, multipliers, res blocks per level and attention levels, from the shapes alone."""
    inner, in_channels = state["downs.0.weight"].shape[:2]
    out_channels = state["final_conv.block.3.weight"].shape[0]
    levels = [[]]  # per level: list of (out channels, has attention) of its res blocks
    i = 1
    while True:
        if f"downs.{i}.conv.weight" in state:
            levels.append([])
        elif f"downs.{i}.res_block.block1.block.3.weight" in state:
            width = state[f"downs.{i}.res_block.block1.block.3.weight"].shape[0]
            levels[-1].append((width, f"downs.{i}.attn.qkv.weight" in state))
        else:
            break
        i += 1
    res_blocks = len(levels[0])
    if res_blocks == 0 or any(len(level) != res_blocks for level in levels):
        raise ValueError("irregular U-Net: levels hold different numbers of residual blocks")
    mults = []
    for level in levels:
        if level[0][0] % inner:
            raise ValueError("block width is not a multiple of the base width")
        mults.append(level[0][0] // inner)
    attn_levels = [n for n, level in enumerate(levels) if level[0][1]]
    return dict(in_channels=int(in_channels), out_channels=int(out_channels), inner_channels=int(inner),
                channel_mults=mults, res_blocks=res_blocks), attn_levels


def build_config(state, args):
    structure, attn_levels = infer_structure(state)
    config = dict(PRESETS[args.preset]) if args.preset else dict(norm_groups=32, dropout=0.0, image_size=512)
    config.update(structure)
    for flag in ("inner_channels", "res_blocks", "norm_groups", "image_size", "dropout"):
        if getattr(args, flag) is not None:
            config[flag] = getattr(args, flag)
    if args.channel_mults is not None:
        config["channel_mults"] = args.channel_mults
    if args.attn_res is not None:
        config["attn_res"] = args.attn_res
    else:
        config["attn_res"] = [config["image_size"] >> level for level in attn_levels]
    if config["inner_channels"] != structure["inner_channels"] or config["channel_mults"] != structure["channel_mults"] \
            or config["res_blocks"] != structure["res_blocks"]:
        raise ValueError(f"flags disagree with the weights, which say {structure}")
    expected = [config["image_size"] >> level for level in attn_levels]
    if sorted(config["attn_res"]) != sorted(expected):
        raise ValueError(f"--attn-res {config['attn_res']} disagrees with the weights (attention at {expected} "
                         f"for image size {config['image_size']})")
    for name, t in state.items():
        is_norm = name.endswith("block.0.weight") or name.endswith("attn.norm.weight")
        if is_norm and t.shape[0] % config["norm_groups"]:
            raise ValueError(f"{config['norm_groups']} GroupNorm groups do not divide {t.shape[0]} channels ({name})")
    order = ["in_channels", "out_channels", "inner_channels", "channel_mults", "attn_res", "res_blocks",
             "norm_groups", "dropout", "image_size"]
    return {k: config[k] for k in order}


def parse_int_list(text):
    return [int(v) for v in re.split(r"[,\s]+", text.strip("[]() ")) if v]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="*_gen.pth, Lightning .ckpt or a U-Net state dict")
    p.add_argument("output", help="geosr model file to write (.safetensors)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="start from a geosr preset")
    p.add_argument("--inner-channels", type=int)
    p.add_argument("--channel-mults", type=parse_int_list, help="e.g. 1,2,4,8,16")
    p.add_argument("--res-blocks", type=int)
    p.add_argument("--norm-groups", type=int, help="GroupNorm groups (not in the weights; default 32, "
                                                   "the reference's; the InfScene-SR paper model uses 16)")
    p.add_argument("--attn-res", type=parse_int_list, help="feature resolutions with attention, e.g. 16")
    p.add_argument("--image-size", type=int, help="training window size that places attention (default 512)")
    p.add_argument("--dropout", type=float)
    p.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--prefix", help="take the U-Net weights under this key prefix instead of the usual "
                                    "'denoise_fn.' / 'unet.' (e.g. for EMA copies)")
    args = p.parse_args(argv)

    try:
        checkpoint = torch.load(args.checkpoint, map_location="cpu")
        state, source, dropped = extract_unet_state(checkpoint, args.prefix)
        config = build_config(state, args)
    except Exception as e:  # one line for the user, whatever went wrong
        print(f"convert_checkpoint: {args.checkpoint}: {e}", file=sys.stderr)
        return 1
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    tensors = {k: v.to(dtype) for k, v in state.items()}
    metadata = {"geosr.unet": json.dumps(config, separators=(",", ":")),
                "geosr.converted_from": source}
    for key in ("epoch", "global_step"):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), int):
            metadata[f"geosr.{key}"] = str(checkpoint[key])
    write_safetensors(args.output, tensors, metadata)
    print(f"{source}: {len(tensors)} tensors, {sum(t.numel() for t in tensors.values())} parameters, "
          f"{len(dropped)} other entries dropped; config {metadata['geosr.unet']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
