// DecimalText: the one way raise reads a real number a user typed (options, plugin parameters, budgets):
// decimal notation only. Swift's Double("…") also takes hexadecimal floats ("0x10" is 16, "0x1p3" is 8),
// "inf" and "nan", which no user means as a learning rate or a budget.

/// Reading decimal numbers from text.
public enum DecimalText {
    /// `text` as a finite number written in decimal (`3e-4`, `0.5`, `-2`, `.5`), or nil.
    public static func value(of text: some StringProtocol) -> Double? {
        guard String(text).wholeMatch(of: /[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/) != nil, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
