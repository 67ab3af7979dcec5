import CFlukeReference
import FlukeFixtures
import FlukeVision
import Foundation
import XCTest

/// The int8 XNNPACK runtime against OpenCV DNN running the standard fp32 ONNX file: an
/// independent implementation of the same network. Issue floor: cosine ≥ 0.98 on every test
/// image and ≥ 0.99 on average.
final class EmbedderTests: XCTestCase {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../models").standardizedFileURL.path

    func testImages() throws -> [[UInt8]] {
        var images: [[UInt8]] = []
        for seed in 1...12 {
            let scene = try SyntheticScene.render(width: 448, height: 336, individualSeed: UInt64(seed), sceneSeed: UInt64(100 + seed),
                                                  noise: seed % 3 == 0 ? 6 : 0)
            images.append(try scene.image.resizedRGB(width: 224, height: 224))
        }
        return images
    }

    func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            na += Double(a[i]) * Double(a[i])
            nb += Double(b[i]) * Double(b[i])
        }
        return dot / max((na * nb).squareRoot(), 1e-12)
    }

    func reference(_ name: String, _ images: [[UInt8]], size: Int) throws -> [[Float]] {
        var net: OpaquePointer?
        var error = fw_ref_error()
        guard fw_ref_load("\(Self.models)/efficientnet-lite0-fp32.onnx", &net, &error) == 0, let net else {
            throw NSError(domain: "ref", code: 1, userInfo: [NSLocalizedDescriptionKey: "OpenCV DNN could not load the ONNX"])
        }
        defer { fw_ref_free(net) }
        return try images.map { rgb in
            var out = [Float](repeating: 0, count: size)
            var written = 0
            let capacity = out.count
            let rc = rgb.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in fw_ref_run(net, p.baseAddress, 224, 224, name, o.baseAddress, capacity, &written, &error) }
            }
            guard rc == 0, written == size else { throw NSError(domain: "ref", code: 2) }
            return out
        }
    }

    func testInt8AgreesWithOpenCVDNNOnEveryImage() throws {
        let package = try ModelPackage(directory: Self.models)
        XCTAssertTrue(package.version.hasPrefix("efficientnet-lite0-int8-"))
        let embedder = try Embedder(package: package, outputs: ["pooled", "s16_c80"])
        let images = try testImages()
        let mine = try images.map { try embedder.run(rgb: $0) }
        for (index, name) in ["pooled", "s16_c80"].enumerated() {
            let size = mine[0][index].count
            let ref = try reference(name, images, size: size)
            let cosines = zip(mine, ref).map { cosine($0.0[index], $0.1) }
            let mean = cosines.reduce(0, +) / Double(cosines.count)
            print("\(name): int8 XNNPACK vs OpenCV DNN fp32 cosine min \(cosines.min()!) mean \(mean)")
            XCTAssertGreaterThanOrEqual(cosines.min()!, 0.98, name)
            XCTAssertGreaterThanOrEqual(mean, 0.99, name)
        }
    }

    func testStoppingEarlyGivesTheSameMapAndFp32MatchesInt8() throws {
        let package = try ModelPackage(directory: Self.models)
        let early = try Embedder(package: package, outputs: ["s16_c80"])
        let full = try Embedder(package: package, outputs: ["pooled", "s16_c80"])
        let fp32 = try Embedder(package: package, outputs: ["s16_c80"], precision: .fp32)
        let image = try testImages()[0]
        let a = try early.run(rgb: image)[0]
        XCTAssertEqual(a.count, 14 * 14 * 80)
        XCTAssertEqual(a, try full.run(rgb: image)[1])
        XCTAssertGreaterThan(cosine(a, try fp32.run(rgb: image)[0]), 0.98)
    }

    func testDamagedWeightsAreRefusedWithAClearError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fw-model-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["efficientnet-lite0-int8.json", "efficientnet-lite0-int8.bin"] {
            try FileManager.default.copyItem(atPath: "\(Self.models)/\(f)", toPath: dir.appendingPathComponent(f).path)
        }
        let bin = dir.appendingPathComponent("efficientnet-lite0-int8.bin")
        var bytes = try Data(contentsOf: bin)
        bytes[1000] ^= 0xFF
        try bytes.write(to: bin)
        XCTAssertThrowsError(try ModelPackage(directory: dir.path)) { e in
            XCTAssertTrue("\(e)".contains("damaged"), "\(e)")
        }
        XCTAssertThrowsError(try ModelPackage(directory: "/nonexistent")) { e in
            XCTAssertTrue("\(e)".contains("no embedding model"), "\(e)")
        }
    }
}

/// A runtime made from an inner tensor runs only the blocks after it: fed the image run's own
/// map of that tensor, it gives back exactly the whole run's output (the map is quantized again
/// with the tensor's own parameters, so every int8 value is the same).
final class InnerEmbedderTests: XCTestCase {
    func testTheBlocksAfterAnInnerMapFinishTheWholeRunExactly() throws {
        let package = try ModelPackage(directory: EmbedderTests.models)
        let images = try (1...3).map { seed in
            try SyntheticScene.render(width: 448, height: 336, individualSeed: UInt64(seed), sceneSeed: UInt64(200 + seed))
                .image.resizedRGB(width: 224, height: 224)
        }
        for at in ["b2_out", "s8_c40"] {
            let head = try Embedder(package: package, outputs: ["s16_c80", at])
            let tail = try Embedder(package: package, outputs: ["s16_c80"], from: at)
            XCTAssertEqual(tail.input, at)
            let shape = try XCTUnwrap(package.outputShape(at))
            for rgb in images {
                let whole = try head.run(rgb: rgb)
                XCTAssertEqual(whole[1].count, shape.height * shape.width * shape.channels)
                XCTAssertEqual(try tail.run(map: whole[1])[0], whole[0], "blocks after \(at)")
            }
            let fp32Head = try Embedder(package: package, outputs: ["s16_c80", at], precision: .fp32)
            let fp32Tail = try Embedder(package: package, outputs: ["s16_c80"], from: at, precision: .fp32)
            let whole = try fp32Head.run(rgb: images[0])
            let finished = try fp32Tail.run(map: whole[1])[0]
            for i in stride(from: 0, to: finished.count, by: 37) { XCTAssertEqual(finished[i], whole[0][i], accuracy: 1e-4) }
        }
        XCTAssertThrowsError(try Embedder(package: package, outputs: ["s16_c80"], from: "b99_out")) { error in
            XCTAssertTrue("\(error)".contains("no inner tensor b99_out"), "\(error)")
        }
        XCTAssertThrowsError(try Embedder(package: package, outputs: ["s8_c40"], from: "s16_c80"), "an output before the start")
    }
}
