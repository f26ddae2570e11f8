/// Predicts each value of a column of integers from the `order` before it, with integer
/// coefficients fitted to the block by least squares (the covariance method), as lossless
/// audio coders do. A sampled vibration is a sum of sines plus noise: a predictor of order 8
/// follows the sines and averages the noise, so what is left to store is close to the noise
/// itself (about 4.5 bits a value for σ 3 counts, where deltas of deltas need 6).
///
/// Prediction and reconstruction use the same wrapping integer arithmetic, so a column
/// comes back exactly whatever the coefficients (a poor fit only costs bits), and a hostile
/// blob can give wrong numbers but never a trap.
public struct LinearPredictor: Equatable, Sendable {
    /// Coefficients are fixed-point with this many fraction bits.
    public static let shift = 12
    /// The orders the encoder tries; the cheapest wins. Not 16: on the benchmark's data it
    /// saves 0.02 bytes a value and doubles what a query spends decoding.
    public static let orders = [2, 4, 8]
    public static let maxOrder = 32
    /// The largest coefficient magnitude kept (a fit beyond it is not used).
    static let maxCoefficient: Int64 = 1 << 24

    /// Subtracted from every value before prediction (keeps the products small).
    public var mean: Int64
    /// `coefficients[j]` weighs the value `j + 1` steps back.
    public var coefficients: [Int64]

    public var order: Int { coefficients.count }

    public init(mean: Int64, coefficients: [Int64]) {
        self.mean = mean
        self.coefficients = coefficients
    }

    /// A fitted predictor and about how many bits its residuals and coefficients will take
    /// (from the fit's residual energy, as for Gaussian noise): enough to choose an order
    /// without computing every order's residuals.
    public struct Fit: Sendable {
        public var predictor: LinearPredictor
        public var estimatedBits: Double
    }

    /// Fitted predictors for each of `orders` that the block is long enough for and whose
    /// fit is sound, lowest order first.
    public static func fit(_ values: UnsafeBufferPointer<Int64>, orders: [Int] = LinearPredictor.orders) -> [Fit] {
        let n = values.count
        let top = orders.filter { $0 * 4 <= n }.max() ?? 0
        guard top > 0 else { return [] }
        var total = 0.0
        for v in values { total += Double(v) }
        let meanValue = (total / Double(n)).rounded()
        guard meanValue.magnitude < 9.0e15 else { return [] }
        let mean = Int64(meanValue)
        let d = values.map { Double($0 &- mean) }
        // R[i][j] = Σ_{t=top}^{n-1} d[t-1-i] d[t-1-j]; r[i] = Σ d[t] d[t-1-i].
        var r = [Double](repeating: 0, count: top)
        var matrix = [Double](repeating: 0, count: top * top)
        var energy = 0.0  // Σ d[t]², t from top
        d.withUnsafeBufferPointer { d in
            for t in top..<n { energy += d[t] * d[t] }
            for i in 0..<top {
                var a = 0.0, b = 0.0
                for t in top..<n {
                    a += d[t] * d[t - 1 - i]
                    b += d[t - 1] * d[t - 1 - i]
                }
                r[i] = a
                matrix[i] = b
                matrix[i * top] = b
            }
            // Each further diagonal entry from the one up-left of it: the sums differ by one
            // term at each end.
            for i in 0..<(top - 1) {
                for j in i..<(top - 1) {
                    let value = matrix[i * top + j] + d[top - 2 - i] * d[top - 2 - j] - d[n - 2 - i] * d[n - 2 - j]
                    matrix[(i + 1) * top + j + 1] = value
                    matrix[(j + 1) * top + i + 1] = value
                }
            }
        }
        var fitted: [Fit] = []
        let m = Double(n - top)
        for order in orders where order <= top {
            guard let solution = solve(matrix: matrix, width: top, rhs: r, order: order) else { continue }
            var left = energy
            for i in 0..<order { left -= solution[i] * r[i] }
            // A residual of variance σ² takes about log2(σ) + 2 bits Rice-coded.
            let estimatedBits = m * (0.5 * log2Approximation(max(left / m, 0.25)) + 2) + Double(16 * order)
            let scale = Double(1 << shift)
            var coefficients: [Int64] = []
            for a in solution {
                let q = (a * scale).rounded()
                guard q.magnitude < Double(maxCoefficient) else { break }
                coefficients.append(Int64(q))
            }
            guard coefficients.count == order else { continue }
            fitted.append(Fit(predictor: LinearPredictor(mean: mean, coefficients: coefficients), estimatedBits: estimatedBits))
        }
        return fitted
    }

    /// log2 of a positive finite number, to about 0.1 (Core links no Foundation).
    static func log2Approximation(_ x: Double) -> Double {
        let exponent = Double(x.exponent)
        let fraction = x.significand  // in [1, 2)
        return exponent + (fraction - 1) * (1.3466 - 0.3466 * (fraction - 1))  // ≈ log2 on [1, 2)
    }

    /// The leading `order`×`order` system solved by Cholesky, with a little ridge so a flat
    /// or perfectly periodic block still solves; nil when it does not.
    static func solve(matrix: [Double], width: Int, rhs: [Double], order: Int) -> [Double]? {
        var trace = 0.0
        for i in 0..<order { trace += matrix[i * width + i] }
        let ridge = max(1e-9, trace / Double(order) * 1e-9)
        var l = [Double](repeating: 0, count: order * order)
        for i in 0..<order {
            for j in 0...i {
                var sum = matrix[i * width + j] + (i == j ? ridge : 0)
                for k in 0..<j { sum -= l[i * order + k] * l[j * order + k] }
                if i == j {
                    guard sum > 0, sum.isFinite else { return nil }
                    l[i * order + i] = sum.squareRoot()
                } else {
                    l[i * order + j] = sum / l[j * order + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: order)
        for i in 0..<order {
            var sum = rhs[i]
            for k in 0..<i { sum -= l[i * order + k] * y[k] }
            y[i] = sum / l[i * order + i]
        }
        var x = [Double](repeating: 0, count: order)
        for i in stride(from: order - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<order { sum -= l[k * order + i] * x[k] }
            x[i] = sum / l[i * order + i]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }

    /// The prediction of `d[t]` (values less the mean) from the `order` before it.
    @inline(__always) static func predict(_ d: UnsafePointer<Int64>, at t: Int, coefficients: UnsafeBufferPointer<Int64>) -> Int64 {
        var sum: Int64 = 1 << (shift - 1)
        for j in 0..<coefficients.count { sum = sum &+ coefficients[j] &* d[t - 1 - j] }
        return sum &>> Int64(shift)
    }

    /// The zigzagged residuals of every value after the first `order`.
    public func residuals(_ values: UnsafeBufferPointer<Int64>) -> [UInt64] {
        let n = values.count
        guard n > order else { return [] }
        let d = values.map { $0 &- mean }
        return coefficients.withUnsafeBufferPointer { c in
            d.withUnsafeBufferPointer { d in
                [UInt64](unsafeUninitializedCapacity: n - order) { out, initialized in
                    for t in order..<n { out[t - order] = zigzag(d[t] &- LinearPredictor.predict(d.baseAddress!, at: t, coefficients: c)) }
                    initialized = n - order
                }
            }
        }
    }

    /// Values back from the first `order` (less the mean) and the residuals, in place:
    /// `d[0..<order]` holds the first values less the mean and `d[order..<count]` the raw
    /// zigzagged residuals; afterwards `d` holds the values themselves.
    public func reconstruct(_ d: UnsafeMutablePointer<Int64>, count: Int) {
        let c = coefficients
        let half: Int64 = 1 << (LinearPredictor.shift - 1), s = Int64(LinearPredictor.shift)  // s < 64: &>> is exact
        // The orders the encoder writes, with the coefficients and the last value in
        // registers and the older values read back from `d` (a query decodes millions of
        // values: the general loop costs 3 times more, and rotating 8 values through
        // registers spills the coefficients). The sum of the older values' products is made
        // a step ahead, so the chain from one value to the next is one product, two adds and
        // a shift: the loop runs at that chain's speed, about 6 cycles a value.
        switch order {
        case 2 where count > 2:
            let (c0, c1) = (c[0], c[1])
            var w1 = d[1]
            var older = half &+ c1 &* d[0]
            for t in 2..<count {
                let v = unzigzag(UInt64(bitPattern: d[t])) &+ ((older &+ c0 &* w1) &>> s)
                d[t] = v
                older = half &+ c1 &* w1
                w1 = v
            }
        case 4 where count > 4:
            let (c0, c1, c2, c3) = (c[0], c[1], c[2], c[3])
            var w1 = d[3]
            var older = half &+ c1 &* d[2] &+ c2 &* d[1] &+ c3 &* d[0]
            for t in 4..<count {
                let v = unzigzag(UInt64(bitPattern: d[t])) &+ ((older &+ c0 &* w1) &>> s)
                d[t] = v
                older = half &+ c1 &* w1 &+ c2 &* d[t - 2] &+ c3 &* d[t - 3]
                w1 = v
            }
        case 8 where count > 8:
            let (c0, c1, c2, c3, c4, c5, c6, c7) = (c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
            var w1 = d[7]
            var older = half &+ c1 &* d[6] &+ c2 &* d[5] &+ c3 &* d[4] &+ c4 &* d[3] &+ c5 &* d[2] &+ c6 &* d[1] &+ c7 &* d[0]
            for t in 8..<count {
                let v = unzigzag(UInt64(bitPattern: d[t])) &+ ((older &+ c0 &* w1) &>> s)
                d[t] = v
                let near = c1 &* w1 &+ c2 &* d[t - 2] &+ c3 &* d[t - 3]
                let far = c4 &* d[t - 4] &+ c5 &* d[t - 5] &+ c6 &* d[t - 6] &+ c7 &* d[t - 7]
                older = half &+ near &+ far
                w1 = v
            }
        default:
            c.withUnsafeBufferPointer { c in
                for t in order..<max(order, count) {
                    d[t] = unzigzag(UInt64(bitPattern: d[t])) &+ LinearPredictor.predict(d, at: t, coefficients: c)
                }
            }
        }
        for t in 0..<count { d[t] = d[t] &+ mean }
    }
}
