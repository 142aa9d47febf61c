// Neural-network functions and the in-place updates that optimizers use.
#include "ct_internal.h"

#include <ATen/ops/add.h>
#include <ATen/ops/addcdiv.h>
#include <ATen/ops/addcmul.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/conv_transpose2d.h>
#include <ATen/ops/copy.h>
#include <ATen/ops/div.h>
#include <ATen/ops/dropout.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/fill.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/group_norm.h>
#include <ATen/ops/layer_norm.h>
#include <ATen/ops/lerp.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/mse_loss.h>
#include <ATen/ops/mul.h>
#include <ATen/ops/scaled_dot_product_attention.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/sqrt.h>
#include <ATen/ops/_upsample_bicubic2d_aa.h>
#include <ATen/ops/upsample_bicubic2d.h>
#include <ATen/ops/upsample_bilinear2d.h>
#include <ATen/ops/upsample_nearest2d.h>
#include <ATen/ops/zero.h>

using ct::get;
using ct::wrap;

static std::optional<double> opt_scale(double s) {
    if (s <= 0) return std::nullopt;
    return s;
}

extern "C" {

ct_err ct_conv2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride, const int64_t *padding,
                 const int64_t *dilation, int64_t groups, ct_tensor *out) {
    CT_TRY(*out = wrap(at::conv2d(get(x), get(weight), ct::opt(bias), ct::ints(stride, 2), ct::ints(padding, 2),
                                  ct::ints(dilation, 2), groups)))
}
ct_err ct_conv_transpose2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride,
                           const int64_t *padding, const int64_t *output_padding, int64_t groups,
                           const int64_t *dilation, ct_tensor *out) {
    CT_TRY(*out = wrap(at::conv_transpose2d(get(x), get(weight), ct::opt(bias), ct::ints(stride, 2),
                                            ct::ints(padding, 2), ct::ints(output_padding, 2), groups,
                                            ct::ints(dilation, 2))))
}
ct_err ct_group_norm(ct_tensor x, int64_t groups, ct_tensor weight, ct_tensor bias, double eps, ct_tensor *out) {
    CT_TRY(*out = wrap(at::group_norm(get(x), groups, ct::opt(weight), ct::opt(bias), eps, true)))
}
ct_err ct_layer_norm(ct_tensor x, const int64_t *normalized_shape, int64_t ndim, ct_tensor weight, ct_tensor bias,
                     double eps, ct_tensor *out) {
    CT_TRY(*out = wrap(at::layer_norm(get(x), ct::ints(normalized_shape, ndim), ct::opt(weight), ct::opt(bias), eps,
                                      true)))
}
ct_err ct_softmax(ct_tensor x, int64_t dim, int dtype, ct_tensor *out) {
    CT_TRY(*out = wrap(at::softmax(get(x), dim, ct::opt_dtype(dtype))))
}
ct_err ct_log_softmax(ct_tensor x, int64_t dim, int dtype, ct_tensor *out) {
    CT_TRY(*out = wrap(at::log_softmax(get(x), dim, ct::opt_dtype(dtype))))
}
ct_err ct_gelu(ct_tensor x, int approximate, ct_tensor *out) {
    CT_TRY(*out = wrap(at::gelu(get(x), approximate ? "tanh" : "none")))
}
ct_err ct_upsample_nearest2d(ct_tensor x, int64_t out_h, int64_t out_w, double scale_h, double scale_w,
                             ct_tensor *out) {
    CT_TRY({
        int64_t size[2] = {out_h, out_w};
        *out = wrap(at::upsample_nearest2d(get(x), ct::ints(size, 2), opt_scale(scale_h), opt_scale(scale_w)));
    })
}
ct_err ct_upsample_bilinear2d(ct_tensor x, int64_t out_h, int64_t out_w, int align_corners, double scale_h,
                              double scale_w, ct_tensor *out) {
    CT_TRY({
        int64_t size[2] = {out_h, out_w};
        *out = wrap(at::upsample_bilinear2d(get(x), ct::ints(size, 2), align_corners != 0, opt_scale(scale_h),
                                            opt_scale(scale_w)));
    })
}
ct_err ct_upsample_bicubic2d(ct_tensor x, int64_t out_h, int64_t out_w, int align_corners, int antialias,
                             double scale_h, double scale_w, ct_tensor *out) {
    CT_TRY({
        int64_t size[2] = {out_h, out_w};
        *out = wrap(antialias != 0
                        ? at::_upsample_bicubic2d_aa(get(x), ct::ints(size, 2), align_corners != 0, opt_scale(scale_h),
                                                     opt_scale(scale_w))
                        : at::upsample_bicubic2d(get(x), ct::ints(size, 2), align_corners != 0, opt_scale(scale_h),
                                                 opt_scale(scale_w)));
    })
}
ct_err ct_scaled_dot_product_attention(ct_tensor q, ct_tensor k, ct_tensor v, ct_tensor mask, double dropout_p,
                                       int is_causal, double scale, ct_tensor *out) {
    CT_TRY(*out = wrap(at::scaled_dot_product_attention(get(q), get(k), get(v), ct::opt(mask), dropout_p,
                                                        is_causal != 0, opt_scale(scale))))
}
ct_err ct_embedding(ct_tensor weight, ct_tensor indices, ct_tensor *out) {
    CT_TRY(*out = wrap(at::embedding(get(weight), get(indices))))
}
ct_err ct_mse_loss(ct_tensor a, ct_tensor b, int64_t reduction, ct_tensor *out) {
    CT_TRY(*out = wrap(at::mse_loss(get(a), get(b), reduction)))
}
ct_err ct_dropout(ct_tensor x, double p, int train, ct_tensor *out) {
    CT_TRY(*out = wrap(at::dropout(get(x), p, train != 0)))
}

// ---- in place ----
ct_err ct_add_(ct_tensor a, ct_tensor b, double alpha) { CT_TRY(get(a).add_(get(b), alpha)) }
ct_err ct_mul_(ct_tensor a, ct_tensor b) { CT_TRY(get(a).mul_(get(b))) }
ct_err ct_add_scalar_(ct_tensor a, double b) { CT_TRY(get(a).add_(at::Scalar(b))) }
ct_err ct_mul_scalar_(ct_tensor a, double b) { CT_TRY(get(a).mul_(at::Scalar(b))) }
ct_err ct_div_(ct_tensor a, ct_tensor b) { CT_TRY(get(a).div_(get(b))) }
ct_err ct_addcmul_(ct_tensor a, ct_tensor t1, ct_tensor t2, double value) {
    CT_TRY(get(a).addcmul_(get(t1), get(t2), at::Scalar(value)))
}
ct_err ct_addcdiv_(ct_tensor a, ct_tensor t1, ct_tensor t2, double value) {
    CT_TRY(get(a).addcdiv_(get(t1), get(t2), at::Scalar(value)))
}
ct_err ct_lerp_(ct_tensor a, ct_tensor end, double weight) { CT_TRY(get(a).lerp_(get(end), at::Scalar(weight))) }
ct_err ct_sqrt_(ct_tensor a) { CT_TRY(get(a).sqrt_()) }
ct_err ct_copy_(ct_tensor dst, ct_tensor src) { CT_TRY(get(dst).copy_(get(src))) }
ct_err ct_zero_(ct_tensor a) { CT_TRY(get(a).zero_()) }
ct_err ct_fill_(ct_tensor a, double value) { CT_TRY(get(a).fill_(at::Scalar(value))) }
ct_err ct_set_data(ct_tensor a, ct_tensor data) { CT_TRY(get(a).set_data(get(data))) }

}  // extern "C"
