import Foundation
import Imaging
import ParityTesting
import Torch
import XCTest

/// Reference fixtures written by tools/reference/image_fixtures.py (Pillow 13.0.0 and its bundled
/// libjpeg-turbo, torch 2.13); tests never run Python.
let imageFixtures = FixtureSet()

/// image_fixtures.json: the cases and the versions that wrote them.
struct ImageFixtureCases {
    let pillowLibjpegTurbo: String
    let jpeg: [[String: Any]]
    let resize: [[String: Any]]
    let center: [[String: Any]]
    let random: [[String: Any]]

    static func load() throws -> ImageFixtureCases {
        let object = try imageFixtures.jsonObject("image_fixtures.json")
        func cases(_ key: String) throws -> [[String: Any]] {
            guard let list = object[key] as? [[String: Any]] else { throw TorchError("image_fixtures.json has no \(key) list") }
            return list
        }
        return ImageFixtureCases(pillowLibjpegTurbo: object["libjpeg_turbo"] as? String ?? "?", jpeg: try cases("jpeg"),
                                 resize: try cases("resize"), center: try cases("center"), random: try cases("random"))
    }
}

extension Dictionary where Key == String, Value == Any {
    func int(_ key: String) throws -> Int {
        guard let value = self[key] as? Int else { throw TorchError("fixture case has no integer '\(key)'") }
        return value
    }

    func string(_ key: String) throws -> String {
        guard let value = self[key] as? String else { throw TorchError("fixture case has no string '\(key)'") }
        return value
    }
}

/// A uint8 [H, W, 3] fixture tensor as an image.
func rgbImage(_ tensor: Tensor) throws -> RGBImage {
    XCTAssertEqual(tensor.dtype, .uint8)
    XCTAssertEqual(tensor.ndim, 3)
    return try RGBImage(width: tensor.shape[1], height: tensor.shape[0], pixels: tensor.toArray(UInt8.self))
}

/// A source_*.png input of the resize and transform cases.
func sourceImage(_ name: String) throws -> RGBImage {
    try ImageFile.read(path: imageFixtures.path("source_\(name).png"))
}

/// A fresh temporary folder, removed by the caller's tearDown.
func makeTemporaryFolder(_ tag: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("spf-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
