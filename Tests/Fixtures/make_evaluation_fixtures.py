#!/usr/bin/env python3
"""Reference values for the metrics of `phantom evaluate` (Sources/PhantomEvaluation/Metrics).

Writes three compact JSON files to Tests/Fixtures/evaluation/ (about 40 KB in all):

- frechet.json   Fréchet distance by the standard FID code (pytorch-fid's
                 `calculate_frechet_distance`: `scipy.linalg.sqrtm(Σ₁Σ₂)`, float64), by the
                 factored route of FrechetDistance.swift with `numpy.linalg.eigh` and `svd`
                 (agreeing with sqrtm to 1e-5; sqrtm is only ~1e-8 accurate on singular
                 covariances), checked against a third route (the nuclear norm of the centred
                 data's cross product X₁X₂ᵀ) to 1e-11 and, for the stored sets, against 50
                 digits (mpmath) to 1e-12.
- manifold.json  precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et
                 al. 2020), straight from the papers' definitions with closed balls, checked
                 to equal the `<` comparisons of the reference code (no ties near a radius).
- msssim.json    MS-SSIM by `pytorch_msssim.ms_ssim` (win_size 7, σ 1.5, data range 1,
                 the standard weights truncated to the scales that fit and renormalised, in
                 float64) and by an independent numpy implementation, which must agree.

Small sets are stored in the file (values rounded to 6 decimals; the references are computed
from the rounded values). Large sets and all images are produced by a generator that the Swift
tests re-implement exactly (`ReferenceGenerator` in FrechetDistanceTests.swift): SplitMix64,
uniform doubles (x >> 11)·2⁻⁵³, uniform integers below n as the high word of x·n, and
images as integer (8-bit) arithmetic divided by 255 in float32.

pytorch_msssim asserts a side > (win_size − 1)·16 = 96 for its five default scales; the
assertion is irrelevant with fewer scales, so this script runs under `python -O` (it re-executes
itself with -O when started without; its own checks therefore do not use `assert`). Run with
the venv of Tests/Fixtures/README.md plus scipy and pytorch-msssim (mpmath comes with torch):

    /tmp/phantom-venv/bin/pip install scipy pytorch-msssim
    /tmp/phantom-venv/bin/python Tests/Fixtures/make_evaluation_fixtures.py

Deterministic: running it twice gives identical files.
"""
import json
import os
import sys
from pathlib import Path

if sys.flags.optimize == 0:  # strip pytorch_msssim's image-size assertion (see above)
    os.execv(sys.executable, [sys.executable, "-O", *sys.argv])

import mpmath
import numpy as np
import pytorch_msssim
import scipy
import scipy.linalg
import torch

OUT = Path(__file__).resolve().parent / "evaluation"
MASK = (1 << 64) - 1


def check(condition, details):
    """The script's own consistency checks (`assert` is stripped under -O)."""
    if not condition:
        raise SystemExit(f"check failed: {details}")


class SplitMix64:
    """Steele, Lea & Flood 2014; the same sequence as the Swift tests' ReferenceGenerator."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        """[0, 1) with 53 random bits."""
        return (self.next() >> 11) * 2.0 ** -53

    def signed(self):
        """[-1, 1)."""
        return 2.0 * self.uniform() - 1.0

    def below(self, n):
        return (self.next() * n) >> 64


def generated_features(seed, rows, dimension, rank, noise, shift):
    """Correlated features: x_ij = shift·s_j + Σ_r u_ir·W_rj + noise·e_ij, summed in that order.

    Draw order: W (rank × dimension, row-major), s (dimension), then per row u (rank), e (dimension).
    """
    g = SplitMix64(seed)
    w = np.array([[g.signed() for _ in range(dimension)] for _ in range(rank)])
    s = np.array([g.signed() for _ in range(dimension)])
    u = np.empty((rows, rank))
    e = np.empty((rows, dimension))
    for i in range(rows):
        u[i] = [g.signed() for _ in range(rank)]
        e[i] = [g.signed() for _ in range(dimension)]
    x = np.broadcast_to(shift * s, (rows, dimension)).copy()
    for r in range(rank):
        x = x + u[:, r:r + 1] * w[r:r + 1, :]
    return x + noise * e


def rounded(x):
    return np.round(np.asarray(x, dtype=np.float64), 6)


# ---------------------------------------------------------------- Fréchet distance

def fid_sqrtm(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm of Σ₁Σ₂), returning the
    value and the largest imaginary part sqrtm produced."""
    diff = mu1 - mu2
    # pytorch-fid passes disp=False and drops the error estimate; SciPy 1.17 deprecates disp.
    covmean = scipy.linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    imaginary = 0.0
    if np.iscomplexobj(covmean):
        imaginary = float(np.max(np.abs(covmean.imag)))
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)), imaginary


def root_factor(sigma):
    """B = diag(√σ)Vᵀ over the eigenvalues σ of Σ above d·ε·σ_max (exact zeros that rounding
    moved are dropped, with the threshold of FrechetDistance.swift), so that Σ = BᵀB."""
    values, vectors = np.linalg.eigh(sigma)
    keep = values > len(values) * np.finfo(np.float64).eps * max(values.max(), 0.0)
    return np.sqrt(values[keep])[:, None] * vectors[:, keep].T


def fid_eigh(mu1, sigma1, mu2, sigma2):
    """tr((Σ₁Σ₂)^½) as the nuclear norm of C = B₁B₂ᵀ (the non-zero eigenvalues of A Σ₂ A,
    A = Σ₁^½, are the squared singular values of C): eigh for each covariance's factor, then
    numpy's SVD (the Swift code decomposes Σ₂ in Σ₁'s eigenbasis and takes the eigenvalues of
    a Gram matrix instead)."""
    c = root_factor(sigma1) @ root_factor(sigma2).T
    trace_root = np.linalg.svd(c, compute_uv=False).sum() if c.size else 0.0
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root)


def fid_exact(a, b):
    """The same quantity with 50 significant digits (mpmath), from the float64 data exactly."""
    def statistics(x):
        rows = [[mpmath.mpf(float(v)) for v in row] for row in x]
        n, d = len(rows), len(rows[0])
        mean = [sum(row[j] for row in rows) / n for j in range(d)]
        cov = mpmath.matrix(d, d)
        for i in range(d):
            for j in range(d):
                cov[i, j] = sum((row[i] - mean[i]) * (row[j] - mean[j]) for row in rows) / (n - 1)
        return mean, cov

    with mpmath.workdps(50):
        mu1, s1 = statistics(a)
        mu2, s2 = statistics(b)
        d = len(mu1)
        values, vectors = mpmath.eigsy(s1)
        root = vectors * mpmath.diag([mpmath.sqrt(max(v, 0)) for v in values]) * vectors.T
        product = root * s2 * root
        product = (product + product.T) / 2
        trace_root = sum(mpmath.sqrt(max(v, 0)) for v in mpmath.eigsy(product, eigvals_only=True))
        total = (sum((mu1[j] - mu2[j]) ** 2 for j in range(d)) + sum(s1[j, j] + s2[j, j] for j in range(d))
                 - 2 * trace_root)
        return float(total)


def frechet_case(name, a, b, stored, generators=None):
    mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
    s1, s2 = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    scipy_value, imaginary = fid_sqrtm(mu1, s1, mu2, s2)
    eigh_value = fid_eigh(mu1, s1, mu2, s2)
    difference = abs(scipy_value - eigh_value) / max(abs(eigh_value), 1e-300)
    check(difference < 1e-5, (name, scipy_value, eigh_value))
    # A third route with no matrix square root at all: tr((Σ₁Σ₂)^½) is the nuclear norm of
    # X₁X₂ᵀ/√((n₁−1)(n₂−1)), X the centred data (its squared singular values are the
    # eigenvalues of Σ₂Σ₁ scaled by (n₁−1)(n₂−1)).
    xa, xb = a - mu1, b - mu2
    cross = np.linalg.svd(xa @ xb.T, compute_uv=False).sum() / np.sqrt((len(a) - 1) * (len(b) - 1))
    cross_value = float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * cross)
    check(abs(cross_value - eigh_value) <= 1e-11 * eigh_value, (name, cross_value, eigh_value))
    exact = fid_exact(a, b) if stored else None
    if exact is not None:
        check(abs(exact - eigh_value) <= 1e-12 * exact, (name, exact, eigh_value))
    print(f"  frechet {name}: {a.shape} vs {b.shape}  sqrtm {scipy_value:.12g}  eigh {eigh_value:.12g}  "
          f"rel diff {difference:.1e}  max imag {imaginary:.1e}  50-digit {exact}")
    case = {"name": name, "dimension": a.shape[1], "rows_a": a.shape[0], "rows_b": b.shape[0],
            "fd_scipy_sqrtm": scipy_value, "fd_eigh": eigh_value,
            "mean_term": float((mu1 - mu2) @ (mu1 - mu2)), "trace_a": float(np.trace(s1)),
            "trace_b": float(np.trace(s2))}
    if stored:
        case["fd_exact"] = exact
        case["a"] = [float(v) for v in a.ravel()]
        case["b"] = [float(v) for v in b.ravel()]
    else:
        case["generated"] = generators
    return case


def frechet_cases():
    rng = np.random.default_rng(20240601)
    cases = []
    mix = rng.normal(size=(8, 8))
    a = rounded(rng.normal(size=(40, 8)) @ mix)
    b = rounded(rng.normal(size=(30, 8)) @ (mix + 0.3 * rng.normal(size=(8, 8))) + 0.5)
    cases.append(frechet_case("small_8d", a, b, stored=True))
    # Rank-deficient Σ₁ (12 rows in 16 dimensions), full-rank Σ₂.
    a = rounded(rng.normal(size=(12, 16)) * np.linspace(0.5, 2, 16))
    b = rounded(rng.normal(size=(20, 16)) + 0.2)
    cases.append(frechet_case("rank_deficient_a_16d", a, b, stored=True))
    # Both singular (6 and 9 rows in 10 dimensions).
    a = rounded(rng.uniform(-1, 1, size=(6, 10)))
    b = rounded(rng.uniform(-1, 1, size=(9, 10)) * 1.5 + 0.1)
    cases.append(frechet_case("both_rank_deficient_10d", a, b, stored=True))
    # A one-dimensional case: (μ₁−μ₂)² + (σ₁ − σ₂)².
    a = rounded(rng.normal(size=(25, 1)) * 2 + 1)
    b = rounded(rng.normal(size=(17, 1)) * 0.5)
    cases.append(frechet_case("one_dimension", a, b, stored=True))
    # Large generated sets: the sizes of a real evaluation.
    for name, spec_a, spec_b in [
        ("generated_64d",
         dict(seed=11, rows=600, dimension=64, rank=16, noise=0.1, shift=0.5),
         dict(seed=12, rows=445, dimension=64, rank=16, noise=0.15, shift=0.6)),
        ("generated_256d_rank_deficient",
         dict(seed=21, rows=200, dimension=256, rank=24, noise=0.05, shift=0.3),
         dict(seed=22, rows=300, dimension=256, rank=24, noise=0.05, shift=0.3)),
    ]:
        a, b = generated_features(**spec_a), generated_features(**spec_b)
        cases.append(frechet_case(name, a, b, stored=False, generators=[spec_a, spec_b]))
    return cases


# ---------------------------------------------------------------- precision / recall / density / coverage

def squared_distances(x, y):
    """‖x_i − y_j‖², computed directly, in row chunks."""
    out = np.empty((x.shape[0], y.shape[0]))
    for start in range(0, x.shape[0], 64):
        block = x[start:start + 64, None, :] - y[None, :, :]
        out[start:start + 64] = (block * block).sum(axis=2)
    return out


def kth_radius(squared, k):
    """Squared distance of each row to its k-th nearest *other* point (the diagonal excluded)."""
    masked = squared.copy()
    np.fill_diagonal(masked, np.inf)
    return np.sort(masked, axis=1)[:, k - 1]


def manifold_reference(real, fake, k):
    """The papers' definitions with closed balls B(c, r) = {‖· − c‖ ≤ r}; also the `<` variant
    of the reference code, and the smallest relative gap between a distance and a radius."""
    real_fake = squared_distances(real, fake)                        # [N, M]
    real_radius = kth_radius(squared_distances(real, real), k)       # [N]
    fake_radius = kth_radius(squared_distances(fake, fake), k)       # [M]
    in_real_ball = real_fake <= real_radius[:, None]                 # y_j ∈ B(x_i, r_i)
    in_fake_ball = real_fake <= fake_radius[None, :]                 # x_i ∈ B(y_j, s_j)
    values = {
        "precision": float(in_real_ball.any(axis=0).mean()),
        "recall": float(in_fake_ball.any(axis=1).mean()),
        "density": float(in_real_ball.sum() / (k * fake.shape[0])),
        "coverage": float(in_real_ball.any(axis=1).mean()),
    }
    strict = {
        "precision": float((real_fake < real_radius[:, None]).any(axis=0).mean()),
        "recall": float((real_fake < fake_radius[None, :]).any(axis=1).mean()),
        "density": float((real_fake < real_radius[:, None]).sum() / (k * fake.shape[0])),
        "coverage": float((real_fake.min(axis=1) < real_radius).mean()),
    }
    gap = min(np.min(np.abs(real_fake - real_radius[:, None]) / real_radius[:, None]),
              np.min(np.abs(real_fake - fake_radius[None, :]) / fake_radius[None, :]))
    return values, strict, float(gap)


def manifold_case(name, real, fake, k, stored, generators=None):
    values, strict, gap = manifold_reference(real, fake, k)
    check(values == strict, (name, values, strict))
    check(gap > 1e-9, (name, gap))  # no comparison that rounding could flip
    print(f"  manifold {name}: {real.shape} vs {fake.shape} k={k}  "
          + "  ".join(f"{key} {value:.4f}" for key, value in values.items()) + f"  min gap {gap:.1e}")
    case = {"name": name, "k": k, "dimension": real.shape[1], "rows_real": real.shape[0],
            "rows_synthetic": fake.shape[0], **values}
    if stored:
        case["real"] = [float(v) for v in real.ravel()]
        case["synthetic"] = [float(v) for v in fake.ravel()]
    else:
        case["generated"] = generators
    return case


def generated_points(seed, rows, dimension, scale, offset):
    """x_ij = offset + scale·(2u − 1), uniforms drawn row after row."""
    g = SplitMix64(seed)
    return np.array([[offset + scale * g.signed() for _ in range(dimension)] for _ in range(rows)])


def manifold_cases():
    rng = np.random.default_rng(7)
    cases = []
    real = rounded(rng.normal(size=(50, 2)))
    fake = rounded(rng.normal(size=(40, 2)) * 1.3 + 0.4)
    cases.append(manifold_case("gaussians_2d", real, fake, 3, stored=True))
    real = rounded(rng.normal(size=(60, 8)))
    fake = rounded(rng.normal(size=(45, 8)) + 0.3)
    cases.append(manifold_case("shifted_8d_k5", real, fake, 5, stored=True))
    # A narrow synthetic set inside a wide real one: high precision, low recall.
    real = rounded(rng.normal(size=(30, 16)))
    fake = rounded(rng.normal(size=(50, 16)) * 0.4)
    cases.append(manifold_case("narrow_synthetic_16d", real, fake, 3, stored=True))
    spec_real = dict(seed=31, rows=600, dimension=64, scale=1.0, offset=0.0)
    spec_fake = dict(seed=32, rows=445, dimension=64, scale=0.9, offset=0.05)
    cases.append(manifold_case("generated_64d", generated_points(**spec_real), generated_points(**spec_fake), 3,
                               stored=False, generators=[spec_real, spec_fake]))
    return cases


# ---------------------------------------------------------------- MS-SSIM

STANDARD_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]


def scale_weights(side):
    count, current = 0, side
    while count < 5 and current >= 7:
        count += 1
        current //= 2
    used = STANDARD_WEIGHTS[:count]
    return [w / sum(used) for w in used]


def gaussian_window():
    offsets = np.arange(7, dtype=np.float64) - 3
    g = np.exp(-offsets ** 2 / (2 * 1.5 ** 2))
    return g / g.sum()


def image_pattern(seed, side):
    """Integer pixels 0…255: bilinear interpolation (integer arithmetic, cell 8 px) of a grid of
    random bytes, drawn row after row from SplitMix64(seed) as next() >> 56."""
    g = SplitMix64(seed)
    cells = side // 8 + 2
    grid = [[g.next() >> 56 for _ in range(cells)] for _ in range(cells)]
    image = np.empty((side, side), dtype=np.int64)
    for i in range(side):
        ci, fi = divmod(i, 8)
        for j in range(side):
            cj, fj = divmod(j, 8)
            image[i, j] = ((8 - fi) * (8 - fj) * grid[ci][cj] + fi * (8 - fj) * grid[ci + 1][cj]
                           + (8 - fi) * fj * grid[ci][cj + 1] + fi * fj * grid[ci + 1][cj + 1]) // 64
    return image


def image_noised(image, seed, amplitude):
    """image + n clamped to 0…255, n uniform in −amplitude…amplitude (below(2a + 1) − a), row after row."""
    g = SplitMix64(seed)
    out = image.copy()
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            out[i, j] = min(255, max(0, image[i, j] + g.below(2 * amplitude + 1) - amplitude))
    return out


def make_image(recipe):
    """{"pattern": seed} or {"pattern": seed, "noise": seed2, "amplitude": a} or {"pattern": seed, "invert": true}."""
    image = image_pattern(recipe["pattern"], recipe["side"])
    if "noise" in recipe:
        image = image_noised(image, recipe["noise"], recipe["amplitude"])
    if recipe.get("invert"):
        image = 255 - image
    return (image.astype(np.float32) / np.float32(255)).astype(np.float32)


def ms_ssim_numpy(x, y):
    """Independent float64 implementation of the definition in MSSSIM.swift (valid convolution,
    2×2 average pooling that drops an odd last row/column, relu on every term)."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    g = gaussian_window()
    weights = scale_weights(x.shape[0])
    c1, c2 = 0.01 ** 2, 0.03 ** 2

    def blur(image):
        rows = np.stack([np.convolve(row, g[::-1], mode="valid") for row in image])
        return np.stack([np.convolve(col, g[::-1], mode="valid") for col in rows.T]).T

    result = 1.0
    for scale, weight in enumerate(weights):
        mx, my = blur(x), blur(y)
        vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
        cs = (2 * cxy + c2) / (vx + vy + c2)
        if scale == len(weights) - 1:
            term = (((2 * mx * my + c1) / (mx * mx + my * my + c1)) * cs).mean()
        else:
            term = cs.mean()
            half = x.shape[0] // 2
            x = x[:2 * half, :2 * half].reshape(half, 2, half, 2).mean(axis=(1, 3))
            y = y[:2 * half, :2 * half].reshape(half, 2, half, 2).mean(axis=(1, 3))
        result *= max(term, 0.0) ** weight
    return result


def ms_ssim_torch(x, y):
    weights = scale_weights(x.shape[0])
    window = torch.from_numpy(gaussian_window()).reshape(1, 1, 1, 7)
    tx = torch.from_numpy(x.astype(np.float64)).reshape(1, 1, *x.shape)
    ty = torch.from_numpy(y.astype(np.float64)).reshape(1, 1, *y.shape)
    return float(pytorch_msssim.ms_ssim(tx, ty, data_range=1.0, win=window, weights=weights, K=(0.01, 0.03)))


def msssim_pair(name, recipe_a, recipe_b):
    a, b = make_image(recipe_a), make_image(recipe_b)
    reference = ms_ssim_numpy(a, b)
    side = recipe_a["side"]
    entry = {"name": name, "side": side, "a": recipe_a, "b": recipe_b, "numpy": reference,
             "scales": len(scale_weights(side))}
    pooled_sides = [side >> level for level in range(entry["scales"] - 1)]
    if all(s % 2 == 0 for s in pooled_sides):  # pytorch_msssim zero-pads odd sides before pooling
        torch_value = ms_ssim_torch(a, b)
        check(abs(torch_value - reference) < 1e-12, (name, torch_value, reference))
        entry["pytorch_msssim"] = torch_value
    print(f"  msssim {name}: side {side}, {entry['scales']} scales  numpy {reference:.12f}  "
          f"pytorch_msssim {entry.get('pytorch_msssim', float('nan')):.12f}")
    return entry


def msssim_cases():
    pairs = []
    for side in [64, 32]:
        base = {"pattern": side, "side": side}
        pairs += [
            msssim_pair(f"light_noise_{side}", base, {**base, "noise": 100 + side, "amplitude": 6}),
            msssim_pair(f"heavy_noise_{side}", base, {**base, "noise": 200 + side, "amplitude": 80}),
            msssim_pair(f"unrelated_{side}", base, {"pattern": 300 + side, "side": side}),
            msssim_pair(f"inverted_{side}", base, {**base, "invert": True}),
        ]
    pairs.append(msssim_pair("unrelated_16", {"pattern": 16, "side": 16}, {"pattern": 17, "side": 16}))
    pairs.append(msssim_pair("noise_7", {"pattern": 7, "side": 7}, {"pattern": 7, "side": 7, "noise": 8, "amplitude": 40}))
    pairs.append(msssim_pair("odd_side_30", {"pattern": 30, "side": 30},
                             {"pattern": 30, "side": 30, "noise": 31, "amplitude": 30}))
    # One set of 6 images of side 32 (15 pairs): the mean over all pairs.
    recipes = [{"pattern": 500 + i % 3, "side": 32, "noise": 600 + i, "amplitude": 10 + 10 * i} for i in range(6)]
    images = [make_image(r) for r in recipes]
    values = [ms_ssim_torch(images[i], images[j]) for i in range(6) for j in range(i + 1, 6)]
    print(f"  msssim set of 6 (side 32): mean over 15 pairs {np.mean(values):.12f}")
    return pairs, {"images": recipes, "pair_values": values, "mean": float(np.mean(values))}


def write(name, payload):
    path = OUT / name
    path.write_text(json.dumps(payload, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def main():
    torch.set_num_threads(1)
    versions = {"numpy": np.__version__, "scipy": scipy.__version__, "torch": torch.__version__,
                "mpmath": mpmath.__version__,
                "pytorch_msssim": getattr(pytorch_msssim, "__version__", "1.0.0")}
    OUT.mkdir(parents=True, exist_ok=True)
    write("frechet.json", {"versions": versions, "cases": frechet_cases()})
    write("manifold.json", {"versions": versions, "cases": manifold_cases()})
    pairs, pairwise = msssim_cases()
    write("msssim.json", {"versions": versions, "pairs": pairs, "set": pairwise})
    total = sum(p.stat().st_size for p in OUT.glob("*.json"))
    print(f"total {total} bytes")
    check(total < 100_000, total)


if __name__ == "__main__":
    main()
