// Shared by the shim's .cpp files: handle conversion and the one error convention.
#pragma once
#include "ctorch.h"

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>
#include <c10/util/OptionalArrayRef.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace ct {

/// Live-handle counter for leak tests; atomics keep it exact across threads.
std::atomic<int64_t> &live_counter();

inline char *dup_string(const std::string &s) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p) std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}

inline at::Tensor &get(ct_tensor t) {
    if (!t) throw std::invalid_argument("null tensor handle");
    return *reinterpret_cast<at::Tensor *>(t);
}

inline std::optional<at::Tensor> opt(ct_tensor t) {
    if (!t) return std::nullopt;
    return get(t);
}

inline ct_tensor wrap(at::Tensor t) {
    auto *p = new at::Tensor(std::move(t));
    live_counter().fetch_add(1, std::memory_order_relaxed);
    return reinterpret_cast<ct_tensor>(p);
}

inline at::IntArrayRef ints(const int64_t *p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

/// "No dimensions" means "all dimensions" for reductions.
inline at::OptionalIntArrayRef opt_dims(const int64_t *p, int64_t n) {
    if (n <= 0) return at::OptionalIntArrayRef();
    return at::OptionalIntArrayRef(ints(p, n));
}


inline at::ScalarType scalar_type(int code) { return static_cast<at::ScalarType>(code); }

inline std::optional<at::ScalarType> opt_dtype(int code) {
    if (code < 0) return std::nullopt;
    return scalar_type(code);
}

inline at::Device device(int type, int64_t index) {
    if (type == CT_CPU) return at::Device(at::kCPU);
    if (type == CT_CUDA) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
    throw std::invalid_argument("unknown device type " + std::to_string(type));
}

inline at::TensorOptions options(int dtype, int device_type, int64_t device_index) {
    return at::TensorOptions().dtype(scalar_type(dtype)).device(device(device_type, device_index));
}

}  // namespace ct

// Every exported function body goes through CT_TRY: a C++ exception becomes the returned message.
#define CT_TRY(...)                                                      \
    try {                                                                 \
        __VA_ARGS__;                                                       \
        return nullptr;                                                   \
    } catch (const c10::Error &e) {                                       \
        return ct::dup_string(e.what_without_backtrace());                \
    } catch (const std::exception &e) {                                   \
        return ct::dup_string(e.what());                                  \
    } catch (...) {                                                       \
        return ct::dup_string("unknown C++ exception in libtorch");       \
    }
