// TaskFamily: the small, exactly checkable tasks that the embedded suite is made of. Each family
// makes a random instance (instruction, input, answer, difficulty) and a plausible wrong answer for
// label noise. Short texts on purpose: a small model must be able to learn them on a CPU.

/// One kind of task in the embedded suite.
public enum TaskFamily: String, CaseIterable, Sendable {
    /// Two-digit addition: the default target task.
    case addition
    /// Three- and four-digit addition written out digit by digit.
    case stepAddition = "step-addition"
    /// Two-digit subtraction with a non-negative result.
    case subtraction
    /// Reversing a short string of letters.
    case reverse
    /// Sorting a few small numbers.
    case sort
    /// Converting a quantity between units.
    case convert
    /// Copying a word a given number of times.
    case repeatWord = "repeat"
    /// Upper-casing a word.
    case uppercase

    /// An instance of the task.
    public struct Instance: Equatable, Sendable {
        public var instruction: String
        public var input: String
        public var output: String
        /// easy, medium or hard.
        public var difficulty: String
    }

    /// A pronounceable made-up word of two or three syllables (thousands of distinct words).
    private static func word(_ rng: inout RandomGenerator) -> String {
        let consonants = Array("bdfgklmnprstvz"), vowels = Array("aeiou")
        return String((0..<(2 + rng.nextInt(below: 2))).flatMap { _ in
            [consonants[rng.nextInt(below: consonants.count)], vowels[rng.nextInt(below: vowels.count)]]
        })
    }

    /// A random instance.
    public func instance(_ rng: inout RandomGenerator) -> Instance {
        switch self {
        case .addition:
            let (a, b) = (10 + rng.nextInt(below: 90), 10 + rng.nextInt(below: 90))
            let carries = (a % 10 + b % 10 >= 10 ? 1 : 0) + (a + b >= 100 ? 1 : 0)
            return Instance(instruction: "Add the two numbers.", input: "\(a) + \(b)", output: "\(a + b)",
                            difficulty: ["easy", "medium", "hard"][carries])
        case .stepAddition:
            let digits = 3 + rng.nextInt(below: 2)
            let low = digits == 3 ? 100 : 1000
            let (a, b) = (low + rng.nextInt(below: 9 * low), low + rng.nextInt(below: 9 * low))
            return Instance(instruction: "Add the numbers digit by digit.", input: "\(a) + \(b)",
                            output: TaskFamily.steps(a, b), difficulty: digits == 3 ? "medium" : "hard")
        case .subtraction:
            let a = 10 + rng.nextInt(below: 90)
            let b = 10 + rng.nextInt(below: a - 9)
            return Instance(instruction: "Subtract the second number from the first.", input: "\(a) - \(b)", output: "\(a - b)",
                            difficulty: a % 10 < b % 10 ? "medium" : "easy")
        case .reverse:
            let length = 3 + rng.nextInt(below: 6)
            let letters = String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(97 + rng.nextInt(below: 26)))) })
            return Instance(instruction: "Reverse the letters.", input: letters, output: String(letters.reversed()),
                            difficulty: length <= 4 ? "easy" : length <= 6 ? "medium" : "hard")
        case .sort:
            let count = 3 + rng.nextInt(below: 4)
            let numbers = (0..<count).map { _ in rng.nextInt(below: 100) }
            return Instance(instruction: "Sort the numbers from smallest to largest.", input: numbers.map(String.init).joined(separator: " "),
                            output: numbers.sorted().map(String.init).joined(separator: " "),
                            difficulty: count <= 3 ? "easy" : count <= 5 ? "medium" : "hard")
        case .convert:
            let units = [("km", "m", 1000), ("m", "cm", 100), ("kg", "g", 1000), ("h", "min", 60), ("min", "s", 60)]
            let (from, to, factor) = units[rng.nextInt(below: units.count)]
            let amount = 1 + rng.nextInt(below: 999)
            return Instance(instruction: "Convert the quantity to \(to).", input: "\(amount) \(from)", output: "\(amount * factor) \(to)",
                            difficulty: amount >= 100 ? "hard" : factor == 60 ? "medium" : "easy")
        case .repeatWord:
            let (word, times) = (TaskFamily.word(&rng), 2 + rng.nextInt(below: 3))
            return Instance(instruction: "Write the word \(times) times.", input: word,
                            output: Array(repeating: word, count: times).joined(separator: " "), difficulty: "easy")
        case .uppercase:
            let word = TaskFamily.word(&rng)
            return Instance(instruction: "Write the word in capital letters.", input: word, output: word.uppercased(), difficulty: "easy")
        }
    }

    /// The worked digit-by-digit addition of `a` and `b`: "4+8=12 c1, 3+5+1=9, …, = 1190".
    static func steps(_ a: Int, _ b: Int) -> String {
        var (x, y, carry, parts) = (a, b, 0, [String]())
        while x > 0 || y > 0 {
            let sum = x % 10 + y % 10 + carry
            parts.append("\(x % 10)+\(y % 10)\(carry > 0 ? "+1" : "")=\(sum)\(sum >= 10 ? " c1" : "")")
            carry = sum / 10
            x /= 10
            y /= 10
        }
        return parts.joined(separator: ", ") + ", = \(a + b)"
    }

    /// A plausible wrong answer for `instance` (label noise): off by a little for numbers, shuffled or
    /// altered for text; never the right answer.
    public func wrongAnswer(_ instance: Instance, _ rng: inout RandomGenerator) -> String {
        var wrong = instance.output
        while wrong == instance.output {
            switch self {
            case .addition, .subtraction:
                let value = Int(instance.output) ?? 0
                let offset = [1, 2, 9, 10, 11][rng.nextInt(below: 5)] * (rng.nextInt(below: 2) == 0 ? -1 : 1)
                wrong = "\(max(0, value + offset))"
            case .stepAddition:
                let value = instance.output.split(separator: "=").last.map { Int(String($0).trimmingWhitespace) ?? 0 } ?? 0
                wrong = String(instance.output.dropLast("\(value)".count)) + "\(value + [10, 100, -10, 1][rng.nextInt(below: 4)])"
            case .convert:
                let parts = instance.output.split(separator: " ")
                wrong = "\((Int(parts[0]) ?? 0) / 10) \(parts[1])"
            default:  // swap two characters; a text of one repeated character loses its last one instead
                var characters = Array(instance.output)
                if Set(characters).count > 1 {
                    characters.swapAt(0, rng.nextInt(below: characters.count - 1) + 1)
                    wrong = String(characters)
                } else {
                    wrong = characters.count > 1 ? String(characters.dropLast()) : instance.output + instance.output
                }
            }
        }
        return wrong
    }
}
