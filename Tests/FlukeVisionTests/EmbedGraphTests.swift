import CFlukeEmbed
import XCTest

/// The C runtime's graph building on small hand-made descriptions: which layers a requested
/// output keeps, what it computes, and the errors a broken description gets (each naming what is
/// wrong). The real model is covered by EmbedderTests.
final class EmbedGraphTests: XCTestCase {
    /// input [1,2,2,3] -> add(input, input) -> "doubled" [1,2,2,3] -> global average -> "mean" [1,1,1,3].
    var tensors: [fw_embed_tensor] = [
        fw_embed_tensor(name: nil, shape: (1, 2, 2, 3), scale: 1.0 / 128, zero_point: -1),
        fw_embed_tensor(name: nil, shape: (1, 2, 2, 3), scale: 2.0 / 128, zero_point: -1),
        fw_embed_tensor(name: nil, shape: (1, 1, 1, 3), scale: 2.0 / 128, zero_point: -1),
    ]

    func layer(_ op: fw_embed_op, _ inputs: (UInt32, UInt32), _ output: UInt32) -> fw_embed_layer {
        var l = fw_embed_layer()
        l.op = op
        l.inputs = inputs
        l.output = output
        l.output_min = -.infinity
        l.output_max = .infinity
        return l
    }

    var doubleThenMean: [fw_embed_layer] {
        [layer(FW_EMBED_OP_ADD, (0, 0), 1), layer(FW_EMBED_OP_GLOBAL_AVG_POOL, (1, 0), 2)]
    }

    /// Creates the model; returns it, or the status and message of the failure.
    func create(_ layers: [fw_embed_layer], outputs: [UInt32],
                precision: fw_embed_precision = FW_EMBED_FP32) -> Result<OpaquePointer, CreateFailure> {
        var error = fw_embed_error()
        var model: OpaquePointer?
        let status = tensors.withUnsafeBufferPointer { t in
            layers.withUnsafeBufferPointer { l in
                var desc = fw_embed_model_desc(tensors: t.baseAddress, tensor_count: UInt32(t.count),
                                               layers: l.baseAddress, layer_count: UInt32(l.count), input_tensor: 0)
                return fw_embed_create(&desc, outputs, outputs.count, precision, 1, &model, &error)
            }
        }
        if status == FW_EMBED_OK, let model { return .success(model) }
        let message = withUnsafeBytes(of: &error.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        return .failure(CreateFailure(status: status, message: message))
    }

    struct CreateFailure: Error { let status: fw_embed_status; let message: String }

    func run(_ model: OpaquePointer, _ input: [Float]) -> [[Float]] {
        let sizes = (0..<fw_embed_output_count(model)).map { fw_embed_output_size(model, $0) }
        let buffers = sizes.map { UnsafeMutablePointer<Float>.allocate(capacity: $0) }
        defer { buffers.forEach { $0.deallocate() } }
        let pointers: [UnsafeMutablePointer<Float>?] = buffers
        var error = fw_embed_error()
        XCTAssertEqual(fw_embed_run(model, input, pointers, &error), FW_EMBED_OK)
        return zip(buffers, sizes).map { Array(UnsafeBufferPointer(start: $0, count: $1)) }
    }

    let input: [Float] = [0.5, -0.25, 0.75, 0.25, 0.5, -0.5, -0.75, 0.25, 0.0, 1.0, -0.5, 0.25]
    var expectedMean: [Float] {  // 2 × the mean over the four positions of each channel
        (0..<3).map { c in 2 * (0..<4).map { input[$0 * 3 + c] }.reduce(0, +) / 4 }
    }

    func testFp32GraphComputesBothRequestedOutputs() throws {
        let model = try create(doubleThenMean, outputs: [2, 1]).get()
        defer { fw_embed_destroy(model) }
        var info = fw_embed_info()
        fw_embed_get_info(model, &info)
        XCTAssertEqual(info.layers_used, 2)
        XCTAssertEqual(info.xnn_nodes, 2)
        let out = run(model, input)
        XCTAssertEqual(out[0], expectedMean)
        XCTAssertEqual(out[1], input.map { 2 * $0 })
        XCTAssertEqual(fw_embed_output_tensor(model, 0), 2)
    }

    func testOnlyTheLayersAnOutputNeedsAreKept() throws {
        let model = try create(doubleThenMean, outputs: [1]).get()
        defer { fw_embed_destroy(model) }
        var info = fw_embed_info()
        fw_embed_get_info(model, &info)
        XCTAssertEqual(info.layers_used, 1)
        XCTAssertEqual(info.layers_total, 2)
        XCTAssertEqual(run(model, input)[0], input.map { 2 * $0 })
    }

    func testInt8GraphAgreesWithinOneQuantizationStep() throws {
        let model = try create(doubleThenMean, outputs: [2], precision: FW_EMBED_INT8).get()
        defer { fw_embed_destroy(model) }
        var info = fw_embed_info()
        fw_embed_get_info(model, &info)
        XCTAssertEqual(info.xnn_nodes, 4)  // input convert, add, average, output convert
        let out = run(model, input)[0]
        for (got, want) in zip(out, expectedMean) { XCTAssertEqual(got, want, accuracy: 2.0 / 128) }
    }

    func testBrokenDescriptionsAreRefusedWithWhatIsWrong() {
        func failure(_ layers: [fw_embed_layer], _ outputs: [UInt32]) -> CreateFailure? {
            if case .failure(let f) = create(layers, outputs: outputs) { return f }
            return nil
        }
        let backwards = failure(doubleThenMean.reversed(), [2])
        XCTAssertEqual(backwards?.status, FW_EMBED_INVALID_ARGUMENT)
        XCTAssertEqual(backwards?.message, "layer 0 ((unnamed)) reads tensor 1 before any layer writes it")

        let twice = failure(doubleThenMean, [2, 2])
        XCTAssertEqual(twice?.message, "tensor 2 requested twice")

        let input = failure(doubleThenMean, [0])
        XCTAssertEqual(input?.message, "requested output 0: tensor 0 is not written by any layer")

        let twoWriters = failure(doubleThenMean + [layer(FW_EMBED_OP_ADD, (1, 1), 1)], [2])
        XCTAssertEqual(twoWriters?.message, "tensor 1 is written by layers 0 and 2")

        var shapeless = doubleThenMean
        shapeless[1].output = 1  // an average pool whose output is [1,2,2,3]
        XCTAssertEqual(failure(Array(shapeless.prefix(2)), [1])?.status, FW_EMBED_INVALID_ARGUMENT)
    }
}
