import Foundation
import Prometheus
import Synchronization

/// The daemon's Prometheus metrics (swift-prometheus registry), in base units with `_total` on
/// counters (Prometheus "Metric and label naming"). Per-job series exist only while the job runs,
/// so the number of series stays bounded by the running jobs.
///
/// | metric | type | labels |
/// |---|---|---|
/// | `verdant_node_energy_joules_total` | counter | `zone`, `source` (`measured`/`estimated`) |
/// | `verdant_node_power_watts` | gauge | `zone`, `source`: mean over the last sample interval |
/// | `verdant_grid_intensity_grams_per_joule` | gauge | `zone`, `source`, `kind`; × 3.6e6 = gCO2eq/kWh |
/// | `verdant_grid_intensity_age_seconds` | gauge | `zone`, `source`: age of the newest point in use |
/// | `verdant_jobs` | gauge | `state` |
/// | `verdant_queue_length` | gauge | |
/// | `verdant_job_energy_joules_total`, `verdant_job_carbon_grams_total` | counter | `job_id`, `job_name`, `kind`; running jobs only |
/// | `verdant_job_deferred_seconds_total` | counter | seconds between submission and start, of started jobs |
/// | `verdant_carbon_saved_grams` | gauge | Σ counterfactual − actual carbon of jobs ended since start (may be negative) |
/// | `verdant_sampler_samples_total`, `verdant_sampler_errors_total` | counter | |
/// | `verdant_sampler_last_sample_timestamp_seconds` | gauge | Unix time of the last sample (daemon clock) |
/// | `verdant_metrics_scrape_errors_total` | counter | |
public final class VerdantMetrics: Sendable {
    /// The registry every metric lives in.
    public let registry = PrometheusCollectorRegistry()

    private struct JobSeries {
        var energy: Counter
        var carbon: Counter
    }

    private struct State {
        var zoneEnergy: [String: Counter] = [:]
        var zonePower: [String: Gauge] = [:]
        var jobs: [Int64: JobSeries] = [:]
        var jobStates: [String: Gauge] = [:]
        var intensity: (key: String, value: Gauge, age: Gauge)?
    }

    private let state = Mutex(State())
    private let samples: Counter
    private let samplerErrors: Counter
    private let lastSample: Gauge
    private let scrapeErrors: Counter
    private let deferred: Counter
    private let saved: Gauge
    private let queue: Gauge

    public init() {
        samples = registry.makeCounter(name: "verdant_sampler_samples_total", labels: [], help: "Node samples taken since verdantd started.")
        samplerErrors = registry.makeCounter(name: "verdant_sampler_errors_total", labels: [], help: "Node samples that failed (a sensor could not be read).")
        lastSample = registry.makeGauge(name: "verdant_sampler_last_sample_timestamp_seconds", labels: [], help: "Unix time of the last node sample (daemon clock; trace time in replay).")
        scrapeErrors = registry.makeCounter(name: "verdant_metrics_scrape_errors_total", labels: [], help: "Scrapes or textfile writes whose figures could not all be read.")
        deferred = registry.makeCounter(name: "verdant_job_deferred_seconds_total", labels: [], help: "Seconds between submission and start, summed over started jobs.")
        saved = registry.makeGauge(name: "verdant_carbon_saved_grams", labels: [], help: "Carbon saved by waiting (counterfactual at submission minus actual), summed over jobs ended since start, gCO2eq.")
        queue = registry.makeGauge(name: "verdant_queue_length", labels: [], help: "Jobs queued, waiting for their planned start.")
        for s in ["queued", "running", "succeeded", "failed", "cancelled", "lost"] { _ = jobStateGauge(s) }
    }

    private func jobStateGauge(_ s: String) -> Gauge {
        state.withLock { st in
            if let g = st.jobStates[s] { return g }
            let g = registry.makeGauge(name: "verdant_jobs", labels: [("state", s)], help: "Jobs by state (final states count every stored job).")
            st.jobStates[s] = g
            return g
        }
    }

    /// One sample interval of one zone: adds its energy (when it has a number) and sets its power.
    public func recordZoneInterval(zone: String, source: String, energyJoules: Double?, seconds: Double) {
        let key = zone + "\u{1}" + source
        let (counter, gauge) = state.withLock { st -> (Counter, Gauge) in
            if let c = st.zoneEnergy[key], let g = st.zonePower[key] { return (c, g) }
            let labels = [("zone", zone), ("source", source)]
            let c = registry.makeCounter(name: "verdant_node_energy_joules_total", labels: labels, help: "Node energy per zone since verdantd started, J.")
            let g = registry.makeGauge(name: "verdant_node_power_watts", labels: labels, help: "Node power per zone over the last sample interval, W.")
            st.zoneEnergy[key] = c
            st.zonePower[key] = g
            return (c, g)
        }
        if let e = energyJoules, e >= 0 {
            counter.increment(by: e)
            if seconds > 0 { gauge.set(e / seconds) }
        }
    }

    /// A sample was taken at `time`.
    public func sampleTaken(at time: Date) {
        samples.increment()
        lastSample.set(time.timeIntervalSince1970)
    }

    /// A sample failed.
    public func samplerError() { samplerErrors.increment() }

    /// A scrape or textfile write could not read every figure.
    public func scrapeError() { scrapeErrors.increment() }

    /// A job started after waiting `delaySeconds` since submission.
    public func jobStarted(delaySeconds: Double) {
        if delaySeconds > 0 { deferred.increment(by: delaySeconds) }
    }

    /// Energy and carbon charged to a running job over one interval.
    public func jobInterval(id: Int64, name: String, kind: String, energyJoules: Double, carbonGrams: Double) {
        let series = state.withLock { st -> JobSeries in
            if let s = st.jobs[id] { return s }
            let labels = [("job_id", String(id)), ("job_name", name), ("kind", kind)]
            let s = JobSeries(
                energy: registry.makeCounter(name: "verdant_job_energy_joules_total", labels: labels, help: "Energy charged to a running job, J."),
                carbon: registry.makeCounter(name: "verdant_job_carbon_grams_total", labels: labels, help: "Carbon charged to a running job, gCO2eq."))
            st.jobs[id] = s
            return s
        }
        if energyJoules > 0 { series.energy.increment(by: energyJoules) }
        if carbonGrams > 0 { series.carbon.increment(by: carbonGrams) }
    }

    /// A job ended: its series go, and its carbon saved (when known) is added.
    public func jobEnded(id: Int64, carbonSavedGrams: Double?) {
        if let s = state.withLock({ $0.jobs.removeValue(forKey: id) }) {
            registry.unregisterCounter(s.energy)
            registry.unregisterCounter(s.carbon)
        }
        if let g = carbonSavedGrams { saved.increment(by: g) }
    }

    /// Job ids with live series (for tests).
    public var runningJobSeries: Set<Int64> { state.withLock { Set($0.jobs.keys) } }

    /// Sets the gauges read at scrape time.
    /// - Parameters: `jobCounts` by state name; `intensityGramsPerKWh` the value in force; `ageSeconds` the
    ///   age of the newest point of the source in use (`nil` when unknown: the age series is then absent).
    public func setGauges(jobCounts: [String: Int], queued: Int, zone: String, source: String, kind: String,
                          intensityGramsPerKWh: Double, ageSeconds: Double?) {
        for (s, n) in jobCounts { jobStateGauge(s).set(Double(n)) }
        queue.set(Double(queued))
        let key = [zone, source, kind].joined(separator: "\u{1}")
        let (value, age) = state.withLock { st -> (Gauge, Gauge) in
            if let i = st.intensity, i.key == key { return (i.value, i.age) }
            if let old = st.intensity {
                registry.unregisterGauge(old.value)
                registry.unregisterGauge(old.age)
            }
            let v = registry.makeGauge(name: "verdant_grid_intensity_grams_per_joule",
                                       labels: [("zone", zone), ("source", source), ("kind", kind)],
                                       help: "Grid carbon intensity in force, gCO2eq per J (x 3.6e6 = gCO2eq/kWh).")
            let a = registry.makeGauge(name: "verdant_grid_intensity_age_seconds", labels: [("zone", zone), ("source", source)],
                                       help: "Age of the newest intensity point of the source in use, s.")
            st.intensity = (key, v, a)
            return (v, a)
        }
        value.set(intensityGramsPerKWh / 3_600_000)
        age.set(ageSeconds ?? 0)
    }

    /// The Prometheus text exposition format (version 0.0.4).
    public func exposition() -> String { registry.emitToString() }
}
