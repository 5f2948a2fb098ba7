/// Accumulates the lower triangle of a weighted Gram matrix A += Σ wᵢ rᵢ rᵢᵀ and the moment
/// b += Σ wᵢ yᵢ rᵢ, four rows at a time (pure, no I/O).
///
/// Each element is updated by the same floating-point operations, in the same row order, as the
/// one-row-at-a-time loop `a[j][k] += (wᵢ·rᵢⱼ)·rᵢₖ` (starting from the element's current value),
/// so the result is bit-identical to it; the gain is that each element of A is loaded and stored
/// once per four rows instead of once per row (A is d×d ≈ 23² for the forecaster, the loop's
/// memory traffic dominates the ridge training, docs/models.md "Cost").
/// Rows are copied into an owned buffer; call `flush` after the last row and `deallocate` at the end.
struct GramAccumulation {
    let d: Int
    private let rows: UnsafeMutablePointer<Double>
    private var w: (Double, Double, Double, Double) = (0, 0, 0, 0)
    private var y: (Double, Double, Double, Double) = (0, 0, 0, 0)
    private var count = 0

    init(dimension: Int) {
        d = dimension
        rows = .allocate(capacity: 4 * max(1, dimension))
        rows.initialize(repeating: 0, count: 4 * max(1, dimension))
    }

    func deallocate() { rows.deallocate() }

    /// Queues row `r` (d values) with weight `weight` and target `target`; applies every fourth row.
    /// - Parameters: gram: row-major d×d (lower triangle updated); moment: d values.
    mutating func add(row r: UnsafePointer<Double>, weight: Double, target: Double,
                      gram a: UnsafeMutablePointer<Double>, moment b: UnsafeMutablePointer<Double>) {
        (rows + count * d).update(from: r, count: d)
        switch count {
        case 0: w.0 = weight; y.0 = target
        case 1: w.1 = weight; y.1 = target
        case 2: w.2 = weight; y.2 = target
        default: w.3 = weight; y.3 = target
        }
        count += 1
        if count == 4 { applyFour(a, b); count = 0 }
    }

    /// Applies the queued rows (fewer than four), one at a time.
    mutating func flush(gram a: UnsafeMutablePointer<Double>, moment b: UnsafeMutablePointer<Double>) {
        let ws = [w.0, w.1, w.2, w.3], ys = [y.0, y.1, y.2, y.3]
        for i in 0..<count {
            let rp = rows + i * d
            for j in 0..<d {
                let wr = ws[i] * rp[j]
                b[j] += wr * ys[i]
                let row = j * d
                for k in 0...j { a[row + k] += wr * rp[k] }
            }
        }
        count = 0
    }

    private func applyFour(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>) {
        let r0 = rows, r1 = rows + d, r2 = rows + 2 * d, r3 = rows + 3 * d
        for j in 0..<d {
            let w0 = w.0 * r0[j], w1 = w.1 * r1[j], w2 = w.2 * r2[j], w3 = w.3 * r3[j]
            var bj = b[j]
            bj += w0 * y.0; bj += w1 * y.1; bj += w2 * y.2; bj += w3 * y.3
            b[j] = bj
            let row = a + j * d
            for k in 0...j {
                var s = row[k]
                s += w0 * r0[k]; s += w1 * r1[k]; s += w2 * r2[k]; s += w3 * r3[k]
                row[k] = s
            }
        }
    }
}
