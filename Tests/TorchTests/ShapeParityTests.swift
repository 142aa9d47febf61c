import Torch
import XCTest

/// Views, indexing and joining against PyTorch (Fixtures/ops_shape.safetensors): values and gradients.
final class ShapeParityTests: SingleThreadedTestCase {
    func testReshapesAndViews() throws {
        let fx = try Fixtures.load("ops_shape")
        try checkOp(fx, "reshape") { try $0[0].reshape([4, -1]) }
        try checkOp(fx, "view") { try $0[0].view([6, 4]) }
        try checkOp(fx, "permute") { try $0[0].permute([2, 0, 1]) }
        try checkOp(fx, "transpose") { try $0[0].transpose(-1, 0) }
        try checkOp(fx, "expand") { try $0[0].expand([2, 3, 4, 5]) }
        try checkOp(fx, "repeat") { try $0[0].repeated([2, 1, 3]) }
        try checkOp(fx, "squeeze") { try $0[0].squeeze(dim: 1) }
        try checkOp(fx, "unsqueeze") { try $0[0].unsqueeze(dim: -1) }
        try checkOp(fx, "flatten") { try $0[0].flatten() }
        try checkOp(fx, "flatten_range") { try $0[0].flatten(startDim: 1, endDim: 2) }
        try checkOp(fx, "contiguous") { try $0[0].transpose(0, 1).contiguous() }
    }

    func testSlicing() throws {
        let fx = try Fixtures.load("ops_shape")
        try checkOp(fx, "narrow") { try $0[0].narrow(dim: 2, start: 1, length: 2) }
        try checkOp(fx, "slice_step") { try $0[0].slice(dim: 2, start: 1, step: 2) }
        try checkOp(fx, "slice_negative") { try $0[0].slice(dim: 1, start: -2) }
        try checkOp(fx, "slice_range") { try $0[0].slice(dim: 1, start: 0, end: 99) }
        try checkOp(fx, "select") { try $0[0].select(dim: 1, index: -1) }
    }

    func testIndexing() throws {
        let fx = try Fixtures.load("ops_shape")
        try checkOp(fx, "index_select") { try $0[0].indexSelect(dim: 2, index: $0[1]) }
        try checkOp(fx, "index_dim1") { try $0[0].index([nil, $0[1]]) }
        try checkOp(fx, "index_pair") { try $0[0].index([$0[1], $0[2]]) }
        try checkOp(fx, "index_mask") { try $0[0].index([$0[1]]) }
        try checkOp(fx, "gather") { try $0[0].gather(dim: 2, index: $0[1]) }
        try checkOp(fx, "masked_fill") { try $0[0].maskedFill($0[1], value: -7.5) }
        try checkOp(fx, "flip") { try $0[0].flip(dims: [0, 2]) }
    }

    func testTriangles() throws {
        let fx = try Fixtures.load("ops_shape")
        try checkOp(fx, "tril") { try $0[0].tril() }
        try checkOp(fx, "tril_offset") { try $0[0].tril(diagonal: -1) }
        try checkOp(fx, "triu") { try $0[0].triu(diagonal: 1) }
        try checkOp(fx, "triu_batched") { try $0[0].triu() }
    }

    func testPadding() throws {
        let fx = try Fixtures.load("ops_shape")
        try checkOp(fx, "pad") { try $0[0].pad([1, 2, 0, 1], value: 0.5) }
        try checkOp(fx, "pad_crop") { try $0[0].pad([-1, 1]) }
    }

    func testJoiningAndSplitting() throws {
        let fx = try Fixtures.load("ops_shape")
        try checkOp(fx, "cat") { try Tensor.cat([$0[0], $0[1]], dim: 1) }
        try checkOp(fx, "stack") { try Tensor.stack($0, dim: -1) }
        try checkOps(fx, "chunk") { try $0[0].chunk(3, dim: 2) }
        try checkOps(fx, "chunk_uneven") { try $0[0].chunk(3, dim: 0) }
        try checkOps(fx, "split") { try $0[0].split(size: 3, dim: -1) }
        try checkOps(fx, "split_sizes") { try $0[0].split(sizes: [1, 3, 0], dim: 2) }
    }
}
