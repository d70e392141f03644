// PolicyCheckTable: report.md's account of the policy checks (`--policy-check N`) — for each RAISE policy the
// benchmark trained and checked, which policy its runs used (the trained one or its start) and by how much the
// trained one did better or worse on the held-out half of the validation split.
import Foundation
import RaiseKit

extension BenchReport {
    /// The checks of the policies in `out`/policies, by folder name (none when no policy was checked).
    ///
    /// - Throws: `RaiseError.file` naming a policy's config.json that cannot be read.
    static func policyChecks(out: String) throws -> [(policy: String, check: PolicyCheck)] {
        let folder = out + "/policies"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return try names.sorted().compactMap { name in
            let policy = PolicyFolder(folder + "/" + name)
            guard FileManager.default.fileExists(atPath: policy.configPath), let check = try policy.savedCheck() else { return nil }
            return (name, check)
        }
    }

    /// The section, or "" when no policy was checked.
    var policyCheckTable: String {
        guard !policyChecks.isEmpty else { return "" }
        var text = "\n## Policy checks\n\nEach trained RAISE policy was checked (`--policy-check`): the reward saw the first half of the "
        text += "validation split; after training, more episodes with the trained policy scored the second half (P, higher is better), "
        text += "against the first episodes, which ran the policy as it started. The runs use the trained policy only where it did better "
        text += "by more than a standard error of the difference; otherwise they use its start.\n\n"
        text += "| policy | runs use | trained − start | standard error | check episodes |\n|---|---|---|---|---|\n"
        for (policy, check) in policyChecks {
            text += "| \(policy) | \(check.keepsTrained ? "trained" : "start") | \(String(format: "%+.4f", check.difference)) | "
                + "\(String(format: "%.4f", check.standardError)) | \(check.trained.count) |\n"
        }
        return text
    }
}
