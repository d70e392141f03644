// FuzzEntry: the libFuzzer entry points of `raise-fuzz`, one executable for every fuzz target. The
// target is named by RAISE_FUZZ_TARGET (`make fuzz` sets it); each input goes to that target, which
// either returns quietly — bad input rejected with an error is fine — or traps: a crash, a failed
// property (`fuzzCheck`), a sanitizer report or a leak. See docs/RELIABILITY.md.
import Foundation
import RaiseKit

/// One fuzz target: a name for RAISE_FUZZ_TARGET and the function that takes each input.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void
}

/// Every target, in the order `make fuzz` runs them.
let fuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "json", run: fuzzJSON),
    FuzzTarget(name: "jsonl", run: fuzzJSONLines),
    FuzzTarget(name: "sharegpt", run: fuzzShareGPT),
    FuzzTarget(name: "csv", run: fuzzCSV),
    FuzzTarget(name: "parquet", run: fuzzParquet),
    FuzzTarget(name: "safetensors", run: fuzzSafetensors),
    FuzzTarget(name: "gguf", run: fuzzGGUF),
    FuzzTarget(name: "bpe", run: fuzzBytePairRoundTrip),
    FuzzTarget(name: "tokenizer-folder", run: fuzzTokenizerFolder),
    FuzzTarget(name: "hf-tokenizer", run: fuzzHuggingFaceTokenizer),
    FuzzTarget(name: "plugin-spec", run: fuzzPluginSpec),
    FuzzTarget(name: "cli", run: fuzzCommandLine),
]

/// The target chosen at start-up by `LLVMFuzzerInitialize`.
nonisolated(unsafe) var selectedTarget: FuzzTarget?

/// Stops the run when a property fails: libFuzzer saves the input that broke it.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("property failed: " + message()) }
}

/// Picks the target named by RAISE_FUZZ_TARGET; exits with a list of names when it names none.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let name = ProcessInfo.processInfo.environment["RAISE_FUZZ_TARGET"] ?? ""
    guard let target = fuzzTargets.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("raise-fuzz: set RAISE_FUZZ_TARGET to one of: \(fuzzTargets.map(\.name).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    selectedTarget = target
    return 0
}

/// Runs the selected target on one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget!.run(bytes)
    return 0
}
