#!/usr/bin/env python3
"""A faithful PyTorch re-implementation of the SR3 reference U-Net (Janspiry,
model/sr3_modules/unet.py, as reused by InfScene-SR): same modules, same attribute names, same
forward. It writes fake official checkpoints of a small random network and a reference forward
pass, for the C++ compatibility test.

Usage: sr3_reference_unet.py OUT_DIR
Writes OUT_DIR/sr3_gen.pth (keys 'denoise_fn.*' plus schedule buffers),
       OUT_DIR/infscene.ckpt (Lightning: state_dict with 'unet.*' keys),
       OUT_DIR/forward.safetensors (x, noise_level, out).
"""

import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from convert_checkpoint import write_safetensors  # noqa: E402

# The small network under test: 3 levels, 2 res blocks each, attention at 16x16 (level 1) and in mid.
CONFIG = dict(in_channel=6, out_channel=3, inner_channel=16, norm_groups=8, channel_mults=(1, 2, 4),
              attn_res=(16,), res_blocks=2, dropout=0.1, image_size=32)


class PositionalEncoding(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, noise_level):
        count = self.dim // 2
        step = torch.arange(count, dtype=noise_level.dtype, device=noise_level.device) / count
        encoding = noise_level.unsqueeze(1) * torch.exp(-math.log(1e4) * step.unsqueeze(0))
        return torch.cat([torch.sin(encoding), torch.cos(encoding)], dim=-1)


class FeatureWiseAffine(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.noise_func = nn.Sequential(nn.Linear(in_channels, out_channels))

    def forward(self, x, noise_embed):
        return x + self.noise_func(noise_embed).view(x.shape[0], -1, 1, 1)


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class Upsample(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)

    def forward(self, x):
        return self.conv(self.up(x))


class Downsample(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, 2, 1)

    def forward(self, x):
        return self.conv(x)


class Block(nn.Module):
    def __init__(self, dim, dim_out, groups, dropout=0):
        super().__init__()
        self.block = nn.Sequential(nn.GroupNorm(groups, dim), Swish(),
                                   nn.Dropout(dropout) if dropout != 0 else nn.Identity(),
                                   nn.Conv2d(dim, dim_out, 3, padding=1))

    def forward(self, x):
        return self.block(x)


class ResnetBlock(nn.Module):
    def __init__(self, dim, dim_out, emb_dim, dropout, norm_groups):
        super().__init__()
        self.noise_func = FeatureWiseAffine(emb_dim, dim_out)
        self.block1 = Block(dim, dim_out, groups=norm_groups)
        self.block2 = Block(dim_out, dim_out, groups=norm_groups, dropout=dropout)
        self.res_conv = nn.Conv2d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

    def forward(self, x, emb):
        h = self.block1(x)
        h = self.noise_func(h, emb)
        h = self.block2(h)
        return h + self.res_conv(x)


class SelfAttention(nn.Module):
    def __init__(self, in_channel, norm_groups, n_head=1):
        super().__init__()
        self.n_head = n_head
        self.norm = nn.GroupNorm(norm_groups, in_channel)
        self.qkv = nn.Conv2d(in_channel, in_channel * 3, 1, bias=False)
        self.out = nn.Conv2d(in_channel, in_channel, 1)

    def forward(self, input):
        batch, channel, height, width = input.shape
        n_head = self.n_head
        head_dim = channel // n_head
        qkv = self.qkv(self.norm(input)).view(batch, n_head, head_dim * 3, height, width)
        query, key, value = qkv.chunk(3, dim=2)
        attn = torch.einsum("bnchw, bncyx -> bnhwyx", query, key).contiguous() / math.sqrt(channel)
        attn = torch.softmax(attn.view(batch, n_head, height, width, -1), -1)
        attn = attn.view(batch, n_head, height, width, height, width)
        out = torch.einsum("bnhwyx, bncyx -> bnchw", attn, value).contiguous()
        return self.out(out.view(batch, channel, height, width)) + input


class ResnetBlocWithAttn(nn.Module):
    def __init__(self, dim, dim_out, *, emb_dim, norm_groups, dropout, with_attn):
        super().__init__()
        self.with_attn = with_attn
        self.res_block = ResnetBlock(dim, dim_out, emb_dim, dropout, norm_groups)
        if with_attn:
            self.attn = SelfAttention(dim_out, norm_groups=norm_groups)

    def forward(self, x, emb):
        x = self.res_block(x, emb)
        return self.attn(x) if self.with_attn else x


class UNet(nn.Module):
    def __init__(self, in_channel, out_channel, inner_channel, norm_groups, channel_mults, attn_res,
                 res_blocks, dropout, image_size):
        super().__init__()
        self.noise_level_mlp = nn.Sequential(PositionalEncoding(inner_channel),
                                             nn.Linear(inner_channel, inner_channel * 4), Swish(),
                                             nn.Linear(inner_channel * 4, inner_channel))
        kw = dict(emb_dim=inner_channel, norm_groups=norm_groups, dropout=dropout)
        num_mults = len(channel_mults)
        pre_channel = inner_channel
        feat_channels = [pre_channel]
        now_res = image_size
        downs = [nn.Conv2d(in_channel, inner_channel, kernel_size=3, padding=1)]
        for ind in range(num_mults):
            is_last = ind == num_mults - 1
            use_attn = now_res in attn_res
            channel_mult = inner_channel * channel_mults[ind]
            for _ in range(res_blocks):
                downs.append(ResnetBlocWithAttn(pre_channel, channel_mult, with_attn=use_attn, **kw))
                feat_channels.append(channel_mult)
                pre_channel = channel_mult
            if not is_last:
                downs.append(Downsample(pre_channel))
                feat_channels.append(pre_channel)
                now_res = now_res // 2
        self.downs = nn.ModuleList(downs)
        self.mid = nn.ModuleList([ResnetBlocWithAttn(pre_channel, pre_channel, with_attn=True, **kw),
                                  ResnetBlocWithAttn(pre_channel, pre_channel, with_attn=False, **kw)])
        ups = []
        for ind in reversed(range(num_mults)):
            is_last = ind < 1
            use_attn = now_res in attn_res
            channel_mult = inner_channel * channel_mults[ind]
            for _ in range(res_blocks + 1):
                ups.append(ResnetBlocWithAttn(pre_channel + feat_channels.pop(), channel_mult,
                                              with_attn=use_attn, **kw))
                pre_channel = channel_mult
            if not is_last:
                ups.append(Upsample(pre_channel))
                now_res = now_res * 2
        self.ups = nn.ModuleList(ups)
        self.final_conv = Block(pre_channel, out_channel, groups=norm_groups)

    def forward(self, x, time):
        t = self.noise_level_mlp(time)
        feats = []
        for layer in self.downs:
            x = layer(x, t) if isinstance(layer, ResnetBlocWithAttn) else layer(x)
            feats.append(x)
        for layer in self.mid:
            x = layer(x, t)
        for layer in self.ups:
            if isinstance(layer, ResnetBlocWithAttn):
                x = layer(torch.cat((x, feats.pop()), dim=1), t)
            else:
                x = layer(x)
        return self.final_conv(x)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(1234)
    net = UNet(**CONFIG)
    # Default init leaves GroupNorm at (1, 0); random affine parameters make the test see them.
    with torch.no_grad():
        for name, p in net.named_parameters():
            if "norm" in name or ".block.0." in name:
                p.add_(0.1 * torch.randn_like(p))
    net.eval()

    x = torch.randn(2, 6, 32, 48)
    noise_level = torch.tensor([0.35, 0.92])
    with torch.no_grad():
        out = net(x, noise_level)

    state = net.state_dict()
    betas = torch.linspace(1e-6, 1e-2, 2000, dtype=torch.float64)
    schedule = {"betas": betas.float(), "alphas_cumprod": torch.cumprod(1 - betas, 0).float()}
    gen = {"denoise_fn." + k: v for k, v in state.items()}
    gen.update(schedule)
    torch.save(gen, os.path.join(out_dir, "sr3_gen.pth"))
    ckpt = {"epoch": 3, "global_step": 1200, "pytorch-lightning_version": "2.1.0",
            "state_dict": {"unet." + k: v for k, v in state.items()}}
    torch.save(ckpt, os.path.join(out_dir, "infscene.ckpt"))
    write_safetensors(os.path.join(out_dir, "forward.safetensors"),
                      {"x": x, "noise_level": noise_level, "out": out})
    print(f"reference U-Net: {sum(p.numel() for p in net.parameters())} parameters, output {tuple(out.shape)}")


if __name__ == "__main__":
    main()
