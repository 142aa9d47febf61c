import Foundation
import ParityTesting
import Torch

/// Reference fixtures written by tools/reference/clip_fixtures.py (transformers 5.24 on the same libtorch)
/// and the machine that wrote them; tests never run Python.
let referenceFixtures = FixtureSet()

/// Budgets of the tiny CLIP fixtures on another CPU: the longest reduction is the vision patch embedding
/// (3 x 8 x 8 = 192 terms); three layers of attention and MLP plus embeddings, final norm and projection make
/// about 9 reductions in sequence; the backward pass runs them again in reverse.
let forwardBudget = Budget.model(length: 192, depth: 9)
let backwardBudget = Budget.model(length: 192, depth: 18)

/// The checkpoint part of a fixture: the parameters, by their checkpoint names.
func fixtureWeights(_ all: [String: Tensor]) -> [String: Tensor] {
    let prefixes = ["text_model.", "vision_model.", "text_projection.", "visual_projection.", "logit_scale"]
    return all.filter { key, _ in prefixes.contains { key.hasPrefix($0) } }
}
