import CFlukeReference
import Crypto
import FlukeCore
import FlukeFixtures
import FlukeMatch
import FlukeStation
import FlukeStore
import FlukeVision
import Foundation
import Logging

/// Identification figures, one run: JPEG decode full vs reduced, fluke crop, the embedding in
/// int8 XNNPACK vs fp32 XNNPACK vs OpenCV DNN (ratios), gallery search at 1k–1M embeddings,
/// photo → sighting median for 12 MP JPEGs on one core, and the daemon's RSS with a
/// 10 000-photo catalog.
///
/// `photoPathOnly` keeps the photo → sighting figures and their stage breakdown: the part a
/// change to the photo path moves, in about a minute instead of several.
func identificationBenchmark(keep: Bool, photoPathOnly: Bool = false) throws {
    let package = try ModelLocator.load(configured: nil)
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("flukewatch-bench-id-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { if !keep { try? FileManager.default.removeItem(at: work) } }
    PhotoDecoder.configureForWorkers()
    BLASThreads.useOne()

    // Sensor noise σ = 4 at quality 92: a 12 MP file of a few MB, as survey cameras write them.
    // (The intake benchmark's σ = 10–24 files stress hashing; Huffman decoding of such pure
    // noise costs the same at every scale, so they would hide what reduced decoding saves.)
    let photo12 = try FixturePhoto(width: 4000, height: 3000, individualSeed: 3, sceneSeed: 3, noise: 4, jpegQuality: 92,
                                   exif: FixturePhoto.cameraEXIF(index: 1)).jpegBytes()
    if !photoPathOnly {
        try benchmarkDecode(photo12)
        let (quarter, box) = try benchmarkFlukeCrop(photo12)
        let rgb = try FlukeFinder.crop(quarter, to: box, margin: FlukeFinder.defaultMargin, size: 224).resizedRGB(width: 224, height: 224)
        try benchmarkEmbedding(package: package, rgb: rgb)
        try benchmarkInnerMaps(package: package, rgb: rgb)
        try benchmarkGallerySearch()
    }
    try benchmarkEmbeddingAlone(package: package, photo12: photo12)
    let (service, identifying, config, verifiedMs) = try benchmarkPhotoToSighting(package: package, work: work, photo12: photo12)
    let synthetic = try stageBreakdown(photo12: photo12, service: service, extractor: identifying.extractor, analysisSize: config.analysisSize)
    if let real = try realCropVerificationBenchmark(), let synthetic {
        // The synthetic crop carries fewer keypoints than a real one: swap its SIFT and
        // verification for the real crops' to say what a real photo in doubt costs.
        let estimate = verifiedMs - synthetic.sift - synthetic.verify + real.sift + real.verify
        print("  a 12 MP photo in doubt with a real crop's keypoints (estimate): \(fmt(estimate)) ms end to end = the verified median above \(fmt(verifiedMs)) ms − this photo's SIFT and checks \(fmt(synthetic.sift + synthetic.verify)) ms + the real crops' \(fmt(real.sift + real.verify)) ms")
    }
    if !photoPathOnly { try rssWithLargeCatalog(package: package, work: work, photo12: photo12) }
}

/// A 12 MP JPEG decoded at each reduction, against the full decode.
func benchmarkDecode(_ photo12: [UInt8]) throws {
    print("decode a 12 MP JPEG (\(fmt(Double(photo12.count) / 1e6)) MB), median of 7:")
    var full = 0.0
    for r in [1, 2, 4, 8] {
        let ms = try medianMilliseconds(runs: 7) { _ = try PhotoDecoder.decode(photo12, reduction: r) }
        if r == 1 { full = ms }
        print("  1/\(r)   \(fmt(ms)) ms   (\(fmt(full / ms, 2))× faster than full)")
    }
}

/// The fluke found and cropped on the 1/4 decode; returns that decode and the box.
func benchmarkFlukeCrop(_ photo12: [UInt8]) throws -> (DecodedImage, FlukeBox?) {
    let quarter = try PhotoDecoder.decode(photo12, reduction: 4)
    let findMs = try medianMilliseconds(runs: 21) { _ = try FlukeFinder.find(in: quarter) }
    let box = try FlukeFinder.find(in: quarter)
    let cropMs = try medianMilliseconds(runs: 21) { _ = try FlukeFinder.crop(quarter, to: box, margin: FlukeFinder.defaultMargin, size: 224) }
    print("fluke crop on the 1/4 decode (1000×750): find \(fmt(findMs)) ms, crop to 224×224 \(fmt(cropMs, 2)) ms")
    return (quarter, box)
}

/// The embedding on one core at 224×224: int8 and fp32 XNNPACK to the station's map and the full
/// net, OpenCV DNN's fp32 full net, and the station's five-view vector.
func benchmarkEmbedding(package: ModelPackage, rgb: [UInt8]) throws {
    func embedMs(_ outputs: [String], _ precision: Embedder.Precision) throws -> Double {
        let e = try Embedder(package: package, outputs: outputs, precision: precision)
        _ = try e.run(rgb: rgb)
        return try medianMilliseconds(runs: 41) { _ = try e.run(rgb: rgb) }
    }
    let int8Stop = try embedMs(["s16_c80"], .int8), int8Full = try embedMs(["pooled"], .int8)
    let fp32Stop = try embedMs(["s16_c80"], .fp32), fp32Full = try embedMs(["pooled"], .fp32)
    var net: OpaquePointer?
    var refError = fw_ref_error()
    guard fw_ref_load("\(package.directory)/efficientnet-lite0-fp32.onnx", &net, &refError) == 0, let net else {
        throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "OpenCV DNN could not load the ONNX"])
    }
    defer { fw_ref_free(net) }
    var out = [Float](repeating: 0, count: 1280)
    let capacity = out.count
    var written = 0
    let dnn = medianMilliseconds(runs: 21) {
        _ = rgb.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in fw_ref_run(net, p.baseAddress, 224, 224, "pooled", o.baseAddress, capacity, &written, &refError) }
        }
    }
    print("embedding, 224×224, one core, median of 41:")
    print("  int8 XNNPACK   to s16_c80 (what the station uses) \(fmt(int8Stop, 2)) ms   full net \(fmt(int8Full, 2)) ms")
    print("  fp32 XNNPACK   to s16_c80 \(fmt(fp32Stop, 2)) ms   full net \(fmt(fp32Full, 2)) ms   (int8/fp32: \(fmt(int8Stop / fp32Stop, 2))×, \(fmt(int8Full / fp32Full, 2))×)")
    print("  OpenCV DNN fp32 full net \(fmt(dnn, 2)) ms   (OpenCV/int8-station: \(fmt(dnn / int8Stop, 1))×)")
    // The vector with views_at = "image": the crop and its extra views, each warped and run to s16_c80.
    let views = MatchingRecipe.station.extraViews
    let viewNet = try Embedder(package: package, outputs: ["s16_c80"], precision: .int8)
    let stationMs = try medianMilliseconds(runs: 21) {
        _ = try viewNet.run(rgb: rgb)
        for v in views { _ = try viewNet.run(rgb: try RGBView.warped(rgb, size: 224, degrees: v.degrees, zoom: v.zoom)) }
    }
    print("  views on the image: the crop + \(views.count) rotated, closer views, int8 to s16_c80 \(fmt(stationMs, 2)) ms (\(fmt(stationMs / int8Stop, 2))× one run)")
}

/// Gallery search: 256-d unit vectors, 10 photos per individual, top 5 individuals, one float32
/// sgemv against the two-pass search (which must rank the same).
func benchmarkGallerySearch() throws {
    print("gallery search (256-d, 10 photos per individual, top 5 individuals), median:")
    print("  rows       data      float32 sgemv   two-pass (int8 bounds + exact rescoring)   ratio")
    // Seeded: the system generator is a getrandom(2) call per number, which took most of this
    // benchmark's minutes on a VM without measuring anything.
    var rng = SplitMix64(seed: 1)
    for n in [1_000, 10_000, 100_000, 1_000_000] {
        var values = [Float](repeating: 0, count: n * 256)
        for i in 0..<values.count { values[i] = Float.random(in: -1...1, using: &rng) }
        var matrix = EmbeddingMatrix(dimension: 256, values: values)
        values = []
        matrix.normalizeRows()
        let gallery = try Gallery(embeddings: matrix, individuals: (0..<n).map { "I\($0 / 10)" }, photoKeys: (0..<n).map(String.init))
        // A query near one individual (a catalog photo plus noise), as a real sighting is.
        let query = unit(matrix.row(n / 2).map { $0 + Float.random(in: -0.03...0.03, using: &rng) })
        let runs = n >= 1_000_000 ? 5 : 21
        let blas = medianMilliseconds(runs: runs) { _ = gallery.rankWithBLAS(query: query, topK: 5, excluding: .nothing) }
        let twoPass = medianMilliseconds(runs: runs) { _ = gallery.rankInTwoPasses(query: query, topK: 5, excluding: .nothing) }
        guard gallery.rankWithBLAS(query: query, topK: 5, excluding: .nothing).map(\.individual)
            == gallery.rankInTwoPasses(query: query, topK: 5, excluding: .nothing).map(\.individual) else {
            throw NSError(domain: "bench", code: 2, userInfo: [NSLocalizedDescriptionKey: "the two search paths disagree at \(n) rows"])
        }
        print("  \(String(n).padding(toLength: 9, withPad: " ", startingAt: 0)) \(fmt(Double(n) * 256 * 4 / 1e6).padding(toLength: 7, withPad: " ", startingAt: 0)) MB  \(fmt(blas, 2)) ms        \(fmt(twoPass, 2)) ms                                   \(fmt(blas / twoPass, 2))×")
    }
}

/// Photo → sighting for 12 MP JPEGs, one worker, against a 40-photo fitted catalog; returns what
/// the stage breakdown reuses, and the median photo → sighting with every photo verified.
func benchmarkPhotoToSighting(package: ModelPackage, work: URL, photo12: [UInt8]) throws
    -> (IdentificationService, PhotoProcessor.Identifying, StationConfig, verifiedMilliseconds: Double) {
    var config = StationConfig()
    config.stateDirectory = work.appendingPathComponent("e2e").path
    config.workers = 1
    let database = try StationDatabase.openCreatingStateDirectory(config)
    let catalogDir = work.appendingPathComponent("catalog")
    var csv = "file,individual\n"
    for i in 1...8 {
        for s in 1...5 {
            let path = catalogDir.appendingPathComponent("C\(i)_\(s).jpg").path
            try DropFolderWriter.write(try FixturePhoto(width: 800, height: 600, individualSeed: UInt64(i), sceneSeed: UInt64(i * 10 + s),
                                                        noise: 3).jpegBytes(), to: path, style: .direct)
            csv += "\(path),W\(i)\n"
        }
    }
    try csv.write(to: catalogDir.appendingPathComponent("catalog.csv"), atomically: true, encoding: .utf8)
    _ = try CatalogImporter(database: database, package: package, logger: Logger(label: "bench"))
        .run(csvPath: catalogDir.appendingPathComponent("catalog.csv").path, crop: .fluke)
    print("photo → sighting, 12 MP JPEG, one core (hash, EXIF, queue, decode 1/4, quality, thumbnail, crop, embed, SIFT, project, search, verify top 10, record, encounter):")
    // Once as the daemon runs (a photo whose leader is beyond doubt is not verified), once with
    // every photo verified: what a photo in doubt costs.
    func station(verifyingEveryPhoto: Bool) throws -> (IdentificationService, PhotoProcessor.Identifying) {
        config.verifyEveryPhoto = verifyingEveryPhoto
        let service = IdentificationService(package: package, database: database, config: config)
        try service.refreshIfChanged()
        return (service, PhotoProcessor.Identifying(service: service, extractor: try service.makeExtractor()))
    }
    let (service, identifying) = try station(verifyingEveryPhoto: false)
    let gated = try timePhotoToSighting(photo12, identifying: identifying, database: database, config: config,
                                        drop: work.appendingPathComponent("drop"), exifBase: 500)
    let extraction = try identifying.extractor.extract(from: try PhotoDecoder.decode(photo12, reduction: 4), crop: .fluke)
    let verified = try service.current!.rank(extraction.vectors[0], topK: 5, local: extraction.localFeatures).verified
    print("  as the daemon runs: median \(fmt(gated.endToEnd)) ms (processing alone \(fmt(gated.processing)) ms) over 15 photos; this photo's leader is \(verified ? "in doubt: verified" : "beyond doubt: not verified")")
    let all = try timePhotoToSighting(photo12, identifying: try station(verifyingEveryPhoto: true).1, database: database,
                                      config: config, drop: work.appendingPathComponent("drop-verify-all"), exifBase: 600)
    print("  every photo verified (verify_every_photo, or a photo in doubt): median \(fmt(all.endToEnd)) ms (processing alone \(fmt(all.processing)) ms), \(fmt(all.endToEnd / gated.endToEnd, 2))× the daemon's default")
    // The same catalog embedded with the one-run recipe as well, and a station that uses it.
    _ = try CatalogImporter(database: database, package: package, recipe: .fastStation, logger: Logger(label: "bench"))
        .run(csvPath: catalogDir.appendingPathComponent("catalog.csv").path, crop: .fluke)
    config.verifyEveryPhoto = true
    config.fastEmbedding = true
    let fast = try timePhotoToSighting(photo12, identifying: try station(verifyingEveryPhoto: true).1, database: database,
                                       config: config, drop: work.appendingPathComponent("drop-fast"), exifBase: 700)
    print("  fast_embedding (one network run), every photo verified: median \(fmt(fast.endToEnd)) ms (processing alone \(fmt(fast.processing)) ms), \(fmt(fast.endToEnd / all.endToEnd, 2))× the default's views verified")
    config.fastEmbedding = false
    config.verifyEveryPhoto = false
    return (service, identifying, config, all.endToEnd)
}

/// The embedding as the station accounts it (`evaluate`'s embed_ms: the network runs, the views'
/// warps, the pooling and the map zooms): the five looks on the image (the baseline of the
/// ratios), the views made at each inner map `views_at` offers (the default's marked), and
/// `fast_embedding`'s one run, interleaved round by round on the same fluke crop.
func benchmarkEmbeddingAlone(package: ModelPackage, photo12: [UInt8]) throws {
    let quarter = try PhotoDecoder.decode(photo12, reduction: 4)
    let inner = MatchingRecipe.innerViewTensors.map { at in
        ("views made at \(at)" + (at == MatchingRecipe.stationViewsAt ? " (the default)" : ""), MatchingRecipe.station.viewsMade(at: at))
    }
    let recipes: [(name: String, recipe: MatchingRecipe)] = [("five looks on the image", .stationWithImageViews)]
        + inner + [("fast_embedding, one run", .fastStation)]
    let extractors = try recipes.map { try FeatureExtractor(package: package, recipe: $0.recipe, localFeatures: false) }
    var ms = [[Double]](repeating: [], count: recipes.count)
    for _ in 0..<21 {
        for (k, extractor) in extractors.enumerated() {
            _ = try extractor.extract(from: quarter, crop: .fluke)
            ms[k].append(extractor.lastEmbedSeconds * 1000)
        }
    }
    let medians = ms.map { $0.sorted()[10] }
    print("the embedding alone (network runs, warps, pooling, map zooms), one core, median of 21 interleaved rounds:")
    for (k, r) in recipes.enumerated() {
        print("  \(r.name.padding(toLength: 38, withPad: " ", startingAt: 0)) \(fmt(medians[k], 2)) ms  (\(fmt(medians[k] / medians[0], 2))×)")
    }
}

/// Median photo → sighting and processing-alone milliseconds over 15 copies of the photo (each
/// with its own EXIF, so each is a new photo), one worker.
func timePhotoToSighting(_ photo12: [UInt8], identifying: PhotoProcessor.Identifying, database: StationDatabase,
                         config: StationConfig, drop: URL, exifBase: Int) throws -> (endToEnd: Double, processing: Double) {
    let intaker = PhotoIntaker(log: IntakeLog(database: database), maxPixels: config.maxPixels)
    let queue = PhotoQueue(database: database)
    let processor = PhotoProcessor(queue: queue, config: config)
    var endToEnd: [Double] = [], processing: [Double] = []
    for i in 0..<15 {
        let path = drop.appendingPathComponent("IMG_\(i).JPG").path
        try DropFolderWriter.write(EXIFWriter.insert(FixturePhoto.cameraEXIF(index: exifBase + i), into: photo12), to: path, style: .direct)
        var tProcess = 0.0
        let total = try seconds {
            _ = try intaker.take(path: path, camera: "bench")
            let claimed = try queue.claimNext()!
            tProcess = try seconds { _ = try processor.process(claimed, identifying: identifying) }
        }
        endToEnd.append(total * 1000)
        processing.append(tProcess * 1000)
    }
    endToEnd.sort(); processing.sort()
    return (endToEnd[endToEnd.count / 2], processing[processing.count / 2])
}

/// Builds a station with 10 000 catalog photos (1 000 individuals; vectors are real features of
/// synthetic photos plus noise), runs the real daemon on it, and reads its peak RSS.
func rssWithLargeCatalog(package: ModelPackage, work: URL, photo12: [UInt8]) throws {
    guard FileManager.default.isExecutableFile(atPath: flukewatchBinary) else {
        print("daemon RSS: skipped, \(flukewatchBinary) not built")
        return
    }
    var config = StationConfig()
    config.stateDirectory = work.appendingPathComponent("big").path
    let database = try StationDatabase.openCreatingStateDirectory(config)
    let store = CatalogStore(database: database)
    let extractor = try FeatureExtractor(package: package, recipe: .station)
    var bases: [[Float]] = []
    var baseLocal: [[UInt8]?] = []
    for i in 0..<100 {
        let image = try PhotoDecoder.decode(try FixturePhoto(width: 448, height: 336, individualSeed: UInt64(i + 1), sceneSeed: UInt64(i)).jpegBytes())
        let extraction = try extractor.extract(from: image, crop: .fluke)
        bases.append(extraction.vectors[0])
        baseLocal.append(extraction.local?.blob)
    }
    var rng = SplitMix64(seed: 2)
    var sample = EmbeddingMatrix(dimension: bases[0].count)
    var sampleLabels: [String] = []
    for n in 0..<10_000 {
        let individual = "B\(n / 10)"
        let base = bases[(n / 10) % bases.count]
        let v = base.map { $0 + Float.random(in: -0.02...0.02, using: &rng) }
        _ = try store.add(individual: individual, name: nil, sha256: String(format: "%064x", n), sourcePath: "/bench/\(n).jpg",
                          feature: v, modelVersion: package.featureVersion(), crop: "fluke", localFeatures: baseLocal[(n / 10) % bases.count])
        if n < 2_000 { sample.append(v); sampleLabels.append(individual) }
    }
    // Projection fitted on a 2 000-photo sample; thresholds set by hand: this step measures memory.
    let projection = try Projection.fit(features: sample, labels: sampleLabels, parameters: MatchingRecipe.station.projection!)
    try store.save(.init(modelVersion: package.featureVersion(), recipeJSON: MatchingRecipe.station.json, projection: Data(projection.serialized()),
                         thresholdNew: 0.5, thresholdMatch: 0.6, simulatedMAP5: nil, catalogPhotos: 10_000, individuals: 1_000))
    let drop = work.appendingPathComponent("big-drop").path
    try FileManager.default.createDirectory(atPath: drop, withIntermediateDirectories: true)
    let daemon = Process()
    daemon.executableURL = URL(fileURLWithPath: flukewatchBinary)
    daemon.arguments = ["run", "--state-dir", config.stateDirectory, "--watch", "\(drop)=bench", "--workers", "1"]
    daemon.standardError = FileHandle.nullDevice
    daemon.standardOutput = FileHandle.nullDevice
    var env = ProcessInfo.processInfo.environment
    env["FLUKEWATCH_CONFIG"] = nil
    daemon.environment = env
    try daemon.run()
    // Idle first: the catalog loaded, no photo in hand (RSS stops growing).
    var idle = 0
    for _ in 0..<120 {
        Thread.sleep(forTimeInterval: 0.5)
        let now = peakRSSKiB(daemon.processIdentifier) ?? 0
        if now == idle, now > 0 { break }
        idle = now
    }
    for i in 0..<10 {
        try DropFolderWriter.write(EXIFWriter.insert(FixturePhoto.cameraEXIF(index: 900 + i), into: photo12), to: "\(drop)/IMG_\(i).JPG", style: .direct)
    }
    let queries = StationQueries(database: database)
    let start = Date()
    var sightings = 0
    var identified = 0
    while Date().timeIntervalSince(start) < 300 {
        Thread.sleep(forTimeInterval: 0.25)
        let all = (try? queries.sightings()) ?? []
        sightings = all.count
        identified = all.filter { $0.modelVersion != nil }.count
        if sightings >= 10 { break }
    }
    let peak = peakRSSKiB(daemon.processIdentifier)
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()
    print("daemon with a 10 000-photo catalog (1 000 individuals), 1 worker, after \(sightings) sightings of 12 MP photos (\(identified) identified):")
    print("  peak RSS \(peak.map { "\(fmt(Double($0) / 1024)) MiB" } ?? "unknown") (VmHWM); \(fmt(Double(idle) / 1024)) MiB with the catalog loaded, before the first photo")
}

/// Where the photo → sighting time goes: each stage of processing timed on its own (median of 15).
/// Returns the SIFT and the verification stages' medians (nil without a catalog).
@discardableResult
func stageBreakdown(photo12: [UInt8], service: IdentificationService, extractor: FeatureExtractor, analysisSize: Int) throws
    -> (sift: Double, verify: Double)? {
    guard let index = service.current else { return nil }
    guard case .image(let header) = try ImageInspector.inspect(MemoryBytes(photo12), maxPixels: 100_000_000) else { return nil }
    let reduction = PhotoDecoder.reduction(for: header, minLongSide: analysisSize)
    let image = try PhotoDecoder.decode(photo12, reduction: reduction)
    let box = try FlukeFinder.find(in: image)
    let cropped = try FlukeFinder.crop(image, to: box, margin: FlukeFinder.defaultMargin, size: 224)
    let extraction = try extractor.extract(from: image, crop: .fluke)
    let raw = extraction.vectors[0]
    let local = try extraction.localFeatures()
    let verifyingAll = index.verifyingEveryPhoto()
    let rgb = try cropped.resizedRGB(width: 224, height: 224)
    let views = index.recipe.extraViews
    // Built once, as the extractor builds them: the stages time the resampling only.
    let zooms = index.recipe.extraMapZooms.map { MapZoom(factor: $0, grid: index.recipe.grid ?? 1) }
    let viewStage = try extraViewStage(views, at: index.recipe.viewsAt, package: extractor.package, crop: rgb)
    // The two stages a real crop costs differently (named once: the caller gets their medians).
    let siftStage = "SIFT on the 224 crop (when verifying)", verifyStage = "project + search + verify top 10"
    let stages: [(String, () throws -> Void)] = [
        ("sha-256 of the bytes", { _ = SHA256.hash(data: photo12) }),
        ("header + EXIF", { _ = try ImageInspector.inspect(MemoryBytes(photo12), maxPixels: 100_000_000) }),
        ("decode 1/\(reduction)", { _ = try PhotoDecoder.decode(photo12, reduction: reduction) }),
        ("quality", { _ = try image.quality(fullWidth: header.width, fullHeight: header.height) }),
        ("thumbnail encode", { _ = try image.jpegData(maxSide: 320, quality: 82) }),
        ("find fluke", { _ = try FlukeFinder.find(in: image) }),
        ("crop + resize", { _ = try cropped.resizedRGB(width: 224, height: 224) }),
        ("features (find+crop+embed+pool)", { _ = try extractor.features(of: image, crop: .fluke) }),
        viewStage,
        ("  and \(zooms.count) map zooms of each look", {
            for _ in 0...views.count { for z in zooms { _ = VectorMath.normalized(z.apply(raw)) } }
        }),
        (siftStage, { _ = try LocalFeatures.extract(from: cropped) }),
        (verifyStage, { _ = try verifyingAll.identify(raw, topK: 5, local: local) }),
        ("project + search, no verification", { _ = try index.gallery.rank(query: try CatalogIndex.embed(raw, index.projection), topK: 5) }),
    ]
    print("  stages, median of 15:")
    var medians: [String: Double] = [:]
    for (name, body) in stages {
        let ms = try medianMilliseconds(runs: 15, body)
        medians[name] = ms
        print("    \(name.padding(toLength: 38, withPad: " ", startingAt: 0)) \(fmt(ms, 2)) ms")
    }
    print("    (this synthetic crop has \(local.count) SIFT keypoints; real crops reach the cap of \(LocalFeatures.defaultMaxKeypoints): see below)")
    return (medians[siftStage] ?? 0, medians[verifyStage] ?? 0)
}

/// The part of the features stage that turns the extra views: warps of the 224×224 crop for views
/// on the image, turns of the inner map (`MapView`, the shape the model gives it) for views made
/// there. The network runs the views then take stay in the features stage.
func extraViewStage(_ views: [ViewTransform], at tensor: String?, package: ModelPackage, crop rgb: [UInt8]) throws
    -> (String, () throws -> Void) {
    guard let tensor else {
        return ("  of which \(views.count) extra views: warps", {
            for v in views { _ = try RGBView.warped(rgb, size: 224, degrees: v.degrees, zoom: v.zoom) }
        })
    }
    guard let shape = package.outputShape(tensor) else {
        throw NSError(domain: "bench", code: 3, userInfo: [NSLocalizedDescriptionKey: "the model has no inner map \(tensor)"])
    }
    let turns = views.map { MapView(view: $0, height: shape.height, width: shape.width, channels: shape.channels) }
    let map = [Float](repeating: 0.5, count: shape.height * shape.width * shape.channels)
    return ("  of which \(views.count) extra views: \(tensor) turns", { for t in turns { _ = t.apply(map) } })
}

/// `v` scaled to unit length.
func unit(_ v: [Float]) -> [Float] {
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return v.map { $0 / norm }
}
