// TaskSuite: the embedded selection problem of `raise data synth` — an instruction pool mixing task
// families with a controlled share of label noise, exact and near duplicates and junk, plus
// validation and test splits of the target task disjoint from the pool, and a clean pretraining
// corpus. Every record's truth (family, noisy, duplicate, difficulty) is in `hidden_tags`, which
// reports read and selectors never do. docs/DATA.md gives the composition and the reasoning.

/// How the pool is mixed.
public enum TaskSuitePreset: String, CaseIterable, Sendable {
    /// The target is 15% of the pool and a third of it is noisy.
    case standard
    /// The target is 3% of the pool and 40% of it is noisy: a rare target, which full data mostly ignores.
    case rareTarget = "rare-target"

    /// The target family's share of the pool.
    public var targetShare: Double { self == .standard ? 0.15 : 0.03 }
    /// The share of target records with a wrong answer.
    public var targetNoise: Double { self == .standard ? 1.0 / 3 : 0.4 }
}

/// The sizes and seed of a suite.
public struct TaskSuiteConfiguration: Sendable {
    public var preset: TaskSuitePreset = .standard
    public var poolSize = 20_000
    public var validationSize = 200
    public var testSize = 500
    public var pretrainSize = 20_000
    public var seed: UInt64 = 0
    /// The family the selection should serve.
    public static let target = TaskFamily.addition

    /// Share of non-target records with a wrong answer.
    public static let otherNoise = 0.10
    /// Shares of the pool that are exact and near copies of other pool records.
    public static let exactDuplicateShare = 0.03, nearDuplicateShare = 0.03
    /// Share of the pool that is junk (gibberish or mismatched answers).
    public static let junkShare = 0.05
    /// The target family's share of the pretraining corpus: enough to know the format, not the skill.
    public static let pretrainTargetShare = 0.02

    /// The default configuration: the standard preset, a 20,000-record pool, seed 0.
    public init() {}
}

/// A generated suite: JSON objects ready to be written as JSONL.
public struct TaskSuite: Sendable {
    public var pool: [JSONValue] = []
    public var validation: [JSONValue] = []
    public var test: [JSONValue] = []
    public var pretrain: [JSONValue] = []

    /// Generates the suite for `configuration`; the same seed gives the same suite.
    ///
    /// - Throws: `RaiseError.invalidArgument` when the sizes cannot be met (the validation and test splits
    ///   need distinct target questions that the pool does not use).
    public init(_ configuration: TaskSuiteConfiguration) throws {
        let c = configuration
        guard c.poolSize >= 100, c.validationSize >= 1, c.testSize >= 1, c.pretrainSize >= 0 else {
            throw RaiseError.invalidArgument(name: "--size", detail: "the pool needs at least 100 records and the splits at least 1")
        }
        var rng = RandomGenerator(seed: c.seed)

        // Held-out target questions first, so that the pool can avoid them.
        var reserved = Set<String>()
        var heldOut = [TaskFamily.Instance]()
        var attempts = 0
        while heldOut.count < c.validationSize + c.testSize {
            attempts += 1
            guard attempts < 100 * (c.validationSize + c.testSize) + 10_000 else {
                throw RaiseError.invalidArgument(name: "--val-size/--test-size",
                                                 detail: "\(c.validationSize + c.testSize) distinct \(TaskSuiteConfiguration.target.rawValue) questions are more than the task has")
            }
            let instance = TaskSuiteConfiguration.target.instance(&rng)
            if reserved.insert(instance.input).inserted { heldOut.append(instance) }
        }
        validation = heldOut.prefix(c.validationSize).enumerated().map { TaskSuite.object("val-\($0.offset)", $0.element, family: TaskSuiteConfiguration.target) }
        test = heldOut.dropFirst(c.validationSize).enumerated().map { TaskSuite.object("test-\($0.offset)", $0.element, family: TaskSuiteConfiguration.target) }

        // The pool: base records, then copies, then junk, shuffled.
        let n = c.poolSize
        let exactCopies = Int((Double(n) * TaskSuiteConfiguration.exactDuplicateShare).rounded())
        let nearCopies = Int((Double(n) * TaskSuiteConfiguration.nearDuplicateShare).rounded())
        let junk = Int((Double(n) * TaskSuiteConfiguration.junkShare).rounded())
        let targetCount = Int((Double(n) * c.preset.targetShare).rounded())
        let baseCount = n - exactCopies - nearCopies - junk
        let others = TaskFamily.allCases.filter { $0 != TaskSuiteConfiguration.target }
        let families = Array(repeating: TaskSuiteConfiguration.target, count: targetCount) + (0..<(baseCount - targetCount)).map { others[$0 % others.count] }
        let noisyTargets = Set(rng.sample(Int((Double(targetCount) * c.preset.targetNoise).rounded()), of: targetCount))
        var base = [(family: TaskFamily, instance: TaskFamily.Instance, noisy: Bool)]()
        for (index, family) in families.enumerated() {
            var instance = family.instance(&rng)
            while family == TaskSuiteConfiguration.target && reserved.contains(instance.input) { instance = family.instance(&rng) }
            let noisy = family == TaskSuiteConfiguration.target ? noisyTargets.contains(index) : rng.nextFloat() < Float(TaskSuiteConfiguration.otherNoise)
            if noisy { instance.output = family.wrongAnswer(instance, &rng) }
            base.append((family, instance, noisy))
        }
        var records = base.map { TaskSuite.tagged($0.instance, family: $0.family, noisy: $0.noisy, duplicate: "none") }
        for copy in 0..<(exactCopies + nearCopies) {
            let source = base[rng.nextInt(below: base.count)]
            var instance = source.instance
            let near = copy >= exactCopies
            if near { instance = TaskSuite.nearCopy(instance, &rng) }
            records.append(TaskSuite.tagged(instance, family: source.family, noisy: source.noisy, duplicate: near ? "near" : "exact"))
        }
        for _ in 0..<junk { records.append(TaskSuite.junkRecord(&rng, avoiding: reserved)) }
        rng.shuffle(&records)
        pool = records.enumerated().map { TaskSuite.withID("pool-\($0.offset)", $0.element) }

        // A clean pretraining corpus from its own random stream.
        var pretrainRNG = RandomGenerator(seed: c.seed ^ 0x5052_4554_5241_494E)
        let targetInPretrain = Int((Double(c.pretrainSize) * TaskSuiteConfiguration.pretrainTargetShare).rounded())
        pretrain = (0..<c.pretrainSize).map { i in
            let family = i < targetInPretrain ? TaskSuiteConfiguration.target : others[i % others.count]
            var instance = family.instance(&pretrainRNG)
            while family == TaskSuiteConfiguration.target && reserved.contains(instance.input) { instance = family.instance(&pretrainRNG) }
            return TaskSuite.object("pretrain-\(i)", instance, family: family)
        }
        pretrainRNG.shuffle(&pretrain)
    }

    /// The same question written a little differently: lower-case instruction, extra spaces or a trailing period.
    private static func nearCopy(_ instance: TaskFamily.Instance, _ rng: inout RandomGenerator) -> TaskFamily.Instance {
        var copy = instance
        switch rng.nextInt(below: 3) {
        case 0: copy.instruction = copy.instruction.lowercased()
        case 1: copy.input = copy.input.replacingOccurrences(of: " ", with: "  ") + " "
        default: copy.instruction = String(copy.instruction.dropLast()) + " please."
        }
        return copy
    }

    private static let offTopic = ["Tell me about the weather.", "What is your favourite colour?", "Summarise the text.",
                                   "Translate this.", "Continue the story.", "Answer the question."]

    /// Junk: gibberish, or a real question (never a held-out one) paired with another family's answer.
    private static func junkRecord(_ rng: inout RandomGenerator, avoiding reserved: Set<String>) -> JSONValue {
        func gibberish(_ length: Int) -> String {
            String((0..<length).map { _ in Character(Unicode.Scalar(UInt8([33, 48, 65, 97][rng.nextInt(below: 4)] + rng.nextInt(below: 15)))) })
        }
        let instance: TaskFamily.Instance
        if rng.nextInt(below: 2) == 0 {
            instance = TaskFamily.Instance(instruction: offTopic[rng.nextInt(below: offTopic.count)], input: gibberish(4 + rng.nextInt(below: 8)),
                                           output: gibberish(3 + rng.nextInt(below: 12)), difficulty: "none")
        } else {
            let families = TaskFamily.allCases
            var question = families[rng.nextInt(below: families.count)].instance(&rng)
            while reserved.contains(question.input) { question = families[rng.nextInt(below: families.count)].instance(&rng) }
            question.output = families[rng.nextInt(below: families.count)].instance(&rng).output
            question.difficulty = "none"
            instance = question
        }
        return tagged(instance, family: nil, noisy: true, duplicate: "none")
    }

    private static func tagged(_ instance: TaskFamily.Instance, family: TaskFamily?, noisy: Bool, duplicate: String) -> JSONValue {
        .object(JSONObject([
            ("instruction", .string(instance.instruction)), ("input", .string(instance.input)), ("output", .string(instance.output)),
            ("hidden_tags", .object(JSONObject([
                ("family", .string(family?.rawValue ?? "junk")), ("target", .string(family == TaskSuiteConfiguration.target ? "true" : "false")),
                ("noisy", .string(noisy ? "true" : "false")), ("duplicate", .string(duplicate)),
                ("difficulty", .string(instance.difficulty)),
            ]))),
        ]))
    }

    private static func object(_ id: String, _ instance: TaskFamily.Instance, family: TaskFamily) -> JSONValue {
        withID(id, tagged(instance, family: family, noisy: false, duplicate: "none"))
    }

    private static func withID(_ id: String, _ value: JSONValue) -> JSONValue {
        var object = JSONObject([("id", .string(id))])
        for key in value.objectValue!.keys { object[key] = value.objectValue![key] }
        return .object(object)
    }

    /// Writes pool.jsonl, val.jsonl, test.jsonl and pretrain.jsonl into `directory`, atomically.
    public func write(to directory: String) throws {
        for (name, records) in [("pool", pool), ("val", validation), ("test", test), ("pretrain", pretrain)] {
            let writer = try AtomicFileWriter(path: directory + "/\(name).jsonl")
            for record in records { try writer.write(record.serialized + "\n") }
            try writer.commit()
        }
    }
}
