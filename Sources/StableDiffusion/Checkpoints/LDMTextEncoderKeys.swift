/// The LDM -> diffusers names of SD 1.x's CLIP text encoder: convert_ldm_clip_checkpoint only strips
/// `cond_stage_model.transformer.`, leaving transformers' `text_model.*` names as SD 1.5 folders hold them.
enum LDMTextEncoderKeys {
    static let prefix = "cond_stage_model.transformer."

    /// transformers registers position_ids as a non-persistent buffer: loading drops it, and so do we.
    static let positionIDs = prefix + "text_model.embeddings.position_ids"

    static func mappings(_ layout: TextEncoderCheckpointLayout) throws -> [LDMTensorMapping] {
        try layout.validate()
        var b = MappingBuilder(sourcePrefix: prefix)
        func same(_ name: String, bias: Bool = true) { b.layer("text_model." + name, "text_model." + name, bias: bias) }
        same("embeddings.token_embedding", bias: false)
        same("embeddings.position_embedding", bias: false)
        for layer in 0..<layout.numHiddenLayers {
            let p = "encoder.layers.\(layer)."
            for projection in ["k_proj", "v_proj", "q_proj", "out_proj"] { same(p + "self_attn." + projection) }
            for name in ["layer_norm1", "mlp.fc1", "mlp.fc2", "layer_norm2"] { same(p + name) }
        }
        same("final_layer_norm")
        return b.mappings
    }
}
