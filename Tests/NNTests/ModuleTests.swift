import NN
import Torch
import XCTest

/// A tiny two-level model with diffusers-style names.
final class Block: Module {
    let norm: GroupNorm
    let proj: Linear
    let convs: [Conv2d]
    init(factory: ParameterFactory) throws {
        norm = try GroupNorm(groups: 2, channels: 4, factory: factory)
        proj = try Linear(4, 3, factory: factory)
        convs = [try Conv2d(4, 4, kernelSize: 3, padding: 1, factory: factory),
                 try Conv2d(4, 2, kernelSize: 1, bias: false, factory: factory)]
    }
    var children: [(name: String, module: any Module)] {
        [("norm", norm), ("proj", proj)] + convs.enumerated().map { ("convs.\($0.offset)", $0.element) }
    }
}

final class ModuleTests: XCTestCase {
    func testDottedNamesAndCounts() throws {
        let block = try Block(factory: ParameterFactory(generator: Generator(seed: 0)))
        XCTAssertEqual(block.namedParameters().map(\.name),
                       ["norm.weight", "norm.bias", "proj.weight", "proj.bias", "convs.0.weight", "convs.0.bias",
                        "convs.1.weight"])
        XCTAssertEqual(block.parameterCount, 4 + 4 + 12 + 3 + 144 + 4 + 8)
        XCTAssertEqual(block.namedModules().map(\.name), ["", "norm", "proj", "convs.0", "convs.1"])
    }

    func testLoadCopiesAndConvertsDType() throws {
        let source = try Block(factory: ParameterFactory(generator: Generator(seed: 1)))
        let target = try Block(factory: .uninitialized)
        var weights = source.stateDict()
        weights["proj.weight"] = try weights["proj.weight"]!.to(.float16)
        try target.load(weights, source: "block.safetensors")
        XCTAssertEqual(try target.convs[0].weight.floats(), try source.convs[0].weight.floats())
        XCTAssertEqual(target.proj.weight.dtype, .float32)
        XCTAssertEqual(try target.proj.weight.floats(), try source.proj.weight.to(.float16).floats())
    }

    func testLoadErrorsNameFileKeyAndShapes() throws {
        let block = try Block(factory: .uninitialized)
        var weights = try Block(factory: ParameterFactory(generator: Generator(seed: 2))).stateDict()

        var missing = weights
        missing["convs.1.weight"] = nil
        XCTAssertThrowsError(try block.load(missing, source: "m.safetensors")) {
            XCTAssertEqual("\($0)", "m.safetensors: key 'convs.1.weight': missing from the checkpoint")
        }
        var extra = weights
        extra["convs.1.bias"] = try Tensor.zeros([2])
        XCTAssertThrowsError(try block.load(extra, source: "e.safetensors")) {
            XCTAssertEqual("\($0)", "e.safetensors: key 'convs.1.bias': not a parameter of the model")
        }
        XCTAssertNoThrow(try block.load(extra, strict: false, source: "e.safetensors"))

        weights["proj.weight"] = try Tensor.zeros([4, 3])
        weights["norm.weight"] = try Tensor.zeros([9])
        let fresh = try Block(factory: .uninitialized)
        let freshBytes = try fresh.convs[0].weight.bytes()
        XCTAssertThrowsError(try fresh.load(weights, source: "s.safetensors")) {
            XCTAssertEqual("\($0)", "s.safetensors: key 'norm.weight': shape mismatch: checkpoint has [9], model expects [4]")
        }
        // Nothing was copied: the failed load left the module as it was.
        XCTAssertEqual(try fresh.convs[0].weight.bytes(), freshBytes)
    }

    func testMoveToDTypeKeepsParameterIdentity() throws {
        let block = try Block(factory: ParameterFactory(generator: Generator(seed: 3)))
        let weight = block.proj.weight
        try block.to(dtype: .bfloat16)
        XCTAssert(weight === block.proj.weight)
        XCTAssertEqual(block.proj.weight.dtype, .bfloat16)
        XCTAssertEqual(Set(block.parameters.map(\.dtype)), [.bfloat16])
    }

    func testLoRAStartsAsIdentityAndTrainsOnlyAdapters() throws {
        let block = try Block(factory: ParameterFactory(generator: Generator(seed: 4)))
        let x = try Tensor.randn([2, 4], generator: Generator(seed: 5))
        let image = try Tensor.randn([1, 4, 3, 3], generator: Generator(seed: 6))
        let before = try block.proj(x).floats()
        let beforeConv = try block.convs[1](image).floats()
        let names = try block.injectLoRA(LoRAConfiguration(rank: 2, alpha: 4, targets: ["proj", "convs.1", "convs.0"]),
                                         factory: ParameterFactory(generator: Generator(seed: 7)))
        XCTAssertEqual(names, ["proj", "convs.1"])  // the 3x3 convolution takes no adapter
        XCTAssertEqual(try block.proj(x).floats(), before)
        XCTAssertEqual(try block.convs[1](image).floats(), beforeConv)
        let trainable = block.namedParameters().filter { $0.tensor.requiresGrad }.map(\.name)
        XCTAssertEqual(trainable, ["proj.lora.lora_A.weight", "proj.lora.lora_B.weight",
                                   "convs.1.lora.lora_A.weight", "convs.1.lora.lora_B.weight"])
        // B receives a gradient at once (A does not while B is zero), as in PEFT.
        try block.proj(x).sum().backward()
        XCTAssertNotNil(try block.proj.lora!.up.grad())
        XCTAssertEqual(try block.proj.lora!.scale, 2)
    }

    /// A factory without a generator (the one used before loading a checkpoint) must still give a finite A:
    /// NaN in A times a zero B is NaN, so the injected model would no longer equal the plain one.
    func testFreshAdaptersAreTheIdentityAlsoFromAnUninitializedFactory() throws {
        for (label, factory) in [("seeded", try ParameterFactory(generator: Generator(seed: 8))),
                                 ("uninitialized", ParameterFactory.uninitialized)] {
            let block = try Block(factory: ParameterFactory(generator: Generator(seed: 9)))
            let x = try Tensor.randn([3, 4], generator: Generator(seed: 10))
            let image = try Tensor.randn([2, 4, 5, 5], generator: Generator(seed: 11))
            let plain = (try block.proj(x).floats(), try block.convs[1](image).floats())
            try block.injectLoRA(LoRAConfiguration(rank: 3, alpha: 5, targets: ["proj", "convs.1"]), factory: factory)
            for (name, lora) in block.loraAdapters() {
                XCTAssert(try lora.down.floats().allSatisfy { $0.isFinite && $0 != 0 }, "\(label): \(name) A")
                XCTAssert(try lora.up.floats().allSatisfy { $0 == 0 }, "\(label): \(name) B")
            }
            XCTAssertEqual(try block.proj(x).floats(), plain.0, label)
            XCTAssertEqual(try block.convs[1](image).floats(), plain.1, label)
        }
        // Deterministic: the fallback is one generator seeded with LoRA.fallbackSeed per call, so two models
        // get the same adapters and the adapters of one model differ from each other.
        let a = try Block(factory: .uninitialized), b = try Block(factory: .uninitialized)
        for block in [a, b] {
            try block.injectLoRA(LoRAConfiguration(rank: 2, alpha: 2, targets: ["proj", "convs.1"]), factory: .uninitialized)
        }
        XCTAssertEqual(try a.proj.lora!.down.bytes(), try b.proj.lora!.down.bytes())
        XCTAssertEqual(try a.convs[1].lora!.down.bytes(), try b.convs[1].lora!.down.bytes())
        let expected = try Tensor.rand([2, 4], generator: Generator(seed: LoRA.fallbackSeed)) * 1.0 - 0.5
        XCTAssertEqual(try a.proj.lora!.down.floats(), try expected.floats())
        XCTAssertNotEqual(try a.proj.lora!.down.floats(), try a.convs[1].lora!.down.reshape([2, 4]).floats())
    }

    func testAdaptersCanBeListedAttachedAndRemoved() throws {
        let block = try Block(factory: ParameterFactory(generator: Generator(seed: 12)))
        XCTAssertNil(LoRATarget(block.convs[0]))  // 3x3
        XCTAssertNil(LoRATarget(block.norm))
        let target = try XCTUnwrap(LoRATarget(block.convs[1]))
        XCTAssertEqual(target.adapterShapes(rank: 3).down, [3, 4, 1, 1])
        XCTAssertEqual(target.adapterShapes(rank: 3).up, [2, 3, 1, 1])
        let lora = try target.attachLoRA(rank: 3, alpha: 6, generator: nil)
        lora.strength = 0.5
        XCTAssertEqual(lora.scale, 1)
        XCTAssertEqual(block.loraAdapters().map(\.name), ["convs.1"])
        XCTAssertEqual(block.stateDict().keys.filter { $0.contains("lora") }.sorted(),
                       ["convs.1.lora.lora_A.weight", "convs.1.lora.lora_B.weight"])
        XCTAssertEqual(block.removeLoRA(), ["convs.1"])
        XCTAssert(block.loraAdapters().isEmpty)
    }

    func testUninitializedFactoryStillBuildsCorrectShapes() throws {
        let linear = try Linear(8, 5, bias: false, factory: .uninitialized)
        XCTAssertEqual(linear.weight.shape, [5, 8])
        XCTAssertNil(linear.bias)
        XCTAssertThrowsError(try Conv2d(6, 4, kernelSize: 3, groups: 4, factory: .uninitialized))
    }
}
