import Foundation

/// The evaluation of the power models on CodeCarbon's CPU load profiles
/// (`codecarbon/data/hardware/cpu_load_profiling/`, MIT): step loads of 0–100 % on five CPUs, about
/// 30 s per step, with RAPL energy, CPU load and mean frequency per step.
///
/// Ground truth is each step's mean power, `rapl_energy` (kWh) × 3.6e6 / `duration` (s): the counter
/// delta over the whole step. The file's `rapl_power` column is a spot reading that lags one step
/// behind (its value at step i is within 5 % of the step i − 1 mean power on every CPU, and under
/// 1.5 W at the idle step, below any package's idle power), so it is not used.
public enum PowerModelEvaluation {
    /// One step of a recording.
    public struct Step: Sendable, Hashable {
        /// Busy fraction (`cpu_load` / 100).
        public var utilisation: Double
        /// Mean frequency of the CPUs (MHz).
        public var frequencyMHz: Double
        /// Mean RAPL power over the step (W).
        public var watts: Double

        public init(utilisation: Double, frequencyMHz: Double, watts: Double) {
            self.utilisation = utilisation
            self.frequencyMHz = frequencyMHz
            self.watts = watts
        }
    }

    /// One CPU: every step of its recordings (all-cores and some-cores loads).
    public struct CPU: Sendable {
        /// The recording's label (its folder).
        public var label: String
        /// `cpu_name` from the files.
        public var modelName: String
        public var steps: [Step]

        public init(label: String, modelName: String, steps: [Step]) {
            self.label = label
            self.modelName = modelName
            self.steps = steps
        }
    }

    /// The figures for one held-out CPU; errors are fractions (0.1 = 10 %).
    public struct Result: Sendable, Hashable {
        public var label: String
        public var tdpWatts: Double
        public var steps: Int
        /// CodeCarbon's TDP × load.
        public var baselineMAPE: Double
        /// The TDP curve fitted (in TDP fractions, without frequency) on the other CPUs: what a host
        /// that never had counters gets.
        public var tdpCurveMAPE: Double
        /// The model learned on the host (as the daemon does with counters), leave-one-step-out: each
        /// step predicted by the curve fitted on the CPU's other steps.
        public var learnedMAPE: Double
    }

    /// Parses one recording (`compare_cpu_load_and_RAPL-…csv`).
    /// - Throws: `ParseError` naming the file, line and column when a needed column is missing or not
    ///   a number.
    public static func parse(csv: String, file: String) throws -> (modelName: String, steps: [Step]) {
        var lines = csv.split(whereSeparator: \.isNewline).map(String.init)
        guard !lines.isEmpty else { throw ParseError(message: "\(file): empty file") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        func col(_ n: String) throws -> Int {
            guard let i = header.firstIndex(of: n) else { throw ParseError(message: "\(file): no column `\(n)` in the header") }
            return i
        }
        let (cLoad, cFreq, cEnergy, cDur, cName) = (try col("cpu_load"), try col("cpu_freq"), try col("rapl_energy"),
                                                   try col("duration"), try col("cpu_name"))
        var name = ""
        var steps: [Step] = []
        for (i, line) in lines.enumerated() where !line.isEmpty {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func num(_ c: Int) throws -> Double {
                guard c < f.count, let v = Double(f[c].trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw ParseError(message: "\(file):\(i + 2): column `\(header[c])` is not a number")
                }
                return v
            }
            let dur = try num(cDur)
            guard dur > 0 else { throw ParseError(message: "\(file):\(i + 2): `duration` must be above 0") }
            if cName < f.count { name = f[cName] }
            steps.append(Step(utilisation: try num(cLoad) / 100, frequencyMHz: try num(cFreq), watts: try num(cEnergy) * 3.6e6 / dur))
        }
        return (name, steps)
    }

    /// A parse failure, with file and line.
    public struct ParseError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Mean absolute percentage error of `predict` on `steps`.
    static func mape(_ steps: [Step], _ predict: (Step) -> Double) -> Double {
        steps.map { abs(predict($0) - $0.watts) / $0.watts }.reduce(0, +) / Double(max(steps.count, 1))
    }

    /// Leave one CPU out over `cpus`.
    /// - Parameter tdp: each CPU's TDP (W) from CodeCarbon's table; CPUs without one are skipped.
    /// - Returns: one result per CPU with a TDP, in the order given.
    public static func leaveOneOut(_ cpus: [CPU], tdp: (CPU) -> Double?) -> [Result] {
        let withTDP = cpus.compactMap { c in tdp(c).map { (c, $0) } }
        return withTDP.map { (cpu, t) in
            // Frequency ratio: f / the highest mean frequency in the CPU's recordings (the host's
            // cpuinfo_max_freq is not in the files; on a host the daemon reads it from cpufreq).
            let fmax = cpu.steps.map(\.frequencyMHz).max() ?? 1
            func sample(_ s: Step, scale: Double, fmax: Double?) -> PowerSample {
                PowerSample(utilisation: s.utilisation, frequencyRatio: fmax.map { s.frequencyMHz / $0 }, watts: s.watts / scale)
            }
            let others = withTDP.filter { $0.0.label != cpu.label }
                .flatMap { (o, ot) in o.steps.map { sample($0, scale: ot, fmax: nil) } }
            let curve = PowerCurveFit.fit(others, useFrequency: false)
            let tdpCurve = mape(cpu.steps) { s in t * (curve?.power(utilisation: s.utilisation).watts ?? s.utilisation) }
            var errors: [Double] = []
            for i in cpu.steps.indices {
                var rest = cpu.steps
                let held = rest.remove(at: i)
                let m = PowerCurveFit.fit(rest.map { sample($0, scale: 1, fmax: fmax) })
                let p = m?.power(utilisation: held.utilisation, frequencyRatio: held.frequencyMHz / fmax).watts ?? t * held.utilisation
                errors.append(abs(p - held.watts) / held.watts)
            }
            return Result(label: cpu.label, tdpWatts: t, steps: cpu.steps.count,
                          baselineMAPE: mape(cpu.steps) { t * $0.utilisation }, tdpCurveMAPE: tdpCurve,
                          learnedMAPE: errors.reduce(0, +) / Double(max(errors.count, 1)))
        }
    }
}
