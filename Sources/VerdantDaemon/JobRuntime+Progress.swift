import VerdantAPI
import VerdantCore

// MARK: Progress of long requests (issue 12): the plain calls are the progress calls with no one listening.

extension JobRuntime: VerdantProgressAPIHandler {
    /// `importIntensity(_:progress:)` without progress.
    public func importIntensity(_ r: IntensityImportRequest) async throws -> IntensityImportResult {
        try await importIntensity(r, progress: { _ in })
    }

    /// `report(since:until:by:timeline:caller:progress:)` without progress.
    public func report(since: String?, until: String?, by: String?, timeline: Bool, caller: Caller) async throws -> EnergyReport {
        try await report(since: since, until: until, by: by, timeline: timeline, caller: caller, progress: { _ in })
    }

    /// `forecast(zone:horizon:progress:)` without progress.
    public func forecast(zone: String?, horizon: String?) async throws -> ForecastView {
        try await forecast(zone: zone, horizon: horizon, progress: { _ in })
    }
}
