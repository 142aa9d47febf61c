import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output folder checked before any work and filled all at once: files are written into a hidden staging
/// folder inside it and renamed into place only when every one of them was written, so a failed run leaves
/// nothing behind (not even the folder, when the run created it).
struct OutputFolder {
    let path: String
    let flag: String

    /// Checks that `path` is, or can be created as, a writable folder in which `names` can be placed: an empty
    /// path, an existing file, a path under a file, an unwritable folder and a name taken by a folder are all
    /// errors here, before any model is loaded.
    init(_ path: String, flag: String = "--out", names: [String] = []) throws {
        self.path = path
        self.flag = flag
        guard !path.isEmpty else { throw InputError("\(flag): an empty path is not a folder") }
        var status = stat()
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw InputError("\(flag) \(path): exists and is not a folder")
            }
            guard access(path, W_OK | X_OK) == 0 else {
                throw InputError("\(flag) \(path): the folder is not writable (\(String(cString: strerror(errno))))")
            }
            for name in names {
                let target = (path as NSString).appendingPathComponent(name)
                var existing = stat()
                if lstat(target, &existing) == 0, existing.st_mode & S_IFMT == S_IFDIR {
                    throw InputError("\(flag) \(path): \(name) is a folder there, so the file \(name) cannot be written")
                }
            }
            return
        }
        guard errno == ENOENT else {
            throw InputError("\(flag) \(path): \(errno == ENOTDIR ? "a component of the path is a file, not a folder" : String(cString: strerror(errno)))")
        }
        // The nearest existing ancestor must be a writable folder.
        var ancestor = (path as NSString).deletingLastPathComponent
        if ancestor.isEmpty { ancestor = "." }
        while stat(ancestor, &status) != 0 {
            guard errno == ENOENT else {
                throw InputError("\(flag) \(path): cannot be created (\(ancestor): \(errno == ENOTDIR ? "a component of the path is a file, not a folder" : String(cString: strerror(errno))))")
            }
            let parent = (ancestor as NSString).deletingLastPathComponent
            ancestor = parent.isEmpty ? "." : parent
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw InputError("\(flag) \(path): cannot be created, \(ancestor) is a file, not a folder")
        }
        guard access(ancestor, W_OK | X_OK) == 0 else {
            throw InputError("\(flag) \(path): cannot be created, \(ancestor) is not writable")
        }
    }

    /// `publish` for a tree written in one go: `write(staging)` fills a staging folder, whose entries are then
    /// renamed into `path` (those named in `last` after all others, e.g. model_index.json). An entry that already
    /// exists in `path` is an error, and any failure removes what this call wrote.
    func publishTree(last: Set<String> = [], write: (String) throws -> Void) throws {
        let fm = FileManager.default
        var entries: [String] = []
        try publishStaged { staging in
            try write(staging)
            let all = try fm.contentsOfDirectory(atPath: staging).sorted()
            entries = all.filter { !last.contains($0) } + all.filter { last.contains($0) }
            for name in entries where fm.fileExists(atPath: (path as NSString).appendingPathComponent(name)) {
                throw InputError("\(flag) \(path): \(name) already exists there; choose another \(flag)")
            }
            return entries
        }
    }

    /// Writes every file with `write(name, stagingPath)` into a staging folder, then renames them all into
    /// `path`. On any failure the staged files, the files already moved and a folder this call created are
    /// removed, and the error is rethrown. Returns the final paths.
    @discardableResult
    func publish(_ names: [String], write: (String, String) throws -> Void) throws -> [String] {
        try publishStaged { staging in
            for name in names { try write(name, (staging as NSString).appendingPathComponent(name)) }
            return names
        }
    }

    /// Creates the folder and a staging folder in it, lets `fill` write into the staging folder and say which
    /// entries to move, moves them in that order, and on any failure removes everything this call made.
    private func publishStaged(_ fill: (String) throws -> [String]) throws -> [String] {
        let fm = FileManager.default
        let created = !fm.fileExists(atPath: path)
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw InputError("\(flag) \(path): cannot create the folder (\(CLIErrorMessage.describe(error)))")
        }
        let staging = (path as NSString).appendingPathComponent(".spf-staging-\(getpid())-\(UUID().uuidString.prefix(8))")
        var moved: [String] = []
        do {
            do {
                try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
            } catch {
                throw InputError("\(flag) \(path): cannot write into the folder (\(CLIErrorMessage.describe(error)))")
            }
            for name in try fill(staging) {
                let target = (path as NSString).appendingPathComponent(name)
                guard rename((staging as NSString).appendingPathComponent(name), target) == 0 else {
                    throw InputError("\(target): cannot move the finished output into place (\(String(cString: strerror(errno))))")
                }
                moved.append(target)
            }
            try? fm.removeItem(atPath: staging)
            return moved
        } catch {
            for file in moved { unlink(file) }
            try? fm.removeItem(atPath: staging)
            if created { try? fm.removeItem(atPath: path) }
            throw error
        }
    }
}
