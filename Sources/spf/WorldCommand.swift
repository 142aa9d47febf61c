import ArgumentParser
import Foundation
import Imaging
import PortraitWorld

/// `spf world ...`: PortraitWorld, the synthetic portrait world with ground truth.
struct WorldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "world",
        abstract: "Synthetic portraits with exact ground truth: render one, or write a dataset (docs/portrait-world.md).",
        subcommands: [WorldRenderCommand.self, WorldDatasetCommand.self, WorldGridCommand.self, WorldPretrainCommand.self, WorldBenchCommand.self, WorldQualityCommand.self, WorldExportCommand.self, WorldImportCommand.self]
    )
}

/// A `PortraitTarget` from its name, or an error listing the names.
func parseTarget(_ name: String) throws -> PortraitTarget {
    guard let target = PortraitTarget(rawValue: name) else {
        throw InputError("unknown target \"\(name)\" (targets: \(PortraitTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    return target
}

/// `Style`s from a comma-separated list (`--styles photo,photo,cartoon`), or an error naming the unknown one.
func parseStyles(_ list: String) throws -> [Style] {
    try list.split(separator: ",", omittingEmptySubsequences: false).map { name in
        let name = name.trimmingCharacters(in: .whitespaces)
        guard let style = Style(rawValue: name) else {
            throw InputError("unknown style \"\(name)\" in --styles (\(Style.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return style
    }
}

/// Fails unless `path`'s folder exists (checked before anything is written).
func checkParentFolder(_ path: String, option: String) throws {
    let parent = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw InputError("\(option) \(path): the folder \(parent) does not exist")
    }
}
