import Foundation
import Hummingbird
import VerdantAPI

// MARK: Grid intensity routes (issue 4)

extension APIServer {
    /// Registers `/v1/intensity`, `/v1/intensity/import` and `/v1/intensity/sources` when the handler
    /// serves them. Any local user may read; only root may import (it changes what every plan uses).
    static func registerIntensityRoutes(_ router: Router<PeerRequestContext>, handler: any VerdantAPIHandler) {
        if let f = handler as? any VerdantForecastAPIHandler {
            router.get(RouterPath(APIRoutes.forecast)) { req, _ in
                // Issue 12: `progress=1` streams the fits of a training done for this request.
                if wantsProgress(req), let p = handler as? any VerdantProgressAPIHandler {
                    let (zone, horizon) = (req.uri.queryParameters.get("zone"), req.uri.queryParameters.get("horizon"))
                    return respondWithProgress { sink in try await p.forecast(zone: zone, horizon: horizon, progress: sink) }
                }
                return try await respond {
                    let q = req.uri.queryParameters
                    return try await f.forecast(zone: q.get("zone"), horizon: q.get("horizon"))
                }
            }
        }
        guard let h = handler as? any VerdantIntensityAPIHandler else { return }
        router.get(RouterPath(APIRoutes.intensity)) { req, _ in
            try await respond {
                let q = req.uri.queryParameters
                let forecast = q.get("forecast").map { $0 == "1" || $0 == "true" } ?? false
                return try await h.intensity(zone: q.get("zone"), since: q.get("since"), until: q.get("until"), forecast: forecast)
            }
        }
        router.get(RouterPath(APIRoutes.intensitySources)) { _, _ in try await respond { try await h.intensitySources() } }
        router.post(RouterPath(APIRoutes.intensityImport)) { req, ctx in
            let request: IntensityImportRequest
            do {
                let caller = try await ctx.caller()
                guard caller.uid == 0 else {
                    throw APIError(status: 403, "only root may import intensity data (it changes every plan): run verdant intensity import as root")
                }
                let body = try await req.body.collect(upTo: 256 << 20)
                do {
                    request = try APIJSON.decoder().decode(IntensityImportRequest.self, from: Data(body.readableBytesView))
                } catch {
                    throw APIError.badRequest("malformed import request (\(error)): are verdant and verdantd the same version? (verdant --version, verdant status)")
                }
            } catch {
                return try await respond { () -> String in throw error }
            }
            // Issue 12: `progress=1` streams the slots written (ProgressResponse.swift).
            if wantsProgress(req), let p = handler as? any VerdantProgressAPIHandler {
                return respondWithProgress { sink in try await p.importIntensity(request, progress: sink) }
            }
            return try await respond { try await h.importIntensity(request) }
        }
    }
}
