// GradientCheck: compares the tape's gradients with central finite differences. The scalar probed is
// L = Σ w ⊙ f(inputs) with fixed random weights w, so every output element contributes. Evaluations
// run in Float32 and L is summed in Double. Per input, the criterion is the relative error of the
// whole gradient, ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖): with eps = 1e-2 every correct
// rule here measures below 1e-4, and a rule off by 1% measures 1e-2, so the tolerance is 1e-3.
import RaiseKit
import RaiseTestSupport
import XCTest

/// The default finite-difference step and tolerance of `assertGradientsMatch`.
enum GradientTolerance {
    static let eps: Float = 1e-2
    static let relative: Double = 1e-3
}

/// Asserts that the tape's gradient of Σ w ⊙ f(inputs) matches finite differences for every input.
func assertGradientsMatch(
    _ inputs: [Tensor], eps: Float = GradientTolerance.eps, tolerance: Double = GradientTolerance.relative,
    file: StaticString = #filePath, line: UInt = #line, _ f: (Tape, [Variable]) -> Variable
) throws {
    // The analytic gradients.
    let tape = Tape()
    let variables = inputs.map { Variable($0.copy(), requiresGrad: true) }
    let out = f(tape, variables)
    var rng = RandomGenerator(seed: 99)
    let weights = Tensor(randomUniform: out.shape, low: -1, high: 1, rng: &rng)
    let loss = tape.sum(tape.mul(out, Variable(weights)))
    try tape.backward(from: loss)

    // The numeric gradients, perturbing one element at a time.
    func probe(_ values: [Tensor]) -> Double {
        let result = f(Tape(recording: false), values.map { Variable($0) }).value
        var total = 0.0
        for i in 0..<result.count { total += Double(result.data[i]) * Double(weights.data[i]) }
        return total
    }
    for (index, input) in inputs.enumerated() {
        let analytic = variables[index].grad ?? Tensor(zeros: input.shape)
        var difference = 0.0, analyticNorm = 0.0, numericNorm = 0.0
        var worst = (element: 0, analytic: 0.0, numeric: 0.0)
        for element in 0..<input.count {
            let perturbed = inputs.map { $0.copy() }
            perturbed[index].data[element] += eps
            let plus = probe(perturbed)
            perturbed[index].data[element] -= 2 * eps
            let minus = probe(perturbed)
            let numeric = (plus - minus) / Double(2 * eps)
            let a = Double(analytic.data[element])
            if abs(a - numeric) > abs(worst.analytic - worst.numeric) { worst = (element, a, numeric) }
            difference += (a - numeric) * (a - numeric)
            analyticNorm += a * a
            numericNorm += numeric * numeric
        }
        let relative = difference.squareRoot() / max(analyticNorm.squareRoot(), numericNorm.squareRoot(), 1e-6)
        XCTAssertLessThan(relative, tolerance,
                          "input \(index): relative error \(relative); worst element \(worst.element): analytic \(worst.analytic), numeric \(worst.numeric)",
                          file: file, line: line)
        XCTAssertGreaterThan(numericNorm, 0, "input \(index): the probe does not depend on it", file: file, line: line)
    }
}

/// Asserts that `accumulateGradients` gives the gradient of the summed answer-token losses of `batch` with
/// respect to the model's parameters, probed by central differences on two elements of every parameter tensor.
/// eps = 1e-3, not the ops' 1e-2: at initialisation a TinyGPT's residual stream is ~0.02 wide, so a 1e-2 step
/// through LayerNorm is far from linear (5–20% errors on the largest gradients); at 1e-3 they agree within 1%,
/// and Float32 noise stays below that.
func assertModelGradientMatchesFiniteDifferences(_ model: any LanguageModel, batch: [TokenizedExample],
                                                 file: StaticString = #filePath, line: UInt = #line) throws {
    let parameters = model.parameters
    parameters.zeroGrads()
    _ = try model.accumulateGradients(batch)
    let analytic = parameters.grads.copy()
    func lossSum() throws -> Double {
        let losses = try model.exampleLosses(batch)
        return zip(losses, batch).reduce(0) { $0 + Double($1.0) * Double($1.1.answerTokenCount) }
    }
    var rng = RandomGenerator(seed: 4)
    var difference = 0.0, norm = 0.0
    for (spec, offset) in zip(parameters.specs, parameters.offsets) {
        for _ in 0..<2 {
            let i = offset + rng.nextInt(below: Tensor.elementCount(spec.shape))
            let saved = parameters.values.data[i]
            parameters.values.data[i] = saved + 1e-3
            let plus = try lossSum()
            parameters.values.data[i] = saved - 1e-3
            let minus = try lossSum()
            parameters.values.data[i] = saved
            let numeric = (plus - minus) / 2e-3
            difference += (Double(analytic.data[i]) - numeric) * (Double(analytic.data[i]) - numeric)
            norm += numeric * numeric
        }
    }
    XCTAssertGreaterThan(norm, 0, file: file, line: line)
    XCTAssertLessThan(difference.squareRoot() / norm.squareRoot(), 1e-2, file: file, line: line)
}

/// A seeded random tensor in [low, high).
func randomTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor(randomUniform: shape, low: low, high: high, rng: &rng)
}

/// Asserts two float arrays agree elementwise within `tolerance`.
func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "element count", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > tolerance {
        XCTFail("element \(i): \(a) vs expected \(e) (tolerance \(tolerance))", file: file, line: line)
        return
    }
}
