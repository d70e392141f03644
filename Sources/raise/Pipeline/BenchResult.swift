// BenchResult: what one benchmark run measured, saved as one JSON file when the run finishes (so a
// resumed benchmark skips it): the target metrics (validation loss, test loss and exact match), the work done, the time split into preparation
// (features, policy training), selection, training and evaluation, the validation-loss curve, how
// often each pool record was picked, and the batches in order — what rebuilds the fine-tuned model bit for
// bit (`raise bench evaluate`).
import Foundation
import RaiseKit

/// The outcome of one (budget, entry, seed) run.
struct BenchResult {
    var budget: String
    var entry: String
    var kind: String
    var seed: Int
    var steps: Int
    var batch: Int
    var learningRate: Double
    /// What the entry's plugin ran with: every parameter, given or default, and the plugin's version (nil for
    /// full data and the oracle, and in runs saved before it was recorded).
    var entrySettings: String?
    var validationLoss: Double
    var testExactMatch: Double?
    /// The mean answer loss on the test split.
    var testLoss: Double?
    var distinctExamples: Int
    var preparationSeconds = 0.0
    var selectionSeconds = 0.0
    var trainingSeconds = 0.0
    var evaluationSeconds = 0.0
    /// (step, validation loss) points, step 0 being the base model.
    var curve: [(step: Int, loss: Double)] = []
    /// Pool index -> times picked.
    var picks: [Int: Int] = [:]
    /// The pool indices trained on at each step, in order.
    var batches: [[Int]] = []

    var json: JSONObject {
        var object = JSONObject([("budget", .string(budget)), ("entry", .string(entry)), ("kind", .string(kind)), ("seed", .number(Double(seed))),
                                 ("steps", .number(Double(steps))), ("batch", .number(Double(batch))), ("lr", .number(learningRate)),
                                 ("val_loss", .number(validationLoss)), ("distinct_examples", .number(Double(distinctExamples))),
                                 ("preparation_s", .number(preparationSeconds)), ("selection_s", .number(selectionSeconds)),
                                 ("training_s", .number(trainingSeconds)), ("evaluation_s", .number(evaluationSeconds)),
                                 ("curve", .array(curve.map { .array([.number(Double($0.step)), .number($0.loss)]) })),
                                 ("picks", .array(picks.keys.sorted().map { .array([.number(Double($0)), .number(Double(picks[$0]!))]) })),
                                 ("batches", .array(batches.map { .array($0.map { .number(Double($0)) }) }))])
        if let testExactMatch { object["test_exact_match"] = .number(testExactMatch) }
        if let testLoss { object["test_loss"] = .number(testLoss) }
        if let entrySettings { object["entry_settings"] = .string(entrySettings) }
        return object
    }

    init(budget: String, entry: String, kind: String, seed: Int, steps: Int, batch: Int, learningRate: Double) {
        (self.budget, self.entry, self.kind, self.seed, self.steps, self.batch, self.learningRate) = (budget, entry, kind, seed, steps, batch, learningRate)
        validationLoss = .nan
        distinctExamples = 0
    }

    /// Reads a result file written from `json`.
    ///
    /// - Throws: `RaiseError.file` naming the file and the field at fault.
    init(path: String) throws {
        let object = try JSONValue.readObject(path: path)
        func field<T>(_ key: String, _ value: (JSONValue) -> T?) throws -> T {
            guard let raw = object[key], let parsed = value(raw) else { throw RaiseError.file(path: path, detail: "field '\(key)' missing or malformed") }
            return parsed
        }
        self.init(budget: try field("budget", \.stringValue), entry: try field("entry", \.stringValue), kind: try field("kind", \.stringValue),
                  seed: try field("seed", \.intValue), steps: try field("steps", \.intValue), batch: try field("batch", \.intValue),
                  learningRate: try field("lr", \.numberValue))
        validationLoss = try field("val_loss", \.numberValue)
        testExactMatch = object["test_exact_match"]?.numberValue
        testLoss = object["test_loss"]?.numberValue
        entrySettings = object["entry_settings"]?.stringValue
        distinctExamples = try field("distinct_examples", \.intValue)
        preparationSeconds = try field("preparation_s", \.numberValue)
        selectionSeconds = try field("selection_s", \.numberValue)
        trainingSeconds = try field("training_s", \.numberValue)
        evaluationSeconds = try field("evaluation_s", \.numberValue)
        curve = try field("curve", \.arrayValue).map { point in
            guard let pair = point.arrayValue, pair.count == 2, let step = pair[0].intValue, let loss = pair[1].numberValue else {
                throw RaiseError.file(path: path, detail: "field 'curve': expected [step, loss] pairs")
            }
            return (step, loss)
        }
        for pair in try field("picks", \.arrayValue) {
            guard let pair = pair.arrayValue, pair.count == 2, let index = pair[0].intValue, let count = pair[1].intValue else {
                throw RaiseError.file(path: path, detail: "field 'picks': expected [index, count] pairs")
            }
            picks[index] = count
        }
        batches = try (object["batches"]?.arrayValue ?? []).map { batch in
            guard let indices = batch.arrayValue?.compactMap(\.intValue), indices.count == batch.arrayValue?.count else {
                throw RaiseError.file(path: path, detail: "field 'batches': expected arrays of pool indices")
            }
            return indices
        }
    }
}
