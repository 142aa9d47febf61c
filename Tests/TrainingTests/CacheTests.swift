import Foundation
import Imaging
import ParityTesting
import XCTest
@testable import Training

/// The latent and text-embedding caches: reused when nothing changed, rebuilt for exactly what changed.
final class CacheTests: TinyRunTestCase {
    func testReuseAndInvalidation() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data, count: 4)
        let root = try temporaryFolder(self, "runs")
        var config = tinyConfig(data: data, out: (root as NSString).appendingPathComponent("a"), steps: 4)
        config.cacheDirectory = (root as NSString).appendingPathComponent("cache")

        func encode(_ config: TrainingConfig) throws -> EncodedDataset.Report {
            var fresh = config
            fresh.out = (root as NSString).appendingPathComponent(UUID().uuidString)
            return try TrainingSession(config: fresh).run().report
        }
        let first = try encode(config)
        XCTAssertEqual([first.latentsEncoded, first.latentsReused, first.textsEncoded], [4, 0, 2])

        let again = try encode(config)
        XCTAssertEqual([again.latentsEncoded, again.latentsReused, again.textsEncoded, again.textsReused], [0, 4, 0, 2])

        // Another resolution is another cache file; the first one stays for later runs.
        var smaller = config
        smaller.resolution = 8
        XCTAssertEqual(try encode(smaller).latentsEncoded, 4)
        XCTAssertEqual(try encode(config).latentsReused, 4)

        // A changed image is encoded again, the others are reused (keys are the files' contents).
        try PNGWriter.write(RGBImage(width: 20, height: 16, pixels: Array(repeating: 99, count: 20 * 16 * 3)),
                            to: (data as NSString).appendingPathComponent("img1.png"))
        let changed = try encode(config)
        XCTAssertEqual([changed.latentsEncoded, changed.latentsReused], [1, 3])

        // A corrupt cache file is rebuilt, not trusted.
        let files = try FileManager.default.contentsOfDirectory(atPath: config.cacheDirectory!).filter { $0.hasPrefix("latents-") }
        for file in files {
            try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: (config.cacheDirectory! as NSString).appendingPathComponent(file)))
        }
        let rebuilt = try encode(config)
        XCTAssertEqual(rebuilt.latentsEncoded, 4)
        XCTAssert(rebuilt.notes.contains { $0.contains("rebuilt") }, "\(rebuilt.notes)")
    }
}
