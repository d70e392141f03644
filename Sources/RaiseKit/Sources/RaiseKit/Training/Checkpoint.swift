// Checkpoint: a model directory — config.json (which backend, with what settings), model.safetensors
// (the parameters by name) and, for byte-level BPE models, tokenizer/; for a backend transformers knows
// (LLaMA), the same folder is a Hugging Face model folder too — plus, for runs that can
// resume, resume.safetensors: parameters, optimizer moments and the run's counters and random state
// in ONE file, so that a crash between writes can never pair parameters with another step's state.
// Every file is written to a temporary name and renamed.
import Foundation

/// Saving and loading model directories and resume states.
public enum Checkpoint {
    /// What a resume state holds besides tensors.
    public struct RunState: Sendable {
        public var step: Int
        public var optimizerStep: Int
        public var rng: RandomGenerator
        /// Free-form counters of the command (examples seen, data position, …).
        public var extra: [String: String]

        /// The counters after `step` steps (and the optimizer's own count, `optimizerStep`), with the random stream to resume from.
        public init(step: Int, optimizerStep: Int, rng: RandomGenerator, extra: [String: String] = [:]) {
            self.step = step
            self.optimizerStep = optimizerStep
            self.rng = rng
            self.extra = extra
        }
    }

    /// The backend id and settings a model directory's config.json names.
    ///
    /// - Throws: `RaiseError.file` naming config.json when it is missing or malformed.
    public static func configuration(of directory: String) throws -> (backend: String, settings: JSONObject) {
        let path = directory + "/config.json"
        let object = try JSONValue.readObject(path: path)
        guard let backend = object["backend"]?.stringValue, let settings = object["settings"]?.objectValue else {
            throw RaiseError.file(path: path, detail: "expected {\"backend\": ID, \"settings\": {…}}")
        }
        return (backend, settings)
    }

    /// Writes `model` into `directory` (created if needed): config.json, model.safetensors (low-rank adapters
    /// merged into the weights: the folder is a plain model), tokenizer/ — and,
    /// when the backend names a transformers architecture, tokenizer.json and tokenizer_config.json, with
    /// transformers' fields at the top of config.json, so that `AutoModelForCausalLM.from_pretrained(directory)`
    /// loads the same model. config.json is written last: a folder with one is complete. `template` and
    /// `systemPrompt` (the default system prompt it was trained with) are kept for the commands that read it;
    /// `chatTemplate`, the Jinja chat template that writes that format, goes into tokenizer_config.json for
    /// transformers' `apply_chat_template`.
    public static func saveModel(_ model: any LanguageModel, template: PromptTemplate? = nil, systemPrompt: String? = nil,
                                 chatTemplate: String? = nil, to directory: String) throws {
        try Folder.create(directory)
        let huggingFace = model.huggingFaceConfiguration
        if let tokenizer = model.tokenizer as? BytePairTokenizer {
            try tokenizer.save(directory: directory + "/tokenizer")
            if huggingFace != nil { try tokenizer.saveHuggingFace(directory: directory, maxLength: model.contextLength, chatTemplate: chatTemplate) }
        }
        try Safetensors.write(model.savedWeights, metadata: ["backend": model.backendID, "format": "pt"], to: directory + "/model.safetensors")
        var config = huggingFace ?? JSONObject()
        config["backend"] = .string(model.backendID)
        config["settings"] = .object(model.configuration)
        if let template { config["prompt_template"] = .string(template.rawValue) }
        if let systemPrompt { config["default_system_prompt"] = .string(systemPrompt) }
        try AtomicFile.write(JSONValue.object(config).serialized + "\n", to: directory + "/config.json")
    }

    /// The prompt template and default system prompt a model folder was trained with (`prompt_template` and
    /// `default_system_prompt` in its config.json), where it says; nil for a folder raise did not train or an older one.
    public static func savedPromptFormat(of directory: String) -> (template: PromptTemplate?, systemPrompt: String?) {
        let config = try? JSONValue.readObject(path: directory + "/config.json")
        return (config?["prompt_template"]?.stringValue.flatMap(PromptTemplate.init), config?["default_system_prompt"]?.stringValue)
    }

    /// Loads model.safetensors of `directory` into `parameters`, checking every name and shape; or, when there
    /// is none beside a `model.safetensors.index.json` (a large model as the Hub shards it), the files its
    /// `weight_map` names, one shard at a time.
    ///
    /// - Throws: `RaiseError` naming the file and the tensor that is missing or of another shape, or the index
    ///   and the parameter it maps to no shard (or to a path outside `directory`).
    public static func loadParameters(_ parameters: ParameterStore, from directory: String) throws {
        let path = directory + "/model.safetensors"
        let index = directory + "/model.safetensors.index.json"
        guard !FileManager.default.fileExists(atPath: path), FileManager.default.fileExists(atPath: index) else {
            return try copy(Safetensors.read(path: path), into: parameters, path: path)
        }
        guard let weightMap = try JSONValue.readObject(path: index)["weight_map"]?.objectValue else {
            throw RaiseError.file(path: index, detail: "field 'weight_map' is missing or not an object")
        }
        var byShard = [String: [ParameterSpec]]()
        for spec in parameters.specs {
            guard let shard = weightMap[spec.name]?.stringValue, !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw RaiseError.tensor(path: index, tensor: spec.name, detail: "field 'weight_map' names no shard file in this folder for it")
            }
            byShard[shard, default: []].append(spec)
        }
        for (shard, specs) in byShard.sorted(by: { $0.key < $1.key }) {
            try copy(Safetensors.read(path: directory + "/" + shard), into: parameters, only: specs, path: directory + "/" + shard)
        }
    }

    /// Writes the resume state of a run into `directory`/resume.safetensors.
    public static func saveRun(model: any LanguageModel, trainer: ModelTrainer, state: RunState, to directory: String) throws {
        try Folder.create(directory)
        var metadata = state.extra
        metadata["step"] = String(state.step)
        metadata["optimizer_step"] = String(state.optimizerStep)
        metadata["rng"] = [state.rng.state.0, state.rng.state.1, state.rng.state.2, state.rng.state.3].map(String.init).joined(separator: ",")
        metadata["backend"] = model.backendID
        let tensors = named(model.parameters) + optimizerTensors(trainer.optimizer)
        try Safetensors.write(tensors, metadata: metadata, to: directory + "/resume.safetensors")
    }

    /// Restores parameters and optimizer from `directory`/resume.safetensors; returns the run state.
    ///
    /// - Throws: `RaiseError` naming the file and the tensor or field that does not match this model.
    public static func loadRun(model: any LanguageModel, trainer: ModelTrainer, from directory: String) throws -> RunState {
        let path = directory + "/resume.safetensors"
        let file = try Safetensors.read(path: path)
        try copy(file, into: model.parameters, path: path)
        let (m, v) = try optimizerMoments(in: file, count: model.parameters.count, path: path)
        func number(_ key: String) throws -> Int {
            guard let text = file.metadata[key], let value = Int(text) else { throw RaiseError.file(path: path, detail: "metadata '\(key)' missing or not an integer") }
            return value
        }
        let words = (file.metadata["rng"] ?? "").split(separator: ",").compactMap { UInt64($0) }
        guard words.count == 4, words != [0, 0, 0, 0] else { throw RaiseError.file(path: path, detail: "metadata 'rng' is not four 64-bit words") }
        let state = RunState(step: try number("step"), optimizerStep: try number("optimizer_step"),
                             rng: RandomGenerator(state: (words[0], words[1], words[2], words[3])),
                             extra: file.metadata.filter { !["step", "optimizer_step", "rng", "backend"].contains($0.key) })
        trainer.restore(step: state.step, m: m, v: v, optimizerStep: state.optimizerStep)
        return state
    }

    /// An optimizer's moments as named tensors, for a resume state.
    public static func optimizerTensors(_ optimizer: AdamW) -> [(name: String, tensor: Tensor)] {
        [("optimizer.m", optimizer.m), ("optimizer.v", optimizer.v)]
    }

    /// The moments `optimizerTensors` wrote, checked to fit `count` parameters.
    ///
    /// - Throws: `RaiseError.tensor` naming the file when they are missing or of another size.
    public static func optimizerMoments(in file: SafetensorsFile, count: Int, path: String) throws -> (m: Tensor, v: Tensor) {
        guard let m = file.tensors["optimizer.m"], let v = file.tensors["optimizer.v"], m.count == count, v.count == count else {
            throw RaiseError.tensor(path: path, tensor: "optimizer.m", detail: "missing or not the size of the parameters")
        }
        return (m, v)
    }

    /// Every parameter as a named tensor, in storage order: what a safetensors file of them holds.
    public static func named(_ parameters: ParameterStore) -> [(name: String, tensor: Tensor)] {
        parameters.specs.map { ($0.name, parameters[$0.name].value) }
    }

    /// Overwrites every parameter (or those of `only`) with the tensor of the same name in `file` (read from `path`).
    ///
    /// - Throws: `RaiseError.tensor` naming the file and a tensor that is missing or of another shape.
    public static func copy(_ file: SafetensorsFile, into parameters: ParameterStore, only specs: [ParameterSpec]? = nil, path: String) throws {
        for spec in specs ?? parameters.specs {
            guard let tensor = file.tensors[spec.name] else { throw RaiseError.tensor(path: path, tensor: spec.name, detail: "missing") }
            guard tensor.shape == spec.shape else {
                throw RaiseError.tensor(path: path, tensor: spec.name, detail: "shape \(tensor.shape), expected \(spec.shape)")
            }
            parameters[spec.name].value.assign(tensor)
        }
    }
}
