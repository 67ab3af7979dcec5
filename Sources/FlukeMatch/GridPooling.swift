/// Why a feature map could not be pooled.
public enum GridPoolingError: Error, Equatable, CustomStringConvertible {
    case sizeMismatch(expected: Int, got: Int)
    case gridLargerThanMap(grid: Int, height: Int, width: Int)
    case invalidShape(channels: Int, height: Int, width: Int)

    public var description: String {
        switch self {
        case .sizeMismatch(let expected, let got):
            return "feature map has \(got) values, its shape says \(expected)"
        case .gridLargerThanMap(let g, let h, let w):
            return "a \(g)×\(g) grid does not fit a \(h)×\(w) feature map"
        case .invalidShape(let c, let h, let w):
            return "feature map shape \(c)×\(h)×\(w) is not positive"
        }
    }
}

/// The first stage of the embedding recipe: average-pool a convnet feature map on a coarse
/// spatial grid and L2-normalise the result.
///
/// Why a grid and not one global average: identity lives in *where* the marks are (callosities,
/// fluke trailing edge), and global pooling throws the layout away. On real right-whale photos the
/// stride-16 80-channel map pooled 7×7 ranks the right individual first about twice as often as
/// the network's own global-pooled vector (tools/research/README.md).
///
/// Output order is channel-major, (channel, row, column), whatever the input layout, so features
/// from an NCHW reference (ONNX) and an NHWC runtime (XNNPACK) are interchangeable. Cells are the
/// adaptive-pooling ones, rows ⌊i·H/g⌋ ..< ⌈(i+1)·H/g⌉: equal blocks when g divides H.
public struct GridPooling: Sendable, Equatable, Hashable, Codable {
    public enum Layout: String, Sendable, Hashable, Codable {
        /// channels × height × width (ONNX, OpenCV DNN).
        case channelsFirst
        /// height × width × channels (XNNPACK, TFLite).
        case channelsLast
    }

    public var grid: Int

    public init(grid: Int = 7) {
        self.grid = grid
    }

    /// Length of the pooled vector for a map with `channels` channels.
    public func outputDimension(channels: Int) -> Int { channels * grid * grid }

    public func pool(_ map: [Float], channels: Int, height: Int, width: Int, layout: Layout)
        throws(GridPoolingError) -> [Float]
    {
        guard channels > 0, height > 0, width > 0 else {
            throw .invalidShape(channels: channels, height: height, width: width)
        }
        guard map.count == channels * height * width else {
            throw .sizeMismatch(expected: channels * height * width, got: map.count)
        }
        guard grid >= 1, grid <= height, grid <= width else {
            throw .gridLargerThanMap(grid: grid, height: height, width: width)
        }
        var out = [Float](repeating: 0, count: channels * grid * grid)
        for gy in 0..<grid {
            let y0 = gy * height / grid, y1 = ((gy + 1) * height + grid - 1) / grid
            for gx in 0..<grid {
                let x0 = gx * width / grid, x1 = ((gx + 1) * width + grid - 1) / grid
                let inv = 1 / Float((y1 - y0) * (x1 - x0))
                for c in 0..<channels {
                    var sum: Float = 0
                    for y in y0..<y1 {
                        for x in x0..<x1 {
                            switch layout {
                            case .channelsFirst: sum += map[(c * height + y) * width + x]
                            case .channelsLast: sum += map[(y * width + x) * channels + c]
                            }
                        }
                    }
                    out[(c * grid + gy) * grid + gx] = sum * inv
                }
            }
        }
        return VectorMath.normalized(out)
    }
}
