import CLIP
import Foundation
import InputChecks
import Schedulers
import Torch

/// Writes an original single-file checkpoint as a diffusers folder (`spf convert`): the weights through the
/// standard key conversion, config.json files for the three models, the sampler's config, the tokenizer
/// files copied from a tokenizer folder (a single file carries none), and model_index.json last.
public enum SingleFileConversion {
    /// The files a diffusers `tokenizer/` folder may hold; whichever exist are copied.
    static let tokenizerFiles = ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json",
                                 "special_tokens_map.json"]

    public static func convert(checkpoint path: String, tokenizerFolder: String, to out: String,
                               architecture: SingleFileArchitecture = SingleFileArchitecture(), dtype: DType? = nil,
                               extractEMA: Bool = false) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: tokenizerFolder, isDirectory: &isDirectory) else {
            throw CheckpointError.missingFolder(tokenizerFolder)
        }
        guard isDirectory.boolValue else {
            throw CheckpointError.invalidJSON(tokenizerFolder, reason: "is a file; the tokenizer must be a folder with "
                + "vocab.json + merges.txt or tokenizer.json")
        }
        var tokenizerData: [String: Data] = [:]
        for name in tokenizerFiles {
            let file = (tokenizerFolder as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: file) else { continue }
            do {
                // stat before open: a FIFO among the tokenizer files fails at once.
                tokenizerData[name] = try InputFile.data(file, maxBytes: 1 << 30, kind: "a tokenizer file", allowEmpty: true)
            } catch let error as InputFileError {
                throw CheckpointError.invalidJSON(error.path, reason: error.reason)
            }
        }
        guard tokenizerData["tokenizer.json"] != nil || (tokenizerData["vocab.json"] != nil && tokenizerData["merges.txt"] != nil)
        else {
            throw CheckpointError.invalidJSON(tokenizerFolder, reason: "not a tokenizer folder (needs vocab.json + merges.txt "
                + "or tokenizer.json)")
        }
        let textLayout = TextEncoderCheckpointLayout(numHiddenLayers: architecture.textEncoder.numHiddenLayers)
        let converter = LDMCheckpointConverter(unet: architecture.unet, vae: architecture.vae, textEncoder: textLayout,
                                               extractEMA: extractEMA)
        let weights = try converter.convert(fileAt: path, dtype: dtype)
        let configs: [String: Data] = [
            "unet": try LDMDiffusersConfigs.unet(architecture.unet, sampleSize: architecture.unetSampleSize,
                                                 crossAttentionDim: architecture.crossAttentionDim,
                                                 attentionHeadDim: architecture.attentionHeads,
                                                 normNumGroups: architecture.normGroups),
            "vae": try LDMDiffusersConfigs.vae(architecture.vae, normNumGroups: architecture.normGroups),
            "text_encoder": try textEncoderConfig(architecture.textEncoder),
            "scheduler": try schedulerConfig(architecture.scheduler),
        ]
        try DiffusersFolderWriter(path: out).writePipeline(
            modelIndex: .stableDiffusion(scheduler: "DDIMScheduler"), weights: weights, configs: configs,
            files: ["tokenizer": tokenizerData])
    }

    /// transformers' CLIPTextConfig keys.
    static func textEncoderConfig(_ config: CLIPTextConfig) throws -> Data {
        try encode([
            "architectures": .array([.string("CLIPTextModel")]),
            "model_type": .string("clip_text_model"),
            "vocab_size": .integer(config.vocabSize),
            "hidden_size": .integer(config.hiddenSize),
            "intermediate_size": .integer(config.intermediateSize),
            "projection_dim": .integer(config.projectionDim),
            "num_hidden_layers": .integer(config.numHiddenLayers),
            "num_attention_heads": .integer(config.numAttentionHeads),
            "max_position_embeddings": .integer(config.maxPositionEmbeddings),
            "hidden_act": .string(config.hiddenAct.rawValue),
            "layer_norm_eps": .number(config.layerNormEps),
            "pad_token_id": .integer(config.padTokenId),
            "bos_token_id": .integer(config.bosTokenId),
            "eos_token_id": .integer(config.eosTokenId),
        ])
    }

    /// A DDIMScheduler config with the schedule's values (SD 1.5 names PNDM, which we do not implement).
    static func schedulerConfig(_ config: SchedulerConfig) throws -> Data {
        var fields: [String: ModelIndex.Value] = [
            "_class_name": .string("DDIMScheduler"),
            "num_train_timesteps": .integer(config.numTrainTimesteps),
            "beta_start": .number(config.betaStart),
            "beta_end": .number(config.betaEnd),
            "beta_schedule": .string(config.betaSchedule.rawValue),
            "prediction_type": .string(config.predictionType.rawValue),
            "steps_offset": .integer(config.stepsOffset),
            "clip_sample": .bool(config.clipSample),
            "set_alpha_to_one": .bool(config.setAlphaToOne),
        ]
        if let spacing = config.timestepSpacing { fields["timestep_spacing"] = .string(spacing.rawValue) }
        return try encode(fields)
    }

    private static func encode(_ fields: [String: ModelIndex.Value]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(fields)
    }
}
