// Elementwise arithmetic, comparisons, linear algebra, reductions and scans.
#include "ct_internal.h"

#include <ATen/ops/abs.h>
#include <ATen/ops/add.h>
#include <ATen/ops/addmm.h>
#include <ATen/ops/all.h>
#include <ATen/ops/amax.h>
#include <ATen/ops/amin.h>
#include <ATen/ops/any.h>
#include <ATen/ops/argmax.h>
#include <ATen/ops/baddbmm.h>
#include <ATen/ops/bmm.h>
#include <ATen/ops/ceil.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/cos.h>
#include <ATen/ops/cumprod.h>
#include <ATen/ops/cumsum.h>
#include <ATen/ops/div.h>
#include <ATen/ops/eq.h>
#include <ATen/ops/erf.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/floor.h>
#include <ATen/ops/ge.h>
#include <ATen/ops/gt.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/isnan.h>
#include <ATen/ops/le.h>
#include <ATen/ops/lerp.h>
#include <ATen/ops/linalg_vector_norm.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/log.h>
#include <ATen/ops/logical_and.h>
#include <ATen/ops/logical_not.h>
#include <ATen/ops/logical_or.h>
#include <ATen/ops/logsumexp.h>
#include <ATen/ops/lt.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/max.h>
#include <ATen/ops/maximum.h>
#include <ATen/ops/mean.h>
#include <ATen/ops/min.h>
#include <ATen/ops/minimum.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/mul.h>
#include <ATen/ops/ne.h>
#include <ATen/ops/neg.h>
#include <ATen/ops/pow.h>
#include <ATen/ops/reciprocal.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/remainder.h>
#include <ATen/ops/round.h>
#include <ATen/ops/rsqrt.h>
#include <ATen/ops/rsub.h>
#include <ATen/ops/sigmoid.h>
#include <ATen/ops/sign.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/sin.h>
#include <ATen/ops/sqrt.h>
#include <ATen/ops/square.h>
#include <ATen/ops/std.h>
#include <ATen/ops/sub.h>
#include <ATen/ops/sum.h>
#include <ATen/ops/tanh.h>
#include <ATen/ops/var.h>
#include <ATen/ops/where.h>

using ct::get;
using ct::wrap;

extern "C" {

#define CT_DEFINE_UNARY(name) \
    ct_err ct_##name(ct_tensor a, ct_tensor *out) { CT_TRY(*out = wrap(at::name(get(a)))) }
#define CT_DEFINE_BINARY(name) \
    ct_err ct_##name(ct_tensor a, ct_tensor b, ct_tensor *out) { CT_TRY(*out = wrap(at::name(get(a), get(b)))) }
#define CT_DEFINE_SCALAR(name)                                             \
    ct_err ct_##name##_scalar(ct_tensor a, double b, ct_tensor *out) {     \
        CT_TRY(*out = wrap(at::name(get(a), at::Scalar(b))))               \
    }
CT_UNARY_OPS(CT_DEFINE_UNARY)
CT_BINARY_OPS(CT_DEFINE_BINARY)
CT_SCALAR_OPS(CT_DEFINE_SCALAR)

ct_err ct_rsub_scalar(ct_tensor a, double b, ct_tensor *out) { CT_TRY(*out = wrap(at::rsub(get(a), at::Scalar(b)))) }
ct_err ct_scalar_pow(double base, ct_tensor a, ct_tensor *out) { CT_TRY(*out = wrap(at::pow(at::Scalar(base), get(a)))) }
ct_err ct_add_alpha(ct_tensor a, ct_tensor b, double alpha, ct_tensor *out) {
    CT_TRY(*out = wrap(at::add(get(a), get(b), alpha)))
}
ct_err ct_where(ct_tensor cond, ct_tensor a, ct_tensor b, ct_tensor *out) {
    CT_TRY(*out = wrap(at::where(get(cond), get(a), get(b))))
}
ct_err ct_clamp(ct_tensor a, int has_min, double min, int has_max, double max, ct_tensor *out) {
    CT_TRY({
        std::optional<at::Scalar> lo, hi;
        if (has_min) lo = at::Scalar(min);
        if (has_max) hi = at::Scalar(max);
        *out = wrap(at::clamp(get(a), lo, hi));
    })
}
ct_err ct_lerp(ct_tensor a, ct_tensor end, double weight, ct_tensor *out) {
    CT_TRY(*out = wrap(at::lerp(get(a), get(end), at::Scalar(weight))))
}

// ---- linear algebra ----
ct_err ct_matmul(ct_tensor a, ct_tensor b, ct_tensor *out) { CT_TRY(*out = wrap(at::matmul(get(a), get(b)))) }
ct_err ct_mm(ct_tensor a, ct_tensor b, ct_tensor *out) { CT_TRY(*out = wrap(at::mm(get(a), get(b)))) }
ct_err ct_bmm(ct_tensor a, ct_tensor b, ct_tensor *out) { CT_TRY(*out = wrap(at::bmm(get(a), get(b)))) }
ct_err ct_baddbmm(ct_tensor self, ct_tensor b1, ct_tensor b2, double beta, double alpha, ct_tensor *out) {
    CT_TRY(*out = wrap(at::baddbmm(get(self), get(b1), get(b2), beta, alpha)))
}
ct_err ct_addmm(ct_tensor self, ct_tensor m1, ct_tensor m2, double beta, double alpha, ct_tensor *out) {
    CT_TRY(*out = wrap(at::addmm(get(self), get(m1), get(m2), beta, alpha)))
}
ct_err ct_linear(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor *out) {
    CT_TRY(*out = wrap(at::linear(get(x), get(weight), ct::opt(bias))))
}

// ---- reductions ----
ct_err ct_sum(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, int dtype, ct_tensor *out) {
    CT_TRY(*out = wrap(at::sum(get(a), ct::opt_dims(dims, ndims), keepdim != 0, ct::opt_dtype(dtype))))
}
ct_err ct_mean(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::mean(get(a), ct::opt_dims(dims, ndims), keepdim != 0, std::nullopt)))
}
ct_err ct_amax(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::amax(get(a), ct::ints(dims, ndims), keepdim != 0)))
}
ct_err ct_amin(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::amin(get(a), ct::ints(dims, ndims), keepdim != 0)))
}
ct_err ct_var(ct_tensor a, const int64_t *dims, int64_t ndims, double correction, int keepdim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::var(get(a), ct::opt_dims(dims, ndims), std::optional<at::Scalar>(at::Scalar(correction)),
                               keepdim != 0)))
}
ct_err ct_std(ct_tensor a, const int64_t *dims, int64_t ndims, double correction, int keepdim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::std(get(a), ct::opt_dims(dims, ndims), std::optional<at::Scalar>(at::Scalar(correction)),
                               keepdim != 0)))
}
ct_err ct_norm(ct_tensor a, double p, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::linalg_vector_norm(get(a), at::Scalar(p), ct::opt_dims(dims, ndims), keepdim != 0,
                                              std::nullopt)))
}
ct_err ct_logsumexp(ct_tensor a, const int64_t *dims, int64_t ndims, int keepdim, ct_tensor *out) {
    CT_TRY({
        std::vector<int64_t> all;
        at::IntArrayRef d = ct::ints(dims, ndims);
        if (ndims <= 0) {
            for (int64_t i = 0; i < get(a).dim(); ++i) all.push_back(i);
            d = all;
        }
        *out = wrap(at::logsumexp(get(a), d, keepdim != 0));
    })
}
ct_err ct_max_dim(ct_tensor a, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices) {
    CT_TRY({
        auto r = at::max(get(a), dim, keepdim != 0);
        *values = wrap(std::get<0>(r));
        *indices = wrap(std::get<1>(r));
    })
}
ct_err ct_min_dim(ct_tensor a, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices) {
    CT_TRY({
        auto r = at::min(get(a), dim, keepdim != 0);
        *values = wrap(std::get<0>(r));
        *indices = wrap(std::get<1>(r));
    })
}
ct_err ct_argmax(ct_tensor a, int64_t dim, int keepdim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::argmax(get(a), dim, keepdim != 0)))
}
ct_err ct_all(ct_tensor a, ct_tensor *out) { CT_TRY(*out = wrap(at::all(get(a)))) }
ct_err ct_any(ct_tensor a, ct_tensor *out) { CT_TRY(*out = wrap(at::any(get(a)))) }
ct_err ct_cumsum(ct_tensor a, int64_t dim, ct_tensor *out) { CT_TRY(*out = wrap(at::cumsum(get(a), dim))) }
ct_err ct_cumprod(ct_tensor a, int64_t dim, ct_tensor *out) { CT_TRY(*out = wrap(at::cumprod(get(a), dim))) }

}  // extern "C"
