import NN
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// A half-precision model (bfloat16 here: CPU) still captures: scores and softmax run in float32, the maps
/// and raw probabilities come back in float32, and the output stays close to the float32 model's.
final class CaptureReducedPrecisionTests: XCTestCase {
    func testBFloat16ModelCapturesInFloat32() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let (groups, layers) = try referenceFixtures.captureSpec()
        try model.to(dtype: .bfloat16)
        let spec = AttentionCaptureSpec(layers: [.all], tokenGroups: groups, rawProbabilities: true)
        let out = try model(sample: io.fixture("sample").to(.bfloat16), timestep: io.fixture("timestep"),
                            encoderHiddenStates: io.fixture("encoder_hidden_states").to(.bfloat16), capture: spec)
        XCTAssertEqual(out.sample.dtype, .bfloat16)
        // bfloat16 keeps 8 bits of mantissa: about 1% of the output scale after a whole UNet (measured 1.0e-2);
        // the maps, computed in float32 from bfloat16 q/k, land near 2e-4.
        try assertParity(out.sample.to(.float32), io.fixture("out"), Budget.accuracy(relative: 3e-2, of: .float32), "bfloat16 output", in: referenceFixtures)
        for name in layers {
            let captured = try XCTUnwrap(out.captures[name])
            let maps = try XCTUnwrap(captured.maps)
            XCTAssertEqual(maps.dtype, .float32)
            XCTAssertEqual(try XCTUnwrap(captured.probabilities).dtype, .float32)
            XCTAssertEqual(try XCTUnwrap(captured.queries).dtype, .bfloat16)
            try assertParity(maps, io.fixture("capture.\(name).maps"), Budget.accuracy(relative: 5e-3, of: .float32), "bfloat16 maps \(name)", in: referenceFixtures)
        }
    }
}
