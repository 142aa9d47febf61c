import CLIP
import Diffusion
import Foundation
import NN
import Schedulers
import Tokenizers
import Torch

/// What an original single-file SD checkpoint does not say about itself: the architecture of its three
/// models, the sampler settings. SD 1.5's by default.
public struct SingleFileArchitecture: Sendable {
    public var unet: UNetCheckpointLayout = .sd15
    /// UNet settings the LDM layout does not fix (SD 1.x: 64x64 latents, context 768, 8 heads).
    public var unetSampleSize = 64
    public var crossAttentionDim = 768
    public var attentionHeads = 8
    /// GroupNorm groups of the UNet and the VAE (LDM always uses 32; small test models need fewer).
    public var normGroups = 32
    public var vae: VAECheckpointLayout = .sd15
    public var textEncoder: CLIPTextConfig = .stableDiffusion15
    public var scheduler = SchedulerConfig()

    public init() {}
}

extension StableDiffusionPipeline {
    /// Loads an original single-file checkpoint (`model.diffusion_model.*`, `first_stage_model.*`,
    /// `cond_stage_model.transformer.*`) through the standard LDM -> diffusers key conversion. The file
    /// carries no tokenizer: pass one (a diffusers `tokenizer/` folder or open_clip's BPE vocabulary).
    public static func load(singleFile path: String, tokenizer: CLIPTokenizer,
                            architecture: SingleFileArchitecture = SingleFileArchitecture(), dtype: DType = .float32,
                            device: Device = .cpu) throws -> StableDiffusionPipeline {
        let textLayout = TextEncoderCheckpointLayout(numHiddenLayers: architecture.textEncoder.numHiddenLayers)
        let converter = LDMCheckpointConverter(unet: architecture.unet, vae: architecture.vae, textEncoder: textLayout)
        let weights = try converter.convert(fileAt: path, dtype: dtype, device: device)
        for (_, part) in weights { try requireFinite(part, source: path) }
        let factory = ParameterFactory(dtype: dtype, device: device)
        let decoder = JSONDecoder()

        let unetConfig = try decoder.decode(
            UNet2DConditionConfig.self,
            from: LDMDiffusersConfigs.unet(architecture.unet, sampleSize: architecture.unetSampleSize,
                                           crossAttentionDim: architecture.crossAttentionDim,
                                           attentionHeadDim: architecture.attentionHeads,
                                           normNumGroups: architecture.normGroups))
        let unet = try UNet2DConditionModel(unetConfig, factory: factory)
        try unet.load(weights[.unet] ?? [:], source: path)

        let vaeConfig = try decoder.decode(
            AutoencoderKLConfig.self, from: LDMDiffusersConfigs.vae(architecture.vae, normNumGroups: architecture.normGroups))
        let vae = try AutoencoderKL(vaeConfig, factory: factory)
        try vae.load(weights[.vae] ?? [:], source: path)

        let textEncoder = try CLIPTextModel(architecture.textEncoder, factory: factory)
        try textEncoder.load(normalizedTextEncoderWeights(weights[.textEncoder] ?? [:]), source: path)

        return StableDiffusionPipeline(tokenizer: tokenizer, textEncoder: textEncoder, unet: unet, vae: vae,
                                       schedulerConfig: architecture.scheduler, device: device, dtype: dtype)
    }
}
