"""Batch augmentation on torch tensors ``(B, C, …)`` with the labels transformed alike.

* elastic deformation (Simard 2003): a displacement field of uniform noise smoothed by a
  Gaussian of ``sigma`` × patch size and scaled to ``alpha`` pixels RMS, applied in-plane
  with bilinear interpolation (images) and nearest neighbour (labels);
* sagittal reflection (left–right flip of the X axis);
* in-plane rotations by 90°, 180° or 270°.

Randomness comes from a ``torch.Generator`` so a seeded run is reproducible.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def _gauss1d(sigma: float) -> torch.Tensor:
    r = max(1, int(3 * sigma + 0.5))
    x = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / max(sigma, 1e-3)) ** 2)
    return k / k.sum()


def elastic_2d(x: torch.Tensor, y: torch.Tensor, alpha: float, sigma: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Elastic deformation of ``x`` (B, C, [D,] H, W) and labels ``y`` (B, [D,] H, W), in-plane."""
    b = x.shape[0]
    h, w = x.shape[-2], x.shape[-1]
    noise = (torch.rand((b, 2, h, w), generator=gen) * 2 - 1).to(x.device)  # drawn on the CPU: the same field on any device
    k = _gauss1d(sigma * max(h, w)).to(x.device)
    pad = k.numel() // 2
    noise = F.conv2d(F.pad(noise.reshape(b * 2, 1, h, w), (0, 0, pad, pad), mode="reflect"), k.view(1, 1, -1, 1))
    noise = F.conv2d(F.pad(noise, (pad, pad, 0, 0), mode="reflect"), k.view(1, 1, 1, -1)).reshape(b, 2, h, w)
    rms = noise.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt().clamp(min=1e-8)
    disp = noise / rms * alpha  # pixels
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float32, device=x.device), torch.arange(w, dtype=torch.float32, device=x.device), indexing="ij"
    )
    gx = (xx + disp[:, 0]) / max(w - 1, 1) * 2 - 1
    gy = (yy + disp[:, 1]) / max(h - 1, 1) * 2 - 1
    grid = torch.stack([gx, gy], dim=-1)  # (B, H, W, 2)
    if x.ndim == 5:  # 3D patches: the same in-plane field for every slice
        d = x.shape[2]
        xs = x.permute(0, 2, 1, 3, 4).reshape(b * d, x.shape[1], h, w)
        g = grid.repeat_interleave(d, dim=0)
        xo = F.grid_sample(xs, g, mode="bilinear", padding_mode="border", align_corners=True)
        yo = F.grid_sample(y.reshape(b * d, 1, h, w).float(), g, mode="nearest", padding_mode="border", align_corners=True)
        return xo.reshape(b, d, x.shape[1], h, w).permute(0, 2, 1, 3, 4), yo.reshape(b, d, h, w).to(y.dtype)
    xo = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)
    yo = F.grid_sample(y.unsqueeze(1).float(), grid, mode="nearest", padding_mode="border", align_corners=True)
    return xo, yo.squeeze(1).to(y.dtype)


def flip_rot(x: torch.Tensor, y: torch.Tensor, ops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply per-sample operations: 0 identity, 1 sagittal flip, 2/3/4 rotation by 90/180/270°."""
    xo, yo = x.clone(), y.clone()
    for op in (1, 2, 3, 4):
        sel = ops == op
        if not bool(sel.any()):
            continue
        if op == 1:
            xo[sel] = torch.flip(x[sel], dims=(-1,))
            yo[sel] = torch.flip(y[sel], dims=(-1,))
        else:
            k = op - 1
            xo[sel] = torch.rot90(x[sel], k, dims=(-2, -1))
            yo[sel] = torch.rot90(y[sel], k, dims=(-2, -1))
    return xo, yo


def random_affine_2d(
    x: torch.Tensor,
    y: torch.Tensor,
    gen: torch.Generator,
    rotate_deg: float = 10.0,
    translate: float = 0.1,
    scale: tuple[float, float] = (0.9, 1.1),
    flip: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The PSPNet paper's augmentation, per sample and in random order: rotation ±``rotate_deg``,
    translation ±``translate`` of the size, left–right flip (p = ½), isotropic scaling in ``scale``.

    The four elementary transforms are composed in a random order per sample into one affine
    map, applied in-plane with one ``grid_sample`` for the whole batch (bilinear for images,
    nearest for labels, zeros outside).
    """
    b = x.shape[0]
    ang = (torch.rand(b, generator=gen) * 2 - 1) * rotate_deg * torch.pi / 180
    tr = (torch.rand((b, 2), generator=gen) * 2 - 1) * translate * 2  # normalised coords span 2
    sc = scale[0] + torch.rand(b, generator=gen) * (scale[1] - scale[0])
    fl = (torch.rand(b, generator=gen) < 0.5) if flip else torch.zeros(b, dtype=torch.bool)
    order = torch.argsort(torch.rand((b, 4), generator=gen), dim=1)
    eye = torch.eye(3).expand(b, 3, 3).clone()
    rot, tra, scl, flp = eye.clone(), eye.clone(), eye.clone(), eye.clone()
    rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1] = ang.cos(), -ang.sin(), ang.sin(), ang.cos()
    tra[:, 0, 2], tra[:, 1, 2] = tr[:, 0], tr[:, 1]
    scl[:, 0, 0], scl[:, 1, 1] = 1 / sc, 1 / sc
    flp[:, 0, 0] = torch.where(fl, -1.0, 1.0)
    mats = torch.stack([rot, tra, scl, flp], 1)  # (b, 4, 3, 3)
    m = eye
    for k in range(4):  # 4 matrix products for the whole batch, each sample in its own order
        m = mats[torch.arange(b), order[:, k]] @ m
    theta = m[:, :2].to(x.device)
    shape = x.shape
    h, w = shape[-2], shape[-1]
    xf = x.reshape(b, -1, h, w)
    grid = F.affine_grid(theta.to(x.dtype), [b, xf.shape[1], h, w], align_corners=False)
    xo = F.grid_sample(xf, grid, mode="bilinear", padding_mode="zeros", align_corners=False).reshape(shape)
    yf = y.reshape(b, -1, h, w).to(x.dtype)
    yo = F.grid_sample(yf, grid, mode="nearest", padding_mode="zeros", align_corners=False).reshape(y.shape).to(y.dtype)
    return xo, yo
