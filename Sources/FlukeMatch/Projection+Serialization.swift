extension Projection {
    /// Version of the byte format written by `serialized()`. Readers accept this version and older.
    public static let formatVersion: UInt16 = 1
    static let magic: [UInt8] = Array("FWPJ".utf8)
    /// Bytes before the matrices: magic 4, version 2, reserved 2, five UInt32, two Double, two UInt32.
    static let headerSize = 4 + 2 + 2 + 5 * 4 + 2 * 8 + 2 * 4

    /// The projection as bytes, so a station stores it beside its catalog (and the hub can ship one).
    ///
    /// Layout, all little-endian: "FWPJ", UInt16 version, UInt16 reserved (0), UInt32 input
    /// dimension D, UInt32 output dimension k, UInt32 PCA components kept, UInt32 training rows,
    /// UInt32 training individuals, Double alpha, Double eigenvalue power, UInt32 requested PCA
    /// dimension, UInt32 requested output dimension (0: all), then k Float32 bias values, k×D Float32
    /// weights (row-major), and a UInt32 CRC-32 of every byte before it.
    public func serialized() -> [UInt8] {
        var w = ByteWriter()
        w.write(raw: Self.magic)
        w.write(Self.formatVersion)
        w.write(UInt16(0))
        w.write(UInt32(inputDimension))
        w.write(UInt32(outputDimension))
        w.write(UInt32(pcaComponents))
        w.write(UInt32(trainingRows))
        w.write(UInt32(trainingIndividuals))
        w.write(parameters.alpha)
        w.write(parameters.eigenvaluePower)
        w.write(UInt32(parameters.pcaDimension))
        w.write(UInt32(parameters.outputDimension ?? 0))
        w.write(bias)
        w.write(weights)
        w.write(CRC32.checksum(w.bytes))
        return w.bytes
    }

    /// Reads bytes written by `serialized()`, checking magic, version, sizes and checksum.
    public init(serialized bytes: [UInt8]) throws(ProjectionError) {
        var r = ByteReader(bytes)
        guard try r.readBytes(4) == Self.magic else { throw .notAProjection }
        let version = try r.readUInt16()
        guard version >= 1, version <= Self.formatVersion else { throw .unsupportedVersion(version) }
        _ = try r.readUInt16()
        let d = Int(try r.readUInt32()), k = Int(try r.readUInt32())
        let kept = Int(try r.readUInt32()), rows = Int(try r.readUInt32()), individuals = Int(try r.readUInt32())
        let alpha = try r.readDouble(), power = try r.readDouble()
        let pcaRequested = Int(try r.readUInt32()), outRequested = Int(try r.readUInt32())
        guard d > 0, k > 0 else { throw .corruptHeader("dimensions \(d) → \(k)") }
        let (cells, overflow) = d.multipliedReportingOverflow(by: k)
        guard !overflow, cells <= (bytes.count - Self.headerSize) / 4 else {
            throw .truncated(needed: Self.headerSize + 4 * (k + d * k) + 4, available: bytes.count)
        }
        let bias = try r.readFloats(k)
        let weights = try r.readFloats(cells)
        let payloadEnd = r.offset
        let stored = try r.readUInt32()
        guard r.remaining == 0 else { throw .corruptHeader("\(r.remaining) unexpected bytes after the checksum") }
        guard CRC32.checksum(bytes[0..<payloadEnd]) == stored else { throw .checksumMismatch }
        let parameters = Parameters(pcaDimension: pcaRequested, alpha: alpha,
                                    outputDimension: outRequested == 0 ? nil : outRequested, eigenvaluePower: power)
        try self.init(inputDimension: d, outputDimension: k, weights: weights, bias: bias, parameters: parameters,
                      pcaComponents: kept, trainingRows: rows, trainingIndividuals: individuals)
    }
}
