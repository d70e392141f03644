// PolicyFolder: the folder a RAISE policy is trained into and used from — the one owner of its layout:
//   config.json                 "kind": "raise.policy", the policy's settings, and for a trained policy the
//                               run's description ("training"), the episodes finished ("episodes_done") and,
//                               when the run was checked, the policy check ("check": which policy was kept)
//   policy.safetensors          the actor's and critic's weights (after a check, the kept policy's)
//   episodes.jsonl              one line per finished episode
//   training-state.safetensors  what a resumed run needs: weights, optimizer moments, episodes done, the log
// After every update all four are rewritten (each atomically), so the folder always holds a usable policy;
// config.json goes last: its episodes_done counts only episodes every other file already holds, and a run
// killed between the writes resumes from the state file (which may be one update ahead) and rewrites the rest.
// A policy check rewrites config.json and policy.safetensors once more at the end; the state file keeps the
// trained weights, so a run resumed for more episodes continues from them.
import Foundation

/// A policy folder.
public struct PolicyFolder: Sendable {
    /// The folder.
    public let path: String

    /// The folder at `path`.
    public init(_ path: String) { self.path = path }

    /// config.json: the policy's settings and its run's description.
    public var configPath: String { path + "/config.json" }
    /// policy.safetensors: the weights.
    public var weightsPath: String { path + "/policy.safetensors" }
    /// episodes.jsonl: the episode log.
    public var episodesPath: String { path + "/episodes.jsonl" }
    /// training-state.safetensors: a resumable training run's state.
    public var statePath: String { path + "/training-state.safetensors" }

    /// Whether the folder holds a resumable training state (a state file, and the config.json that says
    /// which run it belongs to: a run killed before its first config.json has nothing to resume).
    public var hasTrainingState: Bool {
        FileManager.default.fileExists(atPath: statePath) && FileManager.default.fileExists(atPath: configPath)
    }

    /// Writes config.json and policy.safetensors (created if needed), each atomically; `extra` members follow
    /// the settings in config.json.
    public func save(_ policy: SelectionPolicy, extra: [(String, JSONValue)] = []) throws {
        try Folder.create(path)
        try Safetensors.write(Checkpoint.named(policy.parameters), metadata: ["kind": "raise.policy"], to: weightsPath)
        let config = JSONObject([("kind", .string("raise.policy")), ("settings", .object(policy.settings.json))] + extra)
        try AtomicFile.write(JSONValue.object(config).serialized + "\n", to: configPath)
    }

    /// The policy saved here.
    ///
    /// - Throws: `RaiseError` naming the file and the field or tensor at fault.
    public func loadPolicy() throws -> SelectionPolicy {
        let policy = SelectionPolicy(settings: try savedSettings(), seed: 0)
        try policy.loadParameters(from: weightsPath)
        return policy
    }

    /// The policy settings in config.json.
    ///
    /// - Throws: `RaiseError.file` when config.json is not a policy's, or a field is at fault.
    public func savedSettings() throws -> PolicySettings {
        guard let settings = try config()["settings"]?.objectValue else { throw notAPolicy() }
        return try PolicySettings(json: settings, path: configPath)
    }

    /// The run's description saved with a trained policy (empty when none was saved).
    public func savedTraining() throws -> JSONObject { try config()["training"]?.objectValue ?? JSONObject() }

    /// The policy check saved with a checked policy (nil when the run was not checked, or not yet).
    ///
    /// - Throws: `RaiseError.file` when config.json is not a policy's or its check is malformed.
    public func savedCheck() throws -> PolicyCheck? {
        try config()["check"].map { check in
            guard let object = check.objectValue else { throw RaiseError.file(path: configPath, detail: "field 'check' is not an object") }
            return try PolicyCheck(json: object, path: configPath)
        }
    }

    /// Episodes finished by the training run in this folder as config.json counts them (0 when it holds no
    /// training state); the state file may be one update ahead.
    public func episodesDone() throws -> Int {
        guard hasTrainingState else { return 0 }
        return try config()["episodes_done"]?.intValue ?? 0
    }

    /// Saves a training run after an update: the resumable state (which carries the log too), the log as
    /// episodes.jsonl, then the policy with the run's `description` and `episodesDone`.
    public func saveTraining(_ trainer: PolicyTrainer, description: JSONObject, episodesDone: Int, log: [String]) throws {
        let text = log.map { $0 + "\n" }.joined()
        let optimizer = trainer.updater.optimizer
        let tensors = Checkpoint.named(trainer.policy.parameters) + Checkpoint.optimizerTensors(optimizer)
        try Folder.create(path)
        try Safetensors.write(tensors, metadata: ["episodes_done": String(episodesDone), "optimizer_step": String(optimizer.step), "log": text],
                              to: statePath)
        try AtomicFile.write(text, to: episodesPath)
        try save(trainer.policy, extra: [("training", .object(description)), ("episodes_done", .number(Double(episodesDone)))])  // last
    }

    /// Restores a training run's state into `trainer` (weights and optimizer); returns the episodes done and
    /// the log, one line per episode.
    ///
    /// - Throws: `RaiseError` naming the file and the tensor or field that does not fit this policy.
    public func restoreTraining(into trainer: PolicyTrainer) throws -> (episodesDone: Int, log: [String]) {
        let file = try Safetensors.read(path: statePath)
        try Checkpoint.copy(file, into: trainer.policy.parameters, path: statePath)
        trainer.policy.weightsChanged()
        let (m, v) = try Checkpoint.optimizerMoments(in: file, count: trainer.policy.parameters.count, path: statePath)
        guard let done = file.metadata["episodes_done"].flatMap({ Int($0) }), let step = file.metadata["optimizer_step"].flatMap({ Int($0) }),
              let log = file.metadata["log"] else {
            throw RaiseError.file(path: statePath, detail: "metadata 'episodes_done', 'optimizer_step' or 'log' missing")
        }
        trainer.updater.optimizer.restore(m: m, v: v, step: step)
        return (done, log.split(separator: "\n").map(String.init))
    }

    private func config() throws -> JSONObject {
        let config = try JSONValue.readObject(path: configPath)
        guard config["kind"]?.stringValue == "raise.policy" else { throw notAPolicy() }
        return config
    }

    private func notAPolicy() -> RaiseError {
        RaiseError.file(path: configPath, detail: "not a RAISE policy (expected \"kind\": \"raise.policy\" and \"settings\")")
    }
}
