"""Reference fixtures for the Swift tensor ops (Tests/TorchTests/*ParityTests.swift).

Run from the repository root with the reference environment (torch==2.13.0+cpu, safetensors):

    .venv-reference/bin/python tools/reference/ops_fixtures.py

Writes Tests/TorchTests/Fixtures/ops_<topic>.safetensors (elementwise, linalg, reduction, shape, nn, random;
about 150 KB in all). Every recorded op `<op>` stores

    <op>.input<i>       its tensor inputs (float32 unless the op needs another dtype)
    <op>.out            its output, or <op>.out<k> for ops with several outputs (chunk, split, max)
    <op>.upstream[<k>]  a fixed random tensor like each differentiable output
    <op>.grad<i>        for differentiable ops: d/d input<i> of sum_k (out<k> * upstream<k>).sum()

Non-tensor arguments (dims, strides, scalars) are written out in the op's lambda below and mirrored by hand
in the Swift tests. Random streams (randn/rand/randint from torch.Generator().manual_seed) are stored as
`random.<case>`; there is nothing to feed in, the Swift side seeds its own Generator with the same seed.
All inputs come from one seeded generator, so the files are reproducible bit for bit.
"""

import math
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

OUT_DIR = os.path.join("Tests", "TorchTests", "Fixtures")
G = torch.Generator().manual_seed(20261126)


def randn(*shape, dtype=torch.float32):
    return torch.randn(shape, generator=G, dtype=dtype)


def rand(*shape, low=0.0, high=1.0):
    return torch.rand(shape, generator=G) * (high - low) + low


def randint(low, high, *shape):
    return torch.randint(low, high, shape, generator=G)


class Store:
    """Tensors of one fixture file."""

    def __init__(self, name):
        self.name = name
        self.tensors = {}

    def put(self, key, t):
        assert key not in self.tensors, key
        self.tensors[key] = t.detach().clone().contiguous()

    def op(self, name, fn, *inputs, grad=True):
        """Records fn(*inputs); with grad, also the gradients of every floating input."""
        leaves = []
        for x in inputs:
            x = x.detach().clone()
            if grad and x.is_floating_point():
                x.requires_grad_(True)
            leaves.append(x)
        out = fn(*leaves)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        for i, x in enumerate(inputs):
            self.put(f"{name}.input{i}", x)
        single = len(outs) == 1
        for k, o in enumerate(outs):
            self.put(f"{name}.out" if single else f"{name}.out{k}", o)
        if not grad:
            return
        terms = []
        for k, o in enumerate(outs):
            if not o.requires_grad:
                continue  # indices of max/min
            up = randn(*o.shape, dtype=o.dtype)
            self.put(f"{name}.upstream" if single else f"{name}.upstream{k}", up)
            terms.append((o * up).sum())
        assert terms, f"{name}: nothing differentiable"
        loss = terms[0]
        for t in terms[1:]:
            loss = loss + t
        loss.backward()
        for i, x in enumerate(leaves):
            if x.requires_grad:
                assert x.grad is not None, f"{name}: input {i} got no gradient"
                self.put(f"{name}.grad{i}", x.grad)

    def save(self):
        path = os.path.join(OUT_DIR, f"ops_{self.name}.safetensors")
        save_file(self.tensors, path, metadata={"torch": torch.__version__})  # one key: a stable header
        print(f"wrote {path}: {len(self.tensors)} tensors, {os.path.getsize(path)} bytes")
        return os.path.getsize(path)


def elementwise():
    s = Store("elementwise")
    x = randn(3, 4, 5)
    pos = rand(3, 4, 5, low=0.5, high=2.0)
    # Unary ops, Swift names on the left of the comment column in the tests.
    for name, fn, inp in [
        ("neg", torch.neg, x), ("exp", torch.exp, x), ("log", torch.log, pos), ("sqrt", torch.sqrt, pos),
        ("rsqrt", torch.rsqrt, pos), ("abs", torch.abs, x), ("sin", torch.sin, x), ("cos", torch.cos, x),
        ("tanh", torch.tanh, x), ("sigmoid", torch.sigmoid, x), ("silu", F.silu, x), ("relu", torch.relu, x),
        ("square", torch.square, x), ("reciprocal", torch.reciprocal, pos), ("erf", torch.erf, x),
        ("sign", torch.sign, x),
    ]:
        s.op(name, fn, inp)
    # Rounding: values on and around .5 (round half to even), no gradient to speak of (zeros) but recorded.
    halves = torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.49, 0.51, 3.7, -3.7, 0.0, 1.0])
    for name, fn in [("floor", torch.floor), ("ceil", torch.ceil), ("round", torch.round)]:
        s.op(name, fn, halves)
    special = torch.tensor([0.0, -1.5, float("nan"), float("inf"), -float("inf"), 2.0])
    s.op("logical_not", torch.logical_not, special, grad=False)
    s.op("isnan", torch.isnan, special, grad=False)
    s.op("isfinite", torch.isfinite, special, grad=False)

    # Binary ops with broadcasting ([3, 4, 5] with [4, 1]) so gradients reduce.
    b = randn(4, 1)
    bpos = rand(4, 1, low=0.5, high=2.0)
    s.op("add", torch.add, x, b)
    s.op("add_alpha", lambda p, q: torch.add(p, q, alpha=-0.75), x, b)
    s.op("sub", torch.sub, x, b)
    s.op("mul", torch.mul, x, b)
    s.op("div", torch.div, x, bpos)
    s.op("pow", torch.pow, pos, b)
    s.op("maximum", torch.maximum, x, b)
    s.op("minimum", torch.minimum, x, b)
    # Comparisons on values with ties.
    i = randint(-2, 3, 3, 4).float()
    j = randint(-2, 3, 4).float()
    for name in ["eq", "ne", "gt", "ge", "lt", "le"]:
        s.op(name, getattr(torch, name), i, j, grad=False)
        s.op(name + "_scalar", lambda p, n=name: getattr(torch, n)(p, 1.0), i, grad=False)
    m1 = randint(0, 2, 3, 4).bool()
    m2 = randint(0, 2, 4).bool()
    s.op("logical_and", torch.logical_and, m1, m2, grad=False)
    s.op("logical_or", torch.logical_or, m1, m2, grad=False)

    # Scalar forms, written as Python operators the way model code uses them.
    s.op("add_scalar", lambda p: p + 0.25, x)
    s.op("sub_scalar", lambda p: p - 1.5, x)
    s.op("mul_scalar", lambda p: p * -3.0, x)
    s.op("div_scalar", lambda p: p / 7.0, x)
    s.op("rsub_scalar", lambda p: 2.0 - p, x)
    s.op("rdiv_scalar", lambda p: 2.0 / p, pos)
    s.op("pow_scalar", lambda p: p ** 3.0, x)
    s.op("pow_half", lambda p: p ** 0.5, pos)
    s.op("scalar_pow", lambda p: 2.0 ** p, x)
    s.op("remainder_scalar", lambda p: torch.remainder(p, 0.7), x)
    s.op("neg_operator", lambda p: -p, x)

    # where, clamp, lerp.
    cond = randint(0, 2, 4, 5).bool()
    y = randn(3, 1, 5)
    s.op("where", lambda c, p, q: torch.where(c, p, q), cond, x, y)
    s.op("clamp", lambda p: torch.clamp(p, min=-0.5, max=0.75), x)
    s.op("clamp_min", lambda p: torch.clamp(p, min=-0.25), x)
    s.op("clamp_max", lambda p: torch.clamp(p, max=0.5), x)
    s.op("lerp", lambda p, q: torch.lerp(p, q, 0.3), x, randn(3, 4, 5))

    # In-place updates (optimizers, parameter surgery): the first input after the update.
    z = randn(3, 4)
    s.op("inplace_add", lambda p, q: p.add_(q, alpha=0.5), z, randn(4), grad=False)
    s.op("inplace_add_scalar", lambda p: p.add_(1.25), z, grad=False)
    s.op("inplace_mul", lambda p, q: p.mul_(q), z, randn(3, 1), grad=False)
    s.op("inplace_mul_scalar", lambda p: p.mul_(-0.5), z, grad=False)
    s.op("inplace_div", lambda p, q: p.div_(q), z, rand(3, 4, low=0.5, high=2.0), grad=False)
    s.op("inplace_addcmul", lambda p, q, r: p.addcmul_(q, r, value=0.3), z, randn(3, 4), randn(3, 4), grad=False)
    s.op("inplace_addcdiv", lambda p, q, r: p.addcdiv_(q, r, value=-0.2), z, randn(3, 4),
         rand(3, 4, low=0.5, high=2.0), grad=False)
    s.op("inplace_lerp", lambda p, q: p.lerp_(q, 0.9), z, randn(3, 4), grad=False)
    s.op("inplace_sqrt", lambda p: p.sqrt_(), rand(3, 4, low=0.1, high=3.0), grad=False)
    s.op("inplace_copy", lambda p, q: p.copy_(q), z, randn(4).half(), grad=False)
    s.op("inplace_zero", lambda p: p.zero_(), z, grad=False)
    s.op("inplace_fill", lambda p: p.fill_(2.5), z, grad=False)
    return s.save()


def linalg():
    s = Store("linalg")
    s.op("matmul_2d", torch.matmul, randn(3, 4), randn(4, 5))
    s.op("matmul_batched", torch.matmul, randn(2, 3, 4), randn(4, 5))
    s.op("matmul_broadcast", torch.matmul, randn(2, 1, 3, 4), randn(3, 4, 2))
    s.op("matmul_vector", torch.matmul, randn(3, 4), randn(4))
    s.op("mm", torch.mm, randn(5, 3), randn(3, 2))
    s.op("bmm", torch.bmm, randn(2, 3, 4), randn(2, 4, 5))
    s.op("baddbmm", lambda c, p, q: torch.baddbmm(c, p, q, beta=0.5, alpha=2.0), randn(2, 3, 5), randn(2, 3, 4),
         randn(2, 4, 5))
    s.op("addmm", lambda c, p, q: torch.addmm(c, p, q, beta=-1.0, alpha=0.25), randn(5), randn(3, 4), randn(4, 5))
    s.op("linear", F.linear, randn(2, 3, 6), randn(4, 6), randn(4))
    s.op("linear_nobias", F.linear, randn(5, 6), randn(4, 6))
    s.op("matmul_bf16", torch.matmul, randn(3, 8, dtype=torch.bfloat16), randn(8, 4, dtype=torch.bfloat16))
    s.op("linear_f16", F.linear, randn(3, 8, dtype=torch.float16), randn(4, 8, dtype=torch.float16),
         randn(4, dtype=torch.float16))
    return s.save()


def reduction():
    s = Store("reduction")
    x = randn(3, 4, 5)
    s.op("sum_all", lambda p: p.sum(), x)
    s.op("sum_dim", lambda p: p.sum(dim=1), x)
    s.op("sum_keepdim", lambda p: p.sum(dim=(0, 2), keepdim=True), x)
    s.op("sum_f64", lambda p: p.sum(dim=-1, dtype=torch.float64), x)
    s.op("sum_int", lambda p: p.sum(dim=0), randint(-5, 5, 3, 4), grad=False)
    s.op("mean_all", lambda p: p.mean(), x)
    s.op("mean_dims", lambda p: p.mean(dim=(0, 2), keepdim=True), x)
    s.op("amax", lambda p: p.amax(dim=-1), x)
    s.op("amax_all", lambda p: p.amax(), x)
    s.op("amin", lambda p: p.amin(dim=(0, 1), keepdim=True), x)
    s.op("var_all", lambda p: p.var(), x)
    s.op("var_dim", lambda p: p.var(dim=1, keepdim=True), x)
    s.op("var_biased", lambda p: p.var(dim=(0, 2), correction=0), x)
    s.op("std_all", lambda p: p.std(), x)
    s.op("std_dim", lambda p: p.std(dim=-1, correction=0, keepdim=True), x)
    s.op("norm_2", lambda p: torch.linalg.vector_norm(p), x)
    s.op("norm_1_dim", lambda p: torch.linalg.vector_norm(p, ord=1, dim=-1), x)
    s.op("norm_inf", lambda p: torch.linalg.vector_norm(p, ord=math.inf, dim=(1, 2), keepdim=True), x)
    s.op("norm_3", lambda p: torch.linalg.vector_norm(p, ord=3, dim=0), x)
    s.op("logsumexp_all", lambda p: torch.logsumexp(p, dim=(0, 1, 2)), x)
    s.op("logsumexp_dim", lambda p: torch.logsumexp(p, dim=1, keepdim=True), x)
    s.op("max_dim", lambda p: torch.max(p, dim=1), x)
    s.op("min_dim", lambda p: torch.min(p, dim=-1, keepdim=True), x)
    s.op("argmax", lambda p: torch.argmax(p, dim=2), x, grad=False)
    s.op("argmax_keepdim", lambda p: torch.argmax(p, dim=0, keepdim=True), x, grad=False)
    b = randint(0, 2, 3, 4).bool()
    s.op("all", torch.all, b, grad=False)
    s.op("any", torch.any, b, grad=False)
    s.op("all_true", torch.all, torch.ones(3, dtype=torch.bool), grad=False)
    s.op("any_false", torch.any, torch.zeros(3, dtype=torch.bool), grad=False)
    s.op("cumsum", lambda p: torch.cumsum(p, dim=1), x)
    s.op("cumprod", lambda p: torch.cumprod(p, dim=-1), rand(3, 4, 5, low=0.5, high=1.5))
    return s.save()


def shape():
    s = Store("shape")
    x = randn(2, 3, 4)
    s.op("reshape", lambda p: p.reshape(4, -1), x)
    s.op("view", lambda p: p.view(6, 4), x)
    s.op("permute", lambda p: p.permute(2, 0, 1), x)
    s.op("transpose", lambda p: p.transpose(-1, 0), x)
    s.op("expand", lambda p: p.expand(2, 3, 4, 5), randn(3, 1, 5))
    s.op("repeat", lambda p: p.repeat(2, 1, 3), randn(3, 2))
    s.op("squeeze", lambda p: p.squeeze(1), randn(3, 1, 4))
    s.op("unsqueeze", lambda p: p.unsqueeze(-1), x)
    s.op("flatten", lambda p: p.flatten(), x)
    s.op("flatten_range", lambda p: p.flatten(1, 2), randn(2, 3, 4, 2))
    s.op("narrow", lambda p: p.narrow(2, 1, 2), x)
    s.op("slice_step", lambda p: p[:, :, 1::2], x)
    s.op("slice_negative", lambda p: p[:, -2:], x)
    s.op("slice_range", lambda p: p[:, 0:99], x)
    s.op("select", lambda p: p.select(1, -1), x)
    idx = torch.tensor([2, 0, 2, 3])
    s.op("index_select", lambda p, i: p.index_select(2, i), x, idx)
    s.op("index_dim1", lambda p, i: p[:, i], x, torch.tensor([[0, 2], [1, 1]]))
    s.op("index_pair", lambda p, i, j: p[i, j], x, torch.tensor([1, 0, 1]), torch.tensor([2, 2, 0]))
    s.op("index_mask", lambda p, m: p[m], x, randint(0, 2, 2, 3).bool())
    g = torch.tensor([[[0, 1], [3, 3], [2, 0]], [[1, 1], [0, 2], [3, 1]]])
    s.op("gather", lambda p, i: torch.gather(p, 2, i), x, g)
    s.op("masked_fill", lambda p, m: p.masked_fill(m, -7.5), x, randint(0, 2, 3, 4).bool())
    s.op("flip", lambda p: p.flip(0, 2), x)
    m = randn(4, 5)
    s.op("tril", lambda p: p.tril(), m)
    s.op("tril_offset", lambda p: p.tril(-1), m)
    s.op("triu", lambda p: p.triu(1), m)
    s.op("triu_batched", lambda p: p.triu(), randn(2, 3, 3))
    s.op("pad", lambda p: F.pad(p, (1, 2, 0, 1), value=0.5), x)
    s.op("pad_crop", lambda p: F.pad(p, (-1, 1)), x)
    s.op("cat", lambda p, q: torch.cat([p, q], dim=1), x, randn(2, 2, 4))
    s.op("stack", lambda p, q, r: torch.stack([p, q, r], dim=-1), randn(2, 3), randn(2, 3), randn(2, 3))
    s.op("chunk", lambda p: p.chunk(3, dim=2), x)  # 4 -> 2, 2 (torch returns fewer when it must)
    s.op("chunk_uneven", lambda p: p.chunk(3, dim=0), randn(7, 2))  # 3, 3, 1
    s.op("split", lambda p: p.split(3, dim=-1), randn(2, 8))  # 3, 3, 2
    s.op("split_sizes", lambda p: p.split([1, 3, 0], dim=2), x)
    s.op("contiguous", lambda p: p.transpose(0, 1).contiguous(), x)
    return s.save()


def nn():
    s = Store("nn")
    s.op("conv2d", lambda p, w, b: F.conv2d(p, w, b, stride=(2, 1), padding=(1, 2)), randn(2, 4, 7, 6),
         randn(6, 4, 3, 3), randn(6))
    s.op("conv2d_groups", lambda p, w, b: F.conv2d(p, w, b, padding=1, dilation=(2, 1), groups=2),
         randn(2, 4, 6, 6), randn(6, 2, 3, 3), randn(6))
    s.op("conv2d_nobias", lambda p, w: F.conv2d(p, w), randn(1, 3, 4, 5), randn(2, 3, 1, 1))
    s.op("conv2d_same", lambda p, w, b: F.conv2d(p, w, b, padding=1), randn(1, 4, 8, 8), randn(4, 4, 3, 3),
         randn(4))
    s.op("conv_transpose2d",
         lambda p, w, b: F.conv_transpose2d(p, w, b, stride=2, padding=1, output_padding=1),
         randn(2, 4, 5, 5), randn(4, 3, 3, 3), randn(3))
    s.op("conv_transpose2d_groups", lambda p, w: F.conv_transpose2d(p, w, stride=(1, 2), groups=2),
         randn(1, 4, 3, 4), randn(4, 2, 2, 3))
    s.op("group_norm", lambda p, w, b: F.group_norm(p, 3, w, b, eps=1e-6), randn(2, 6, 4, 5), randn(6), randn(6))
    s.op("group_norm_plain", lambda p: F.group_norm(p, 2), randn(2, 4, 3, 3) * 3 + 1)
    s.op("layer_norm", lambda p, w, b: F.layer_norm(p, (8,), w, b), randn(2, 5, 8), randn(8), randn(8))
    s.op("layer_norm_2d", lambda p: F.layer_norm(p, (5, 8), eps=1e-6), randn(2, 5, 8) * 2 - 1)
    x = randn(3, 4, 6) * 3
    s.op("softmax", lambda p: F.softmax(p, dim=-1), x)
    s.op("softmax_dim1", lambda p: F.softmax(p, dim=1), x)
    s.op("log_softmax", lambda p: F.log_softmax(p, dim=-1), x)
    s.op("softmax_f16_f32", lambda p: F.softmax(p, dim=-1, dtype=torch.float32), x.half())
    s.op("log_softmax_bf16_f32", lambda p: F.log_softmax(p, dim=0, dtype=torch.float32), x.bfloat16())
    a = randn(3, 4, 5) * 2
    s.op("gelu", F.gelu, a)
    s.op("gelu_tanh", lambda p: F.gelu(p, approximate="tanh"), a)
    s.op("quick_gelu", lambda p: p * torch.sigmoid(1.702 * p), a)
    img = randn(2, 3, 4, 5)
    s.op("nearest_scale2", lambda p: F.interpolate(p, scale_factor=2.0, mode="nearest"), img)
    s.op("nearest_scale1_5", lambda p: F.interpolate(p, scale_factor=1.5, mode="nearest"), img)
    s.op("nearest_size", lambda p: F.interpolate(p, size=(7, 3), mode="nearest"), img)
    s.op("bilinear_scale2", lambda p: F.interpolate(p, scale_factor=2.0, mode="bilinear", align_corners=False), img)
    s.op("bilinear_size", lambda p: F.interpolate(p, size=(7, 3), mode="bilinear", align_corners=False), img)
    s.op("bilinear_align", lambda p: F.interpolate(p, size=(6, 9), mode="bilinear", align_corners=True), img)
    s.op("bicubic_size", lambda p: F.interpolate(p, size=(6, 9), mode="bicubic", align_corners=False), img)
    s.op("bicubic_antialias",
         lambda p: F.interpolate(p, size=(3, 2), mode="bicubic", align_corners=False, antialias=True), img)
    q, k, v = randn(2, 3, 5, 8), randn(2, 3, 6, 8), randn(2, 3, 6, 8)
    s.op("sdpa", F.scaled_dot_product_attention, q, k, v)
    bool_mask = randint(0, 2, 2, 1, 5, 6).bool()
    bool_mask[..., 0] = True  # no fully masked rows
    s.op("sdpa_bool_mask", lambda a_, b_, c_, m: F.scaled_dot_product_attention(a_, b_, c_, attn_mask=m), q, k, v,
         bool_mask)
    add_mask = randn(5, 6)
    add_mask[1, 2:] = -math.inf
    s.op("sdpa_additive_mask", lambda a_, b_, c_, m: F.scaled_dot_product_attention(a_, b_, c_, attn_mask=m), q, k, v,
         add_mask)
    qc, kc, vc = randn(2, 3, 5, 8), randn(2, 3, 5, 8), randn(2, 3, 5, 8)
    s.op("sdpa_causal", lambda a_, b_, c_: F.scaled_dot_product_attention(a_, b_, c_, is_causal=True), qc, kc, vc)
    s.op("sdpa_scale", lambda a_, b_, c_: F.scaled_dot_product_attention(a_, b_, c_, scale=0.2), q, k, v)

    def math_attention(a_, b_, c_, m=None, scale=None):
        scale = 1 / math.sqrt(a_.size(-1)) if scale is None else scale
        scores = a_ @ b_.transpose(-2, -1) * scale
        if m is not None:
            scores = scores.masked_fill(m.logical_not(), -math.inf) if m.dtype == torch.bool else scores + m
        # Probabilities in fp32, back to the inputs' dtype (a no-op for fp32) before the product with v.
        return scores.softmax(dim=-1, dtype=torch.float32).to(a_.dtype) @ c_

    s.op("math_attention", math_attention, q, k, v)
    s.op("math_attention_bool_mask", math_attention, q, k, v, bool_mask)
    s.op("math_attention_additive_mask", math_attention, q, k, v, add_mask)
    s.op("math_attention_scale", lambda a_, b_, c_: math_attention(a_, b_, c_, scale=0.2), q, k, v)
    s.op("math_attention_f16", math_attention, q.half(), k.half(), v.half())
    s.op("math_attention_bf16_bool_mask", math_attention, q.bfloat16(), k.bfloat16(), v.bfloat16(), bool_mask)
    s.op("embedding", lambda w, i: F.embedding(i, w), randn(10, 4), torch.tensor([[1, 7, 1], [0, 9, 7]]))
    p, t = randn(3, 4), randn(3, 4)
    s.op("mse_loss", F.mse_loss, p, t)
    s.op("mse_loss_sum", lambda a_, b_: F.mse_loss(a_, b_, reduction="sum"), p, t)
    s.op("mse_loss_none", lambda a_, b_: F.mse_loss(a_, b_, reduction="none"), p, t)
    s.op("dropout_eval", lambda a_: F.dropout(a_, p=0.5, training=False), p)

    # Half precision, as the models run on accelerators (and bf16 on CPU).
    for tag, dt in [("f16", torch.float16), ("bf16", torch.bfloat16)]:
        s.op(f"conv2d_{tag}", lambda p_, w, b: F.conv2d(p_, w, b, padding=1), randn(1, 4, 6, 6, dtype=dt),
             randn(4, 4, 3, 3, dtype=dt), randn(4, dtype=dt))
        s.op(f"group_norm_{tag}", lambda p_, w, b: F.group_norm(p_, 2, w, b, eps=1e-6), randn(2, 4, 3, 3, dtype=dt),
             randn(4, dtype=dt), randn(4, dtype=dt))
        s.op(f"layer_norm_{tag}", lambda p_, w, b: F.layer_norm(p_, (8,), w, b), randn(2, 3, 8, dtype=dt),
             randn(8, dtype=dt), randn(8, dtype=dt))
        s.op(f"sdpa_{tag}", F.scaled_dot_product_attention, randn(1, 2, 5, 8, dtype=dt), randn(1, 2, 6, 8, dtype=dt),
             randn(1, 2, 6, 8, dtype=dt))
        s.op(f"gelu_{tag}", F.gelu, randn(4, 6, dtype=dt))
        s.op(f"silu_{tag}", F.silu, randn(4, 6, dtype=dt))
        s.op(f"nearest_scale2_{tag}", lambda p_: F.interpolate(p_, scale_factor=2.0, mode="nearest"),
             randn(1, 2, 3, 4, dtype=dt))
    return s.save()


def random_and_creation():
    s = Store("random")
    # One generator, several draws in sequence: the stream must continue the same way.
    g = torch.Generator().manual_seed(42)
    s.put("random.seed42.randn_3x5", torch.randn(3, 5, generator=g))  # < 16 elements: scalar path
    s.put("random.seed42.randn_4x8", torch.randn(4, 8, generator=g))  # >= 16: vectorized normal_fill
    s.put("random.seed42.rand_7", torch.rand(7, generator=g))
    s.put("random.seed42.randint_2x6", torch.randint(-3, 10, (2, 6), generator=g))
    s.put("random.seed42.randn_f64_20", torch.randn(20, generator=g, dtype=torch.float64))
    s.put("random.seed42.rand_f64_5", torch.rand(5, generator=g, dtype=torch.float64))
    s.put("random.seed42.randn_f16_18", torch.randn(18, generator=g, dtype=torch.float16))
    s.put("random.seed42.randn_bf16_6", torch.randn(6, generator=g, dtype=torch.bfloat16))
    # Seeds: 0 and a full 64-bit one (UInt64 passes through unchanged).
    s.put("random.seed0.randn_2x3x4", torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0)))
    s.put("random.seedbig.randn_17", torch.randn(17, generator=torch.Generator().manual_seed(2**63 + 12345)))
    s.put("random.seed7.rand_3x3", torch.rand(3, 3, generator=torch.Generator().manual_seed(7)))
    s.put("random.seed7.randint_100", torch.randint(0, 1000, (100,), generator=torch.Generator().manual_seed(7)))
    # A latent-sized draw as the pipelines make it (1x4x8x8).
    s.put("random.seed1234.latents", torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(1234)))

    s.put("arange.int_like", torch.arange(0, 10, 1, dtype=torch.float32))
    s.put("arange.fraction", torch.arange(0.5, 3.2, 0.3, dtype=torch.float32))
    s.put("arange.f64", torch.arange(-1.0, 1.0, 0.125, dtype=torch.float64))
    s.put("arange.int64", torch.arange(3, 20, 4, dtype=torch.int64))
    s.put("arange.descending", torch.arange(999, -1, -111, dtype=torch.float32))
    s.put("linspace.unit", torch.linspace(0, 1, 7))
    s.put("linspace.f64", torch.linspace(-2, 5, 11, dtype=torch.float64))
    s.put("linspace.long", torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=torch.float32))
    s.put("linspace.one", torch.linspace(3, 9, 1))

    # dtype moves; `to.<from>_<to>`.
    f = torch.cat([randn(20) * 100, torch.tensor([0.0, -0.0, 1e-8, 65504.0, 70000.0, -1e-5, 0.5, -2.5, 3.99999])])
    s.op("to.f32_f16", lambda p: p.to(torch.float16), f)
    s.op("to.f32_bf16", lambda p: p.to(torch.bfloat16), f)
    s.op("to.f32_f64", lambda p: p.to(torch.float64), f)
    s.op("to.f32_i64", lambda p: p.to(torch.int64), f[:20], grad=False)
    s.op("to.f32_bool", lambda p: p.to(torch.bool), f, grad=False)
    h = randn(12).half()
    s.op("to.f16_f32", lambda p: p.to(torch.float32), h)
    s.op("to.f16_bf16", lambda p: p.to(torch.bfloat16), h)
    s.op("to.bf16_f32", lambda p: p.to(torch.float32), randn(12).bfloat16())
    s.op("to.bf16_f16", lambda p: p.to(torch.float16), randn(12).bfloat16())
    s.op("to.i64_f32", lambda p: p.to(torch.float32), torch.tensor([-(2**40) - 1, -3, 0, 7, 2**25 + 1]), grad=False)
    s.op("to.i64_bool", lambda p: p.to(torch.bool), torch.tensor([-2, 0, 5]), grad=False)
    s.op("to.bool_f32", lambda p: p.to(torch.float32), torch.tensor([True, False, True]), grad=False)
    s.op("to.bool_i64", lambda p: p.to(torch.int64), torch.tensor([True, False, True]), grad=False)
    s.op("to.bool_f16", lambda p: p.to(torch.float16), torch.tensor([False, True]), grad=False)
    return s.save()


def main():
    assert torch.__version__.startswith("2.13.0"), torch.__version__
    # One intra-op thread: the Swift tests run so too (ParityTestCase), and multi-threaded reductions (conv2d and
    # layer_norm weight gradients) would otherwise sum in a machine-dependent order.
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    total = sum(f() for f in [elementwise, linalg, reduction, shape, nn, random_and_creation])
    print(f"ops fixtures: {total} bytes in all")
    assert total < 1_500_000, total


if __name__ == "__main__":
    main()
