import Foundation

/// The diffusers `config.json` of a UNet or VAE converted from a single-file checkpoint, with the keys and
/// values of diffusers 0.42.1's create_unet_diffusers_config_from_ldm / create_vae_diffusers_config_from_ldm
/// (plus `_class_name`, as save_pretrained writes it); the model code fills every other key with its default.
public enum LDMDiffusersConfigs {
    /// SD 1.x defaults: 64x64 latents, 4 channels, CLIP ViT-L/14 context 768, 8 heads, conv projections.
    public static func unet(_ layout: UNetCheckpointLayout, sampleSize: Int = 64, inChannels: Int = 4,
                            outChannels: Int = 4, crossAttentionDim: Int = 768, attentionHeadDim: Int = 8,
                            useLinearProjection: Bool = false, normNumGroups: Int = 32) throws -> Data {
        try layout.validate()
        var fields: [String: ModelIndex.Value] = [
            "_class_name": .string("UNet2DConditionModel"),
            "sample_size": .integer(sampleSize),
            "in_channels": .integer(inChannels),
            "out_channels": .integer(outChannels),
            "down_block_types": .array(layout.downBlockTypes.map(ModelIndex.Value.string)),
            "up_block_types": .array(layout.upBlockTypes.map(ModelIndex.Value.string)),
            "block_out_channels": .array(layout.blockOutChannels.map(ModelIndex.Value.integer)),
            "layers_per_block": .integer(layout.layersPerBlock),
            "cross_attention_dim": .integer(crossAttentionDim),
            "attention_head_dim": .integer(attentionHeadDim),
            "use_linear_projection": .bool(useLinearProjection),
            "class_embed_type": .null,
            "addition_embed_type": .null,
            "addition_time_embed_dim": .null,
            "projection_class_embeddings_input_dim": .null,
            "transformer_layers_per_block": .integer(layout.transformerLayersPerBlock),
        ]
        // LDM always uses 32 groups, which diffusers leaves to the default; only other values are written.
        if normNumGroups != 32 { fields["norm_num_groups"] = .integer(normNumGroups) }
        return try encode(fields)
    }

    /// SD 1.x defaults: 512-pixel images, RGB, 4 latent channels, LDM's scale factor 0.18215.
    public static func vae(_ layout: VAECheckpointLayout, sampleSize: Int = 512, inChannels: Int = 3,
                           outChannels: Int = 3, latentChannels: Int = 4, scalingFactor: Double = 0.18215,
                           normNumGroups: Int = 32) throws -> Data {
        try layout.validate()
        let count = layout.blockOutChannels.count
        var fields: [String: ModelIndex.Value] = [
            "_class_name": .string("AutoencoderKL"),
            "sample_size": .integer(sampleSize),
            "in_channels": .integer(inChannels),
            "out_channels": .integer(outChannels),
            "down_block_types": .array(Array(repeating: .string("DownEncoderBlock2D"), count: count)),
            "up_block_types": .array(Array(repeating: .string("UpDecoderBlock2D"), count: count)),
            "block_out_channels": .array(layout.blockOutChannels.map(ModelIndex.Value.integer)),
            "latent_channels": .integer(latentChannels),
            "layers_per_block": .integer(layout.layersPerBlock),
            "scaling_factor": .number(scalingFactor),
        ]
        if normNumGroups != 32 { fields["norm_num_groups"] = .integer(normNumGroups) }
        return try encode(fields)
    }

    private static func encode(_ fields: [String: ModelIndex.Value]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(fields)
    }
}
