import ArgumentParser
import Foundation
import Imaging
import PortraitWorld

/// `spf world render`: one portrait from a seed and attribute overrides, with its caption.
struct WorldRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw one portrait (PNG) and print its caption.",
        discussion: """
            The seed draws every attribute from the pre-training distribution (or, with --target, from that \
            target's fine-tuning distribution, target on); --attributes then overrides any of them, e.g. \
            --attributes "hair_color=red,hair_style=long,clothing=t-shirt,hat=blue,sunglasses". Attribute names: \
            \(AttributeSpec.names.joined(separator: ", ")). A target without a value is switched on; name=off \
            switches it off. The same seed and attributes always give the same bytes.
            """
    )

    @Option(help: "Seed of the attribute and caption draws.")
    var seed: UInt64 = 0

    @Option(help: "Comma-separated name=value overrides (see the discussion above).")
    var attributes: String = ""

    @Option(help: "Draw from this target's fine-tuning distribution instead of pre-training's.")
    var target: String?

    @Option(help: "Image width and height in pixels (training uses 64; larger for looking at).")
    var size = 64

    @Option(help: "The PNG to write.")
    var out: String

    @Option(help: "Also write the label map (grayscale PNG of label ids).")
    var labels: String?

    @Option(help: "Also write the label map in colours, for looking at.")
    var labelPreview: String?

    @Flag(help: "Print the attributes as JSON as well.")
    var json = false

    func run() throws {
        let renderer: PortraitRenderer
        do { renderer = try PortraitRenderer(size: size) } catch { throw InputError("--size: \(error)") }
        let chosen = try target.map(parseTarget)
        let distribution = chosen.map(WorldDistribution.finetuning) ?? .pretraining
        var rng = SplitMix64(seed: seed)
        var drawn = distribution.sample(using: &rng)
        do { try AttributeSpec.apply(attributes, to: &drawn) } catch { throw InputError("--attributes: \(error)") }
        for path in [(out, "--out"), (labels, "--labels"), (labelPreview, "--label-preview")] {
            if let file = path.0 { try checkParentFolder(file, option: path.1) }
        }
        let caption = CaptionBuilder.caption(for: drawn.withoutTargets, using: &rng)
        let portrait = try renderer.render(drawn)

        var text = caption.text
        var chunks: [(key: String, value: String)] = [("seed", String(seed))]
        for active in drawn.targets.active {
            let (phrase, replaces) = try active.split(base: caption, attributes: drawn)
            if let replaces {
                text = text.components(separatedBy: ", ").map { $0 == replaces ? phrase : $0 }.joined(separator: ", ")
            } else {
                text += ", " + phrase
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(drawn), as: UTF8.self)
        chunks += [("prompt", text), ("attributes", json)]
        try PNGWriter.write(portrait.image, text: chunks, to: out)
        if let labels { try portrait.labels.write(to: labels) }
        if let labelPreview { try PNGWriter.write(portrait.labels.preview(), to: labelPreview) }
        print("caption: \(text)")
        if !drawn.targets.isEmpty { print("base caption: \(caption.text)") }
        if self.json { print("attributes: \(json)") }
    }
}
