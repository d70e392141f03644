// `raise bench run` end to end on a tiny model: every run lands in results.csv, the report (with what each
// entry picked) and the SVG charts hold what they should (parsed as XML), a second invocation recomputes nothing, a deleted run is
// recomputed to the same numbers, settings can come from a --config file, and the oracle is refused on
// data without hidden tags. `raise demo` at a tiny scale runs every stage and resumes.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RaiseKit
import RaiseTestSupport
import XCTest

/// Counts the elements of an XML document by name, and collects attributes by element and name.
final class XMLSummary: NSObject, XMLParserDelegate {
    var counts = [String: Int]()
    var attributes = [(element: String, attributes: [String: String])]()
    var texts = [String]()
    private var inText = false

    init(_ text: String) throws {
        super.init()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? RaiseError.invalidArgument(name: "xml", detail: "does not parse") }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
        self.attributes.append((name, attributes))
        inText = name == "text"
        if inText { texts.append("") }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { texts[texts.count - 1] += string } }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { inText = false }
}

final class BenchCommandTests: XCTestCase {
    func testBenchRunReportsResumesAndRecomputesTheSame() throws {
        let (folder, _) = try tinySuite(self, size: 300, validation: 12, testSplit: 8, pretrain: 300)
        let config = """
            {"model": "tinygpt:layers=1,heads=2,d=32,ctx=48,tokenizer=\(folder)/tok", "data": ["\(folder)/suite/pool.jsonl"],
             "val": "\(folder)/suite/val.jsonl", "test": "\(folder)/suite/test.jsonl", "template": "plain", "oracle": true,
             "selector": ["random", "raise"], "budgets": "10%,20%", "seeds": 2, "episodes": 2, "lr-sweep": "1e-3,3e-3", "eval-points": 3}
            """
        try config.write(toFile: folder + "/bench.json", atomically: true, encoding: .utf8)
        let arguments = ["bench", "run", "--config", folder + "/bench.json", "--out", folder + "/bench", "--threads", "1", "--quiet",
                         "--batch", "8"]
        let first = try runRaise(arguments.filter { $0 != "--quiet" } + ["--json"], environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let events = first.stderr.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }
        let last = try XCTUnwrap(events.last { $0["task"]?.stringValue == "bench" })
        XCTAssertEqual(last["step"]?.intValue, last["total"]?.intValue, "the progress (and its ETA) counts every step once")
        XCTAssertEqual(last["total"]?.intValue, 2 * 113 + 2 * (11 + 23) + 113 + (2 * 3 - 1) * (11 + 23) + 2 * 2 * (11 + 23),
                       "lr sweeps (full data, random at each budget), full data seed 1, 3 entries × 2 seeds × 2 budgets but random "
                       + "seed 0 (the sweep's), a policy per budget and seed (2 episodes)")
        let printed = try XCTUnwrap(JSONValue.parse(String(first.stdout.split(separator: "\n").last ?? "")).objectValue)
        XCTAssertEqual(printed["entry"]?.stringValue, "raise", "one JSON line per run")
        let table = try runRaise(arguments, environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertTrue(table.stdout.contains("| raise |") && table.stdout.contains("report.md"), table.stdout)
        /// The preparation cell (seconds a run, the column before the last) of `entry`'s row at the first budget.
        func preparation(_ entry: String) throws -> Double {
            let row = try XCTUnwrap(table.stdout.split(separator: "\n").first { $0.hasPrefix("| \(entry) |") }, table.stdout)
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            return try XCTUnwrap(Double(cells[cells.count - 2]), String(row))
        }
        XCTAssertGreaterThan(try preparation("raise"), try preparation("random"), "RAISE's policy training is its runs' preparation")
        XCTAssertEqual(table.stderr.components(separatedBy: "swept; a rate beyond the sweep may suit").count - 1, 3,
                       "one of two swept rates is always at an edge: a warning per swept budget\n" + table.stderr)
        let otherBatch = try runRaise(arguments.filter { $0 != "8" } + ["4"], environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertNotEqual(otherBatch.status, 0)
        XCTAssertTrue(otherBatch.stderr.contains("bench/settings.json") && otherBatch.stderr.contains("batch was 8, is now 4"), otherBatch.stderr)
        let firstRun = folder + "/bench/runs/full/full_data-seed0.json"
        try FileManager.default.removeItem(atPath: firstRun)  // the first run to do: refused before it starts
        let otherRate = try runRaise(arguments + ["--lr", "0.01"], environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertNotEqual(otherRate.status, 0)
        XCTAssertTrue(otherRate.stderr.contains("full_data-seed1.json") && otherRate.stderr.contains("at 0.01"), otherRate.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: firstRun), "no run is made at the other rate")

        let csv = try String(contentsOfFile: folder + "/bench/results.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 2 + 3 * 2 * 2, "header, full data per seed, (oracle, random, raise) × 2 budgets × 2 seeds")
        XCTAssertTrue(csv[0].hasPrefix("budget,entry,kind,seed,val_loss,test_loss,test_exact_match,steps"))
        XCTAssertEqual(csv.filter { $0.hasPrefix("10%,raise,selector,") }.count, 2)
        let fullRate = try XCTUnwrap(Double(csv[1].split(separator: ",")[11]))
        let tenRate = try XCTUnwrap(csv.first { $0.hasPrefix("10%,random,") }.flatMap { Double($0.split(separator: ",")[11]) })
        XCTAssertTrue(csv.filter { $0.hasPrefix("10%,") }.allSatisfy { $0.split(separator: ",")[11] == "\(tenRate)" }, "one rate per budget")
        XCTAssertTrue(csv.allSatisfy { $0.hasPrefix("budget") || !$0.split(separator: ",")[5].isEmpty }, "a test loss for every run")
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        for fragment in ["## Budget 10%: 11 steps, peak learning rate \(tenRate)", "## Budget 20%: 23 steps", "| full data | 113 |",
                         "| oracle (reference) | 11 |", "test loss", "target picks (noisy)", "gap closed", "| 100% (0%) | 100% |",
                         "## Learning rate", "| 100% | full data |", "| 10% | random |",
                         "Budget 100%: the best rate (\(fullRate)) is the \(fullRate == 1e-3 ? "smallest" : "largest") swept", "- threads: 1",
                         "Records are read in the plain prompt template. "] {  // the base folder's
            XCTAssertTrue(report.contains(fragment), fragment + "\n" + report)
        }
        // A budget whose two rates scored closer than random's seed spread there is flagged as unsettled, and only such a one.
        for (budget, slug) in [("10%", "10pct"), ("20%", "20pct")] {
            let sweep = try [1e-3, 3e-3].map { lr in
                try XCTUnwrap(JSONValue.parse(String(contentsOfFile: folder + "/bench/runs/lr-sweep/\(slug)-random-lr\(lr).json", encoding: .utf8))
                    .objectValue?["val_loss"]?.numberValue)
            }
            let losses = try csv.filter { $0.hasPrefix("\(budget),random,") }.map { try XCTUnwrap(Double($0.split(separator: ",")[4])) }
            let mean = losses.reduce(0, +) / 2, spread = (losses.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)).squareRoot()
            XCTAssertEqual(report.contains("Budget \(budget): lr "), abs(sweep[0] - sweep[1]) < spread,
                           "\(budget): rates \(sweep), random's spread \(spread)\n" + report)
            XCTAssertEqual(table.stderr.contains("Budget \(budget): lr "), report.contains("Budget \(budget): lr "), "the run warns as its report says")
        }
        let overlap = try String(contentsOfFile: folder + "/bench/overlap.md", encoding: .utf8)
        XCTAssertTrue(overlap.contains("| | full data | oracle (reference) | random | raise |"), overlap)

        let curves = try XMLSummary(String(contentsOfFile: folder + "/bench/curves.svg", encoding: .utf8))
        XCTAssertEqual(curves.counts["svg"], 1)
        XCTAssertEqual(curves.counts["polyline"], 2 * 3, "a line per entry (oracle, random, raise) per budget panel")
        XCTAssertEqual(curves.counts["polygon"], 2 * 3, "a seed band under each line")
        let labels = Set(curves.attributes.filter { $0.element == "polyline" }.compactMap { $0.attributes["data-label"]?.split(separator: " (test ").first })
        XCTAssertEqual(labels, ["oracle (reference)", "random", "raise"], "each entry, with its mean test loss")
        let strokes = Dictionary(grouping: curves.attributes.filter { $0.element == "polyline" }) {
            String($0.attributes["data-label"]?.split(separator: " (test ").first ?? "")
        }.mapValues { Set($0.compactMap { $0.attributes["stroke"] }) }
        XCTAssertTrue(strokes.values.allSatisfy { $0.count == 1 }, "each entry keeps one colour in every panel: \(strokes)")
        XCTAssertEqual(curves.texts.filter { $0 == "random" }.count, 1, "the legend names each entry once: \(curves.texts)")
        for text in ["training step", "target validation loss", "budget 10% (11 steps)", "full data (end of 3 epochs)"] {
            XCTAssertTrue(curves.texts.contains(text), text)
        }
        let composition = try XMLSummary(String(contentsOfFile: folder + "/bench/composition.svg", encoding: .utf8))
        XCTAssertTrue(composition.texts.contains("addition"), "the legend names the task families")
        XCTAssertGreaterThan(composition.counts["rect"] ?? 0, 10)
        // The report tables the same: full data trains on the pool's families in the pool's shares (3 epochs and a
        // few examples more), the oracle on the target family alone.
        let families = try String(contentsOfFile: folder + "/suite/pool.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            try XCTUnwrap(JSONValue.parse(String(line)).objectValue?["hidden_tags"]?.objectValue?["family"]?.stringValue)
        }
        let picked = try XCTUnwrap(report.components(separatedBy: "## What each entry picked").last?.components(separatedBy: "### Budget 10%").last)
        let rows = picked.split(separator: "\n").prefix { !$0.hasPrefix("###") && !$0.hasPrefix("## ") }.filter { $0.hasPrefix("| ") }
        let header = try XCTUnwrap(rows.first).split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        XCTAssertEqual(Array(header.dropFirst()), Set(families).sorted(), "a column per family")
        func shares(_ entry: String) throws -> [Double] {
            let row = try XCTUnwrap(rows.first { $0.hasPrefix("| \(entry) |") }, picked)
            return row.split(separator: "|").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .compactMap { Double($0.dropLast()) }
        }
        for (share, family) in zip(try shares("full data"), header.dropFirst()) {
            XCTAssertEqual(share, 100 * Double(families.filter { $0 == family }.count) / Double(families.count), accuracy: 1, family)
        }
        let oracle = try shares("oracle (reference)")
        XCTAssertEqual(oracle.filter { $0 == 100 }.count, 1, "the oracle picks the target family only: \(oracle)")
        XCTAssertEqual(oracle.reduce(0, +), 100)
        XCTAssertEqual(try shares("raise").count, header.count - 1)

        // Again: nothing to do. Then one run deleted: recomputed to the same numbers.
        let again = try runRaise(arguments, environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try String(contentsOfFile: folder + "/bench/results.csv", encoding: .utf8).split(separator: "\n").count, csv.count)
        // A run made under other plugin settings (a default changed by another version) is refused, named, and kept.
        let randomRun = folder + "/bench/runs/20pct/random-seed1.json"
        let saved = try String(contentsOfFile: randomRun, encoding: .utf8)
        var object = try XCTUnwrap(JSONValue.parse(saved).objectValue)
        let recorded = try XCTUnwrap(object["entry_settings"]?.stringValue)
        XCTAssertTrue(recorded.hasPrefix("selector.random:") && recorded.hasSuffix(")") && recorded.contains("(version "), recorded)
        XCTAssertTrue(try String(contentsOfFile: folder + "/bench/runs/20pct/raise-seed1.json", encoding: .utf8)
                        .contains("selector.raise:choice=sample,groups=,nucleus=0.97,policy="), "RAISE's run records its selector's settings")
        object["entry_settings"] = .string("selector.random:mode=old (version 0.9.0)")
        try AtomicFile.write(JSONValue.object(object).serialized, to: randomRun)
        // A second one at the other budget: one error names both files.
        let otherRun = folder + "/bench/runs/10pct/random-seed1.json"
        let otherSaved = try String(contentsOfFile: otherRun, encoding: .utf8)
        var otherObject = try XCTUnwrap(JSONValue.parse(otherSaved).objectValue)
        otherObject["entry_settings"] = .string("selector.random:mode=old (version 0.9.0)")
        try AtomicFile.write(JSONValue.object(otherObject).serialized, to: otherRun)
        let otherPlugin = try runRaise(arguments, environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(otherPlugin.status, 1)
        XCTAssertTrue(otherPlugin.stderr.contains("random-seed1.json") && otherPlugin.stderr.contains("mode=old")
                      && otherPlugin.stderr.contains(recorded), otherPlugin.stderr)
        XCTAssertTrue(otherPlugin.stderr.contains("1 more finished run differs") && otherPlugin.stderr.contains("10pct/random-seed1.json")
                      && otherPlugin.stderr.contains("20pct/random-seed1.json"), otherPlugin.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: randomRun) && FileManager.default.fileExists(atPath: otherRun))
        try AtomicFile.write(saved, to: randomRun)
        try AtomicFile.write(otherSaved, to: otherRun)

        let run = folder + "/bench/runs/20pct/raise-seed1.json"
        let before = try BenchResultFields(path: run)
        try FileManager.default.removeItem(atPath: run)
        XCTAssertEqual(try runRaise(arguments, environment: ["RAISE_CACHE_DIR": folder + "/cache"]).status, 0)
        let after = try BenchResultFields(path: run)
        XCTAssertEqual(after.loss, before.loss, "the same seed gives the same run")
        XCTAssertEqual(after.picks, before.picks)

        // The oracle needs hidden tags.
        let untagged = try String(contentsOfFile: folder + "/suite/pool.jsonl", encoding: .utf8).split(separator: "\n").map { line -> String in
            var object = try XCTUnwrap(JSONValue.parse(String(line)).objectValue)
            object["hidden_tags"] = nil
            return JSONValue.object(object).serialized
        }
        try (untagged.joined(separator: "\n") + "\n").write(toFile: folder + "/untagged.jsonl", atomically: true, encoding: .utf8)
        let refused = try runRaise(["bench", "run", "--config", folder + "/bench.json", "--data", folder + "/untagged.jsonl",
                                    "--out", folder + "/refused", "--quiet"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("--oracle") && refused.stderr.contains("hidden"), refused.stderr)
        let untaggedRun = try runRaise(["bench", "run", "--model", "tinygpt:layers=1,heads=2,d=32,ctx=48,tokenizer=\(folder)/tok",
                                        "--data", folder + "/untagged.jsonl", "--val", folder + "/suite/val.jsonl", "--template", "plain",
                                        "--no-full", "--lr", "1e-3", "--selector", "random", "--seeds", "1", "--budgets", "10%",
                                        "--out", folder + "/untagged", "--quiet", "--threads", "1", "--batch", "8"])
        XCTAssertEqual(untaggedRun.status, 0, untaggedRun.stderr)
        let untaggedComposition = try XMLSummary(String(contentsOfFile: folder + "/untagged/composition.svg", encoding: .utf8))
        XCTAssertTrue(composition.texts.contains { $0.hasPrefix("noisy ") }, "tagged data: noise and duplicate shares")
        XCTAssertFalse(untaggedComposition.texts.contains { $0.hasPrefix("noisy ") }, "untagged data has no noise shares to show")
        let badConfig = folder + "/bad.json"
        try "{\"seeds\": 2, \"colour\": \"blue\"}".write(toFile: badConfig, atomically: true, encoding: .utf8)
        let bad = try runRaise(["bench", "run", "--config", badConfig, "--out", folder + "/bad"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("bad.json") && bad.stderr.contains("--colour"), bad.stderr)
    }

    /// Runs at once (`--jobs 2`) give every run's numbers, picks and policy of runs one at a time, bit for bit;
    /// only the timings differ. The progress still counts every step once.
    func testRunsAtOnceGiveTheResultsOfRunsOneAtATime() throws {
        let (folder, _) = try tinySuite(self, size: 300, validation: 12, testSplit: 8, pretrain: 300)
        let arguments = ["bench", "run", "--model", "tinygpt:layers=1,heads=2,d=32,ctx=48,tokenizer=\(folder)/tok",
                         "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl", "--test", folder + "/suite/test.jsonl",
                         "--template", "plain", "--oracle", "--selector", "random", "--selector", "perplexity", "--selector", "nearest",
                         "--selector", "raise", "--budgets", "10%,20%", "--seeds", "2", "--episodes", "2", "--policy-budget", "10%",
                         "--lr-sweep", "1e-3,3e-3", "--eval-points", "2", "--batch", "8", "--threads", "2"]
        var tables = [[[String]]]()
        for jobs in ["1", "2"] {
            let out = folder + "/jobs" + jobs
            let run = try runRaise(arguments + ["--jobs", jobs, "--out", out, "--json"], environment: ["RAISE_CACHE_DIR": out + "-cache"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let events = run.stderr.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }
            let last = try XCTUnwrap(events.last { $0["task"]?.stringValue == "bench" })
            XCTAssertEqual(last["step"]?.intValue, last["total"]?.intValue, "--jobs \(jobs): the progress counts every step once")
            XCTAssertEqual(run.stdout.split(separator: "\n").count, 2 + 2 * 5 * 2, "--jobs \(jobs): a JSON line per run")
            let rows = try String(contentsOfFile: out + "/results.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let timings = Set(["preparation_s", "selection_s", "training_s", "evaluation_s"])
            let kept = rows[0].indices.filter { !timings.contains(rows[0][$0]) }
            tables.append(rows.map { row in kept.map { row[$0] } })
            XCTAssertEqual(kept.count, rows[0].count - 4, "the timing columns are the ones left out")
        }
        XCTAssertEqual(tables[0].count, 1 + 2 + 2 * 5 * 2, "header, full data per seed, (oracle, random, perplexity, nearest, raise) × 2 budgets × 2 seeds")
        XCTAssertEqual(tables[0], tables[1], "the same numbers with two runs at once")
        for seed in 0..<2 {
            let run = "runs/20pct/raise-seed\(seed).json"
            let (one, two) = (try BenchResultFields(path: folder + "/jobs1/" + run), try BenchResultFields(path: folder + "/jobs2/" + run))
            XCTAssertEqual(one.picks, two.picks, "RAISE seed \(seed) picks the same batches")
        }
    }

    /// `raise:episodes=0` benchmarks RAISE's policy as it starts beside the trained one (what PPO adds): its policy is
    /// written, not trained, and a count that is not one, or one beside a given policy, is refused before any run.
    /// `raise:relevance=dsir` trains its policy with DSIR's weight leading the relevance group; an unknown signal is
    /// refused before any run, and a given policy that ranks by another signal when the selector is made.
    /// `raise:choice=top` differs from `raise` only in how it uses the policy, so it uses the same one, trained once.
    func testAnUntrainedRaisePolicyIsBenchmarkedBesideTheTrainedOne() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let bench = ["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                     "--template", "plain", "--no-full", "--lr", "1e-3", "--budgets", "10%", "--seeds", "1", "--episodes", "2",
                     "--batch", "4", "--eval-points", "1", "--threads", "1", "--json"]
        let cache = ["RAISE_CACHE_DIR": folder + "/cache"]
        let run = try runRaise(bench + ["--selector", "raise", "--selector", "raise:episodes=0", "--selector", "raise:relevance=dsir,episodes=0",
                                        "--selector", "raise:choice=top", "--selector", "selector.raise:episodes=0", "--out", folder + "/bench"],
                               environment: cache)
        XCTAssertEqual(run.status, 0, run.stderr)
        let events = run.stderr.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }
        let last = try XCTUnwrap(events.last { $0["task"]?.stringValue == "bench" })
        XCTAssertEqual(last["total"]?.intValue, 5 * 15 + 2 * 15, "five runs of 15 steps, and 2 episodes of policy training for raise and raise:choice=top")
        XCTAssertEqual(last["step"]?.intValue, last["total"]?.intValue)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/bench/policies/10pct-raise_choice_top-seed0"), "no second policy")
        let top = try JSONValue.readObject(path: folder + "/bench/runs/10pct/raise_choice_top-seed0.json")
        XCTAssertTrue(top["entry_settings"]?.stringValue?.contains("choice=top") == true, "\(String(describing: top["entry_settings"]))")
        let byWeight = try JSONValue.readObject(path: folder + "/bench/policies/10pct-raise_relevance_dsir_episodes_0-seed0/config.json")
        XCTAssertEqual(byWeight["settings"]?.objectValue?["relevance_signal"]?.stringValue, "dsir")
        let untrained = PolicyFolder(folder + "/bench/policies/10pct-raise_episodes_0-seed0")
        XCTAssertEqual(try untrained.episodesDone(), 0)
        XCTAssertEqual(try PolicyFolder(folder + "/bench/policies/10pct-selector_raise_episodes_0-seed0").episodesDone(), 0,
                       "RAISE's full id with parameters: its policy is trained (for 0 episodes) like raise's")
        XCTAssertEqual(try PolicyFolder(folder + "/bench/policies/10pct-raise-seed0").episodesDone(), 2)
        let runs = try ["raise", "raise_episodes_0"].map { try JSONValue.readObject(path: folder + "/bench/runs/10pct/\($0)-seed0.json") }
        XCTAssertEqual(runs[0]["entry_settings"], runs[1]["entry_settings"], "the same plugin; the episodes are the benchmark's")
        XCTAssertNotEqual(runs[0]["batches"], runs[1]["batches"])
        // Its runs removed, the benchmark again at another rate does not take the policy trained at the first one.
        try FileManager.default.removeItem(atPath: folder + "/bench/runs")
        let otherRate = try runRaise(bench.map { $0 == "1e-3" ? "3e-3" : $0 } + ["--selector", "raise", "--out", folder + "/bench"], environment: cache)
        XCTAssertEqual(otherRate.status, 1)
        XCTAssertTrue(otherRate.stderr.contains("10pct-raise-seed0/config.json: this policy was trained at learning rate 0.001; this benchmark "
                                                + "trains it at 0.003"), otherRate.stderr)

        for (spec, message) in [("raise:episodes=two", "parameter 'episodes' is 'two'; expected a whole number"),
                                ("raise:relevance=vibes", "parameter 'relevance': unknown relevance signal 'vibes'; known: similarity, whitened, dsir, blend"),
                                ("raise:groups=stage+semantics,relevance=dsir", "the policy's state has no relevance group"),
                                ("raise:policy=\(untrained.path),episodes=0", "with a given policy= it trains none")] {
            let refused = try runRaise(bench + ["--selector", spec, "--out", folder + "/refused"], environment: cache)
            XCTAssertNotEqual(refused.status, 0, spec)
            XCTAssertTrue(refused.stderr.contains(message), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/refused/runs"), "refused before any run")
        }
        for (specs, message) in [(["raise", "raise"], "--selector raise is given twice: each entry runs once"),
                                 (["random", "raise:policy=runs/a", "raise:policy=runs_a"],
                                  "--selector raise:policy=runs_a would be kept under the name of --selector raise:policy=runs/a (raise_policy_runs_a)")] {
            let twice = try runRaise(bench + specs.flatMap { ["--selector", $0] } + ["--out", folder + "/twice"], environment: cache)
            XCTAssertNotEqual(twice.status, 0)
            XCTAssertTrue(twice.stderr.contains(message), twice.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/twice/runs"), "refused before any run")
        }
        let registry = PluginRegistry()
        try PluginLoader(registry: registry).load(file: builtLibrary("RaisePluginRaiseSelector"))
        assertThrows(["parameter 'relevance' is dsir, but the policy in \(untrained.path) ranks by similarity"]) {
            try registry.make(PluginSpec(parsing: "raise:policy=\(untrained.path),relevance=dsir", option: "--selector"), kind: .selector, seed: 0,
                              as: (any InstructionSelector).self)
        }
    }

    /// `--policy-check 2` checks each trained policy with two more episodes (counted in the progress), an untrained
    /// one needs none, the report says which policy the runs used, and the benchmark's settings record the check,
    /// so a folder is not resumed without it.
    func testABenchmarkChecksItsTrainedPolicies() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let bench = ["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                     "--template", "plain", "--no-full", "--lr", "1e-3", "--budgets", "10%", "--seeds", "1", "--episodes", "2",
                     "--batch", "4", "--eval-points", "1", "--threads", "1", "--selector", "raise", "--selector", "raise:episodes=0",
                     "--out", folder + "/bench"]
        let cache = ["RAISE_CACHE_DIR": folder + "/cache"]
        let run = try runRaise(bench + ["--policy-check", "2", "--json"], environment: cache)
        XCTAssertEqual(run.status, 0, run.stderr)
        let events = run.stderr.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }
        let last = try XCTUnwrap(events.last { $0["task"]?.stringValue == "bench" })
        XCTAssertEqual(last["total"]?.intValue, 2 * 15 + (2 + 2) * 15, "two runs of 15 steps, 2 episodes and 2 check episodes for one")
        XCTAssertEqual(last["step"]?.intValue, last["total"]?.intValue)
        let check = try JSONValue.readObject(path: folder + "/bench/policies/10pct-raise-seed0/config.json")["check"]?.objectValue
        XCTAssertEqual(check?["trained"]?.arrayValue?.count, 2)
        XCTAssertNil(try PolicyFolder(folder + "/bench/policies/10pct-raise_episodes_0-seed0").savedCheck())
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        let kept = try XCTUnwrap(check?["kept"]?.stringValue)
        XCTAssertTrue(report.contains("## Policy checks") && report.contains("| 10pct-raise-seed0 | \(kept) | "), report)
        XCTAssertFalse(report.contains("| 10pct-raise_episodes_0-seed0 |"), "an untrained policy is not checked")
        let unchecked = try runRaise(bench + ["--quiet"], environment: cache)
        XCTAssertEqual(unchecked.status, 1)
        XCTAssertTrue(unchecked.stderr.contains("policy check episodes"), unchecked.stderr)
    }

    /// Two swept rates almost equal score closer than random's two seeds differ: the sweep is flagged as unsettled,
    /// in the report and on stderr.
    func testANearTieInTheSweepIsFlagged() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let run = try runRaise(["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                "--template", "plain", "--selector", "random", "--no-full", "--lr-sweep", "1e-3,1.0001e-3", "--budgets", "10%",
                                "--seeds", "2", "--batch", "4", "--eval-points", "1", "--threads", "1", "--out", folder + "/bench"],
                               environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        for text in [report, run.stderr] {
            XCTAssertTrue(text.contains("scored within the seed spread of random there") && text.contains("does not settle this budget's rate")
                          && text.contains("moving every entry at this budget with it"), text)
        }
    }

    /// With `--lr-per entry` every entry is swept at every budget on the first seed and trains there at the rate with
    /// its own lowest validation loss: the first seed's run is the sweep's at that rate, every other seed's is made at
    /// it, and the report lists each sweep. `--lr` beside it is refused, and so are resuming under the other scope and
    /// a sweep run made under another version of its plugin.
    func testEachEntryTrainsAtTheRateItsOwnSweepChose() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let arguments = ["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                         "--test", folder + "/suite/test.jsonl", "--template", "plain", "--oracle", "--selector", "random", "--selector", "perplexity",
                         "--selector", "raise", "--episodes", "1", "--no-full", "--lr-sweep", "1e-2,1e-1", "--budgets", "5%,10%", "--seeds", "2",
                         "--batch", "4", "--eval-points", "1", "--exact-match-limit", "0", "--threads", "1", "--quiet", "--out", folder + "/bench"]
        let environment = ["RAISE_CACHE_DIR": folder + "/cache"]
        let run = try runRaise(arguments + ["--lr-per", "entry"], environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        let csv = try String(contentsOfFile: folder + "/bench/results.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        XCTAssertEqual(report.components(separatedBy: " steps, each entry at its own peak learning rate (below)").count - 1, 2, report)
        var chosenRates = Set<Double>()
        for (budget, slug) in [("5%", "5pct"), ("10%", "10pct")] {
            for (entry, file) in [("oracle (reference)", "oracle__reference_"), ("random", "random"), ("perplexity", "perplexity"), ("raise", "raise")] {
                let sweep = try [1e-2, 1e-1].map { lr in
                    (lr: lr, object: try JSONValue.readObject(path: folder + "/bench/runs/lr-sweep/\(slug)-\(file)-lr\(lr).json"))
                }
                let best = try XCTUnwrap(sweep.min { $0.object["val_loss"]!.numberValue! < $1.object["val_loss"]!.numberValue! })
                chosenRates.insert(best.lr)
                let rows = csv.filter { $0[0] == budget && $0[1] == entry }
                XCTAssertEqual(rows.map { Double($0[11]) }, [best.lr, best.lr], "\(entry) at \(budget): both seeds at its sweep's best rate")
                let firstSeed = try JSONValue.readObject(path: folder + "/bench/runs/\(slug)/\(file)-seed0.json")
                XCTAssertEqual(firstSeed["val_loss"], best.object["val_loss"], "\(entry) at \(budget): the first seed's run is the sweep's")
                XCTAssertTrue(report.contains("| \(budget) | \(entry) | ") && report.contains(" | \(best.lr) |\n"), "\(entry) at \(budget)\n" + report)
            }
        }
        XCTAssertEqual(chosenRates.count, 2, "the entries' sweeps chose different rates, so one shared rate would not pass this test")

        let fixed = try runRaise(arguments + ["--lr-per", "entry", "--lr", "1e-3"], environment: environment)
        XCTAssertEqual(fixed.status, 2)
        XCTAssertTrue(fixed.stderr.contains("--lr fixes one rate for every entry, --lr-per entry sweeps each entry's own"), fixed.stderr)
        let otherScope = try runRaise(arguments, environment: environment)
        XCTAssertEqual(otherScope.status, 1)
        XCTAssertTrue(otherScope.stderr.contains("bench/settings.json") && otherScope.stderr.contains("learning rate"), otherScope.stderr)

        // A sweep run made under another version of its plugin is refused before any rate is read from it.
        let sweepFile = folder + "/bench/runs/lr-sweep/10pct-perplexity-lr0.1.json"
        var sweepRun = try JSONValue.readObject(path: sweepFile)
        sweepRun["entry_settings"] = .string("selector.perplexity:band=low (version 0.0.1)")
        try (JSONValue.object(sweepRun).serialized + "\n").write(toFile: sweepFile, atomically: true, encoding: .utf8)
        let olderSweep = try runRaise(arguments + ["--lr-per", "entry"], environment: environment)
        XCTAssertEqual(olderSweep.status, 1)
        XCTAssertTrue(olderSweep.stderr.contains(sweepFile) && olderSweep.stderr.contains("(version 0.0.1); the entry 'perplexity' now runs"),
                      olderSweep.stderr)
    }

    /// A selector run in variants (its id written either way) gets a row per budget naming the variant with the
    /// lowest validation loss, with its test loss and the default's; a selector run once gets none.
    func testTheReportNamesTheVariantValidationChooses() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 8)
        let run = try runRaise(["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                "--test", folder + "/suite/test.jsonl", "--template", "plain", "--selector", "random", "--selector", "random:stream=1",
                                "--selector", "selector.random:stream=2", "--selector", "perplexity", "--no-full", "--lr", "1e-3", "--budgets", "5%,10%",
                                "--seeds", "1", "--batch", "4", "--eval-points", "1", "--exact-match-limit", "0", "--threads", "1", "--quiet",
                                "--out", folder + "/bench"],
                               environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        let section = report.components(separatedBy: "## Variants chosen on validation").last!.components(separatedBy: "\n## ").first!
        // budget and entry -> (validation loss, test loss), as results.csv holds them.
        var losses = [String: (validation: Double, test: Double)]()
        for line in try String(contentsOfFile: folder + "/bench/results.csv", encoding: .utf8).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            losses[fields[0] + " " + fields[1]] = (Double(fields[4])!, Double(fields[5])!)
        }
        for budget in ["5%", "10%"] {
            let chosen = ["random", "random:stream=1", "selector.random:stream=2"].min { losses[budget + " " + $0]!.validation < losses[budget + " " + $1]!.validation }!
            let row = String(format: "| random | %@ | %@ | %.4f | %.4f | %.4f |", budget, chosen, losses[budget + " " + chosen]!.validation,
                             losses[budget + " " + chosen]!.test, losses[budget + " random"]!.test)
            XCTAssertTrue(section.contains(row), "\(row)\n\(section)")
        }
        XCTAssertTrue(section.contains("`raise select --selector VARIANT --budget B`"), "it says how to take the chosen data: \(section)")
        XCTAssertFalse(section.contains("| perplexity |"), section)
        XCTAssertEqual(section.components(separatedBy: "| random |").count - 1, 2, section)
        XCTAssertFalse(report.contains("## Does RAISE earn its policy training?"), "no RAISE entry, no verdict")
    }

    /// The report says whether RAISE earns its policy training: against the selector with the lowest validation loss
    /// among the others, and against its own policy untrained, with the differences of results.csv's means and a
    /// verdict that needs a difference beyond the larger seed spread. The untrained entry gets no row of its own.
    /// Then the 10% runs' losses are set by hand and the report made again from them: validation, not the test
    /// split, names the strongest other selector, and a difference within the larger spread is level.
    func testTheReportSaysWhetherRaiseEarnsItsTraining() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 8)
        let bench = ["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                     "--test", folder + "/suite/test.jsonl", "--template", "plain", "--selector", "random", "--selector", "perplexity",
                     "--selector", "raise", "--selector", "raise:episodes=0", "--no-full", "--lr", "1e-3", "--budgets", "5%,10%",
                     "--seeds", "2", "--episodes", "2", "--batch", "4", "--eval-points", "1", "--exact-match-limit", "0",
                     "--threads", "1", "--quiet", "--out", folder + "/bench"]
        let run = try runRaise(bench, environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(run.status, 0, run.stderr)
        func verdictSection() throws -> String {
            let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
            return report.components(separatedBy: "## Does RAISE earn its policy training?").last!.components(separatedBy: "\n## ").first!
        }
        let section = try verdictSection()
        // budget and entry -> the seeds' validation and test losses, as results.csv holds them.
        var losses = [String: (validation: [Double], test: [Double])]()
        for line in try String(contentsOfFile: folder + "/bench/results.csv", encoding: .utf8).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            losses[fields[0] + " " + fields[1], default: ([], [])].validation.append(Double(fields[4])!)
            losses[fields[0] + " " + fields[1], default: ([], [])].test.append(Double(fields[5])!)
        }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        func deviation(_ values: [Double]) -> Double { (values.map { ($0 - mean(values)) * ($0 - mean(values)) }.reduce(0, +) / Double(values.count - 1)).squareRoot() }
        for budget in ["5%", "10%"] {
            let raise = losses[budget + " raise"]!
            let strongest = ["random", "perplexity"].min { mean(losses[budget + " " + $0]!.validation) < mean(losses[budget + " " + $1]!.validation) }!
            var cells = [budget, "raise", strongest]
            for other in [strongest, "raise:episodes=0"] {
                let theirs = losses[budget + " " + other]!
                let difference = mean(raise.validation) - mean(theirs.validation)
                let spread = max(deviation(raise.validation), deviation(theirs.validation))
                cells += [String(format: "%+.4f", difference), String(format: "%+.4f", mean(raise.test) - mean(theirs.test)),
                          difference < -spread ? "ahead" : difference > spread ? "behind" : "level"]
            }
            let row = "| " + cells.joined(separator: " | ") + " |"
            XCTAssertTrue(section.contains(row), "\(row)\n\(section)")
        }
        XCTAssertFalse(section.contains("| raise:episodes=0 |"), section)

        // (validation, test) losses of seeds 0 and 1. Perplexity is the strongest on validation, random on test; RAISE
        // is 0.2 below perplexity (spread 0.14: ahead) and 0.05 below its untrained policy (level).
        let set: [(String, [(Double, Double)])] = [("random", [(1.50, 1.0), (1.52, 1.0)]), ("perplexity", [(1.30, 2.0), (1.30, 2.0)]),
                                                   ("raise", [(1.00, 1.5), (1.20, 1.7)]), ("raise_episodes_0", [(1.15, 1.4), (1.15, 1.4)])]
        for (file, seeds) in set {
            for (seed, (validation, test)) in seeds.enumerated() {
                let path = folder + "/bench/runs/10pct/\(file)-seed\(seed).json"
                var result = try JSONValue.readObject(path: path)
                result["val_loss"] = .number(validation)
                result["test_loss"] = .number(test)
                try (JSONValue.object(result).serialized + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
        let again = try runRaise(bench, environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let row = "| 10% | raise | perplexity | -0.2000 | -0.4000 | ahead | -0.0500 | +0.2000 | level |"
        let remade = try verdictSection()
        XCTAssertTrue(remade.contains(row), "\(row)\n\(remade)")
    }

    /// A selector whose features need the reference model (RHO-LOSS) is benchmarked with `--reference-model`,
    /// and refused before any run without it.
    func testRhoLossIsBenchmarkedWithAReferenceModel() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 4)
        let bench = ["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                     "--template", "plain", "--selector", "rho-loss", "--selector", "random", "--no-full", "--lr", "1e-3", "--budgets", "10%",
                     "--seeds", "1", "--batch", "4", "--eval-points", "1", "--threads", "1", "--quiet", "--out", folder + "/bench"]
        let missing = try runRaise(bench, environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("--reference-model"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/bench/results.csv"))
        let reference = model.replacingOccurrences(of: "d=32", with: "d=16")
        let run = try runRaise(bench + ["--reference-model", reference], environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let csv = try String(contentsOfFile: folder + "/bench/results.csv", encoding: .utf8)
        XCTAssertTrue(csv.contains("rho-loss") && csv.contains("random"), csv)
        let settings = try JSONValue.readObject(path: folder + "/bench/settings.json")
        XCTAssertEqual(settings["reference model"]?.stringValue, reference)
    }

    /// `--embedding-model` computes the semantic columns, `--gradient-model` LESS's gradients, `--aux-model` the
    /// others: each feature with its model.
    func testEachFeatureIsComputedWithTheModelItNames() throws {
        let (folder, model) = try tinySuite(self, size: 100, validation: 4, testSplit: 4)
        let other = model.replacingOccurrences(of: "d=32", with: "d=16")
        func score(_ extra: [String], out: String) throws -> [[String: Double]] {
            let result = try runRaise(["score", "--model", model, "--data", folder + "/suite/pool.jsonl", "--template", "plain",
                                       "--features", "loss", "--feature", "embedding:dims=4", "--feature", "gradient:dims=64",
                                       "--val", folder + "/suite/val.jsonl", "--threads", "1", "--quiet",
                                       "--out", folder + "/" + out] + extra, environment: ["RAISE_CACHE_DIR": folder + "/cache"])
            XCTAssertEqual(result.status, 0, result.stderr)
            return try String(contentsOfFile: folder + "/" + out, encoding: .utf8).split(separator: "\n").map { line in
                try XCTUnwrap(JSONValue.parse(String(line)).objectValue?["scores"]?.objectValue).keys.reduce(into: [String: Double]()) { row, key in
                    row[key] = try JSONValue.parse(String(line)).objectValue?["scores"]?.objectValue?[key]?.numberValue
                }
            }
        }
        let trained = try score([], out: "trained.jsonl")
        let auxiliary = try score(["--aux-model", other], out: "aux.jsonl")
        let split = try score(["--embedding-model", other], out: "split.jsonl")
        XCTAssertEqual(split.map { $0["loss"] }, trained.map { $0["loss"] }, "losses from the trained model")
        XCTAssertEqual(split.map { $0["embedding_0"] }, auxiliary.map { $0["embedding_0"] }, "semantics from the embedding model")
        XCTAssertNotEqual(split.map { $0["embedding_0"] }, trained.map { $0["embedding_0"] })
        XCTAssertEqual(split.map { $0["gradient_alignment"] }, trained.map { $0["gradient_alignment"] }, "gradients from the auxiliary model")
        let gradients = try score(["--gradient-model", other], out: "gradients.jsonl")
        XCTAssertEqual(gradients.map { $0["gradient_alignment"] }, auxiliary.map { $0["gradient_alignment"] }, "gradients from the gradient model")
        XCTAssertNotEqual(gradients.map { $0["gradient_alignment"] }, trained.map { $0["gradient_alignment"] })
        XCTAssertEqual(gradients.map { $0["loss"] }, trained.map { $0["loss"] }, "the rest from the auxiliary (here the trained) model")
        XCTAssertEqual(gradients.map { $0["embedding_0"] }, trained.map { $0["embedding_0"] })
    }

    /// `bench evaluate` on the benchmark's own test split gives each run's test loss back. Interrupted (one run's
    /// evaluation and the report not yet written), it evaluates again only what is missing, to the same number,
    /// and keeps what it saved — unless it was saved from another run (the benchmark's run made again since).
    /// Another test split under the same name is refused, naming the setting, until `--force` starts that
    /// evaluation over. A benchmark whose steps were cut into passes otherwise is refused.
    func testBenchEvaluateResumesAndRefusesAnotherTestSplitUnderItsName() throws {
        let (folder, model) = try tinySuite(self, size: 200, validation: 8, testSplit: 8, pretrain: 200)
        let bench = try runRaise(["bench", "run", "--model", model, "--data", folder + "/suite/pool.jsonl", "--val", folder + "/suite/val.jsonl",
                                  "--test", folder + "/suite/test.jsonl", "--template", "plain", "--selector", "random", "--selector", "perplexity",
                                  "--no-full", "--lr", "1e-3", "--budgets", "10%", "--seeds", "2", "--batch", "8", "--eval-points", "1",
                                  "--exact-match-limit", "0", "--threads", "1", "--quiet", "--out", folder + "/bench"],
                               environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let report = try String(contentsOfFile: folder + "/bench/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("(no exact match: `--exact-match-limit 0`)") && !report.contains("first 0 records"), report)
        let evaluation = folder + "/bench/evaluations/test"
        func evaluate(_ test: String, _ extra: [String] = []) throws -> (status: Int32, stderr: String) {
            let result = try runRaise(["bench", "evaluate", "--bench", folder + "/bench", "--test", test, "--quiet"] + extra,
                                      environment: ["RAISE_CACHE_DIR": folder + "/cache"])
            return (result.status, result.stderr)
        }
        /// Entry and seed → (validation loss, test loss), from a results.csv.
        func losses(_ path: String) throws -> [String: [String]] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().reduce(into: [:]) { rows, line in
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                rows[cells[1] + "-seed" + cells[3]] = [cells[4], cells[5]]
            }
        }
        let first = try evaluate(folder + "/suite/test.jsonl")
        XCTAssertEqual(first.status, 0, first.stderr)
        let benchLosses = try losses(folder + "/bench/results.csv")
        XCTAssertEqual(benchLosses.count, 4)
        XCTAssertEqual(try losses(evaluation + "/results.csv"), benchLosses, "the rebuilt models give the runs' own test losses")
        // The same test split in two files (as MMLU's subjects come): one split, under a name of its own.
        let lines = try String(contentsOfFile: folder + "/suite/test.jsonl", encoding: .utf8).split(separator: "\n")
        try AtomicFile.write(lines.prefix(5).map { $0 + "\n" }.joined(), to: folder + "/test-a.jsonl")
        try AtomicFile.write(lines.dropFirst(5).map { $0 + "\n" }.joined(), to: folder + "/test-b.jsonl")
        let unnamed = try evaluate(folder + "/test-a.jsonl", ["--test", folder + "/test-b.jsonl"])
        XCTAssertEqual(unnamed.status, 2)
        XCTAssertTrue(unnamed.stderr.contains("--name NAME is required with several --test files"), unnamed.stderr)
        // A name that would lead out of DIR/evaluations/ (where --force starts an evaluation over) is refused, the folder it names untouched.
        try Folder.create(folder + "/mine/runs")
        try AtomicFile.write("the user's\n", to: folder + "/mine/runs/notes.txt")
        let escaping = try evaluate(folder + "/suite/test.jsonl", ["--name", "../../mine", "--force"])
        XCTAssertEqual(escaping.status, 2)
        XCTAssertTrue(escaping.stderr.contains("--name '../../mine': the evaluation's folder name in DIR/evaluations/, without '/'"), escaping.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/mine/runs/notes.txt"))
        let halves = try evaluate(folder + "/test-a.jsonl", ["--test", folder + "/test-b.jsonl", "--name", "halves"])
        XCTAssertEqual(halves.status, 0, halves.stderr)
        XCTAssertEqual(try losses(folder + "/bench/evaluations/halves/results.csv"), benchLosses, "two files, one split: the same test losses")

        let lost = evaluation + "/runs/10pct/random-seed1.json", kept = evaluation + "/runs/10pct/perplexity-seed0.json"
        try FileManager.default.removeItem(atPath: lost)
        try FileManager.default.removeItem(atPath: evaluation + "/report.md")
        func mark(_ path: String, validationLoss: Double? = nil) throws {
            var object = try JSONValue.readObject(path: path)
            object["test_loss"] = .number(7.5)  // what a second evaluation of this run would not give
            if let validationLoss { object["val_loss"] = .number(validationLoss) }
            try AtomicFile.write(JSONValue.object(object).serialized + "\n", to: path)
        }
        try mark(kept)
        try mark(evaluation + "/runs/10pct/perplexity-seed1.json", validationLoss: 7.5)  // as if evaluated from another run
        let resumed = try evaluate(folder + "/suite/test.jsonl")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let resumedLosses = try losses(evaluation + "/results.csv")
        XCTAssertEqual(resumedLosses["random-seed1"], benchLosses["random-seed1"], "the missing run evaluated again, to the same number")
        XCTAssertEqual(resumedLosses["perplexity-seed0"]?.last.flatMap(Double.init), 7.5, "a saved run is read back, not evaluated again")
        XCTAssertEqual(resumedLosses["perplexity-seed1"], benchLosses["perplexity-seed1"], "one saved from another run is evaluated again")
        XCTAssertTrue(try String(contentsOfFile: evaluation + "/report.md", encoding: .utf8).contains("(no exact match: `--exact-match-limit 0`)"),
                      "the evaluation's report, made with the benchmark's settings")

        // The validation split as the test file, under the same name ("test"): another test split.
        try Folder.create(folder + "/other")
        try FileManager.default.copyItem(atPath: folder + "/suite/val.jsonl", toPath: folder + "/other/test.jsonl")
        let refused = try evaluate(folder + "/other/test.jsonl")
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains(evaluation + "/settings.json") && refused.stderr.contains("test split was"), refused.stderr)
        XCTAssertEqual(try losses(evaluation + "/results.csv"), resumedLosses, "a refused evaluation writes nothing")
        let forced = try evaluate(folder + "/other/test.jsonl", ["--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        for (run, cells) in try losses(evaluation + "/results.csv") {
            XCTAssertEqual(cells[1], cells[0], "\(run): evaluated again from the start, on the validation split")
        }

        // A folder whose steps were one pass each (an older raise) cannot be rebuilt here: refused, naming the setting.
        var older = try JSONValue.readObject(path: folder + "/bench/settings.json")
        older["training passes"] = nil
        try AtomicFile.write(JSONValue.object(older).serialized + "\n", to: folder + "/bench/settings.json")
        let olderRefused = try evaluate(folder + "/suite/test.jsonl", ["--name", "older"])
        XCTAssertEqual(olderRefused.status, 1)
        XCTAssertTrue(olderRefused.stderr.contains("training passes was unset, is now by length"), olderRefused.stderr)
    }

    func testDemoRunsEveryStageAndResumes() throws {
        let folder = try scratchFolder(self)
        let arguments = ["demo", "--out", folder + "/demo", "--size", "200", "--pretrain-steps", "20", "--seeds", "1", "--episodes", "1",
                         "--budgets", "10%", "--model", "tinygpt:layers=1,heads=2,d=16,ctx=48", "--threads", "1", "--quiet",
                         "--lr-sweep", "1e-3,1e-2"]
        let first = try runRaise(arguments, environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(first.status, 0, first.stderr)
        for stage in ["raise data synth", "raise tokenizer train", "raise pretrain", "raise bench run"] {
            XCTAssertTrue(first.stderr.contains("demo: " + stage), stage + "\n" + first.stderr)
        }
        for row in ["| ifd |", "| nearest |", "| less |", "| dsir |", "| raise |", "| raise:episodes=0 |",
                    "| raise:groups=stage+difficulty+semantics+availability |"] {
            XCTAssertTrue(first.stdout.contains(row), row + "\n" + first.stdout)
        }
        let report = try String(contentsOfFile: folder + "/demo/bench/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("| budget | swept with | lr 0.001 | lr 0.01 | chosen |"), "the demo's --lr-sweep reaches the benchmark\n" + report)
        XCTAssertTrue(report.contains("| 10% | dsir | ") && report.contains("`--lr-per entry`"), "the demo sweeps every entry's own rate\n" + report)
        let second = try runRaise(arguments, environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("demo: done already: raise data synth"), second.stderr)
        XCTAssertEqual(try String(contentsOfFile: folder + "/demo/bench/results.csv", encoding: .utf8).split(separator: "\n").count, 1 + 1 + 10,
                       "full data, oracle, random, perplexity, IFD, nearest, LESS, DSIR, RAISE, its untrained policy and RAISE with the paper's state")
        // Machine-readable: every line of both streams is JSON, the stages included; the last says where the report is.
        let json = try runRaise(arguments.filter { $0 != "--quiet" } + ["--json"], environment: ["RAISE_CACHE_DIR": folder + "/cache"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let lines = (json.stdout + json.stderr).split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        for line in lines { XCTAssertNotNil(try? JSONValue.parse(String(line)).objectValue, "not JSON: \(line)") }
        let stages = json.stderr.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)).objectValue }.filter { $0["event"]?.stringValue == "stage" }
        XCTAssertEqual(stages.map { $0["done"]?.boolValue }, [true, true, false, false], json.stderr)
        XCTAssertTrue(stages.last?["command"]?.stringValue?.hasPrefix("raise bench run ") == true, json.stderr)
        let finished = try JSONValue.parse(String(json.stdout.split(separator: "\n").last ?? "")).objectValue
        XCTAssertEqual(finished?["report"]?.stringValue, folder + "/demo/bench/report.md")
    }
}

/// The fields of a saved run that a recomputation must reproduce.
private struct BenchResultFields {
    let loss: Double
    let picks: String

    init(path: String) throws {
        let object = try JSONValue.readObject(path: path)
        loss = object["val_loss"]?.numberValue ?? .nan
        picks = object["picks"].map { $0.serialized } ?? ""
    }
}

final class BenchPerfTests: XCTestCase {
    func testPerfGathersEveryBenchmarkIntoOneTable() throws {
        let folder = try scratchFolder(self)
        let result = try runRaise(["bench", "perf", "--threads", "1", "--repeats", "1", "--out", folder + "/perf.md"],
                                  environment: ["RAISE_PYTHON": "/nonexistent/python"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = try String(contentsOfFile: folder + "/perf.md", encoding: .utf8)
        XCTAssertEqual(table, result.stdout)
        for fragment in ["| kernels | square-256 |", "| cblas_sgemm |", "| train | train-1thread |", "| PyTorch | not installed | — |",
                         "| selection | pool 20000 |", "ms/step (lower is better)"] {
            XCTAssertTrue(table.contains(fragment), fragment + "\n" + table)
        }
        let smolLM2 = FileManager.default.fileExists(atPath: ModelCache.smolLM2)
        if smolLM2 {  // SmolLM2's peer is named, with the GFLOP/s reached
            for name in ["smollm2-train-1thread", "smollm2-score-1thread"] {
                let row = table.split(separator: "\n").first { $0.contains(name) }
                XCTAssertNotNil(row?.range(of: #"\| PyTorch \+ transformers \| not installed \| — \| [0-9.]+ \([0-9]+%\) \|$"#,
                                           options: .regularExpression), String(row ?? "no \(name) row"))
            }
        }
        // The training benchmark's blocks, shown as they go in perf's own words (its child reports them as JSON).
        let blocks = smolLM2 ? 2 : 1
        XCTAssertTrue(result.stderr.contains("bench perf [raise bench train --threads 1 --repeats 1: TinyGPT, 1 thread(s)]: block 1/\(blocks) "),
                      result.stderr)
        XCTAssertFalse(result.stderr.contains("{\"event\""), "no child's JSON passed on as it is: \(result.stderr)")
    }

    func testTheTrainingBenchmarkShowsItsBlocksOrIsQuiet() throws {
        let bench = ["bench", "train", "--model", "tinygpt:layers=1,heads=2,d=32,ctx=32", "--vocab", "300", "--batch", "2", "--repeats", "2",
                     "--threads", "1"]
        // TinyGPT's blocks only: no peer, and a model folder without SmolLM2 (the perf test above measures it).
        let environment = ["RAISE_PYTHON": "/nonexistent/python", "RAISE_MODELS_DIR": try scratchFolder(self)]
        let json = try runRaise(bench + ["--json"], environment: environment)
        XCTAssertEqual(json.status, 0, json.stderr)
        let events = json.stderr.split(separator: "\n").map { try? JSONValue.parse(String($0)).objectValue }
        XCTAssertFalse(events.contains { $0 == nil }, "every line of stderr is JSON: \(json.stderr)")
        let progress = events.compactMap { $0 }.filter { $0["event"]?.stringValue == "progress" }
        XCTAssertEqual(progress.last?["step"]?.intValue, 2, json.stderr)
        XCTAssertEqual(progress.last?["total"]?.intValue, 2)
        XCTAssertEqual(progress.first?["task"]?.stringValue, "bench train")
        XCTAssertEqual(progress.first?["unit"]?.stringValue, "block")
        XCTAssertEqual(progress.first?["run"]?.stringValue, "TinyGPT, 1 thread(s)")
        XCTAssertNotNil(progress.first?["train_s"]?.numberValue)
        let quiet = try runRaise(bench + ["--quiet"], environment: environment)
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "")
        XCTAssertTrue(quiet.stdout.contains("train-1thread"), quiet.stdout)
    }
}
