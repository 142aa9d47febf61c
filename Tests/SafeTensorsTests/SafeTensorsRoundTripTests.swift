import Foundation
import SafeTensors
import Torch
import XCTest

final class SafeTensorsRoundTripTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testEveryDTypeRoundTripsBitExactly() throws {
        let base = try Tensor.randn([3, 5], generator: Generator(seed: 7)) * 100
        var tensors: [String: Tensor] = [:]
        for dtype in DType.allCases { tensors["t_\(dtype)"] = try base.to(dtype) }
        tensors["scalar"] = try Tensor.scalar(3.5)
        tensors["empty"] = try Tensor.zeros([0, 4])
        let path = directory.appendingPathComponent("all.safetensors").path
        try SafeTensors.save(tensors, metadata: ["format": "pt", "note": "quote \" and \\ and\nnewline ü"], to: path)

        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "quote \" and \\ and\nnewline ü"])
        XCTAssertEqual(Set(file.names), Set(tensors.keys))
        for (name, original) in tensors {
            let loaded = try file.tensor(name)
            XCTAssertEqual(loaded.dtype, original.dtype, name)
            XCTAssertEqual(loaded.shape, original.shape, name)
            XCTAssertEqual(try loaded.bytes(), try original.bytes(), name)
        }
        XCTAssertEqual(file.info("t_bfloat16")?.dtype, .bfloat16)
        XCTAssertEqual(file.info("t_float32")?.shape, [3, 5])
    }

    /// Saving over a link or FIFO is refused (rename(2) would replace the node itself), naming the path.
    func testSaveRefusesALinkAndAFIFO() throws {
        let target = directory.appendingPathComponent("real.safetensors").path
        try SafeTensors.save(["x": try Tensor.scalar(1.0)], to: target)
        let before = try Data(contentsOf: URL(fileURLWithPath: target))
        let link = directory.appendingPathComponent("link.safetensors").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let fifo = directory.appendingPathComponent("fifo.safetensors").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        for node in [link, fifo] {
            XCTAssertThrowsError(try SafeTensors.save(["x": try Tensor.scalar(2.0)], to: node)) { error in
                XCTAssert("\(error)".contains(node) && "\(error)".contains("not a regular file"), "\(error)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), before)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), target)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       ["fifo.safetensors", "link.safetensors", "real.safetensors"])
    }

    func testHeaderIsAlignedAndReadableByLayout() throws {
        let path = directory.appendingPathComponent("a.safetensors").path
        try SafeTensors.save(["b": try Tensor([Float(1), 2], shape: [2]), "a": try Tensor([Int64(5)], shape: [1])],
                             to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(headerLength % 8, 0)
        XCTAssertEqual(data.count, 8 + Int(headerLength) + 8 + 8)
        let json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(headerLength)))) as! [String: Any]
        let a = json["a"] as! [String: Any]
        XCTAssertEqual(a["dtype"] as? String, "I64")
        XCTAssertEqual((a["data_offsets"] as! [Int]), [0, 8])
    }

    func testLoadsOntoDeviceAndKeepsValues() throws {
        let path = directory.appendingPathComponent("v.safetensors").path
        let values: [Float] = [1.5, -2, 3.25, 0]
        try SafeTensors.save(["w": try Tensor(values, shape: [2, 2])], to: path)
        let loaded = try SafeTensors.load(path, device: .cpu)
        XCTAssertEqual(try loaded["w"]!.toArray(Float.self), values)
    }

    func testFailedSaveLeavesExistingFileAndNoTemporaries() throws {
        let path = directory.appendingPathComponent("keep.safetensors").path
        try SafeTensors.save(["x": try Tensor([Float(1)], shape: [1])], to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SafeTensors.save(["": try Tensor([Float(2)], shape: [1])], to: path)) { error in
            XCTAssert("\(error)".contains("keep.safetensors"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["keep.safetensors"])
    }

    func testSaveIntoMissingFolderFailsNamingThePath() throws {
        let path = directory.appendingPathComponent("no/such/dir/x.safetensors").path
        XCTAssertThrowsError(try SafeTensors.save(["x": try Tensor.zeros([1])], to: path)) { error in
            XCTAssert("\(error)".contains(path), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}
