/// The LDM -> diffusers names of a UNet2DConditionModel, generated from its layout; the same pairs that
/// diffusers 0.42.1's convert_ldm_unet_checkpoint produces for a complete SD 1.x checkpoint.
enum LDMUNetKeys {
    static let prefix = "model.diffusion_model."

    static func mappings(_ layout: UNetCheckpointLayout) throws -> [LDMTensorMapping] {
        try layout.validate()
        var b = MappingBuilder(sourcePrefix: prefix)
        let channels = layout.blockOutChannels
        let levels = channels.count
        let perBlock = layout.layersPerBlock
        let attention = layout.attentionLevels

        b.layer("time_embed.0", "time_embedding.linear_1")
        b.layer("time_embed.2", "time_embedding.linear_2")
        b.layer("input_blocks.0.0", "conv_in")

        // input_blocks.1... hold (layers_per_block resnets [+ attention], then a downsampler) per level.
        for level in 0..<levels {
            let output = channels[level]
            let input = level == 0 ? channels[0] : channels[level - 1]
            for layer in 0..<perBlock {
                let index = 1 + level * (perBlock + 1) + layer
                resnet(&b, "input_blocks.\(index).0", "down_blocks.\(level).resnets.\(layer)",
                       shortcut: (layer == 0 ? input : output) != output)
                if attention[level] {
                    transformer(&b, "input_blocks.\(index).1", "down_blocks.\(level).attentions.\(layer)", layout)
                }
            }
            if level != levels - 1 {
                let index = 1 + level * (perBlock + 1) + perBlock
                b.layer("input_blocks.\(index).0.op", "down_blocks.\(level).downsamplers.0.conv")
            }
        }

        resnet(&b, "middle_block.0", "mid_block.resnets.0", shortcut: false)
        transformer(&b, "middle_block.1", "mid_block.attentions.0", layout)
        resnet(&b, "middle_block.2", "mid_block.resnets.1", shortcut: false)

        // output_blocks: layers_per_block + 1 resnets per level (inputs concatenated with the skips), in reverse.
        let reversed = Array(channels.reversed())
        for block in 0..<levels {
            let output = reversed[block]
            let previous = block == 0 ? reversed[0] : reversed[block - 1]
            let input = reversed[min(block + 1, levels - 1)]
            let hasAttention = attention[levels - 1 - block]
            for layer in 0...perBlock {
                let index = block * (perBlock + 1) + layer
                let skip = layer == perBlock ? input : output
                let resnetIn = (layer == 0 ? previous : output) + skip
                resnet(&b, "output_blocks.\(index).0", "up_blocks.\(block).resnets.\(layer)",
                       shortcut: resnetIn != output)
                if hasAttention {
                    transformer(&b, "output_blocks.\(index).1", "up_blocks.\(block).attentions.\(layer)", layout)
                }
                if layer == perBlock && block != levels - 1 {
                    b.layer("output_blocks.\(index).\(hasAttention ? 2 : 1).conv", "up_blocks.\(block).upsamplers.0.conv")
                }
            }
        }

        b.layer("out.0", "conv_norm_out")
        b.layer("out.2", "conv_out")
        return b.mappings
    }

    /// ResBlock -> ResnetBlock2D (update_unet_resnet_ldm_to_diffusers's renames).
    private static func resnet(_ b: inout MappingBuilder, _ source: String, _ target: String, shortcut: Bool) {
        b.layer("\(source).in_layers.0", "\(target).norm1")
        b.layer("\(source).in_layers.2", "\(target).conv1")
        b.layer("\(source).emb_layers.1", "\(target).time_emb_proj")
        b.layer("\(source).out_layers.0", "\(target).norm2")
        b.layer("\(source).out_layers.3", "\(target).conv2")
        if shortcut { b.layer("\(source).skip_connection", "\(target).conv_shortcut") }
    }

    /// SpatialTransformer -> Transformer2DModel: the names below the block prefix are already diffusers'.
    private static func transformer(_ b: inout MappingBuilder, _ source: String, _ target: String,
                                    _ layout: UNetCheckpointLayout) {
        var suffixes = ["norm", "proj_in"]
        for depth in 0..<layout.transformerLayersPerBlock {
            let block = "transformer_blocks.\(depth)"
            for attention in ["attn1", "attn2"] {
                for projection in ["to_q", "to_k", "to_v"] {
                    b.tensor("\(source).\(block).\(attention).\(projection).weight",
                             "\(target).\(block).\(attention).\(projection).weight")
                }
                suffixes.append("\(block).\(attention).to_out.0")
            }
            suffixes += ["\(block).ff.net.0.proj", "\(block).ff.net.2",
                         "\(block).norm1", "\(block).norm2", "\(block).norm3"]
        }
        suffixes.append("proj_out")
        for suffix in suffixes { b.layer("\(source).\(suffix)", "\(target).\(suffix)") }
    }

    /// LDM's LitEma keeps the UNet under flattened names: model.diffusion_model.a.0.b -> model_ema.diffusion_modela0b.
    static func emaName(_ source: String) -> String {
        "model_ema." + source.split(separator: ".", omittingEmptySubsequences: false).dropFirst().joined()
    }
}
