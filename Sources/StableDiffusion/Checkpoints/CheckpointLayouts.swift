/// The shape of a UNet2DConditionModel as far as checkpoint names depend on it: which blocks exist, and
/// which resnets need a 1x1 shortcut. Plain values, so that key conversion needs no model code.
public struct UNetCheckpointLayout: Codable, Equatable, Sendable {
    /// diffusers' `block_out_channels` (LDM: model_channels * channel_mult).
    public var blockOutChannels: [Int]
    /// diffusers' `layers_per_block` (LDM: num_res_blocks).
    public var layersPerBlock: Int
    /// LDM's `attention_resolutions`: level i has (cross-)attention when 2^i is listed.
    public var attentionResolutions: [Int]
    /// Transformer blocks per attention (LDM: transformer_depth).
    public var transformerLayersPerBlock: Int

    public init(blockOutChannels: [Int], layersPerBlock: Int, attentionResolutions: [Int],
                transformerLayersPerBlock: Int = 1) {
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.attentionResolutions = attentionResolutions
        self.transformerLayersPerBlock = transformerLayersPerBlock
    }

    /// From the LDM config's names (v1-inference.yaml's `unet_config.params`).
    public init(modelChannels: Int, channelMult: [Int], numResBlocks: Int, attentionResolutions: [Int],
                transformerDepth: Int = 1) {
        self.init(blockOutChannels: channelMult.map { modelChannels * $0 }, layersPerBlock: numResBlocks,
                  attentionResolutions: attentionResolutions, transformerLayersPerBlock: transformerDepth)
    }

    /// Stable Diffusion 1.x: model_channels 320, channel_mult [1, 2, 4, 4], 2 res blocks, attention at 4, 2, 1.
    public static let sd15 = UNetCheckpointLayout(blockOutChannels: [320, 640, 1280, 1280], layersPerBlock: 2,
                                                  attentionResolutions: [4, 2, 1])

    enum CodingKeys: String, CodingKey {
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case attentionResolutions = "attention_resolutions"
        case transformerLayersPerBlock = "transformer_layers_per_block"
    }

    /// Whether down level i has attention (create_unet_diffusers_config_from_ldm: resolution 2^i listed).
    public var attentionLevels: [Bool] {
        blockOutChannels.indices.map { attentionResolutions.contains(1 << $0) }
    }

    /// diffusers' `down_block_types`, as create_unet_diffusers_config_from_ldm derives them.
    public var downBlockTypes: [String] {
        attentionLevels.map { $0 ? "CrossAttnDownBlock2D" : "DownBlock2D" }
    }

    /// diffusers' `up_block_types`: the down levels in reverse.
    public var upBlockTypes: [String] {
        attentionLevels.reversed().map { $0 ? "CrossAttnUpBlock2D" : "UpBlock2D" }
    }

    func validate() throws {
        guard !blockOutChannels.isEmpty, blockOutChannels.allSatisfy({ $0 > 0 }) else {
            throw CheckpointError.invalidLayout("UNet block_out_channels \(blockOutChannels) must be positive and not empty")
        }
        guard layersPerBlock >= 1, transformerLayersPerBlock >= 1 else {
            throw CheckpointError.invalidLayout("UNet layers_per_block \(layersPerBlock) and transformer layers "
                + "\(transformerLayersPerBlock) must be at least 1")
        }
    }
}

/// The shape of an AutoencoderKL as far as checkpoint names depend on it.
public struct VAECheckpointLayout: Codable, Equatable, Sendable {
    /// diffusers' `block_out_channels` (LDM: ch * ch_mult).
    public var blockOutChannels: [Int]
    /// diffusers' `layers_per_block` (LDM: num_res_blocks); the decoder has one more per block.
    public var layersPerBlock: Int

    public init(blockOutChannels: [Int], layersPerBlock: Int) {
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
    }

    /// From the LDM config's names (`first_stage_config.params.ddconfig`).
    public init(ch: Int, chMult: [Int], numResBlocks: Int) {
        self.init(blockOutChannels: chMult.map { ch * $0 }, layersPerBlock: numResBlocks)
    }

    /// Stable Diffusion 1.x: ch 128, ch_mult [1, 2, 4, 4], 2 res blocks.
    public static let sd15 = VAECheckpointLayout(blockOutChannels: [128, 256, 512, 512], layersPerBlock: 2)

    enum CodingKeys: String, CodingKey {
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
    }

    func validate() throws {
        guard !blockOutChannels.isEmpty, blockOutChannels.allSatisfy({ $0 > 0 }), layersPerBlock >= 1 else {
            throw CheckpointError.invalidLayout("VAE block_out_channels \(blockOutChannels) / layers_per_block "
                + "\(layersPerBlock) must be positive")
        }
    }
}

/// The shape of a CLIPTextModel as far as checkpoint names depend on it.
public struct TextEncoderCheckpointLayout: Codable, Equatable, Sendable {
    /// transformers' `num_hidden_layers`.
    public var numHiddenLayers: Int

    public init(numHiddenLayers: Int) {
        self.numHiddenLayers = numHiddenLayers
    }

    /// Stable Diffusion 1.x: CLIP ViT-L/14's text tower, 12 layers.
    public static let sd15 = TextEncoderCheckpointLayout(numHiddenLayers: 12)

    enum CodingKeys: String, CodingKey {
        case numHiddenLayers = "num_hidden_layers"
    }

    func validate() throws {
        guard numHiddenLayers >= 1 else {
            throw CheckpointError.invalidLayout("text encoder num_hidden_layers \(numHiddenLayers) must be at least 1")
        }
    }
}
