// `raise demo`: the demonstration that `make demo` runs. Until the selection pipeline lands it trains
// a small MLP classifier on two interleaved spirals with the full runtime (matmul, tanh, bias,
// cross-entropy, autograd, AdamW, warm-up + cosine schedule, gradient clipping) and prints its loss
// curve and held-out accuracy.
import Foundation
import RaiseKit

/// The demonstration run.
enum DemoCommand {
    static let command = Command(
        words: ["demo"],
        summary: "train a small MLP on two spirals and print its loss curve",
        arguments: "",
        options: [CommonOptions.seed, CommonOptions.json, CommonOptions.quiet, CommonOptions.threads,
                  .value("--steps", "N", "training steps (default 2000)"),
                  .value("--hidden", "N", "width of the two hidden layers (default 64)")],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        let steps = try arguments.int("--steps", default: 2000, in: 20...1_000_000)
        let hidden = try arguments.int("--hidden", default: 64, in: 2...4096)
        let mode = arguments.outputMode
        var rng = RandomGenerator(seed: try arguments.seed())

        let (points, labels) = spirals(perClass: 600, noise: 0.15, rng: &rng)
        let heldOut = Array(0..<labels.count).filter { $0 % 5 == 0 }
        let training = Array(0..<labels.count).filter { $0 % 5 != 0 }

        let mlp = MLP(sizes: [2, hidden, hidden, 2], activation: .tanh)
        let parameters = ParameterStore(mlp.parameterSpecs, rng: &rng)
        let optimizer = AdamW(parameters: parameters, weightDecay: 1e-4)
        let schedule = LearningRateSchedule.warmupCosine(peak: 1e-2, warmupSteps: steps / 20, totalSteps: steps, minimum: 1e-4)
        let progress = ProgressReporter(label: "demo", total: steps, mode: mode == .json ? .quiet : mode)
        let batchSize = 64
        var curve = [(step: Int, loss: Double, accuracy: Double)]()
        var recentLoss = 0.0, recentCount = 0

        for step in 0..<steps {
            let batch = (0..<batchSize).map { _ in training[rng.nextInt(below: training.count)] }
            let tape = Tape()
            let logits = mlp(Variable(inputs(points, batch)), parameters: parameters, tape: tape)
            let loss = tape.crossEntropy(logits, targets: batch.map { labels[$0] }, mask: Array(repeating: 1, count: batchSize))
            parameters.zeroGrads()
            try tape.backward(from: loss)
            parameters.clipGradients(maxNorm: 1)
            optimizer.update(parameters, lr: schedule.rate(at: step))
            recentLoss += Double(loss.value.scalar)
            recentCount += 1
            progress.update(step: step + 1, metrics: [("loss", Double(loss.value.scalar))])
            if (step + 1) % max(steps / 20, 1) == 0 || step + 1 == steps {
                let accuracy = self.accuracy(mlp, parameters, points, labels, heldOut)
                curve.append((step + 1, recentLoss / Double(recentCount), accuracy))
                recentLoss = 0
                recentCount = 0
            }
        }
        report(curve, mode: mode)
        return ExitCode.success
    }

    /// Two interleaved spirals in the plane, one per class, with Gaussian noise.   -> points (2N, 2), labels (2N)
    static func spirals(perClass: Int, noise: Float, rng: inout RandomGenerator) -> ([Float], [Int32]) {
        var points = [Float](), labels = [Int32]()
        for i in 0..<perClass {
            let r = Float(i) / Float(perClass) * 5
            let angle = 1.25 * r
            for label in 0..<2 {
                let sign: Float = label == 0 ? 1 : -1
                points.append(sign * r * cos(angle) / 5 + noise * rng.nextNormal() / 5)
                points.append(sign * r * sin(angle) / 5 + noise * rng.nextNormal() / 5)
                labels.append(Int32(label))
            }
        }
        return (points, labels)
    }

    private static func inputs(_ points: [Float], _ indices: [Int]) -> Tensor {
        Tensor(shape: [indices.count, 2], values: indices.flatMap { [points[2 * $0], points[2 * $0 + 1]] })
    }

    private static func accuracy(_ mlp: MLP, _ parameters: ParameterStore, _ points: [Float], _ labels: [Int32],
                                 _ indices: [Int]) -> Double {
        let logits = mlp(Variable(inputs(points, indices)), parameters: parameters, tape: Tape(recording: false)).value
        var correct = 0
        for (row, index) in indices.enumerated() {
            let predicted: Int32 = logits[row, 1] > logits[row, 0] ? 1 : 0
            if predicted == labels[index] { correct += 1 }
        }
        return Double(correct) / Double(indices.count)
    }

    private static func report(_ curve: [(step: Int, loss: Double, accuracy: Double)], mode: OutputMode) {
        if mode == .json {
            for point in curve {
                print(JSONValue.object(JSONObject([("step", .number(Double(point.step))), ("loss", .number(point.loss)),
                                                   ("heldout_accuracy", .number(point.accuracy))])).serialized)
            }
            return
        }
        print("two-spirals MLP: training loss and held-out accuracy")
        print("   step     loss   accuracy")
        for point in curve { print(String(format: "%7d  %7.4f   %6.1f%%", point.step, point.loss, 100 * point.accuracy)) }
        let bars = Array("▁▂▃▄▅▆▇█")
        let (low, high) = (curve.map(\.loss).min()!, curve.map(\.loss).max()!)
        let line = curve.map { bars[Int(((($0.loss - low) / max(high - low, 1e-12)) * 7).rounded())] }
        print("loss curve: " + String(line))
    }
}
