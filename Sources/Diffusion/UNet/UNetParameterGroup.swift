import NN
import Torch

/// Named subsets of the UNet's parameters (what a training configuration makes trainable).
public enum UNetParameterGroup: String, Codable, Sendable, CaseIterable {
    /// Every parameter.
    case all
    /// Every parameter of every cross-attention layer (attn2: to_q, to_k, to_v, to_out.0).
    case crossAttention
    /// to_q / to_k / to_v / to_out.0 of both self- (attn1) and cross-attention (attn2) layers.
    case attentionProjections

    /// Whether a full parameter name belongs to the group.
    public func contains(_ name: String) -> Bool {
        switch self {
        case .all:
            return true
        case .crossAttention:
            return name.contains(".attn2.")
        case .attentionProjections:
            return [".attn1.", ".attn2."].contains { attn in
                ["to_q.", "to_k.", "to_v.", "to_out.0."].contains { name.contains(attn + $0) }
            }
        }
    }
}

extension UNet2DConditionModel {
    /// The group's parameters by full name, in declaration order.
    public func namedParameters(in group: UNetParameterGroup) -> [(name: String, tensor: Tensor)] {
        namedParameters().filter { group.contains($0.name) }
    }

    public func parameters(in group: UNetParameterGroup) -> [Tensor] {
        namedParameters(in: group).map(\.tensor)
    }
}
