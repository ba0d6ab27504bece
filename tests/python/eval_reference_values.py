#!/usr/bin/python3
"""Reference values for tests/eval, computed independently of geosr with NumPy/SciPy/GDAL.

Run from the repository root:  /usr/bin/python3 tests/python/eval_reference_values.py
It rewrites tests/python/eval_reference_values.json, which the C++ tests read.

- SSIM as Wang et al. / scikit-image (gaussian_weights=True, sigma=1.5, truncate=3.5 -> 11x11,
  use_sample_covariance=False, K1=0.01, K2=0.03, data_range=255, mean over the map cropped by 5),
  RMSE and PSNR, per band, on two real NAIP tiles of the same extent (2018 vs 2020).
- FID of two Gaussians from their moments (closed form with scipy.linalg.sqrtm), and FID of two
  fixed feature sets as clean-fid computes it (np.cov, scipy.linalg.sqrtm).
- KID on fixed features with subsets of the full set size, where the unbiased MMD no longer
  depends on the random subsets, so the value is exact.
"""
import json
import os

import numpy as np
import scipy.linalg
from osgeo import gdal
from scipy.ndimage import gaussian_filter

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data", "naip-trees", "images")


def read(name):
    ds = gdal.Open(os.path.join(DATA, name))
    return ds.ReadAsArray().astype(np.float64)  # (bands, H, W)


def ssim_band(x, y, data_range=255.0):
    f = lambda a: gaussian_filter(a, sigma=1.5, truncate=3.5, mode="reflect")
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    ux, uy = f(x), f(y)
    vx, vy, vxy = f(x * x) - ux * ux, f(y * y) - uy * uy, f(x * y) - ux * uy
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return float(s[5:-5, 5:-5].mean())


def fidelity(ref_name, cand_name):
    ref, cand = read(ref_name), read(cand_name)
    mse = ((ref - cand) ** 2).mean(axis=(1, 2))
    rmse_all = float(np.sqrt(((ref - cand) ** 2).mean()))
    ssim = [ssim_band(r, c) for r, c in zip(ref, cand)]
    return {
        "reference": ref_name, "candidate": cand_name,
        "rmse": [float(v) for v in np.sqrt(mse)], "rmse_overall": rmse_all,
        "psnr": [float(20 * np.log10(255.0 / np.sqrt(m))) for m in mse],
        "psnr_overall": float(20 * np.log10(255.0 / rmse_all)),
        "ssim": ssim, "ssim_overall": float(np.mean(ssim)),
    }


def fid_moments(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def kid_full(x, y):
    # clean-fid's kernel_distance with one subset holding every row.
    n, m = x.shape[1], x.shape[0]
    a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
    b = (x @ y.T / n + 1) ** 3
    return float(((a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m) / m)


def main():
    rng = np.random.default_rng(20240607)
    d = 6
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    q1, q2 = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    s1, s2 = q1 @ q1.T + 0.1 * np.eye(d), q2 @ q2.T + 0.1 * np.eye(d)

    fa = rng.normal(size=(120, 6)) @ rng.normal(size=(6, 6))
    fb = rng.normal(loc=0.3, size=(100, 6)) @ rng.normal(size=(6, 6))
    ka = rng.normal(size=(40, 10))
    kb = rng.normal(loc=0.2, scale=1.1, size=(40, 10))

    out = {
        "fidelity": [fidelity("chico_2018_0.tif", "chico_2020_0.tif"),
                     fidelity("claremont_2018_10.tif", "claremont_2020_10.tif")],
        "fid_gaussians": {"mu1": mu1.tolist(), "cov1": s1.tolist(), "mu2": mu2.tolist(), "cov2": s2.tolist(),
                          "fid": fid_moments(mu1, s1, mu2, s2)},
        "fid_features": {"a": fa.tolist(), "b": fb.tolist(),
                         "fid": fid_moments(fa.mean(0), np.cov(fa, rowvar=False),
                                            fb.mean(0), np.cov(fb, rowvar=False))},
        "kid_features": {"a": ka.tolist(), "b": kb.tolist(), "kid": kid_full(ka, kb)},
    }
    with open(os.path.join(HERE, "eval_reference_values.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
