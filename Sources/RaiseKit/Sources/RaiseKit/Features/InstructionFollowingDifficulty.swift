// InstructionFollowingDifficulty: IFD as Cherry LLM defines it — how much the instruction helps the
// model produce the answer: s(A|Q) / s(A), with s the mean answer-token loss with and without the
// instruction. Superfiltering's variant divides perplexities instead, exp(s(A|Q)) / exp(s(A)). A score
// at or above 1 means the instruction does not help (Cherry drops those).
import Foundation

/// IFD scores from answer losses.
public enum InstructionFollowingDifficulty {
    /// Which ratio IFD is.
    public enum Variant: String, Sendable, CaseIterable {
        /// s(A|Q) / s(A) (Cherry LLM).
        case loss
        /// exp(s(A|Q)) / exp(s(A)) (Superfiltering).
        case perplexity
    }

    /// The example with its response alone: the response tokens, preceded by BOS when there is one (else
    /// their first token is not scored).   Used for s(A).
    public static func responseOnly(_ example: TokenizedExample, bos: Int32?) -> TokenizedExample {
        let response = zip(example.ids, example.lossMask).filter { $0.1 > 0 }.map(\.0)
        if let bos { return TokenizedExample(ids: [bos] + response, lossMask: [0] + Array(repeating: 1, count: response.count)) }
        return TokenizedExample(ids: response, lossMask: [0] + Array(repeating: 1, count: max(response.count - 1, 0)))
    }

    /// The IFD of each example from its conditional and unconditional mean answer losses.
    public static func scores(conditional: [Float], unconditional: [Float], variant: Variant) -> [Float] {
        precondition(conditional.count == unconditional.count, "IFD: \(conditional.count) conditional and \(unconditional.count) unconditional losses")
        return zip(conditional, unconditional).map { c, u in
            switch variant {
            case .loss: return u > 0 ? c / u : .infinity
            case .perplexity: return Float(exp(Double(c) - Double(u)))
            }
        }
    }
}
