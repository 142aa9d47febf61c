import NN
import Torch
import XCTest
@testable import Diffusion

/// Attention (AttnProcessor2_0) against diffusers 0.42.1: self, cross (inner dim != query dim) and the VAE
/// mid-block form over [B, C, H, W] with group norm and residual; outputs and gradients.
final class AttentionTests: XCTestCase {
    let factory = ParameterFactory.uninitialized

    func testSelfAttention() throws {
        let attention = try Attention(queryDim: 16, heads: 2, dimHead: 8, factory: factory)
        XCTAssertEqual(attention.namedParameters().map(\.name),
                       ["to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight", "to_out.0.bias"])
        try checkBlockFixture("attn_self", attention) { try attention($0["input"]!) }
    }

    func testCrossAttention() throws {
        let attention = try Attention(queryDim: 16, crossAttentionDim: 12, heads: 2, dimHead: 4, factory: factory)
        XCTAssertTrue(attention.isCrossAttention)
        try checkBlockFixture("attn_cross", attention) {
            try attention($0["input"]!, encoderHiddenStates: $0["encoder_hidden_states"]!)
        }
    }

    func testVAEStyleSpatialAttention() throws {
        let attention = try Attention(queryDim: 16, heads: 1, dimHead: 16, bias: true, groupNormGroups: 4, eps: 1e-6,
                                      residualConnection: true, factory: factory)
        XCTAssertEqual(attention.children.map(\.name), ["group_norm", "to_q", "to_k", "to_v", "to_out.0"])
        try checkBlockFixture("attn_vae", attention) { try attention($0["input"]!) }
    }

    func testBadShapesThrow() throws {
        let attention = try Attention(queryDim: 16, crossAttentionDim: 12, heads: 2, dimHead: 4, factory: factory)
        XCTAssertThrowsError(try attention(Tensor.zeros([2, 10, 15]))) { XCTAssertTrue("\($0)".contains("Attention")) }
        XCTAssertThrowsError(try attention(Tensor.zeros([2, 10, 16]), encoderHiddenStates: Tensor.zeros([2, 7, 16])))
        XCTAssertThrowsError(try Attention(queryDim: 16, heads: 0, dimHead: 4, factory: factory))
    }
}
