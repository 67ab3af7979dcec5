import CFlukeEmbed
import Foundation

/// Runs the embedding network on one 224×224 image at a time, on the calling thread, with
/// XNNPACK (int8 by default); or, made `from` an inner tensor, only the blocks after it, on a map
/// the caller gives (views made at a middle map: `FeatureExtractor`). Not thread-safe: each
/// worker owns one Embedder.
public final class Embedder {
    public enum Precision: Sendable {
        /// qs8 activations, per-channel int8 weights: what a board runs.
        case int8
        /// The same graph in fp32 (benchmarks, and checking int8 against it).
        case fp32
    }

    public struct EmbedError: Error, CustomStringConvertible {
        public let description: String
    }

    public let package: ModelPackage
    public let outputs: [String]
    /// The tensor the runtime starts from: nil for the image, else a named inner tensor.
    public let input: String?
    private let model: OpaquePointer
    /// Output buffers owned by this embedder (the C runtime writes into them on each run).
    private let buffers: [UnsafeMutableBufferPointer<Float>]

    /// `outputs`: the feature maps wanted, e.g. ["s16_c80"], by output or tensor name; the network
    /// stops as early as they allow. `input`: a tensor name to start from instead of the image
    /// (only the layers after the one that writes it are built; `run(map:)` feeds it).
    public init(package: ModelPackage, outputs: [String], from input: String? = nil, precision: Precision = .int8) throws {
        self.package = package
        self.outputs = outputs
        self.input = input
        let manifest = package.manifest
        var ids: [UInt32] = []
        for name in outputs {
            guard let id = package.tensorID(name) else {
                throw EmbedError(description: "the model has no output \(name) (it has \(package.outputNames.joined(separator: ", ")))")
            }
            ids.append(UInt32(id))
        }
        var start: Int?
        if let input {
            guard let id = package.tensorID(input), id != manifest.input.tensor else {
                throw EmbedError(description: "the model has no inner tensor \(input) to start from")
            }
            start = id
        }
        var created: OpaquePointer?
        var error = fw_embed_error()
        let status = try package.weights.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> fw_embed_status in
            try Self.withDescription(manifest, raw, startingAt: start) { desc in
                withUnsafePointer(to: desc) { d in
                    fw_embed_create(d, ids, ids.count, precision == .int8 ? FW_EMBED_INT8 : FW_EMBED_FP32, 1, &created, &error)
                }
            }
        }
        guard status == FW_EMBED_OK, let created else { throw EmbedError(description: Self.message(error)) }
        model = created
        buffers = (0..<ids.count).map { i in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: fw_embed_output_size(created, i))
            b.initialize(repeating: 0)
            return b
        }
    }

    deinit {
        fw_embed_destroy(model)
        buffers.forEach { $0.deallocate() }
    }

    /// Runs the network on packed 8-bit RGB pixels (224×224×3); returns each requested output,
    /// NHWC floats, in the order asked for.
    public func run(rgb: [UInt8]) throws -> [[Float]] {
        precondition(input == nil, "run(rgb:) needs an embedder that starts from the image")
        precondition(rgb.count == fw_embed_input_size(model), "expected \(fw_embed_input_size(model)) RGB bytes")
        return try invoke { model, outputs, error in
            rgb.withUnsafeBufferPointer { fw_embed_run_rgb8(model, $0.baseAddress, outputs, error) }
        }
    }

    /// Runs the blocks after `input` on its map (NHWC floats of that tensor's shape, in real
    /// units: quantized on the way in as the network's own tensor is); returns each output.
    public func run(map: [Float]) throws -> [[Float]] {
        precondition(input != nil, "run(map:) needs an embedder made from an inner tensor")
        precondition(map.count == fw_embed_input_size(model), "expected \(fw_embed_input_size(model)) values")
        return try invoke { model, outputs, error in
            map.withUnsafeBufferPointer { fw_embed_run(model, $0.baseAddress, outputs, error) }
        }
    }

    /// One run of the runtime by `call` (given the model, the output pointers and the error to
    /// fill), then a copy of every output buffer.
    private func invoke(_ call: (OpaquePointer, UnsafePointer<UnsafeMutablePointer<Float>?>?, UnsafeMutablePointer<fw_embed_error>) -> fw_embed_status) throws -> [[Float]] {
        var error = fw_embed_error()
        let pointers: [UnsafeMutablePointer<Float>?] = buffers.map(\.baseAddress)
        let status = pointers.withUnsafeBufferPointer { p in call(model, p.baseAddress, &error) }
        guard status == FW_EMBED_OK else { throw EmbedError(description: Self.message(error)) }
        return buffers.map { Array($0) }
    }

    static func message(_ error: fw_embed_error) -> String {
        var copy = error
        let text = withUnsafeBytes(of: &copy.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return text.isEmpty ? "the embedding runtime failed" : text
    }

    /// Builds the C description of the network with pointers into the weights file; valid only
    /// inside `body` (the runtime copies what it keeps). `startingAt`: an inner tensor that
    /// becomes the input; only the layers after its writer are described (EfficientNet's skips
    /// stay inside a block, so none of those reads anything earlier).
    static func withDescription<R>(_ m: ModelManifest, _ weights: UnsafeRawBufferPointer, startingAt start: Int? = nil,
                                   _ body: (fw_embed_model_desc) throws -> R) throws -> R {
        var names: [UnsafeMutablePointer<CChar>] = []
        defer { names.forEach { free($0) } }
        func cName(_ s: String) -> UnsafePointer<CChar> {
            let p = strdup(s)!
            names.append(p)
            return UnsafePointer(p)
        }
        func at<T>(_ blob: ModelManifest.Blob?, _: T.Type) throws -> UnsafePointer<T>? {
            guard let blob else { return nil }
            guard blob.offset >= 0, blob.offset + blob.nbytes <= weights.count, blob.offset % MemoryLayout<T>.alignment == 0 else {
                throw EmbedError(description: "a layer's data lies outside the weights file (offset \(blob.offset))")
            }
            return (weights.baseAddress! + blob.offset).assumingMemoryBound(to: T.self)
        }
        let tensors = m.tensors.map { t in
            fw_embed_tensor(name: cName(t.name),
                            shape: (UInt32(t.shapeNHWC[0]), UInt32(t.shapeNHWC[1]), UInt32(t.shapeNHWC[2]), UInt32(t.shapeNHWC[3])),
                            scale: t.scale, zero_point: t.zeroPoint)
        }
        var layers: [fw_embed_layer] = []
        let first = start.map { id in (m.layers.firstIndex { $0.output == id } ?? -1) + 1 } ?? 0
        for l in m.layers[first...] {
            var c = fw_embed_layer()
            switch l.type {
            case "conv": c.op = FW_EMBED_OP_CONV
            case "depthwise_conv": c.op = FW_EMBED_OP_DEPTHWISE_CONV
            case "add": c.op = FW_EMBED_OP_ADD
            case "global_avg_pool": c.op = FW_EMBED_OP_GLOBAL_AVG_POOL
            default: throw EmbedError(description: "layer \(l.name) has an unknown type \(l.type)")
            }
            c.name = cName(l.name)
            c.inputs = (UInt32(l.inputs[0]), UInt32(l.inputs.count > 1 ? l.inputs[1] : 0))
            c.output = UInt32(l.output)
            if let k = l.kernel { c.kernel_h = UInt32(k[0]); c.kernel_w = UInt32(k[1]) }
            if let s = l.stride { c.stride_h = UInt32(s[0]); c.stride_w = UInt32(s[1]) }
            if let d = l.dilation { c.dilation_h = UInt32(d[0]); c.dilation_w = UInt32(d[1]) }
            if let p = l.padding { c.pad_top = UInt32(p[0]); c.pad_right = UInt32(p[1]); c.pad_bottom = UInt32(p[2]); c.pad_left = UInt32(p[3]) }
            c.groups = UInt32(l.groups ?? 0)
            c.input_channels = UInt32(l.inputChannels ?? 0)
            c.output_channels = UInt32(l.outputChannels ?? 0)
            c.output_min = l.outputMin ?? -.infinity
            c.output_max = l.outputMax ?? .infinity
            c.weights = try at(l.weights, Int8.self)
            c.bias = try at(l.bias, Int32.self)
            c.weight_scales = try at(l.weightScalesF32, Float.self)
            layers.append(c)
        }
        return try tensors.withUnsafeBufferPointer { t in
            try layers.withUnsafeBufferPointer { l in
                try body(fw_embed_model_desc(tensors: t.baseAddress, tensor_count: UInt32(t.count),
                                             layers: l.baseAddress, layer_count: UInt32(l.count),
                                             input_tensor: UInt32(start ?? m.input.tensor)))
            }
        }
    }
}
