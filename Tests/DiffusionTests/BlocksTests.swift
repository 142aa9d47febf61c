import NN
import Torch
import XCTest
@testable import Diffusion

/// ResnetBlock2D, Downsample2D and Upsample2D against diffusers 0.42.1 (tools/reference/vae_fixtures.py):
/// outputs and gradients of sum(output * upstream) w.r.t. inputs and parameters.
final class BlocksTests: XCTestCase {
    let factory = ParameterFactory.uninitialized

    func testResnetWithTimeEmbeddingAndShortcut() throws {
        let block = try ResnetBlock2D(inChannels: 8, outChannels: 16, temembChannels: 12, groups: 4, factory: factory)
        XCTAssertEqual(block.children.map(\.name), ["norm1", "conv1", "time_emb_proj", "norm2", "conv2", "conv_shortcut"])
        try checkBlockFixture("resnet_temb", block) { try block($0["input"]!, temb: $0["temb"]!) }
    }

    func testResnetPlain() throws {
        let block = try ResnetBlock2D(inChannels: 8, outChannels: 8, temembChannels: nil, groups: 4, factory: factory)
        XCTAssertEqual(block.children.map(\.name), ["norm1", "conv1", "norm2", "conv2"])
        try checkBlockFixture("resnet_plain", block) { try block($0["input"]!, temb: nil) }
    }

    func testResnetGroupsOutAndOutputScale() throws {
        let block = try ResnetBlock2D(inChannels: 8, outChannels: 16, temembChannels: nil, groups: 4, groupsOut: 8,
                                      outputScaleFactor: 2, factory: factory)
        try checkBlockFixture("resnet_scaled", block) { try block($0["input"]!, temb: nil) }
    }

    func testDownsampleWithPadding() throws {
        let block = try Downsample2D(channels: 8, outChannels: 16, padding: 1, factory: factory)
        try checkBlockFixture("down_pad1", block) { try block($0["input"]!) }
    }

    func testDownsampleWithoutPaddingPadsBottomRight() throws {
        let block = try Downsample2D(channels: 8, padding: 0, factory: factory)
        try checkBlockFixture("down_pad0", block) { try block($0["input"]!) }
    }

    func testUpsample() throws {
        let block = try Upsample2D(channels: 8, outChannels: 4, factory: factory)
        try checkBlockFixture("up", block) { try block($0["input"]!) }
    }

    func testUpsampleToOutputSize() throws {
        let block = try Upsample2D(channels: 8, outChannels: 4, factory: factory)
        try checkBlockFixture("up_size", block) { try block($0["input"]!, outputSize: (7, 11)) }
    }

    func testBadInputsThrowNamingTheBlock() throws {
        let resnet = try ResnetBlock2D(inChannels: 8, outChannels: 8, temembChannels: nil, groups: 4, factory: factory)
        XCTAssertThrowsError(try resnet(Tensor.zeros([1, 4, 2, 2]), temb: nil)) { error in
            XCTAssertTrue("\(error)".contains("ResnetBlock2D"), "\(error)")
        }
        XCTAssertThrowsError(try ResnetBlock2D(inChannels: 6, outChannels: 8, temembChannels: nil, groups: 4,
                                               factory: factory))
        let down = try Downsample2D(channels: 8, factory: factory)
        XCTAssertThrowsError(try down(Tensor.zeros([8, 2, 2]))) { XCTAssertTrue("\($0)".contains("Downsample2D")) }
        let up = try Upsample2D(channels: 8, factory: factory)
        XCTAssertThrowsError(try up(Tensor.zeros([1, 3, 2, 2]))) { XCTAssertTrue("\($0)".contains("Upsample2D")) }
    }
}
