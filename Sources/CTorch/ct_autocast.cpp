// Autocast (mixed precision) for the CPU or CUDA: what `torch.autocast(device, dtype)` switches on and off.
#include "ct_internal.h"

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

// ATen/autocast_mode.h includes all of ATen (which per-operator builds forbid); these are its exported
// functions, declared exactly as there.
namespace at::autocast {
TORCH_API bool is_autocast_enabled(at::DeviceType device_type);
TORCH_API void set_autocast_enabled(at::DeviceType device_type, bool enabled);
TORCH_API at::ScalarType get_autocast_dtype(at::DeviceType device_type);
TORCH_API void set_autocast_dtype(at::DeviceType device_type, at::ScalarType dtype);
TORCH_API void clear_cache();
TORCH_API int increment_nesting();
TORCH_API int decrement_nesting();
}  // namespace at::autocast

extern "C" {

static at::DeviceType ct_autocast_device(int device_type) {
    return device_type == CT_CUDA ? at::kCUDA : at::kCPU;
}

ct_err ct_autocast_enter(int device_type, int dtype, int *previous_enabled, int *previous_dtype) {
    CT_TRY({
        auto device = ct_autocast_device(device_type);
        *previous_enabled = at::autocast::is_autocast_enabled(device) ? 1 : 0;
        *previous_dtype = static_cast<int>(at::autocast::get_autocast_dtype(device));
        at::autocast::set_autocast_enabled(device, true);
        at::autocast::set_autocast_dtype(device, static_cast<at::ScalarType>(dtype));
        at::autocast::increment_nesting();
    })
}

ct_err ct_autocast_exit(int device_type, int previous_enabled, int previous_dtype) {
    CT_TRY({
        auto device = ct_autocast_device(device_type);
        // As torch.autocast.__exit__: the cast cache lives until the outermost region ends.
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        at::autocast::set_autocast_enabled(device, previous_enabled != 0);
        at::autocast::set_autocast_dtype(device, static_cast<at::ScalarType>(previous_dtype));
    })
}

}  // extern "C"
