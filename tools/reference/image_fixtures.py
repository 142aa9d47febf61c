"""Reference fixtures for the image input of the Swift engine (Sources/Imaging, Tests/ImagingTests), from
Pillow 13.0.0 (its bundled libjpeg-turbo decodes the JPEGs) and torch 2.13.

Run from the repository root:

    .venv-reference/bin/python tools/reference/image_fixtures.py

Writes into Tests/ImagingTests/Fixtures (about 150 KB in all, no file over 60 KB):

jpeg_*.jpg          small JPEGs written by Pillow: baseline 4:4:4 / 4:2:2 / 4:2:0, progressive, restart
                    markers, grayscale, CMYK (Pillow writes Adobe-inverted CMYK); odd sizes such as 37x23
source_*.png        RGB inputs of the resize and transform cases (noise over gradients, which exposes any
                    rounding difference)
image_fixtures.json pillow and libjpeg-turbo versions, and the cases below
image_jpeg.safetensors       jpeg/{name}: uint8 [H, W, 3], np.array(Image.open(file).convert("RGB"))
image_resize.safetensors     resize/{source}/{filter}/{w}x{h}: uint8 [H, W, 3], np.array(img.resize((w, h), filter))
image_transform.safetensors  center/{source}/{resolution}: float32 [3, R, R], the whole train_text_to_image.py
                             chain with center crop; random/{case}/{k}: uint8 [R, R, 3], the k-th image of a
                             random case (same generator for all k) before ToTensor

The training chain is diffusers' examples/text_to_image/train_text_to_image.py:
    Resize(resolution, BILINEAR), CenterCrop(resolution) | RandomCrop(resolution), [RandomHorizontalFlip()],
    ToTensor(), Normalize([0.5], [0.5])
torchvision is not part of the reference environment, so its PIL code paths are written out below, line for
line from torchvision 0.29 (transforms/functional.py, transforms/transforms.py), with an explicit generator
where torchvision uses the global one. When torchvision can be imported (PYTHONPATH), the script checks
these mirrors against torchvision itself, seeding the global generator instead.
"""
import json
import os

import numpy as np
import PIL
import torch
from PIL import Image, features
from safetensors.torch import save_file

OUT = os.path.join("Tests", "ImagingTests", "Fixtures")

FILTERS = {
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


# --- torchvision's PIL paths ------------------------------------------------------------------------------

def tv_resize(img, size):
    # F.resize with an int: _compute_resized_output_size, then no-op when the size is unchanged.
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_h, new_w) == (h, w):
        return img
    return img.resize((new_w, new_h), Image.Resampling.BILINEAR)


def tv_center_crop_origin(img, size):
    w, h = img.size
    return int(round((h - size) / 2.0)), int(round((w - size) / 2.0))


def tv_random_crop_origin(img, size, generator):
    # RandomCrop.get_params: no draw when the image already has the crop's size.
    w, h = img.size
    if w == size and h == size:
        return 0, 0
    i = torch.randint(0, h - size + 1, size=(1,), generator=generator).item()
    j = torch.randint(0, w - size + 1, size=(1,), generator=generator).item()
    return i, j


def tv_to_normalized_tensor(img):
    # F.to_tensor (uint8 HWC -> float CHW / 255), then F.normalize(mean=[0.5], std=[0.5]).
    t = torch.from_numpy(np.array(img, np.uint8, copy=True)).view(img.size[1], img.size[0], 3)
    t = t.permute((2, 0, 1)).contiguous().to(dtype=torch.float32).div(255)
    mean = torch.as_tensor([0.5], dtype=t.dtype).view(-1, 1, 1)
    std = torch.as_tensor([0.5], dtype=t.dtype).view(-1, 1, 1)
    return t.clone().sub_(mean).div_(std)


def chain(img, resolution, crop, flip, generator=None):
    """The transformed 8-bit image and its placement (top, left, flipped)."""
    img = tv_resize(img, resolution)
    if crop == "center":
        top, left = tv_center_crop_origin(img, resolution)
    else:
        top, left = tv_random_crop_origin(img, resolution, generator)
    img = img.crop((left, top, left + resolution, top + resolution))
    flipped = False
    if flip and torch.rand(1, generator=generator) < 0.5:  # RandomHorizontalFlip, p = 0.5
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        flipped = True
    return img, (top, left, flipped)


def check_against_torchvision(sources, random_cases):
    try:
        from torchvision import transforms
    except Exception as error:  # not in the reference environment; the mirror stands alone
        print(f"torchvision not importable ({type(error).__name__}): mirrors not cross-checked")
        return
    for case in random_cases:
        compose = transforms.Compose([
            transforms.Resize(case["resolution"], interpolation=transforms.InterpolationMode.BILINEAR),
            transforms.CenterCrop(case["resolution"]) if case["crop"] == "center" else transforms.RandomCrop(case["resolution"]),
            transforms.RandomHorizontalFlip() if case["flip"] else transforms.Lambda(lambda x: x),
            transforms.ToTensor(),
            transforms.Normalize([0.5], [0.5]),
        ])
        torch.manual_seed(case["seed"])
        theirs = [compose(sources[name]) for name in case["sources"]]
        generator = torch.Generator().manual_seed(case["seed"])
        ours = [tv_to_normalized_tensor(chain(sources[name], case["resolution"], case["crop"], case["flip"], generator)[0])
                for name in case["sources"]]
        for a, b in zip(ours, theirs):
            assert torch.equal(a, b), case["name"]
    print("torchvision cross-check: mirrors equal")


# --- inputs -------------------------------------------------------------------------------------------------

def synthetic(width, height, seed, noise):
    """Gradients and a disc (smooth areas, edges) plus uniform noise of +-noise levels."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = 128 + 100 * np.sin(x / 3.0) * np.cos(y / 4.0)
    disc = (x - width * 0.6) ** 2 + (y - height * 0.4) ** 2 < (min(width, height) * 0.3) ** 2
    r[disc], g[disc], b[disc] = 230, 40, 90
    image = np.stack([r, g, b], axis=-1) + rng.uniform(-noise, noise, size=(height, width, 3))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


JPEGS = [
    # name, size, mode, save options
    ("baseline_444", (37, 23), "RGB", {"quality": 90, "subsampling": 0}),
    ("baseline_422", (37, 23), "RGB", {"quality": 90, "subsampling": 1}),
    ("baseline_420", (37, 23), "RGB", {"quality": 75, "subsampling": 2}),
    ("progressive_420", (61, 47), "RGB", {"quality": 85, "subsampling": 2, "progressive": True}),
    ("progressive_444_optimized", (33, 40), "RGB", {"quality": 95, "subsampling": 0, "progressive": True, "optimize": True}),
    ("restart_420", (61, 47), "RGB", {"quality": 80, "subsampling": 2, "restart_marker_rows": 1}),
    ("gray", (37, 23), "L", {"quality": 90}),
    ("cmyk", (37, 23), "CMYK", {"quality": 90}),
]

SOURCES = {"landscape": (45, 31, 1), "portrait": (30, 46, 2), "square": (36, 36, 3), "tiny": (15, 11, 4)}

RESIZES = [
    # source, filter, (w, h)
    ("landscape", "bilinear", (17, 12)),   # down by 2.65 / 2.58
    ("landscape", "bilinear", (8, 5)),     # down by ~6: wide support
    ("landscape", "bilinear", (30, 31)),   # horizontal pass only
    ("landscape", "bilinear", (45, 20)),   # vertical pass only
    ("landscape", "bilinear", (58, 41)),   # up, non-integer
    ("landscape", "bilinear", (1, 1)),
    ("portrait", "bilinear", (11, 17)),
    ("portrait", "bilinear", (41, 62)),    # up
    ("square", "bilinear", (24, 24)),
] + [("landscape", f, (17, 12)) for f in ("box", "hamming", "bicubic", "lanczos")] + [
    ("landscape", f, (58, 41)) for f in ("bicubic", "lanczos")  # overshooting kernels: clipping
]

# Center offsets (size - crop) / 2 of 4.5 (landscape 20), 5.5 (portrait 22) and 2.5 (tiny 16, an upscale)
# exercise Python's round-half-to-even.
CENTER = [("landscape", 20), ("landscape", 24), ("portrait", 22), ("portrait", 24), ("square", 24), ("tiny", 16)]

RANDOM = [
    {"name": "crop_flip", "seed": 7, "resolution": 20, "crop": "random", "flip": True,
     "sources": ["landscape", "portrait", "square", "landscape", "portrait", "landscape", "square", "portrait"]},
    {"name": "crop", "seed": 2024, "resolution": 24, "crop": "random", "flip": False,
     "sources": ["portrait", "landscape", "portrait"]},
    {"name": "center_flip", "seed": 11, "resolution": 16, "crop": "center", "flip": True,
     "sources": ["square", "landscape", "portrait", "square", "landscape", "portrait", "square", "landscape"]},
]


def main():
    assert PIL.__version__ == "13.0.0", PIL.__version__
    assert torch.__version__.startswith("2.13.0"), torch.__version__
    os.makedirs(OUT, exist_ok=True)
    tensors = {"jpeg": {}, "resize": {}, "transform": {}}
    record = {
        "pillow": PIL.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "jpeg": [], "resize": [], "center": [], "random": [],
    }

    for index, (name, (w, h), mode, options) in enumerate(JPEGS):
        image = Image.fromarray(synthetic(w, h, 100 + index, 12), "RGB").convert(mode)
        file = f"jpeg_{name}.jpg"
        image.save(os.path.join(OUT, file), "JPEG", **options)
        decoded = Image.open(os.path.join(OUT, file))
        assert decoded.mode == mode and decoded.size == (w, h)
        tensors["jpeg"][f"jpeg/{name}"] = torch.from_numpy(np.array(decoded.convert("RGB"), np.uint8))
        record["jpeg"].append({"name": name, "file": file, "width": w, "height": h, "mode": mode,
                               "progressive": bool(options.get("progressive", False))})

    sources = {}
    for name, (w, h, seed) in SOURCES.items():
        image = Image.fromarray(synthetic(w, h, seed, 40), "RGB")
        image.save(os.path.join(OUT, f"source_{name}.png"))
        sources[name] = Image.open(os.path.join(OUT, f"source_{name}.png")).convert("RGB")

    for source, filter_name, (w, h) in RESIZES:
        out = sources[source].resize((w, h), FILTERS[filter_name])
        tensors["resize"][f"resize/{source}/{filter_name}/{w}x{h}"] = torch.from_numpy(np.array(out, np.uint8))
        record["resize"].append({"source": source, "filter": filter_name, "width": w, "height": h})

    for source, resolution in CENTER:
        image, (top, left, _) = chain(sources[source], resolution, "center", False)
        resized = tv_resize(sources[source], resolution).size
        tensors["transform"][f"center/{source}/{resolution}"] = tv_to_normalized_tensor(image)
        record["center"].append({"source": source, "resolution": resolution, "resized_width": resized[0],
                                 "resized_height": resized[1], "top": top, "left": left})

    for case in RANDOM:
        generator = torch.Generator().manual_seed(case["seed"])
        placements = []
        for k, name in enumerate(case["sources"]):
            image, (top, left, flipped) = chain(sources[name], case["resolution"], case["crop"], case["flip"], generator)
            tensors["transform"][f"random/{case['name']}/{k}"] = torch.from_numpy(np.array(image, np.uint8))
            placements.append({"top": top, "left": left, "flipped": flipped})
        record["random"].append({**case, "placements": placements})

    check_against_torchvision(sources, RANDOM)

    for group, named in tensors.items():
        save_file({k: v.contiguous() for k, v in named.items()}, os.path.join(OUT, f"image_{group}.safetensors"))
    with open(os.path.join(OUT, "image_fixtures.json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"wrote {sum(map(len, tensors.values()))} tensors and {len(JPEGS) + len(SOURCES)} images to {OUT}")


if __name__ == "__main__":
    main()
