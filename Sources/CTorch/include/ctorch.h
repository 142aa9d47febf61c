// ctorch: a plain C API over libtorch's ATen, in the style of tch-rs' torch_api.h.
//
// Conventions (every function follows them, nothing is clever):
// - A tensor is an opaque heap handle (`ct_tensor`); the caller owns every handle it receives and frees it
//   with `ct_free` exactly once.
// - Every fallible function returns `ct_err`: NULL on success, otherwise a malloc'd message that the caller
//   frees with `ct_free_error`. No C++ exception ever crosses this boundary.
// - Results are written through trailing `out` pointers; optional tensor inputs may be NULL.
// - dtype codes are c10::ScalarType values (see CT_* below); device type 0 = CPU, 1 = CUDA.
#ifndef CTORCH_H
#define CTORCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_tensor_opaque *ct_tensor;
typedef struct ct_generator_opaque *ct_generator;
typedef char *ct_err;

// c10::ScalarType codes, stable across libtorch 2.x.
enum {
    CT_UINT8 = 0, CT_INT8 = 1, CT_INT16 = 2, CT_INT32 = 3, CT_INT64 = 4,
    CT_FLOAT16 = 5, CT_FLOAT32 = 6, CT_FLOAT64 = 7, CT_BOOL = 11, CT_BFLOAT16 = 15
};
enum { CT_CPU = 0, CT_CUDA = 1 };

// ---- errors, lifetime, library ---------------------------------------------------------------------
void ct_free_error(ct_err err);
void ct_free_string(char *s);
void ct_free(ct_tensor t);
/// Number of tensor handles currently alive (created and not yet freed); for leak tests.
int64_t ct_live_tensors(void);
ct_err ct_version(char **out);
ct_err ct_build_config(char **out);
/// Path of the shared library that holds ATen, as the dynamic loader resolved it.
ct_err ct_library_path(char **out);
ct_err ct_set_num_threads(int64_t n);
ct_err ct_get_num_threads(int64_t *out);
ct_err ct_cuda_device_count(int64_t *out);

// ---- generators -------------------------------------------------------------------------------------
ct_err ct_generator_new(int device_type, int64_t device_index, uint64_t seed, ct_generator *out);
void ct_generator_free(ct_generator g);
/// The generator's full state as a uint8 tensor (for exact resume), and its inverse.
ct_err ct_generator_get_state(ct_generator g, ct_tensor *out);
ct_err ct_generator_set_state(ct_generator g, ct_tensor state);

// ---- creation ---------------------------------------------------------------------------------------
/// Copies `data` (row-major, `dtype` elements) into a new tensor on the given device.
ct_err ct_from_data(const void *data, const int64_t *shape, int64_t ndim, int dtype,
                    int device_type, int64_t device_index, ct_tensor *out);
ct_err ct_empty(const int64_t *shape, int64_t ndim, int dtype, int device_type, int64_t device_index, ct_tensor *out);
ct_err ct_full(const int64_t *shape, int64_t ndim, double value, int dtype, int device_type, int64_t device_index,
               ct_tensor *out);
ct_err ct_arange(double start, double end, double step, int dtype, int device_type, int64_t device_index,
                 ct_tensor *out);
ct_err ct_linspace(double start, double end, int64_t steps, int dtype, int device_type, int64_t device_index,
                   ct_tensor *out);
/// Standard normal / uniform [0, 1) samples; `gen` may be NULL for the default generator.
ct_err ct_randn(const int64_t *shape, int64_t ndim, int dtype, int device_type, int64_t device_index,
                ct_generator gen, ct_tensor *out);
ct_err ct_rand(const int64_t *shape, int64_t ndim, int dtype, int device_type, int64_t device_index,
               ct_generator gen, ct_tensor *out);
/// Integers in [low, high), int64.
ct_err ct_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim, int device_type,
                  int64_t device_index, ct_generator gen, ct_tensor *out);

// ---- metadata and data out ---------------------------------------------------------------------------
ct_err ct_ndim(ct_tensor t, int64_t *out);
/// Writes up to `capacity` sizes into `out`.
ct_err ct_shape(ct_tensor t, int64_t *out, int64_t capacity);
ct_err ct_dtype(ct_tensor t, int *out);
ct_err ct_device(ct_tensor t, int *device_type, int64_t *device_index);
ct_err ct_numel(ct_tensor t, int64_t *out);
ct_err ct_is_contiguous(ct_tensor t, int *out);
/// Whether a 4-D tensor is dense in NHWC order (PyTorch's torch.channels_last memory format).
ct_err ct_is_channels_last(ct_tensor t, int *out);
/// Copies the tensor's elements (moved to CPU, made contiguous) into `dst`, which holds `nbytes` bytes.
ct_err ct_copy_data(ct_tensor t, void *dst, size_t nbytes);
ct_err ct_item_double(ct_tensor t, double *out);
ct_err ct_item_int64(ct_tensor t, int64_t *out);
ct_err ct_to(ct_tensor t, int dtype, int device_type, int64_t device_index, ct_tensor *out);
ct_err ct_contiguous(ct_tensor t, ct_tensor *out);
/// The same 4-D tensor laid out NHWC (`t.contiguous(memory_format=torch.channels_last)`): the layout in which
/// oneDNN's convolutions skip their reorders.
ct_err ct_contiguous_channels_last(ct_tensor t, ct_tensor *out);
ct_err ct_clone(ct_tensor t, ct_tensor *out);
ct_err ct_detach(ct_tensor t, ct_tensor *out);
/// A second handle to the same tensor (shares storage and autograd identity).
ct_err ct_alias(ct_tensor t, ct_tensor *out);
ct_err ct_allclose(ct_tensor a, ct_tensor b, double rtol, double atol, int *out);
/// A short human-readable rendering (libtorch's operator<<).
ct_err ct_to_string(ct_tensor t, char **out);

// ---- autograd ----------------------------------------------------------------------------------------
ct_err ct_requires_grad(ct_tensor t, int *out);
ct_err ct_set_requires_grad(ct_tensor t, int requires_grad);
/// `grad` may be NULL for a scalar output.
ct_err ct_backward(ct_tensor t, ct_tensor grad, int retain_graph, int create_graph);
/// `*out` is NULL when the tensor has no gradient.
ct_err ct_grad(ct_tensor t, ct_tensor *out);
/// Replaces the gradient; NULL clears it (zero-grad with set_to_none).
ct_err ct_set_grad(ct_tensor t, ct_tensor grad);
ct_err ct_is_grad_enabled(int *out);
/// Autocast regions (torch.autocast): enter records the previous state for exit to restore.
ct_err ct_autocast_enter(int device_type, int dtype, int *previous_enabled, int *previous_dtype);
ct_err ct_autocast_exit(int device_type, int previous_enabled, int previous_dtype);
ct_err ct_set_grad_enabled(int enabled);
ct_err ct_is_leaf(ct_tensor t, int *out);

// ---- elementwise, generated from one list ----------------------------------------------------------
#define CT_UNARY_OPS(X) \
    X(neg) X(exp) X(log) X(sqrt) X(rsqrt) X(abs) X(sin) X(cos) X(tanh) X(sigmoid) X(silu) X(relu) \
    X(square) X(reciprocal) X(floor) X(ceil) X(round) X(erf) X(sign) X(logical_not) X(isnan) X(isfinite)
#define CT_BINARY_OPS(X) \
    X(add) X(sub) X(mul) X(div) X(pow) X(maximum) X(minimum) X(eq) X(ne) X(gt) X(ge) X(lt) X(le) \
    X(logical_and) X(logical_or)
#define CT_SCALAR_OPS(X) \
    X(add) X(sub) X(mul) X(div) X(pow) X(eq) X(ne) X(gt) X(ge) X(lt) X(le) X(remainder)
#define CT_DECLARE_UNARY(name) ct_err ct_##name(ct_tensor a, ct_tensor *out);
#define CT_DECLARE_BINARY(name) ct_err ct_##name(ct_tensor a, ct_tensor b, ct_tensor *out);
#define CT_DECLARE_SCALAR(name) ct_err ct_##name##_scalar(ct_tensor a, double b, ct_tensor *out);
CT_UNARY_OPS(CT_DECLARE_UNARY)
CT_BINARY_OPS(CT_DECLARE_BINARY)
CT_SCALAR_OPS(CT_DECLARE_SCALAR)
/// scalar - a
ct_err ct_rsub_scalar(ct_tensor a, double b, ct_tensor *out);
/// scalar ^ a
ct_err ct_scalar_pow(double base, ct_tensor a, ct_tensor *out);
ct_err ct_add_alpha(ct_tensor a, ct_tensor b, double alpha, ct_tensor *out);
ct_err ct_where(ct_tensor cond, ct_tensor a, ct_tensor b, ct_tensor *out);
/// Missing bounds are given as has_min / has_max = 0.
ct_err ct_clamp(ct_tensor a, int has_min, double min, int has_max, double max, ct_tensor *out);
ct_err ct_lerp(ct_tensor a, ct_tensor end, double weight, ct_tensor *out);

// ---- linear algebra --------------------------------------------------------------------------------
ct_err ct_matmul(ct_tensor a, ct_tensor b, ct_tensor *out);
ct_err ct_mm(ct_tensor a, ct_tensor b, ct_tensor *out);
ct_err ct_bmm(ct_tensor a, ct_tensor b, ct_tensor *out);
ct_err ct_baddbmm(ct_tensor self, ct_tensor b1, ct_tensor b2, double beta, double alpha, ct_tensor *out);
ct_err ct_addmm(ct_tensor self, ct_tensor m1, ct_tensor m2, double beta, double alpha, ct_tensor *out);
/// y = x W^T + b; `bias` may be NULL.
ct_err ct_linear(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor *out);

// ---- reductions and scans --------------------------------------------------------------------------
/// ndims = 0 reduces over every dimension. `dtype` < 0 keeps the input's dtype.
ct_err ct_sum(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, int dtype, ct_tensor *out);
ct_err ct_mean(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out);
ct_err ct_amax(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out);
ct_err ct_amin(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out);
ct_err ct_var(ct_tensor a, const int64_t *dims, int64_t ndims, double correction, int keepdim, ct_tensor *out);
/// torch.std: the square root is taken inside the reduction (not sqrt of a rounded var), as PyTorch does.
ct_err ct_std(ct_tensor a, const int64_t *dims, int64_t ndims, double correction, int keepdim, ct_tensor *out);
ct_err ct_norm(ct_tensor a, double p, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out);
ct_err ct_logsumexp(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out);
ct_err ct_max_dim(ct_tensor a, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices);
ct_err ct_min_dim(ct_tensor a, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices);
ct_err ct_argmax(ct_tensor a, int64_t dim, int keepdim, ct_tensor *out);
ct_err ct_all(ct_tensor a, ct_tensor *out);
ct_err ct_any(ct_tensor a, ct_tensor *out);
ct_err ct_cumsum(ct_tensor a, int64_t dim, ct_tensor *out);
ct_err ct_cumprod(ct_tensor a, int64_t dim, ct_tensor *out);

// ---- shape, indexing, joining ----------------------------------------------------------------------
ct_err ct_reshape(ct_tensor a, const int64_t *shape, int64_t ndim, ct_tensor *out);
ct_err ct_view(ct_tensor a, const int64_t *shape, int64_t ndim, ct_tensor *out);
ct_err ct_permute(ct_tensor a, const int64_t *dims, int64_t ndim, ct_tensor *out);
ct_err ct_transpose(ct_tensor a, int64_t d0, int64_t d1, ct_tensor *out);
ct_err ct_expand(ct_tensor a, const int64_t *shape, int64_t ndim, ct_tensor *out);
ct_err ct_repeat(ct_tensor a, const int64_t *repeats, int64_t ndim, ct_tensor *out);
ct_err ct_squeeze_dim(ct_tensor a, int64_t dim, ct_tensor *out);
ct_err ct_unsqueeze(ct_tensor a, int64_t dim, ct_tensor *out);
ct_err ct_flatten(ct_tensor a, int64_t start, int64_t end, ct_tensor *out);
ct_err ct_narrow(ct_tensor a, int64_t dim, int64_t start, int64_t length, ct_tensor *out);
/// Python's a[..., start:end:step, ...] on one dimension (negative and out-of-range bounds clamp).
ct_err ct_slice(ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, ct_tensor *out);
ct_err ct_select(ct_tensor a, int64_t dim, int64_t index, ct_tensor *out);
ct_err ct_index_select(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor *out);
/// Advanced indexing a[i0, i1, ...]; a NULL entry stands for a full slice (':').
ct_err ct_index(ct_tensor a, const ct_tensor *indices, int64_t n, ct_tensor *out);
ct_err ct_gather(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor *out);
ct_err ct_masked_fill(ct_tensor a, ct_tensor mask, double value, ct_tensor *out);
ct_err ct_flip(ct_tensor a, const int64_t *dims, int64_t ndims, ct_tensor *out);
ct_err ct_tril(ct_tensor a, int64_t diagonal, ct_tensor *out);
ct_err ct_triu(ct_tensor a, int64_t diagonal, ct_tensor *out);
/// Constant padding, pairs from the last dimension backwards (as torch.nn.functional.pad).
ct_err ct_pad(ct_tensor a, const int64_t *pad, int64_t npad, double value, ct_tensor *out);
ct_err ct_cat(const ct_tensor *ts, int64_t n, int64_t dim, ct_tensor *out);
ct_err ct_stack(const ct_tensor *ts, int64_t n, int64_t dim, ct_tensor *out);
/// Writes up to `capacity` pieces into `out` and their number into `count`.
ct_err ct_chunk(ct_tensor a, int64_t chunks, int64_t dim, ct_tensor *out, int64_t capacity, int64_t *count);
ct_err ct_split(ct_tensor a, int64_t split_size, int64_t dim, ct_tensor *out, int64_t capacity, int64_t *count);
ct_err ct_split_with_sizes(ct_tensor a, const int64_t *sizes, int64_t nsizes, int64_t dim, ct_tensor *out,
                           int64_t capacity, int64_t *count);

// ---- neural-network functions ----------------------------------------------------------------------
ct_err ct_conv2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride, const int64_t *padding,
                 const int64_t *dilation, int64_t groups, ct_tensor *out);
ct_err ct_conv_transpose2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride,
                           const int64_t *padding, const int64_t *output_padding, int64_t groups,
                           const int64_t *dilation, ct_tensor *out);
ct_err ct_group_norm(ct_tensor x, int64_t groups, ct_tensor weight, ct_tensor bias, double eps, ct_tensor *out);
ct_err ct_layer_norm(ct_tensor x, const int64_t *normalized_shape, int64_t ndim, ct_tensor weight, ct_tensor bias,
                     double eps, ct_tensor *out);
/// `dtype` < 0 keeps the input's dtype; otherwise the input is cast first (as torch's dtype= argument).
ct_err ct_softmax(ct_tensor x, int64_t dim, int dtype, ct_tensor *out);
ct_err ct_log_softmax(ct_tensor x, int64_t dim, int dtype, ct_tensor *out);
/// approximate: 0 = exact (erf), 1 = tanh.
ct_err ct_gelu(ct_tensor x, int approximate, ct_tensor *out);
/// Output size given; scales <= 0 mean "not given" (as F.interpolate with size=).
ct_err ct_upsample_nearest2d(ct_tensor x, int64_t out_h, int64_t out_w, double scale_h, double scale_w,
                             ct_tensor *out);
ct_err ct_upsample_bilinear2d(ct_tensor x, int64_t out_h, int64_t out_w, int align_corners, double scale_h,
                              double scale_w, ct_tensor *out);
/// antialias != 0 selects _upsample_bicubic2d_aa (F.interpolate(..., antialias=True)).
ct_err ct_upsample_bicubic2d(ct_tensor x, int64_t out_h, int64_t out_w, int align_corners, int antialias,
                             double scale_h, double scale_w, ct_tensor *out);
/// Fused scaled-dot-product attention on [B, heads, S, D]; `mask` may be NULL; scale <= 0 means 1/sqrt(D).
ct_err ct_scaled_dot_product_attention(ct_tensor q, ct_tensor k, ct_tensor v, ct_tensor mask, double dropout_p,
                                       int is_causal, double scale, ct_tensor *out);
ct_err ct_embedding(ct_tensor weight, ct_tensor indices, ct_tensor *out);
/// reduction: 0 none, 1 mean, 2 sum.
ct_err ct_mse_loss(ct_tensor a, ct_tensor b, int64_t reduction, ct_tensor *out);
ct_err ct_dropout(ct_tensor x, double p, int train, ct_tensor *out);

// ---- in-place updates (optimizers, parameter surgery) ----------------------------------------------
ct_err ct_add_(ct_tensor a, ct_tensor b, double alpha);
ct_err ct_mul_(ct_tensor a, ct_tensor b);
ct_err ct_add_scalar_(ct_tensor a, double b);
ct_err ct_mul_scalar_(ct_tensor a, double b);
ct_err ct_div_(ct_tensor a, ct_tensor b);
ct_err ct_addcmul_(ct_tensor a, ct_tensor t1, ct_tensor t2, double value);
ct_err ct_addcdiv_(ct_tensor a, ct_tensor t1, ct_tensor t2, double value);
ct_err ct_lerp_(ct_tensor a, ct_tensor end, double weight);
ct_err ct_sqrt_(ct_tensor a);
ct_err ct_copy_(ct_tensor dst, ct_tensor src);
ct_err ct_zero_(ct_tensor a);
ct_err ct_fill_(ct_tensor a, double value);
/// Replaces a tensor's data (dtype, device, shape) while keeping its identity, as PyTorch's `p.data = x`:
/// how a module is moved to another dtype or device without rebuilding it.
ct_err ct_set_data(ct_tensor a, ct_tensor data);

// ---- gradient checkpointing --------------------------------------------------------------------------
/// A host-language closure: receives `ninputs` tensor handles (which it owns) and writes up to `capacity`
/// output handles (ownership passes to the caller) and their count. Returns NULL or a malloc'd error.
typedef ct_err (*ct_closure_fn)(void *context, const ct_tensor *inputs, int64_t ninputs, ct_tensor *outputs,
                                int64_t capacity, int64_t *noutputs);
/// Called once when the closure is no longer needed (the graph that holds it is gone).
typedef void (*ct_release_fn)(void *context);
/// Gradient checkpointing (reentrant, like torch.utils.checkpoint with use_reentrant=True): runs `fn` on
/// `inputs` without keeping activations and returns its outputs; backward runs `fn` again with gradients
/// enabled and back-propagates through the recomputed graph (parameters used inside `fn` receive their
/// gradients then). `release(context)` is called exactly once, when the closure is dropped.
ct_err ct_checkpoint(ct_closure_fn fn, void *context, ct_release_fn release, const ct_tensor *inputs, int64_t ninputs,
                     ct_tensor *outputs, int64_t capacity, int64_t *noutputs);

#ifdef __cplusplus
}
#endif
#endif
