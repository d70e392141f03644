// Llama3RoPEScaling: how Llama 3.1 and later stretch RoPE to a longer context ("rope_type": "llama3").
// A pair whose wavelength 2π/ω is short next to the original context keeps its frequency, a long one is
// divided by `factor`, and between the two bounds the divisor blends smoothly — transformers'
// `_compute_llama3_parameters`. llama.cpp's converter stores the divisors instead (`rope_freqs.weight`);
// `init?(divisors:of:)` recovers the four numbers from them, so that a GGUF model can be written as an HF one.
import Foundation

/// Llama 3's RoPE scaling: the four numbers of HF's `rope_scaling` (or `rope_parameters`) of type "llama3".
public struct Llama3RoPEScaling: Equatable, Sendable {
    /// What the lowest frequencies are divided by (8 in Llama 3.1, 32 in Llama 3.2).
    public var factor: Double
    /// Wavelengths over originalContext / lowFrequencyFactor are divided by `factor`.
    public var lowFrequencyFactor: Double
    /// Wavelengths under originalContext / highFrequencyFactor are kept.
    public var highFrequencyFactor: Double
    /// The context the model was pretrained at (8192 in Llama 3).
    public var originalContext: Int

    /// A scaling of the given numbers.
    public init(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContext: Int) {
        (self.factor, self.lowFrequencyFactor, self.highFrequencyFactor) = (factor, lowFrequencyFactor, highFrequencyFactor)
        self.originalContext = originalContext
    }

    /// What each of `frequencies` is divided by: 1, `factor`, or 1 / ((1 − s) / factor + s) in between, where
    /// s = (originalContext / wavelength − low) / (high − low) runs from 0 at the long bound to 1 at the short one.
    public func divisors(of frequencies: [Double]) -> [Double] {
        let context = Double(originalContext)
        return frequencies.map { frequency in
            let wavelength = 2 * Double.pi / frequency
            if wavelength < context / highFrequencyFactor { return 1 }
            if wavelength > context / lowFrequencyFactor { return factor }
            let smooth = (context / wavelength - lowFrequencyFactor) / (highFrequencyFactor - lowFrequencyFactor)
            return 1 / ((1 - smooth) / factor + smooth)
        }
    }

    /// `frequencies` divided by this scaling's divisors.
    public func scaled(_ frequencies: [Double]) -> [Double] { zip(frequencies, divisors(of: frequencies)).map { $0 / $1 } }

    /// The scaling whose divisors of `frequencies` are `divisors` (as llama.cpp stores them, in Float32), within
    /// 1e-5 relative; nil when no scaling gives them, or when fewer than two of them lie strictly between 1 and
    /// the factor: those fix the bounds. The three bounds' scale is free (only the ratios of the original context
    /// to the two factors matter), so the low factor is taken as 1, as in every Llama 3, and the original context
    /// rounded to a whole number of tokens.
    public init?(divisors: [Double], of frequencies: [Double]) {
        guard divisors.count == frequencies.count, let factor = divisors.max(), factor > 1, divisors.allSatisfy({ $0 >= 1 - 1e-6 }) else {
            return nil
        }
        // In the band, s = 1 − (1 − 1/d) / (1 − 1/factor) = (context / wavelength − 1) / (high − 1): a line in
        // 1 / wavelength, whose slope context / (high − 1) and intercept −1 / (high − 1) give both bounds.
        let band = divisors.indices.filter { divisors[$0] > 1 + 1e-5 && divisors[$0] < factor * (1 - 1e-5) }
        guard let first = band.first, let last = band.last, first != last else { return nil }
        func smooth(_ i: Int) -> Double { 1 - (1 - 1 / divisors[i]) / (1 - 1 / factor) }
        func inverseWavelength(_ i: Int) -> Double { frequencies[i] / (2 * Double.pi) }
        let slope = (smooth(last) - smooth(first)) / (inverseWavelength(last) - inverseWavelength(first))
        let intercept = smooth(first) - slope * inverseWavelength(first)
        guard slope.isFinite, intercept < 0 else { return nil }
        var high = 1 - 1 / intercept
        if abs(high - high.rounded()) < 1e-3 { high = high.rounded() }
        let context = (-slope / intercept).rounded()
        guard context >= 1, context < 1e9 else { return nil }
        self.init(factor: (factor * 1e4).rounded() / 1e4, lowFrequencyFactor: 1, highFrequencyFactor: high, originalContext: Int(context))
        guard zip(self.divisors(of: frequencies), divisors).allSatisfy({ abs($0 - $1) <= 1e-5 * $1 }) else { return nil }
    }
}
