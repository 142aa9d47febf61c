import Foundation
import StableDiffusion
import Torch
import XCTest

/// Writes LoRA files for tools/check_with_diffusers.py when SPF_LORA_CHECK_DIR names a folder (skipped
/// otherwise): a random LoRA on the tiny pipeline, in diffusers format with per-layer ranks and alphas
/// (alpha_pattern / rank_pattern in its metadata), and in kohya format with per-layer ranks and one alpha per model
/// (diffusers keeps only the most common alpha of a kohya file: the alpha_pattern it builds carries the keys'
/// pre-conversion names, which match no layer). docs/decisions.md records what the check measured.
final class LoRACheckFilesTests: XCTestCase {
    func testWriteFilesForTheDiffusersCheck() throws {
        guard let folder = ProcessInfo.processInfo.environment["SPF_LORA_CHECK_DIR"], !folder.isEmpty else {
            throw XCTSkip("set SPF_LORA_CHECK_DIR to write LoRA files for tools/check_with_diffusers.py")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (format, uniformAlpha) in [(LoRAFormat.diffusers, false), (.kohya, true)] {
            let pipeline = try LoRATestSupport.pipeline()
            try LoRATestSupport.injectRandomLoRA(into: pipeline, seed: 5, uniformAlpha: uniformAlpha)
            let path = (folder as NSString).appendingPathComponent("spf_lora_\(format.rawValue).safetensors")
            try pipeline.saveLoRA(to: path, format: format, info: LoRAFileInfo(trainingComment: "check with diffusers"))
            print("wrote \(path)")
        }
    }
}
