import ArgumentParser
import Foundation
import Imaging
import PortraitWorld

/// `spf world grid`: a sample sheet (pre-training row, then one row per target).
struct WorldGridCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grid",
        abstract: "Draw a sample grid: a pre-training row, then one row per target's fine-tuning set.",
        discussion: "Row order: pretrain, \(PortraitTarget.allCases.map(\.rawValue).joined(separator: ", ")). "
            + "Column i is example i of the dataset with the same --seed."
    )

    @Option(help: "Portraits per row.")
    var columns = 6

    @Option(help: "Dataset seed.")
    var seed: UInt64 = 0

    @Option(help: "Portrait size in pixels.")
    var size = 64

    @Option(help: "The PNG to write.")
    var out: String

    func run() throws {
        try checkParentFolder(out, option: "--out")
        let sheet: RGBImage
        do { sheet = try SampleSheet.render(seed: seed, columns: columns, size: size) } catch let error as WorldError {
            throw InputError(error.description)
        }
        try PNGWriter.write(sheet, to: out)
        print("wrote \(out) (\(sheet.width)x\(sheet.height))")
    }
}
