// Low-rank adapters (`lora=` on model.tinygpt) through the plugin boundary: adapters at zero give the base
// model's losses exactly, their gradients match finite differences, only they train (the base stays as it
// was), a saved model has them merged into plain weights that give the adapted model's losses, and a run
// saved and resumed ends bit for bit where an uninterrupted one ends.
import Foundation
import RaiseKit
import RaiseTestSupport
import XCTest

final class LowRankAdapterTests: XCTestCase {
    private static let corpus = (0..<40).map { "Add \($0 % 7) and \($0 % 5). The sum is \($0 % 7 + $0 % 5)." }

    /// A base TinyGPT saved into a scratch folder, the registry that makes models, and the folder.
    private func base() throws -> (registry: PluginRegistry, folder: String, batch: [TokenizedExample]) {
        let folder = try scratchFolder(self)
        try BytePairTrainer.train(texts: LowRankAdapterTests.corpus, vocabularySize: 300).save(directory: folder + "/tok")
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginTinyGPT"))
        let model = try make(registry, "tinygpt:layers=2,heads=2,d=16,ctx=32,tokenizer=\(folder)/tok", seed: 3)
        // A few steps, so that the base is not the initialisation.
        let batch = (0..<4).map { i -> TokenizedExample in
            let ids = model.tokenizer.encode(LowRankAdapterTests.corpus[i])
            return TokenizedExample(ids: ids, lossMask: [0, 0, 0] + Array(repeating: 1, count: ids.count - 3))
        }
        let trainer = ModelTrainer(model: model, settings: TrainerSettings(schedule: .constant(3e-3)))
        for _ in 0..<5 { try trainer.step(batch) }
        try Checkpoint.saveModel(model, to: folder + "/base")
        return (registry, folder, batch)
    }

    private func make(_ registry: PluginRegistry, _ spec: String, seed: UInt64 = 0) throws -> any LanguageModel {
        try registry.make(PluginSpec(parsing: spec, option: "--model"), kind: .model, seed: seed, as: (any LanguageModel).self)
    }

    func testZeroAdaptersGiveTheBaseLossesAndOnlyAdaptersTrain() throws {
        let (registry, folder, batch) = try base()
        let plain = try make(registry, "tinygpt:checkpoint=\(folder)/base")
        let adapted = try make(registry, "tinygpt:checkpoint=\(folder)/base,lora=4,lora_targets=qkv+down")
        XCTAssertEqual(try adapted.exampleLosses(batch).map(\.bitPattern), try plain.exampleLosses(batch).map(\.bitPattern))
        // Two layers × (qkv: 4·16 + 48·4, down: 4·64 + 16·4) adapter scalars; the base is frozen, with no gradient.
        XCTAssertEqual(adapted.parameters.count, 2 * (4 * 16 + 48 * 4 + 4 * 64 + 16 * 4))
        let adapters = try XCTUnwrap(adapted.adapters)
        XCTAssertEqual(adapters.base.grads.count, 0)
        let baseBefore = adapters.base.values.scalars

        let trainer = ModelTrainer(model: adapted, settings: TrainerSettings(schedule: .constant(1e-2)))
        let first = try trainer.step(batch)
        var last = first
        for _ in 0..<10 { last = try trainer.step(batch) }
        XCTAssertLessThan(last, first)
        XCTAssertEqual(adapters.base.values.scalars, baseBefore, "the base weights never change")
        XCTAssertEqual(trainer.optimizer.m.count, adapted.parameters.count, "optimizer moments for the adapters only")

        assertThrows(["model.tinygpt", "lora_targets", "'gate'", "qkv+o+up+down"]) {
            _ = try self.make(registry, "tinygpt:checkpoint=\(folder)/base,lora=4,lora_targets=qkv+gate")
        }
    }

    func testAdapterGradientsMatchFiniteDifferences() throws {
        let (registry, folder, batch) = try base()
        let adapted = try make(registry, "tinygpt:checkpoint=\(folder)/base,lora=2,lora_alpha=4")
        // B starts at zero, where A's gradient is zero too: give B values so that both are probed.
        var rng = RandomGenerator(seed: 8)
        let parameters = adapted.parameters
        for spec in parameters.specs where spec.name.hasSuffix(".lora_B") {
            let b = parameters[spec.name].value
            for i in 0..<b.count { b.data[i] = 0.1 * rng.nextNormal() }
        }
        try assertModelGradientMatchesFiniteDifferences(adapted, batch: batch)
    }

    func testSavedModelHasTheAdaptersMergedIn() throws {
        let (registry, folder, batch) = try base()
        let adapted = try make(registry, "tinygpt:checkpoint=\(folder)/base,lora=4", seed: 5)
        let trainer = ModelTrainer(model: adapted, settings: TrainerSettings(schedule: .constant(1e-2)))
        for _ in 0..<5 { try trainer.step(batch) }
        try Checkpoint.saveModel(adapted, to: folder + "/merged")
        let merged = try make(registry, "tinygpt:checkpoint=\(folder)/merged")
        XCTAssertNil(merged.adapters)
        XCTAssertEqual(Checkpoint.named(merged.parameters).map(\.name), Checkpoint.named(try XCTUnwrap(adapted.adapters).base).map(\.name))
        let (expected, actual) = (try adapted.exampleLosses(batch), try merged.exampleLosses(batch))
        let plain = try make(registry, "tinygpt:checkpoint=\(folder)/base")
        XCTAssertGreaterThan(abs(expected[0] - (try plain.exampleLosses(batch))[0]), 1e-3, "the adapters changed the model")
        assertClose(actual, expected, tolerance: 1e-5)
    }

    func testResumedAdapterTrainingIsBitExact() throws {
        let (registry, folder, batch) = try base()
        let spec = "tinygpt:checkpoint=\(folder)/base,lora=4,lora_alpha=8"
        func trainer(_ model: any LanguageModel) -> ModelTrainer {
            ModelTrainer(model: model, settings: .fineTuning(peak: 1e-2, steps: 6))
        }
        let straight = try make(registry, spec, seed: 2)
        let straightTrainer = trainer(straight)
        let curve = try (0..<6).map { _ in try straightTrainer.step(batch) }

        let first = try make(registry, spec, seed: 2)
        let firstTrainer = trainer(first)
        for _ in 0..<3 { try firstTrainer.step(batch) }
        try Checkpoint.saveRun(model: first, trainer: firstTrainer, state: .init(step: 3, optimizerStep: firstTrainer.optimizer.step,
                                                                                  rng: RandomGenerator(seed: 1)), to: folder + "/run")
        let resumed = try make(registry, spec, seed: 2)
        let resumedTrainer = trainer(resumed)
        _ = try Checkpoint.loadRun(model: resumed, trainer: resumedTrainer, from: folder + "/run")
        let rest = try (0..<3).map { _ in try resumedTrainer.step(batch) }
        XCTAssertEqual(rest.map(\.bitPattern), curve.suffix(3).map(\.bitPattern))
        XCTAssertEqual(resumed.parameters.values.scalars.map(\.bitPattern), straight.parameters.values.scalars.map(\.bitPattern))
    }
}
