import Torch
import ParityTesting
import XCTest

/// Views, indexing and joining against PyTorch (Fixtures/ops_shape.safetensors): values and gradients.
final class ShapeParityTests: SingleThreadedTestCase {
    func testReshapesAndViews() throws {
        let fx = try referenceFixtures.load("ops_shape")
        try checkOp(fx, "reshape", .exact) { try $0[0].reshape([4, -1]) }
        try checkOp(fx, "view", .exact) { try $0[0].view([6, 4]) }
        try checkOp(fx, "permute", .exact) { try $0[0].permute([2, 0, 1]) }
        try checkOp(fx, "transpose", .exact) { try $0[0].transpose(-1, 0) }
        try checkOp(fx, "expand", .exact) { try $0[0].expand([2, 3, 4, 5]) }
        try checkOp(fx, "repeat", .exact) { try $0[0].repeated([2, 1, 3]) }
        try checkOp(fx, "squeeze", .exact) { try $0[0].squeeze(dim: 1) }
        try checkOp(fx, "unsqueeze", .exact) { try $0[0].unsqueeze(dim: -1) }
        try checkOp(fx, "flatten", .exact) { try $0[0].flatten() }
        try checkOp(fx, "flatten_range", .exact) { try $0[0].flatten(startDim: 1, endDim: 2) }
        try checkOp(fx, "contiguous", .exact) { try $0[0].transpose(0, 1).contiguous() }
    }

    func testSlicing() throws {
        let fx = try referenceFixtures.load("ops_shape")
        try checkOp(fx, "narrow", .exact) { try $0[0].narrow(dim: 2, start: 1, length: 2) }
        try checkOp(fx, "slice_step", .exact) { try $0[0].slice(dim: 2, start: 1, step: 2) }
        try checkOp(fx, "slice_negative", .exact) { try $0[0].slice(dim: 1, start: -2) }
        try checkOp(fx, "slice_range", .exact) { try $0[0].slice(dim: 1, start: 0, end: 99) }
        try checkOp(fx, "select", .exact) { try $0[0].select(dim: 1, index: -1) }
    }

    func testIndexing() throws {
        let fx = try referenceFixtures.load("ops_shape")
        try checkOp(fx, "index_select", .exact) { try $0[0].indexSelect(dim: 2, index: $0[1]) }
        try checkOp(fx, "index_dim1", .exact) { try $0[0].index([nil, $0[1]]) }
        try checkOp(fx, "index_pair", .exact) { try $0[0].index([$0[1], $0[2]]) }
        try checkOp(fx, "index_mask", .exact) { try $0[0].index([$0[1]]) }
        try checkOp(fx, "gather", .exact) { try $0[0].gather(dim: 2, index: $0[1]) }
        try checkOp(fx, "masked_fill", .exact) { try $0[0].maskedFill($0[1], value: -7.5) }
        try checkOp(fx, "flip", .exact) { try $0[0].flip(dims: [0, 2]) }
    }

    func testTriangles() throws {
        let fx = try referenceFixtures.load("ops_shape")
        try checkOp(fx, "tril", .exact) { try $0[0].tril() }
        try checkOp(fx, "tril_offset", .exact) { try $0[0].tril(diagonal: -1) }
        try checkOp(fx, "triu", .exact) { try $0[0].triu(diagonal: 1) }
        try checkOp(fx, "triu_batched", .exact) { try $0[0].triu() }
    }

    func testPadding() throws {
        let fx = try referenceFixtures.load("ops_shape")
        try checkOp(fx, "pad", .exact) { try $0[0].pad([1, 2, 0, 1], value: 0.5) }
        try checkOp(fx, "pad_crop", .exact) { try $0[0].pad([-1, 1]) }
    }

    func testJoiningAndSplitting() throws {
        let fx = try referenceFixtures.load("ops_shape")
        try checkOp(fx, "cat", .exact) { try Tensor.cat([$0[0], $0[1]], dim: 1) }
        try checkOp(fx, "stack", .exact) { try Tensor.stack($0, dim: -1) }
        try checkOps(fx, "chunk", .exact) { try $0[0].chunk(3, dim: 2) }
        try checkOps(fx, "chunk_uneven", .exact) { try $0[0].chunk(3, dim: 0) }
        try checkOps(fx, "split", .exact) { try $0[0].split(size: 3, dim: -1) }
        try checkOps(fx, "split_sizes", .exact) { try $0[0].split(sizes: [1, 3, 0], dim: 2) }
    }
}
