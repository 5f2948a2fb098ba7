import Foundation

/// Dense symmetric positive-definite solves for ridge regression (pure, no I/O).
///
/// Ridge estimate: β = (XᵀWX + λI)⁻¹ XᵀWy (Hoerl & Kennard 1970), solved by the Cholesky
/// factorisation A = LLᵀ and two triangular solves (Golub & Van Loan, *Matrix Computations*,
/// 4th ed., Alg. 4.2.1). Matrices are row-major `[Double]` of size d×d.
public enum RidgeRegression {
    /// A matrix could not be factorised: not positive definite (a zero or negative pivot at `column`).
    public struct NotPositiveDefinite: Error, CustomStringConvertible {
        public let column: Int
        public var description: String { "matrix is not positive definite (pivot \(column)); add ridge penalty" }
    }

    /// Cholesky factor L (lower triangular, row-major d×d) of the symmetric matrix `a`.
    /// - Throws: `NotPositiveDefinite` when a pivot is ≤ 0 or not finite.
    public static func cholesky(_ a: [Double], dimension d: Int) throws -> [Double] {
        precondition(a.count == d * d, "cholesky: matrix is \(a.count) values, expected \(d)×\(d)")
        var l = [Double](repeating: 0, count: d * d)
        for j in 0..<d {
            var s = a[j * d + j]
            for k in 0..<j { s -= l[j * d + k] * l[j * d + k] }
            guard s > 0, s.isFinite else { throw NotPositiveDefinite(column: j) }
            let ljj = s.squareRoot()
            l[j * d + j] = ljj
            for i in (j + 1)..<max(j + 1, d) {
                var t = a[i * d + j]
                for k in 0..<j { t -= l[i * d + k] * l[j * d + k] }
                l[i * d + j] = t / ljj
            }
        }
        return l
    }

    /// Solves LLᵀx = b given the Cholesky factor L.
    public static func solve(cholesky l: [Double], dimension d: Int, _ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<d {
            var s = y[i]
            for k in 0..<i { s -= l[i * d + k] * y[k] }
            y[i] = s / l[i * d + i]
        }
        for i in stride(from: d - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<max(i + 1, d) { s -= l[k * d + i] * y[k] }
            y[i] = s / l[i * d + i]
        }
        return y
    }

    /// Ridge fit with an unpenalised intercept: minimises Σ wᵢ(yᵢ − b₀ − xᵢᵀβ)² + λ Σβⱼ².
    ///
    /// - Parameters:
    ///   - rows: n rows of d features (no intercept column).
    ///   - targets: n values.
    ///   - weights: n non-negative weights, or nil for 1.
    ///   - lambda: penalty λ ≥ 0 (with λ = 0 this is weighted least squares).
    /// - Returns: (intercept, coefficients).
    /// - Throws: `NotPositiveDefinite` when the system is singular (e.g. λ = 0 and collinear features).
    public static func fit(rows: [[Double]], targets: [Double], weights: [Double]? = nil, lambda: Double) throws -> (intercept: Double, coefficients: [Double]) {
        let n = rows.count
        precondition(n == targets.count, "fit: \(n) rows but \(targets.count) targets")
        let d = rows.first?.count ?? 0
        var sw = 0.0
        var mx = [Double](repeating: 0, count: d)
        var my = 0.0
        for i in 0..<n {
            let w = weights?[i] ?? 1
            sw += w
            my += w * targets[i]
            for j in 0..<d { mx[j] += w * rows[i][j] }
        }
        guard sw > 0 else { return (0, [Double](repeating: 0, count: d)) }
        my /= sw
        for j in 0..<d { mx[j] /= sw }
        var a = [Double](repeating: 0, count: d * d)
        var b = [Double](repeating: 0, count: d)
        var z = [Double](repeating: 0, count: d)
        for i in 0..<n {
            let w = weights?[i] ?? 1
            for j in 0..<d { z[j] = rows[i][j] - mx[j] }
            let yc = targets[i] - my
            for j in 0..<d {
                let wz = w * z[j]
                b[j] += wz * yc
                for k in 0...j { a[j * d + k] += wz * z[k] }
            }
        }
        for j in 0..<d {
            for k in 0..<j { a[k * d + j] = a[j * d + k] }
            a[j * d + j] += lambda
        }
        let l = try cholesky(a, dimension: d)
        let beta = solve(cholesky: l, dimension: d, b)
        var intercept = my
        for j in 0..<d { intercept -= beta[j] * mx[j] }
        return (intercept, beta)
    }
}
