// Lifetime, library information, generators, creation, metadata and autograd entry points.
#include "ct_internal.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/core/Generator.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <ATen/ops/allclose.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>
#include <ATen/ops/linspace.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/tensor.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <sstream>

namespace ct {
std::atomic<int64_t> &live_counter() {
    static std::atomic<int64_t> counter{0};
    return counter;
}
}  // namespace ct

using ct::get;
using ct::wrap;

extern "C" {

void ct_free_error(ct_err err) { std::free(err); }
void ct_free_string(char *s) { std::free(s); }

void ct_free(ct_tensor t) {
    if (!t) return;
    delete reinterpret_cast<at::Tensor *>(t);
    ct::live_counter().fetch_sub(1, std::memory_order_relaxed);
}

int64_t ct_live_tensors(void) { return ct::live_counter().load(std::memory_order_relaxed); }

ct_err ct_version(char **out) { CT_TRY(*out = ct::dup_string(TORCH_VERSION)) }

ct_err ct_build_config(char **out) { CT_TRY(*out = ct::dup_string(at::show_config())) }

ct_err ct_library_path(char **out) {
    CT_TRY({
        Dl_info info;
        // Any exported ATen function resolves to the library the loader actually chose.
        auto symbol = reinterpret_cast<void *>(&at::show_config);
        if (dladdr(symbol, &info) == 0 || !info.dli_fname) throw std::runtime_error("dladdr failed");
        *out = ct::dup_string(info.dli_fname);
    })
}

ct_err ct_set_num_threads(int64_t n) { CT_TRY(at::set_num_threads(static_cast<int>(n))) }
ct_err ct_get_num_threads(int64_t *out) { CT_TRY(*out = at::get_num_threads()) }
ct_err ct_cuda_device_count(int64_t *out) { CT_TRY(*out = at::detail::getCUDAHooks().deviceCount()) }

// ---- generators ----
ct_err ct_generator_new(int device_type, int64_t device_index, uint64_t seed, ct_generator *out) {
    CT_TRY({
        // Cloning the device's default generator works for CPU and CUDA without device-specific headers.
        auto gen = at::globalContext().defaultGenerator(ct::device(device_type, device_index)).clone();
        {
            std::lock_guard<std::mutex> lock(gen.mutex());
            gen.set_current_seed(seed);
        }
        *out = reinterpret_cast<ct_generator>(new at::Generator(std::move(gen)));
    })
}

void ct_generator_free(ct_generator g) { delete reinterpret_cast<at::Generator *>(g); }

static at::Generator &gen_ref(ct_generator g) {
    if (!g) throw std::invalid_argument("null generator handle");
    return *reinterpret_cast<at::Generator *>(g);
}

static std::optional<at::Generator> gen_opt(ct_generator g) {
    if (!g) return std::nullopt;
    return gen_ref(g);
}

ct_err ct_generator_get_state(ct_generator g, ct_tensor *out) {
    CT_TRY({
        auto &gen = gen_ref(g);
        std::lock_guard<std::mutex> lock(gen.mutex());
        *out = wrap(gen.get_state());
    })
}

ct_err ct_generator_set_state(ct_generator g, ct_tensor state) {
    CT_TRY({
        auto &gen = gen_ref(g);
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(get(state));
    })
}

// ---- creation ----
ct_err ct_from_data(const void *data, const int64_t *shape, int64_t ndim, int dtype, int device_type,
                    int64_t device_index, ct_tensor *out) {
    CT_TRY({
        auto t = at::empty(ct::ints(shape, ndim), at::TensorOptions().dtype(ct::scalar_type(dtype)));
        if (t.numel() > 0) std::memcpy(t.data_ptr(), data, t.nbytes());
        auto dev = ct::device(device_type, device_index);
        *out = wrap(dev.is_cpu() ? t : t.to(dev));
    })
}

ct_err ct_empty(const int64_t *shape, int64_t ndim, int dtype, int device_type, int64_t device_index,
                ct_tensor *out) {
    CT_TRY(*out = wrap(at::empty(ct::ints(shape, ndim), ct::options(dtype, device_type, device_index))))
}

ct_err ct_full(const int64_t *shape, int64_t ndim, double value, int dtype, int device_type, int64_t device_index,
               ct_tensor *out) {
    CT_TRY(*out = wrap(at::full(ct::ints(shape, ndim), value, ct::options(dtype, device_type, device_index))))
}

ct_err ct_arange(double start, double end, double step, int dtype, int device_type, int64_t device_index,
                 ct_tensor *out) {
    CT_TRY(*out = wrap(at::arange(start, end, step, ct::options(dtype, device_type, device_index))))
}

ct_err ct_linspace(double start, double end, int64_t steps, int dtype, int device_type, int64_t device_index,
                   ct_tensor *out) {
    CT_TRY(*out = wrap(at::linspace(start, end, steps, ct::options(dtype, device_type, device_index))))
}

ct_err ct_randn(const int64_t *shape, int64_t ndim, int dtype, int device_type, int64_t device_index,
                ct_generator gen, ct_tensor *out) {
    CT_TRY(*out = wrap(at::randn(ct::ints(shape, ndim), gen_opt(gen), ct::options(dtype, device_type, device_index))))
}

ct_err ct_rand(const int64_t *shape, int64_t ndim, int dtype, int device_type, int64_t device_index,
               ct_generator gen, ct_tensor *out) {
    CT_TRY(*out = wrap(at::rand(ct::ints(shape, ndim), gen_opt(gen), ct::options(dtype, device_type, device_index))))
}

ct_err ct_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim, int device_type,
                  int64_t device_index, ct_generator gen, ct_tensor *out) {
    CT_TRY(*out = wrap(at::randint(low, high, ct::ints(shape, ndim), gen_opt(gen),
                                   ct::options(CT_INT64, device_type, device_index))))
}

// ---- metadata ----
ct_err ct_ndim(ct_tensor t, int64_t *out) { CT_TRY(*out = get(t).dim()) }

ct_err ct_shape(ct_tensor t, int64_t *out, int64_t capacity) {
    CT_TRY({
        auto sizes = get(t).sizes();
        for (int64_t i = 0; i < capacity && i < static_cast<int64_t>(sizes.size()); ++i) out[i] = sizes[i];
    })
}

ct_err ct_dtype(ct_tensor t, int *out) { CT_TRY(*out = static_cast<int>(get(t).scalar_type())) }

ct_err ct_device(ct_tensor t, int *device_type, int64_t *device_index) {
    CT_TRY({
        auto d = get(t).device();
        if (d.is_cpu()) {
            *device_type = CT_CPU;
        } else if (d.is_cuda()) {
            *device_type = CT_CUDA;
        } else {
            throw std::runtime_error("tensor is on an unsupported device: " + d.str());
        }
        *device_index = d.has_index() ? d.index() : 0;
    })
}

ct_err ct_numel(ct_tensor t, int64_t *out) { CT_TRY(*out = get(t).numel()) }
ct_err ct_is_contiguous(ct_tensor t, int *out) { CT_TRY(*out = get(t).is_contiguous() ? 1 : 0) }
ct_err ct_is_channels_last(ct_tensor t, int *out) {
    CT_TRY(*out = get(t).is_contiguous(at::MemoryFormat::ChannelsLast) ? 1 : 0)
}

ct_err ct_copy_data(ct_tensor t, void *dst, size_t nbytes) {
    CT_TRY({
        auto c = get(t).detach().to(at::kCPU).contiguous();
        if (c.nbytes() != nbytes)
            throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes, tensor has " +
                                        std::to_string(c.nbytes()));
        if (nbytes > 0) std::memcpy(dst, c.data_ptr(), nbytes);
    })
}

ct_err ct_item_double(ct_tensor t, double *out) { CT_TRY(*out = get(t).item().toDouble()) }
ct_err ct_item_int64(ct_tensor t, int64_t *out) { CT_TRY(*out = get(t).item().toLong()) }

ct_err ct_to(ct_tensor t, int dtype, int device_type, int64_t device_index, ct_tensor *out) {
    CT_TRY(*out = wrap(get(t).to(ct::device(device_type, device_index), ct::scalar_type(dtype))))
}

ct_err ct_contiguous(ct_tensor t, ct_tensor *out) { CT_TRY(*out = wrap(get(t).contiguous())) }
ct_err ct_contiguous_channels_last(ct_tensor t, ct_tensor *out) {
    CT_TRY(*out = wrap(get(t).contiguous(at::MemoryFormat::ChannelsLast)))
}
ct_err ct_clone(ct_tensor t, ct_tensor *out) { CT_TRY(*out = wrap(get(t).clone())) }
ct_err ct_detach(ct_tensor t, ct_tensor *out) { CT_TRY(*out = wrap(get(t).detach())) }
ct_err ct_alias(ct_tensor t, ct_tensor *out) { CT_TRY(*out = wrap(get(t))) }

ct_err ct_allclose(ct_tensor a, ct_tensor b, double rtol, double atol, int *out) {
    CT_TRY(*out = at::allclose(get(a), get(b), rtol, atol) ? 1 : 0)
}

ct_err ct_to_string(ct_tensor t, char **out) {
    CT_TRY({
        std::ostringstream s;
        s << get(t);
        *out = ct::dup_string(s.str());
    })
}

// ---- autograd ----
ct_err ct_requires_grad(ct_tensor t, int *out) { CT_TRY(*out = get(t).requires_grad() ? 1 : 0) }
ct_err ct_set_requires_grad(ct_tensor t, int requires_grad) { CT_TRY(get(t).set_requires_grad(requires_grad != 0)) }

ct_err ct_backward(ct_tensor t, ct_tensor grad, int retain_graph, int create_graph) {
    CT_TRY(get(t).backward(grad ? get(grad) : at::Tensor(), retain_graph ? std::optional<bool>(true) : std::nullopt,
                           create_graph != 0))
}

ct_err ct_grad(ct_tensor t, ct_tensor *out) {
    CT_TRY({
        const auto &g = get(t).grad();
        *out = g.defined() ? wrap(g) : nullptr;
    })
}

ct_err ct_set_grad(ct_tensor t, ct_tensor grad) {
    CT_TRY(get(t).mutable_grad() = grad ? get(grad) : at::Tensor())
}

ct_err ct_is_grad_enabled(int *out) { CT_TRY(*out = c10::GradMode::is_enabled() ? 1 : 0) }
ct_err ct_set_grad_enabled(int enabled) { CT_TRY(c10::GradMode::set_enabled(enabled != 0)) }
ct_err ct_is_leaf(ct_tensor t, int *out) { CT_TRY(*out = get(t).is_leaf() ? 1 : 0) }

}  // extern "C"
