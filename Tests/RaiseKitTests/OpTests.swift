// Every differentiable op: its forward value against a direct computation of its definition, and its
// gradients against finite differences (see GradientCheck.swift for the tolerance).
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class ElementwiseOpTests: XCTestCase {
    func testAddAndMulBroadcast() throws {
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3], values: [10, 20, 30])
        let column = Tensor(shape: [2, 1], values: [2, 3])
        let tape = Tape(recording: false)
        XCTAssertEqual(tape.add(Variable(a), Variable(b)).value.scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual(tape.mul(Variable(a), Variable(column)).value.scalars, [2, 4, 6, 12, 15, 18])
        XCTAssertEqual(tape.mul(Variable(column), Variable(b)).value.shape, [2, 3])
        try assertGradientsMatch([randomTensor([2, 3, 4], seed: 1), randomTensor([3, 1], seed: 2)]) { t, v in t.add(v[0], v[1]) }
        try assertGradientsMatch([randomTensor([2, 1, 4], seed: 3), randomTensor([3, 4], seed: 4)]) { t, v in t.mul(v[0], v[1]) }
        try assertGradientsMatch([randomTensor([4], seed: 5)]) { t, v in t.scale(v[0], by: -2.5) }
    }

    func testLinear() throws {
        // x (2, 3) · Wᵀ with W (2, 3), plus b (2).
        let out = Tape(recording: false).linear(Variable(Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])),
                                                weight: Variable(Tensor(shape: [2, 3], values: [1, 0, -1, 0.5, 0.5, 0.5])),
                                                bias: Variable(Tensor(shape: [2], values: [0.5, -1])))
        XCTAssertEqual(out.value.shape, [2, 2])
        XCTAssertEqual(out.value.scalars, [-1.5, 2, -1.5, 6.5])
        try assertGradientsMatch([randomTensor([2, 3, 4], seed: 6), randomTensor([5, 4], seed: 7), randomTensor([5], seed: 8)]) { t, v in
            t.linear(v[0], weight: v[1], bias: v[2])
        }
    }

    func testLowRankLinearMatchesItsDefinitionAndFiniteDifferences() throws {
        let (x, w, bias) = (randomTensor([5, 4], seed: 1), randomTensor([3, 4], seed: 2), randomTensor([3], seed: 3))
        let (a, b) = (randomTensor([2, 4], seed: 4), randomTensor([3, 2], seed: 5))
        let tape = Tape(recording: false)
        let fused = tape.lowRankLinear(Variable(x), weight: Variable(w), bias: Variable(bias), a: Variable(a), b: Variable(b), scale: 1.5)
        let update = tape.scale(tape.matmul(tape.matmul(Variable(x), Variable(a), transposeB: true), Variable(b), transposeB: true), by: 1.5)
        let separate = tape.add(tape.linear(Variable(x), weight: Variable(w), bias: Variable(bias)), update)
        assertClose(fused.value.scalars, separate.value.scalars, tolerance: 1e-5)
        try assertGradientsMatch([x, w, bias, a, b]) { t, v in
            t.lowRankLinear(v[0], weight: v[1], bias: v[2], a: v[3], b: v[4], scale: 1.5)
        }
        try assertGradientsMatch([x, w, a, b]) { t, v in t.lowRankLinear(v[0], weight: v[1], bias: nil, a: v[2], b: v[3], scale: 0.5) }
    }

    func testActivationsAtKnownPoints() {
        let x = Variable(Tensor(shape: [3], values: [-1, 0, 1]))
        let tape = Tape(recording: false)
        // Reference values: GELU (tanh form) from its formula; exact GELU from the normal CDF; SiLU x/(1+e^-x); tanh.
        assertClose(tape.gelu(x).value.scalars, [-0.158808, 0, 0.841192], tolerance: 1e-5)
        assertClose(tape.geluErf(x).value.scalars, [-0.158655, 0, 0.841345], tolerance: 1e-5)  // x·Φ(x), Φ(1) = 0.841345
        assertClose(tape.silu(x).value.scalars, [-0.268941, 0, 0.731059], tolerance: 1e-5)
        assertClose(tape.relu(x).value.scalars, [0, 0, 1], tolerance: 0)
        assertClose(tape.tanh(x).value.scalars, [-0.761594, 0, 0.761594], tolerance: 1e-5)
    }

    func testSiLUAndItsGradientMatchTheirFormulasAcrossTheRange() throws {
        // The eight-lane kernels, with a tail: x/(1 + e^−x) and σ(x)(1 + x(1 − σ(x))) against Double, from −100 to 100.
        let values = (0..<1_003).map { Float($0 - 501) / 5 }
        let tape = Tape()
        let x = Variable(Tensor(shape: [values.count], values: values), requiresGrad: true)
        let y = tape.silu(x)
        try tape.backward(from: tape.sum(y))
        for (i, v) in values.enumerated() {
            let sigmoid = 1 / (1 + Foundation.exp(-Double(v)))
            XCTAssertEqual(Double(y.value.data[i]), Double(v) * sigmoid, accuracy: 1e-6 * max(1, abs(Double(v))), "silu(\(v))")
            XCTAssertEqual(Double(x.grad!.data[i]), sigmoid * (1 + Double(v) * (1 - sigmoid)), accuracy: 1e-6, "silu'(\(v))")
        }
    }

    func testActivationGradients() throws {
        // Shift inputs away from ReLU's kink at 0, where the derivative does not exist.
        let x = randomTensor([3, 5], seed: 8)
        for i in 0..<x.count where abs(x.data[i]) < 0.1 { x.data[i] += 0.2 }
        for kind in Activation.allCases {
            try assertGradientsMatch([x]) { t, v in t.activation(kind, v[0]) }
        }
    }

    func testSumMeanConcatSliceReshape() throws {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let tape = Tape(recording: false)
        XCTAssertEqual(tape.sum(Variable(x)).value.scalar, 21)
        XCTAssertEqual(tape.mean(Variable(x)).value.scalar, 3.5)
        let joined = tape.concat([Variable(x), Variable(Tensor(shape: [2, 1], values: [7, 8]))], axis: 1)
        XCTAssertEqual(joined.value.shape, [2, 4])
        XCTAssertEqual(joined.value.scalars, [1, 2, 3, 7, 4, 5, 6, 8])
        XCTAssertEqual(tape.slice(Variable(x), axis: 1, range: 1..<3).value.scalars, [2, 3, 5, 6])
        try assertGradientsMatch([randomTensor([3, 4], seed: 9)]) { t, v in t.sum(v[0]) }
        try assertGradientsMatch([randomTensor([3, 4], seed: 10)]) { t, v in t.mean(v[0]) }
        try assertGradientsMatch([randomTensor([2, 2, 3], seed: 11), randomTensor([2, 1, 3], seed: 12)]) { t, v in
            t.concat([v[0], v[1]], axis: 1)
        }
        try assertGradientsMatch([randomTensor([2, 5, 3], seed: 13)]) { t, v in t.slice(v[0], axis: 1, range: 1..<4) }
        try assertGradientsMatch([randomTensor([2, 6], seed: 14)]) { t, v in t.reshape(v[0], [3, 4]) }
    }
}

final class NormalizationOpTests: XCTestCase {
    func testSoftmaxAndLogSoftmax() throws {
        let x = Variable(Tensor(shape: [2, 3], values: [1, 2, 3, 1000, 1000, 1000]))
        let tape = Tape(recording: false)
        let e = [exp(1.0), exp(2.0), exp(3.0)]
        let expected = e.map { Float($0 / e.reduce(0, +)) }
        assertClose(tape.softmax(x).value.scalars, expected + [1 / 3, 1 / 3, 1 / 3], tolerance: 1e-6)
        assertClose(tape.logSoftmax(x).value.scalars, (expected + [1 / 3, 1 / 3, 1 / 3]).map { log($0) }, tolerance: 1e-5)
        try assertGradientsMatch([randomTensor([3, 5], seed: 1, low: -3, high: 3)]) { t, v in t.softmax(v[0]) }
        try assertGradientsMatch([randomTensor([3, 5], seed: 2, low: -3, high: 3)]) { t, v in t.logSoftmax(v[0]) }
    }

    func testLayerNorm() throws {
        let x = randomTensor([4, 8], seed: 3, low: -2, high: 5)
        let weight = Tensor(shape: [8], values: Array(repeating: 1, count: 8))
        let bias = Tensor(zeros: [8])
        let y = Tape(recording: false).layerNorm(Variable(x), weight: Variable(weight), bias: Variable(bias)).value
        for r in 0..<4 {
            let row = y.row(r).scalars.map(Double.init)
            let mean = row.reduce(0, +) / 8
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)  // eps = 1e-5 shrinks it slightly
        }
        try assertGradientsMatch([randomTensor([3, 6], seed: 4), randomTensor([6], seed: 5), randomTensor([6], seed: 6)]) { t, v in
            t.layerNorm(v[0], weight: v[1], bias: v[2])
        }
    }

    /// The row kernels run eight lanes at a time with a padded tail: every row length, short or with a
    /// tail, must match a plain Double reference (softmax, LayerNorm, GELU with and without its kept tanh).
    func testRowKernelsMatchAReferenceAtEveryLength() {
        for columns in [1, 3, 7, 8, 9, 16, 17, 67] {
            let x = randomTensor([3, columns], seed: UInt64(columns), low: -4, high: 4)
            let (weight, bias) = (randomTensor([columns], seed: 100, low: 0.5, high: 2), randomTensor([columns], seed: 101))
            let rows = (0..<3).map { x.row($0).scalars.map(Double.init) }
            let softmax = rows.flatMap { row in
                let m = row.max()!, e = row.map { Foundation.exp($0 - m) }
                return e.map { Float($0 / e.reduce(0, +)) }
            }
            let layerNorm = rows.flatMap { row -> [Float] in
                let mean: Double = row.reduce(0, +) / Double(columns)
                let variance: Double = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(columns)
                let rstd: Double = 1 / (variance + 1e-5).squareRoot()
                return row.indices.map { c -> Float in Float((row[c] - mean) * rstd * Double(weight.data[c]) + Double(bias.data[c])) }
            }
            func gelu(_ v: Double) -> Float {
                let inner: Double = (2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)
                return Float(0.5 * v * (1 + Foundation.tanh(inner)))
            }
            for tape in [Tape(recording: false), Tape()] {
                let input = Variable(x.copy(), requiresGrad: tape.isRecording)
                assertClose(tape.softmax(input).value.scalars, softmax, tolerance: 1e-6)
                assertClose(tape.layerNorm(input, weight: Variable(weight), bias: Variable(bias)).value.scalars, layerNorm, tolerance: 2e-5)
                assertClose(tape.gelu(input).value.scalars, rows.flatMap { $0.map(gelu) }, tolerance: 2e-6)
            }
        }
    }

    func testRMSNorm() throws {
        let x = Tensor(shape: [1, 4], values: [1, 2, 3, 4])
        let y = Tape(recording: false).rmsNorm(Variable(x), weight: Variable(Tensor(shape: [4], values: [1, 1, 1, 2])), eps: 0).value
        let rms = Float((30.0 / 4).squareRoot())
        assertClose(y.scalars, [1 / rms, 2 / rms, 3 / rms, 8 / rms], tolerance: 1e-6)
        try assertGradientsMatch([randomTensor([3, 6], seed: 7), randomTensor([6], seed: 8)]) { t, v in t.rmsNorm(v[0], weight: v[1]) }
    }
}

final class LanguageModelOpTests: XCTestCase {
    func testEmbeddingGatherAndScatterAdd() throws {
        let table = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let out = Tape(recording: false).embedding(Variable(table), ids: [2, 0, 2])
        XCTAssertEqual(out.value.scalars, [5, 6, 1, 2, 5, 6])
        // Row 2 is gathered twice, so its gradient is the sum of two output rows.
        try assertGradientsMatch([randomTensor([4, 3], seed: 1)]) { t, v in t.embedding(v[0], ids: [2, 0, 2, 3]) }
    }

    func testCrossEntropyValuesAndReductions() throws {
        let logits = Tensor(shape: [4, 3], values: [1, 2, 3, 0, 0, 0, 2, 1, 0, 5, 1, 1])
        let targets: [Int32] = [2, 1, 0, 1]
        let mask: [Float] = [1, 0, 1, 1]
        func nll(_ row: Int) -> Double {
            let values = (0..<3).map { Double(logits[row, $0]) }
            let logSum = log(values.map(exp).reduce(0, +))
            return logSum - values[Int(targets[row])]
        }
        let tape = Tape(recording: false)
        let tokenMean = tape.crossEntropy(Variable(logits), targets: targets, mask: mask)
        XCTAssertEqual(Double(tokenMean.value.scalar), (nll(0) + nll(2) + nll(3)) / 3, accuracy: 1e-5)
        let perExample = tape.crossEntropy(Variable(logits), targets: targets, mask: mask, reduction: .perExample(rows: [2, 2]))
        XCTAssertEqual(perExample.value.shape, [2])
        XCTAssertEqual(Double(perExample.value[0]), nll(0), accuracy: 1e-5)
        XCTAssertEqual(Double(perExample.value[1]), (nll(2) + nll(3)) / 2, accuracy: 1e-5)
        let noAnswer = tape.crossEntropy(Variable(logits), targets: targets, mask: [0, 0, 1, 1], reduction: .perExample(rows: [2, 2]))
        XCTAssertEqual(noAnswer.value[0], 0, "an example without answer tokens has loss 0")
        let uneven = tape.crossEntropy(Variable(logits), targets: targets, mask: mask, reduction: .perExample(rows: [1, 0, 3]))
        XCTAssertEqual(uneven.value.shape, [3])
        XCTAssertEqual(Double(uneven.value[0]), nll(0), accuracy: 1e-5)
        XCTAssertEqual(uneven.value[1], 0, "an example with no rows has loss 0")
        XCTAssertEqual(Double(uneven.value[2]), (nll(2) + nll(3)) / 2, accuracy: 1e-5)

        try assertGradientsMatch([randomTensor([4, 5], seed: 2, low: -2, high: 2)]) { t, v in
            t.crossEntropy(v[0], targets: [1, 4, 0, 2], mask: [1, 1, 0, 1])
        }
        try assertGradientsMatch([randomTensor([6, 5], seed: 3, low: -2, high: 2)]) { t, v in
            t.crossEntropy(v[0], targets: [1, 4, 0, 2, 3, 3], mask: [0, 1, 1, 1, 0, 1], reduction: .perExample(rows: [2, 4]))
        }
    }

    /// Attention by its definition, one query at a time, in Double.
    private func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int, kvHeads: Int, causal: Bool = true) -> [Float] {
        let (batch, tq, tk) = (q.shape[0], q.shape[1], k.shape[1])
        let d = q.shape[2] / heads
        var out = [Float](repeating: 0, count: q.count)
        for b in 0..<batch {
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                for i in 0..<tq {
                    let visible = causal ? i + tk - tq : tk - 1
                    var scores = [Double]()
                    for j in 0...visible {
                        var dot = 0.0
                        for c in 0..<d { dot += Double(q[b, i, h * d + c]) * Double(k[b, j, g * d + c]) }
                        scores.append(dot / Double(d).squareRoot())
                    }
                    let top = scores.max()!
                    let weights = scores.map { exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for c in 0..<d {
                        var sum = 0.0
                        for j in 0...visible { sum += weights[j] / total * Double(v[b, j, g * d + c]) }
                        out[(b * tq + i) * heads * d + h * d + c] = Float(sum)
                    }
                }
            }
        }
        return out
    }

    func testCausalAttentionMatchesDefinition() {
        // Lengths past one block of 32 queries, with a partial last block, and a cache's longer keys.
        for (heads, kvHeads, tq, tk) in [(4, 4, 5, 5), (4, 2, 5, 5), (6, 2, 3, 7), (2, 1, 70, 70), (2, 2, 40, 75)] {
            let q = randomTensor([2, tq, heads * 3], seed: 4)
            let k = randomTensor([2, tk, kvHeads * 3], seed: 5)
            let v = randomTensor([2, tk, kvHeads * 3], seed: 6)
            let out = Tape(recording: false).causalAttention(Variable(q), Variable(k), Variable(v), heads: heads, kvHeads: kvHeads)
            assertClose(out.value.scalars, naiveAttention(q, k, v, heads: heads, kvHeads: kvHeads), tolerance: 1e-5)
        }
    }

    /// Decoding from a cache: left-padded rows attend to their real keys only, as the unpadded row alone does,
    /// and a cache that keeps some rows and grows past its capacity reads the same keys.
    func testCachedAttentionSkipsEachRowsPadding() throws {
        let (heads, kvHeads, d) = (4, 2, 3)
        let lengths = [5, 2, 9]  // real prompt lengths; rows are left-padded to 9
        let q = (0..<3).map { randomTensor([1, lengths[$0] + 30, heads * d], seed: UInt64(30 + $0)) }
        let k = (0..<3).map { randomTensor([1, lengths[$0] + 30, kvHeads * d], seed: UInt64(40 + $0)) }
        let v = (0..<3).map { randomTensor([1, lengths[$0] + 30, kvHeads * d], seed: UInt64(50 + $0)) }
        /// Row `r`'s positions `range` (of its real tokens) placed at the padded batch's rows `rows`.   -> (B, T, ·)
        func batch(_ x: [Tensor], _ rows: [Int], real range: (Int) -> Range<Int>, pad: (Int) -> Int) -> Tensor {
            let width = x[0].shape[2], length = rows.map { pad($0) + range($0).count }.max()!
            var values = [Float](repeating: 0, count: rows.count * length * width)
            for (b, r) in rows.enumerated() {
                for (t, position) in range(r).enumerated() {
                    for j in 0..<width { values[(b * length + pad(r) + t) * width + j] = x[r][0, position, j] }
                }
            }
            return Tensor(shape: [rows.count, length, width], values: values)
        }
        /// The first `n` positions of a (1, T, ·) tensor.
        func firstPositions(_ x: Tensor, _ n: Int) -> Tensor { Tensor(shape: [1, n, x.shape[2]], values: Array(x.scalars.prefix(n * x.shape[2]))) }
        let cache = KeyValueCache(layers: 1, leftPadding: lengths.map { 9 - $0 })
        let prompt = { (r: Int) in 0..<lengths[r] }
        let tape = Tape(recording: false)
        var out = tape.causalAttention(Variable(batch(q, [0, 1, 2], real: prompt, pad: { 9 - lengths[$0] })),
                                       Variable(batch(k, [0, 1, 2], real: prompt, pad: { 9 - lengths[$0] })),
                                       Variable(batch(v, [0, 1, 2], real: prompt, pad: { 9 - lengths[$0] })),
                                       heads: heads, kvHeads: kvHeads, cache: cache, layer: 0)
        for r in 0..<3 {  // a row's real positions only
            let real = Array(out.value.row(r).scalars.dropFirst((9 - lengths[r]) * heads * d))
            let expected = naiveAttention(firstPositions(q[r], lengths[r]), firstPositions(k[r], lengths[r]), firstPositions(v[r], lengths[r]),
                                          heads: heads, kvHeads: kvHeads)
            assertClose(real, expected, tolerance: 1e-5)
        }
        XCTAssertTrue(out.value.scalars.allSatisfy(\.isFinite), "pad queries, which see no key, give 0")
        // Rows 2 and 0 go on, one token per step, well past the first capacity.
        cache.keepRows([2, 0])
        for step in 0..<30 {
            let next = { (r: Int) in lengths[r] + step..<lengths[r] + step + 1 }
            out = tape.causalAttention(Variable(batch(q, [2, 0], real: next, pad: { _ in 0 })), Variable(batch(k, [2, 0], real: next, pad: { _ in 0 })),
                                       Variable(batch(v, [2, 0], real: next, pad: { _ in 0 })), heads: heads, kvHeads: kvHeads, cache: cache, layer: 0)
        }
        for (b, r) in [2, 0].enumerated() {
            let end = lengths[r] + 30
            let expected = naiveAttention(firstPositions(q[r], end), firstPositions(k[r], end), firstPositions(v[r], end), heads: heads, kvHeads: kvHeads)
            assertClose(out.value.row(b).scalars, Array(expected.suffix(heads * d)), tolerance: 1e-5)
        }
    }

    func testBidirectionalAttentionMatchesDefinition() throws {
        for (heads, kvHeads, tq, tk) in [(4, 4, 5, 5), (6, 2, 7, 3)] {
            let q = randomTensor([2, tq, heads * 3], seed: 13)
            let k = randomTensor([2, tk, kvHeads * 3], seed: 14)
            let v = randomTensor([2, tk, kvHeads * 3], seed: 15)
            let out = Tape(recording: false).bidirectionalAttention(Variable(q), Variable(k), Variable(v), heads: heads, kvHeads: kvHeads)
            assertClose(out.value.scalars, naiveAttention(q, k, v, heads: heads, kvHeads: kvHeads, causal: false), tolerance: 1e-5)
        }
        try assertGradientsMatch([randomTensor([2, 4, 6], seed: 16), randomTensor([2, 4, 3], seed: 17), randomTensor([2, 4, 3], seed: 18)]) { t, v in
            t.bidirectionalAttention(v[0], v[1], v[2], heads: 2, kvHeads: 1)
        }
    }

    func testCausalAttentionGradients() throws {
        try assertGradientsMatch([randomTensor([2, 4, 6], seed: 7), randomTensor([2, 4, 3], seed: 8), randomTensor([2, 4, 3], seed: 9)]) { t, v in
            t.causalAttention(v[0], v[1], v[2], heads: 2, kvHeads: 1)
        }
        try assertGradientsMatch([randomTensor([1, 2, 4], seed: 10), randomTensor([1, 5, 4], seed: 11), randomTensor([1, 5, 4], seed: 12)]) { t, v in
            t.causalAttention(v[0], v[1], v[2], heads: 2, kvHeads: 2)
        }
        try assertGradientsMatch([randomTensor([1, 37, 4], seed: 19), randomTensor([1, 37, 2], seed: 20), randomTensor([1, 37, 2], seed: 21)]) { t, v in
            t.causalAttention(v[0], v[1], v[2], heads: 2, kvHeads: 1)  // two blocks of queries, the second partial
        }
    }

    /// Attention over a packed projection reads q, k and v in place: the same output and the same gradient,
    /// bit for bit, as slicing them out first (GPT-2's path before it), here with a partial second block of
    /// queries; and its gradient matches finite differences.
    func testPackedAttentionEqualsSlicingTheProjection() throws {
        let (batch, length, heads, width) = (2, 37, 2, 8)
        let packed = randomTensor([batch * length, 3 * width], seed: 22)
        let weights = randomTensor([batch * length, width], seed: 23)
        func run(_ attention: (Tape, Variable) -> Variable) throws -> (out: [Float], gradient: [Float]) {
            let tape = Tape()
            let qkv = Variable(packed.copy(), requiresGrad: true)
            let out = attention(tape, qkv)
            try tape.backward(from: tape.sum(tape.mul(out, Variable(weights))))
            return (out.value.scalars, qkv.grad?.scalars ?? [])
        }
        let sliced = try run { t, qkv in
            func part(_ i: Int) -> Variable { t.reshape(t.slice(qkv, axis: 1, range: i * width..<(i + 1) * width), [batch, length, width]) }
            return t.reshape(t.causalAttention(part(0), part(1), part(2), heads: heads, kvHeads: heads), [batch * length, width])
        }
        let inPlace = try run { t, qkv in t.causalAttention(packed: qkv, batch: batch, heads: heads) }
        for (name, ours, theirs) in [("output", inPlace.out, sliced.out), ("gradient", inPlace.gradient, sliced.gradient)] {
            XCTAssertEqual(ours.count, theirs.count, name)
            let first = ours.indices.first { $0 >= theirs.count || ours[$0] != theirs[$0] }
            XCTAssertNil(first, "\(name) differs first at element \(first ?? 0)")
        }
        XCTAssertEqual(inPlace.gradient.count, packed.count)
        try assertGradientsMatch([randomTensor([2 * 5, 3 * 4], seed: 24)]) { t, v in
            t.causalAttention(packed: v[0], batch: 2, heads: 2)
        }
    }

    func testRoPERotatesPairsByPositionAngle() throws {
        // One head of size 4: pairs (0, 2) and (1, 3), angles pos·base^0 and pos·base^(-1/2).
        let x = Tensor(shape: [1, 2, 4], values: [1, 2, 3, 4, 1, 2, 3, 4])
        for (frequency, expected) in zip(RoPE.frequencies(headDim: 4, base: 100), [1, 0.1]) { XCTAssertEqual(frequency, expected, accuracy: 1e-15) }
        let out = Tape(recording: false).rope(Variable(x), heads: 1, positions: [3, 7], frequencies: [1, 0.1]).value
        for t in 0..<2 {
            let position = Double([3, 7][t])
            for (i, frequency) in [1.0, 0.1].enumerated() {
                let angle = position * frequency
                let (x1, x2) = (Double(x[0, t, i]), Double(x[0, t, i + 2]))
                XCTAssertEqual(Double(out[0, t, i]), x1 * cos(angle) - x2 * sin(angle), accuracy: 1e-5)
                XCTAssertEqual(Double(out[0, t, i + 2]), x1 * sin(angle) + x2 * cos(angle), accuracy: 1e-5)
            }
        }
        try assertGradientsMatch([randomTensor([2, 3, 8], seed: 13)]) { t, v in
            t.rope(v[0], heads: 2, positions: [1, 2, 3, 0, 1, 2], frequencies: RoPE.frequencies(headDim: 4, base: 10_000))
        }
    }
}

final class TapeTests: XCTestCase {
    func testGradientsAccumulateAcrossUses() throws {
        // y = x·x + x  ->  dy/dx = 2x + 1, with x used three times.
        let tape = Tape()
        let x = Variable(Tensor(shape: [2], values: [3, -1]), requiresGrad: true)
        try tape.backward(from: tape.sum(tape.add(tape.mul(x, x), x)))
        XCTAssertEqual(x.grad?.scalars, [7, -1])
    }

    func testMissingGradientRuleNamesTheOp() {
        let tape = Tape()
        let x = Variable(Tensor(shape: [2], values: [1, 2]), requiresGrad: true)
        let rounded = tape.output(Tensor(shape: [2], values: x.value.scalars.map { $0.rounded() }), from: [x])
        tape.record("round", output: rounded, backward: nil)
        XCTAssertThrowsError(try tape.backward(from: tape.sum(rounded))) { error in
            XCTAssertEqual(error as? AutogradError, .missingGradientRule(op: "round"))
        }
    }

    func testNonScalarLossIsRejected() {
        let tape = Tape()
        let x = Variable(Tensor(shape: [2], values: [1, 2]), requiresGrad: true)
        XCTAssertThrowsError(try tape.backward(from: tape.scale(x, by: 2))) { error in
            XCTAssertEqual(error as? AutogradError, .nonScalarLoss(shape: [2]))
        }
    }

    func testInferenceTapeRecordsNothing() {
        let tape = Tape(recording: false)
        let x = Variable(Tensor(shape: [2], values: [1, 2]), requiresGrad: true)
        let y = tape.sum(tape.mul(x, x))
        XCTAssertFalse(y.requiresGrad)
        XCTAssertEqual(tape.count, 0)
    }
}
