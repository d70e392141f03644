// `raise train-selector`: trains a RAISE policy. The pool's static features (lengths and
// log-likelihoods under the auxiliary model, the reduced embedding) are computed once; then each
// episode fine-tunes a fresh copy of the base model for the budget's steps, choosing every batch with
// the current policy, rewards each step with the change of the target-task performance on the
// validation split (a reward plugin), and updates the policy with PPO. After every episode the policy
// folder is complete and usable; `--resume` continues a killed run after its last finished episode.
import Foundation
import RaiseKit

/// Policy training.
enum TrainSelectorCommand {
    static let command = Command(
        words: ["train-selector"],
        summary: "train a RAISE selection policy with PPO, rewarded by a target-task metric on a validation split",
        arguments: "",
        options: [ModelOptions.model] + FeatureOptions.modelOptions + [ModelOptions.data, ModelOptions.format, ModelOptions.filter, ModelOptions.template, ModelOptions.systemPrompt, ModelOptions.fields,
                  ModelOptions.skipInvalid, ModelOptions.maxRecordBytes,
                  .values("--val", "FILE", "target-task validation split the reward is measured on (required; never trained on; repeatable: the files make one split)"),
                  .value("--out", "DIR", "policy folder: config.json, policy.safetensors, episodes.jsonl, training-state.safetensors"),
                  .flag("--resume", "continue the run in --out after its last finished episode (or start it)"), OutputOptions.force,
                  .text("--reward", "SPEC", "reward plugin: val-loss, val-accuracy, val-mix, or your own", default: "val-loss"),
                  .integer("--reward-every", "N", "steps between evaluations of the reward", default: 1, in: 1...1_000_000),
                  .integer("--episodes", "N", "episodes (0: write the policy as it starts — with the relevance group, the prior alone)",
                           default: runDefaults.episodes, in: 0...1_000_000),
                  .integer("--policy-check", "N", "after training, N more episodes on the held-out half of the validation split decide whether "
                           + "the trained policy or its start is saved (0: no check; the reward sees the whole split)", default: 0, in: 0...1_000),
                  .integer("--episodes-per-update", "K", "episodes run with one policy before each PPO update (default \(runDefaults.episodesPerUpdate); under mpirun, at least the ranks)",
                           default: nil, in: 1...1_000_000),
                  .text("--budget", "B", "steps per episode: N, N% of the full-data run, Nexamples or Ntokens", default: "1%"),
                  .integer("--batch", "N", "instructions per step, spread over the clusters", default: 16, in: 1...65_536),
                  .real("--lr", "X", "the fine-tuning's peak learning rate", default: 1e-3, in: 1e-7...10),
                  .integer("--clusters", "C", "k-means clusters each batch is spread over", default: policyDefaults.clusters, in: 1...4096),
                  .text("--groups", "LIST", "state groups, of stage, difficulty, semantics, availability, current-loss, relevance "
                        + "(the paper's state: stage,difficulty,semantics,availability)",
                        default: StateGroup.targetAware.map(\.rawValue).joined(separator: ",")),
                  .integer("--semantic-dims", "N", "PCA dimensions of the semantic group", default: policyDefaults.layout.semanticDimensions, in: 1...4096),
                  .choice("--relevance-signal", "S", "the relevance group's first column, which the relevance prior ranks by",
                          default: policyDefaults.layout.relevanceSignal),
                  .text("--relevance-prior", "auto|X", "with the relevance group (relu actor): the score the initial actor adds to relevant instructions "
                        + "(0: none; auto: \(String(format: "%g", Double(policyDefaults.relevancePrior))), or more where that leaves the others more than "
                        + "\(Int((PoolFeatures.defaultPriorSpill * 100).rounded()))% of the first draws)", default: "auto"),
                  .integer("--loss-refresh", "N", "steps between refreshes of the current-loss group", default: policyDefaults.lossRefresh,
                           in: 1...1_000_000),
                  .integer("--hidden", "N", "hidden width of actor and critic", default: policyDefaults.hidden, in: 1...65_536),
                  .text("--activation", "F", "the actor's hidden activation: relu or tanh", default: policyDefaults.activation.rawValue),
                  .real("--temperature", "X", "softmax temperature of the Plackett–Luce draws", default: Double(policyDefaults.temperature), in: 1e-3...1e3),
                  .real("--gamma", "X", "discount (1: the return is P(M_T) − P(M_0))", default: ppoDefaults.gamma, in: 0...1),
                  .real("--gae-lambda", "X", "GAE's λ (0: each batch credited with its own reward)", default: ppoDefaults.lambda, in: 0...1),
                  .real("--clip", "X", "PPO's clip ε", default: ppoDefaults.clip, in: 1e-3...10),
                  .real("--value-coef", "X", "weight of the critic's loss", default: ppoDefaults.valueCoefficient, in: 0...1e3),
                  .real("--entropy-coef", "X", "weight of the entropy bonus", default: ppoDefaults.entropyCoefficient, in: 0...1e3),
                  .integer("--ppo-epochs", "N", "PPO passes per episode", default: ppoDefaults.epochs, in: 1...1000),
                  .integer("--minibatches", "N", "minibatches per pass", default: ppoDefaults.minibatches, in: 1...100_000),
                  .real("--policy-lr", "X", "Adam's learning rate for the policy", default: Double("\(ppoDefaults.learningRate)")!, in: 1e-7...10),
                  .choice("--ppo-ratio", "HOW", "one ratio per pick (per-draw) or per cluster's whole draw (per-cluster)", default: ppoDefaults.ratio),
                  PluginOptions.pluginPath, CommonOptions.seed, CommonOptions.threads, CommonOptions.quiet, CommonOptions.json],
        run: run)

    /// The core's defaults, which the options show and fall back to.
    private static let policyDefaults = PolicySettings(layout: StateLayout(groups: StateGroup.paper))
    private static let ppoDefaults = PPOSettings()
    private static let runDefaults = PolicyTrainingSettings(steps: 1, batchSize: 1, seed: 0)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        try arguments.expectNoPositionals()
        try arguments.configureThreads()
        guard let out = arguments.string("--out"), arguments.string("--val") != nil else {
            throw UsageError(message: "--out DIR and --val FILE are required", usage: arguments.usage)
        }
        let seed = try arguments.seed()
        try OutputOptions.claimFolder(out, finished: arguments.flag("--resume") ? nil : "config.json", ownFiles: OutputOptions.policyFiles, arguments: arguments,
                                      hint: "pass --resume to continue its training")
        let registry = try PluginOptions.load(arguments)  // under mpirun, joins the job: episodes are shared
        let (policySettings, priorSpill, training) = try settings(arguments, seed: seed)
        let rewardName = arguments.text("--reward")
        let rewardSpec = try PluginSpec(parsing: rewardName, option: "--reward")
        let reward = try registry.make(rewardSpec, kind: .reward, seed: seed, as: (any Reward).self)

        // The pool, the validation split and the pool's static features.
        let model = try ModelOptions.make(arguments, registry: registry, seed: seed)
        let formatter = try ModelOptions.formatter(arguments, model: model)
        let pool = try ModelOptions.pool(arguments, formatter: formatter)
        let validation = try ModelOptions.targetSplit("--val", arguments, formatter: formatter, pool: pool)!
        var run = training
        run.steps = try arguments.steps(of: arguments.budget(), poolSize: pool.count, batchSize: training.batchSize, meanTokens: pool.meanTokens)
        let columns = try FeatureOptions.pipeline(arguments, registry: registry, trained: model, formatter: formatter, seed: seed, target: validation)
            .columns(policySettings.layout.featureSpecs, of: pool)
        let job = PolicyTrainingJob(model: model, pool: pool, validation: validation.examples, reward: reward,
                                    rewardName: rewardName, columns: columns, policySettings: policySettings, priorSpill: priorSpill,
                                    run: run, learningRate: Float(try arguments.number("--lr")))
        let resume = arguments.flag("--resume")
        let checkEpisodes = run.episodes > 0 ? run.checkEpisodes : 0
        let progress = ProgressReporter(label: "train-selector", total: (run.episodes + checkEpisodes) * run.steps, mode: arguments.outputMode,
                                        completed: resume ? try PolicyFolder(out).episodesDone() * run.steps : 0)
        if resume, !PolicyFolder(out).hasTrainingState {
            arguments.console.info("raise: \(out): nothing to resume yet (no finished episode saved): starting from the first episode")
        }
        let log = try job.train(out: out, resume: resume ? .ifPresent : .never, progress: progress, mode: arguments.outputMode)
        if Job.communicator.isRoot, arguments.outputMode != .json, run.episodes == 0 {
            print("wrote the untrained RAISE policy (0 episodes) -> \(out)")
        }
        if Job.communicator.isRoot, arguments.outputMode != .json, let last = log.last {
            print("trained a RAISE policy for \(run.episodes) episodes of \(run.steps) steps -> \(out)")
            print("  last episode: return \(String(format: "%.4f", last["return"]?.numberValue ?? 0)), "
                  + "final P \(String(format: "%.4f", last["final"]?.numberValue ?? 0))")
            if let check = try PolicyFolder(out).savedCheck() {
                print("  policy check: saved the \(check.keepsTrained ? "trained policy" : "policy as it started") (trained − start on the "
                      + "held-out half: \(String(format: "%+.4f", check.difference)) ± \(String(format: "%.4f", check.standardError)))")
            }
        }
        return ExitCode.success
    }

    /// The policy's shape, the prior's spill when its strength is automatic, and the run's rhythm from the options.
    private static func settings(_ arguments: ParsedArguments, seed: UInt64) throws -> (PolicySettings, Double?, PolicyTrainingSettings) {
        let groups = try StateGroup.parseList(arguments.text("--groups"),
                                              option: "--groups")
        if arguments.string("--relevance-signal") != nil, !groups.contains(.relevance) {
            throw UsageError(message: "--relevance-signal: the relevance group is off; add relevance to --groups, or leave the signal out",
                             usage: arguments.usage)
        }
        var policy = PolicySettings(layout: StateLayout(groups: groups, semanticDimensions: try arguments.int("--semantic-dims"),
                                                        relevanceSignal: try arguments.choice("--relevance-signal", as: RelevanceSignal.self)))
        policy.hidden = try arguments.int("--hidden")
        let activation = arguments.text("--activation")
        guard let parsed = Activation(rawValue: activation), parsed == .relu || parsed == .tanh else {
            throw UsageError(message: "--activation '\(activation)': expected relu or tanh", usage: arguments.usage)
        }
        policy.activation = parsed
        policy.clusters = try arguments.int("--clusters")
        policy.temperature = Float(try arguments.number("--temperature"))
        policy.lossRefresh = try arguments.int("--loss-refresh")
        let prior = arguments.text("--relevance-prior")
        var priorSpill: Double?
        if prior == "auto" {
            priorSpill = PoolFeatures.defaultPriorSpill
        } else if let bonus = Float(prior), (0...RelevanceEdge.maximumBonus).contains(bonus) {
            policy.relevancePrior = bonus
        } else {
            throw UsageError(message: "--relevance-prior '\(prior)': expected auto or a number in 0...\(RelevanceEdge.maximumBonus)", usage: arguments.usage)
        }

        var run = PolicyTrainingSettings(steps: 1, batchSize: try arguments.int("--batch"), seed: seed)
        run.episodes = try arguments.int("--episodes")
        run.episodesPerUpdate = try arguments.int("--episodes-per-update", default: max(runDefaults.episodesPerUpdate, Job.communicator.size))
        run.rewardEvery = try arguments.int("--reward-every")
        run.checkEpisodes = try arguments.policyCheck()
        run.ppo.gamma = try arguments.number("--gamma")
        run.ppo.lambda = try arguments.number("--gae-lambda")
        run.ppo.clip = try arguments.number("--clip")
        run.ppo.valueCoefficient = try arguments.number("--value-coef")
        run.ppo.entropyCoefficient = try arguments.number("--entropy-coef")
        run.ppo.epochs = try arguments.int("--ppo-epochs")
        run.ppo.minibatches = try arguments.int("--minibatches")
        run.ppo.learningRate = Float(try arguments.number("--policy-lr"))
        run.ppo.ratio = try arguments.choice("--ppo-ratio", as: PPORatio.self)
        guard policy.clusters <= run.batchSize else {
            throw RaiseError.invalidArgument(name: "--clusters", detail: "\(policy.clusters) clusters cannot each contribute to a batch of \(run.batchSize)")
        }
        return (policy, priorSpill, run)
    }
}
