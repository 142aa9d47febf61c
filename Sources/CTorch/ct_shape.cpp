// Views, reshapes, indexing and joining.
#include "ct_internal.h"

#include <ATen/ops/cat.h>
#include <ATen/ops/chunk.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/flatten.h>
#include <ATen/ops/flip.h>
#include <ATen/ops/gather.h>
#include <ATen/ops/index.h>
#include <ATen/ops/index_select.h>
#include <ATen/ops/masked_fill.h>
#include <ATen/ops/narrow.h>
#include <ATen/ops/permute.h>
#include <ATen/ops/reshape.h>
#include <ATen/ops/select.h>
#include <ATen/ops/slice.h>
#include <ATen/ops/split.h>
#include <ATen/ops/split_with_sizes.h>
#include <ATen/ops/squeeze.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/transpose.h>
#include <ATen/ops/tril.h>
#include <ATen/ops/triu.h>
#include <ATen/ops/unsqueeze.h>
#include <ATen/ops/view.h>
#include <ATen/core/List.h>

using ct::get;
using ct::wrap;

static std::vector<at::Tensor> gather_handles(const ct_tensor *ts, int64_t n) {
    std::vector<at::Tensor> v;
    v.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v.push_back(get(ts[i]));
    return v;
}

static void emit_pieces(const std::vector<at::Tensor> &pieces, ct_tensor *out, int64_t capacity, int64_t *count) {
    *count = static_cast<int64_t>(pieces.size());
    if (*count > capacity)
        throw std::invalid_argument("split produced " + std::to_string(*count) + " pieces, room for " +
                                    std::to_string(capacity));
    for (size_t i = 0; i < pieces.size(); ++i) out[i] = wrap(pieces[i]);
}

extern "C" {

ct_err ct_reshape(ct_tensor a, const int64_t *shape, int64_t ndim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::reshape(get(a), ct::ints(shape, ndim))))
}
ct_err ct_view(ct_tensor a, const int64_t *shape, int64_t ndim, ct_tensor *out) {
    CT_TRY(*out = wrap(get(a).view(ct::ints(shape, ndim))))
}
ct_err ct_permute(ct_tensor a, const int64_t *dims, int64_t ndim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::permute(get(a), ct::ints(dims, ndim))))
}
ct_err ct_transpose(ct_tensor a, int64_t d0, int64_t d1, ct_tensor *out) {
    CT_TRY(*out = wrap(at::transpose(get(a), d0, d1)))
}
ct_err ct_expand(ct_tensor a, const int64_t *shape, int64_t ndim, ct_tensor *out) {
    CT_TRY(*out = wrap(get(a).expand(ct::ints(shape, ndim))))
}
ct_err ct_repeat(ct_tensor a, const int64_t *repeats, int64_t ndim, ct_tensor *out) {
    CT_TRY(*out = wrap(get(a).repeat(ct::ints(repeats, ndim))))
}
ct_err ct_squeeze_dim(ct_tensor a, int64_t dim, ct_tensor *out) { CT_TRY(*out = wrap(at::squeeze(get(a), dim))) }
ct_err ct_unsqueeze(ct_tensor a, int64_t dim, ct_tensor *out) { CT_TRY(*out = wrap(at::unsqueeze(get(a), dim))) }
ct_err ct_flatten(ct_tensor a, int64_t start, int64_t end, ct_tensor *out) {
    CT_TRY(*out = wrap(at::flatten(get(a), start, end)))
}
ct_err ct_narrow(ct_tensor a, int64_t dim, int64_t start, int64_t length, ct_tensor *out) {
    CT_TRY(*out = wrap(at::narrow(get(a), dim, start, length)))
}
ct_err ct_slice(ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, ct_tensor *out) {
    CT_TRY(*out = wrap(at::slice(get(a), dim, start, end, step)))
}
ct_err ct_select(ct_tensor a, int64_t dim, int64_t index, ct_tensor *out) {
    CT_TRY(*out = wrap(at::select(get(a), dim, index)))
}
ct_err ct_index_select(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor *out) {
    CT_TRY(*out = wrap(at::index_select(get(a), dim, get(index))))
}
ct_err ct_index(ct_tensor a, const ct_tensor *indices, int64_t n, ct_tensor *out) {
    CT_TRY({
        c10::List<std::optional<at::Tensor>> list;
        for (int64_t i = 0; i < n; ++i) list.push_back(ct::opt(indices[i]));
        *out = wrap(at::index(get(a), list));
    })
}
ct_err ct_gather(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor *out) {
    CT_TRY(*out = wrap(at::gather(get(a), dim, get(index))))
}
ct_err ct_masked_fill(ct_tensor a, ct_tensor mask, double value, ct_tensor *out) {
    CT_TRY(*out = wrap(at::masked_fill(get(a), get(mask), at::Scalar(value))))
}
ct_err ct_flip(ct_tensor a, const int64_t *dims, int64_t ndims, ct_tensor *out) {
    CT_TRY(*out = wrap(at::flip(get(a), ct::ints(dims, ndims))))
}
ct_err ct_tril(ct_tensor a, int64_t diagonal, ct_tensor *out) { CT_TRY(*out = wrap(at::tril(get(a), diagonal))) }
ct_err ct_triu(ct_tensor a, int64_t diagonal, ct_tensor *out) { CT_TRY(*out = wrap(at::triu(get(a), diagonal))) }
ct_err ct_pad(ct_tensor a, const int64_t *pad, int64_t npad, double value, ct_tensor *out) {
    CT_TRY(*out = wrap(at::constant_pad_nd(get(a), ct::ints(pad, npad), at::Scalar(value))))
}
ct_err ct_cat(const ct_tensor *ts, int64_t n, int64_t dim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::cat(gather_handles(ts, n), dim)))
}
ct_err ct_stack(const ct_tensor *ts, int64_t n, int64_t dim, ct_tensor *out) {
    CT_TRY(*out = wrap(at::stack(gather_handles(ts, n), dim)))
}
ct_err ct_chunk(ct_tensor a, int64_t chunks, int64_t dim, ct_tensor *out, int64_t capacity, int64_t *count) {
    CT_TRY(emit_pieces(at::chunk(get(a), chunks, dim), out, capacity, count))
}
ct_err ct_split(ct_tensor a, int64_t split_size, int64_t dim, ct_tensor *out, int64_t capacity, int64_t *count) {
    CT_TRY(emit_pieces(at::split(get(a), split_size, dim), out, capacity, count))
}
ct_err ct_split_with_sizes(ct_tensor a, const int64_t *sizes, int64_t nsizes, int64_t dim, ct_tensor *out,
                           int64_t capacity, int64_t *count) {
    CT_TRY(emit_pieces(at::split_with_sizes(get(a), ct::ints(sizes, nsizes), dim), out, capacity, count))
}

}  // extern "C"
