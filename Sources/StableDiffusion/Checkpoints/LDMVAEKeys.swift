/// The LDM -> diffusers names of an AutoencoderKL, generated from its layout; the same pairs that
/// diffusers 0.42.1's convert_ldm_vae_checkpoint produces for a complete SD 1.x checkpoint.
enum LDMVAEKeys {
    static let prefix = "first_stage_model."

    static func mappings(_ layout: VAECheckpointLayout) throws -> [LDMTensorMapping] {
        try layout.validate()
        var b = MappingBuilder(sourcePrefix: prefix)
        let channels = layout.blockOutChannels
        let levels = channels.count

        b.layer("encoder.conv_in", "encoder.conv_in")
        for level in 0..<levels {
            let input = level == 0 ? channels[0] : channels[level - 1]
            for layer in 0..<layout.layersPerBlock {
                resnet(&b, "encoder.down.\(level).block.\(layer)", "encoder.down_blocks.\(level).resnets.\(layer)",
                       shortcut: layer == 0 && input != channels[level])
            }
            if level != levels - 1 {
                b.layer("encoder.down.\(level).downsample.conv", "encoder.down_blocks.\(level).downsamplers.0.conv")
            }
        }
        mid(&b, "encoder")
        b.layer("encoder.norm_out", "encoder.conv_norm_out")
        b.layer("encoder.conv_out", "encoder.conv_out")

        b.layer("decoder.conv_in", "decoder.conv_in")
        mid(&b, "decoder")
        // LDM numbers decoder levels by resolution (up.0 is the last, full-size one); diffusers by order.
        let reversed = Array(channels.reversed())
        for block in 0..<levels {
            let level = levels - 1 - block
            let previous = block == 0 ? reversed[0] : reversed[block - 1]
            for layer in 0...layout.layersPerBlock {
                resnet(&b, "decoder.up.\(level).block.\(layer)", "decoder.up_blocks.\(block).resnets.\(layer)",
                       shortcut: layer == 0 && previous != reversed[block])
            }
            if level != 0 {
                b.layer("decoder.up.\(level).upsample.conv", "decoder.up_blocks.\(block).upsamplers.0.conv")
            }
        }
        b.layer("decoder.norm_out", "decoder.conv_norm_out")
        b.layer("decoder.conv_out", "decoder.conv_out")

        b.layer("quant_conv", "quant_conv")
        b.layer("post_quant_conv", "post_quant_conv")
        return b.mappings
    }

    private static func resnet(_ b: inout MappingBuilder, _ source: String, _ target: String, shortcut: Bool) {
        for name in ["norm1", "conv1", "norm2", "conv2"] { b.layer("\(source).\(name)", "\(target).\(name)") }
        if shortcut { b.layer("\(source).nin_shortcut", "\(target).conv_shortcut") }
    }

    /// mid.block_1, mid.attn_1 (1x1 convolutions -> linears), mid.block_2.
    private static func mid(_ b: inout MappingBuilder, _ part: String) {
        resnet(&b, "\(part).mid.block_1", "\(part).mid_block.resnets.0", shortcut: false)
        let source = "\(part).mid.attn_1", target = "\(part).mid_block.attentions.0"
        b.layer("\(source).norm", "\(target).group_norm")
        for (ldm, diffusers) in [("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("proj_out", "to_out.0")] {
            b.layer("\(source).\(ldm)", "\(target).\(diffusers)", .convToLinear)
        }
        resnet(&b, "\(part).mid.block_2", "\(part).mid_block.resnets.1", shortcut: false)
    }
}
