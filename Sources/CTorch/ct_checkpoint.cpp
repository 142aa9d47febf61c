// Gradient checkpointing of a host-language closure through a custom autograd Function.
// Kept in its own file: it is the only one that needs libtorch's (heavier) autograd headers.
#include "ct_internal.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr int64_t kMaxOutputs = 64;

/// Owns the closure; its destructor hands the context back to the host exactly once.
struct Closure : torch::CustomClassHolder {
    ct_closure_fn fn;
    void *context;
    ct_release_fn release;

    Closure(ct_closure_fn f, void *c, ct_release_fn r) : fn(f), context(c), release(r) {}
    ~Closure() override {
        if (release) release(context);
    }

    variable_list call(const variable_list &inputs) const {
        std::vector<ct_tensor> in;
        in.reserve(inputs.size());
        for (const auto &t : inputs) in.push_back(ct::wrap(t));  // the closure takes ownership
        std::vector<ct_tensor> out(kMaxOutputs, nullptr);
        int64_t n = 0;
        ct_err err = fn(context, in.data(), static_cast<int64_t>(in.size()), out.data(), kMaxOutputs, &n);
        variable_list result;
        for (int64_t i = 0; i < n && i < kMaxOutputs; ++i) {
            if (out[i]) {
                result.push_back(ct::get(out[i]));
                ct_free(out[i]);
            }
        }
        if (err) {
            std::string message(err);
            std::free(err);
            throw std::runtime_error(message);
        }
        return result;
    }
};

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction> {
    static variable_list forward(AutogradContext *ctx, c10::intrusive_ptr<Closure> closure, at::TensorList inputs) {
        // Function::apply runs forward with gradient recording off: no activations are kept.
        auto outputs = closure->call(inputs.vec());
        ctx->save_for_backward(inputs.vec());
        ctx->saved_data["closure"] = c10::IValue::make_capsule(closure);
        return outputs;
    }

    static variable_list backward(AutogradContext *ctx, variable_list grad_outputs) {
        auto saved = ctx->get_saved_variables();
        auto closure = c10::static_intrusive_pointer_cast<Closure>(ctx->saved_data["closure"].toCapsule());
        variable_list detached;
        for (const auto &t : saved) {
            auto d = t.detach();
            d.set_requires_grad(t.requires_grad());
            detached.push_back(d);
        }
        variable_list outputs;
        {
            at::AutoGradMode enable(true);
            outputs = closure->call(detached);
        }
        variable_list roots, grads;
        for (size_t i = 0; i < outputs.size() && i < grad_outputs.size(); ++i) {
            if (outputs[i].requires_grad() && grad_outputs[i].defined()) {
                roots.push_back(outputs[i]);
                grads.push_back(grad_outputs[i]);
            }
        }
        if (!roots.empty()) torch::autograd::backward(roots, grads);
        variable_list result{at::Tensor()};  // no gradient for the closure argument
        for (const auto &d : detached) result.push_back(d.requires_grad() ? d.grad() : at::Tensor());
        return result;
    }
};

}  // namespace

extern "C" ct_err ct_checkpoint(ct_closure_fn fn, void *context, ct_release_fn release, const ct_tensor *inputs,
                                int64_t ninputs, ct_tensor *outputs, int64_t capacity, int64_t *noutputs) {
    // Own the context before anything can fail, so that it is released on every path.
    auto closure = c10::make_intrusive<Closure>(fn, context, release);
    CT_TRY({
        std::vector<at::Tensor> in;
        for (int64_t i = 0; i < ninputs; ++i) in.push_back(ct::get(inputs[i]));
        auto result = CheckpointFunction::apply(closure, at::TensorList(in));
        if (static_cast<int64_t>(result.size()) > capacity)
            throw std::invalid_argument("checkpointed closure returned " + std::to_string(result.size()) +
                                        " tensors, room for " + std::to_string(capacity));
        *noutputs = static_cast<int64_t>(result.size());
        for (size_t i = 0; i < result.size(); ++i) outputs[i] = ct::wrap(result[i]);
    })
}
