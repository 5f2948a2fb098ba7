import Foundation
import VerdantAPI
import VerdantCore

extension JobRuntime {
    /// The memory a submission declares (`--memory`, API field `mem`), bytes; 0 when none.
    /// Syntax: Slurm's `--mem` (`BatchResources.mebibytes(parsing:)`): 4G, 500M, 512 (MiB).
    /// - Throws: `APIError.badRequest` for a malformed size, or, on a local executor, one larger than
    ///   the memory the node gives jobs (`capacity-memory-gib` less the policy's reservation): such a
    ///   job could never start.
    func declaredMemoryBytes(_ r: SubmitRequest) throws -> Int64 {
        guard let text = r.memory else { return 0 }
        guard let mib = BatchResources.mebibytes(parsing: text) else {
            throw APIError.badRequest("--memory '\(text)' is not a memory size: use e.g. 4G, 500M or 512 (MiB)")
        }
        let bytes = Int64(mib) * 1_048_576
        let cap = parts.policy.available(of: parts.capacity).memoryBytes
        if parts.batch == nil, Double(bytes) > cap + 0.5 {
            throw APIError.badRequest("--memory \(text) is more than the \(String(format: "%.1f", cap / 1_073_741_824)) GiB this node gives jobs "
                + "(capacity-memory-gib less the policy's reservations): ask for less")
        }
        return bytes
    }
}
