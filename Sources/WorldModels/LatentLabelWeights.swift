import Foundation
import PortraitWorld
import Torch
import Training

/// Loss weights per latent cell for the UNet stage, from each training image's label map (`labels/<file_name>`
/// of a `WorldDataset` folder): a pixel weighs `weights[label]` (1 for labels not named), a latent cell the mean
/// of the pixels it covers, and a batch's weights are scaled to mean 1 so that the loss keeps the unweighted
/// objective's scale. The UNet analogue of the VAE stage's `vae_label_weights`: the UNet drew faces, eyes and
/// cartoon outlines worst, and they are a small share of each latent.
public final class LatentLabelWeights {
    public let folder: String
    public let weights: [PortraitLabel: Double]
    /// Cell weights per file name and latent size (label maps are read once per run).
    private var cells: [String: [Float]] = [:]

    public init(folder: String, weights: [PortraitLabel: Double]) {
        self.folder = folder
        self.weights = weights
    }

    /// [B, 1, height, width] weights of `records`' images, mean 1 over the batch.
    public func weights(for records: [CaptionRecord], height: Int, width: Int) throws -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(records.count * height * width)
        for record in records { values += try cellWeights(record.fileName, height: height, width: width) }
        let batch = try Tensor(values, shape: [records.count, 1, height, width])
        return try batch / batch.mean()
    }

    /// The mean pixel weight under each of the height x width cells of `fileName`'s label map.
    func cellWeights(_ fileName: String, height: Int, width: Int) throws -> [Float] {
        let key = "\(fileName) \(height)x\(width)"
        if let cached = cells[key] { return cached }
        let path = (((folder as NSString).appendingPathComponent("labels")) as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else {
            throw WorldError("\(path) does not exist: unet_label_weights needs the label maps a PortraitWorld dataset "
                             + "keeps under labels/ (spf world dataset)")
        }
        let map = try LabelMap.read(path: path)
        guard map.width % width == 0, map.height % height == 0 else {
            throw WorldError("\(path): a \(map.width)x\(map.height) label map does not divide into the "
                             + "\(width)x\(height) latent")
        }
        let fx = map.width / width, fy = map.height / height
        var sums = [Float](repeating: 0, count: height * width)
        for y in 0..<map.height {
            for x in 0..<map.width {
                sums[(y / fy) * width + x / fx] += Float(weights[map[x, y]] ?? 1)
            }
        }
        let cell = sums.map { $0 / Float(fx * fy) }
        cells[key] = cell
        return cell
    }
}
