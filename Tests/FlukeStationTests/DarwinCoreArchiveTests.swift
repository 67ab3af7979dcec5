import FlukeStore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `flukewatch export dwc`: an archive GBIF/OBIS can ingest, checked with independent readers
/// (Python's zipfile, an XML parser) against the Darwin Core term list.
final class DarwinCoreArchiveTests: XCTestCase {
    /// The station after a morning's review: Salt confirmed by Ana, the uncertain photo rejected
    /// (no fluke), the new whale left open, Pepper's second sighting confirmed automatically.
    func reviewedStation(_ name: String) throws -> ReviewedStation {
        let s = try ReviewedStation(name)
        let log = ReviewLog(database: s.database)
        _ = try log.decide("\(s.match)", .confirm(individual: nil), reviewer: "Ana Souza")
        _ = try log.decide("\(s.uncertain)", .reject(reason: "no fluke"), reviewer: "Ana Souza")
        XCTAssertNotNil(try log.confirmAutomatically(sightingID: s.secondMatch, scoreAbove: 0.8))
        return s
    }

    /// An attribute by its plain name (swift-corelibs' `attribute(forName:)` misses unprefixed
    /// attributes of elements in a default namespace).
    func attribute(_ element: XMLElement?, _ name: String) -> String? {
        element?.attributes?.first { $0.localName == name || $0.name == name }?.stringValue
    }

    struct Archive {
        var entries: [String]
        var meta: XMLDocument
        var eml: XMLDocument
        var header: [String]
        var rows: [[String: String]]
    }

    func export(_ s: ReviewedStation, _ extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> Archive {
        let out = s.station.root.appendingPathComponent("sightings-\(UUID().uuidString.prefix(4)).zip").path
        let r = try runFlukeWatch(["export", "dwc", out] + extra + s.stateArguments)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        let dir = try unzipWithPython(out, file: file, line: line)
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let meta = try XMLDocument(contentsOf: dir.appendingPathComponent("meta.xml"), options: [])
        let eml = try XMLDocument(contentsOf: dir.appendingPathComponent("eml.xml"), options: [])
        let location = try XCTUnwrap(try meta.nodes(forXPath: "/*[local-name()='archive']/*[local-name()='core']/*[local-name()='files']/*[local-name()='location']").first?.stringValue)
        let table = try String(contentsOf: dir.appendingPathComponent(location), encoding: .utf8)
        var lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.last, "", "the file ends with a line break", file: file, line: line)
        lines.removeLast()
        let header = lines[0].components(separatedBy: "\t")
        var rows: [[String: String]] = []
        for l in lines.dropFirst() {
            let fields = l.components(separatedBy: "\t")
            XCTAssertEqual(fields.count, header.count, "every row has every column: \(l)", file: file, line: line)
            rows.append(Dictionary(uniqueKeysWithValues: zip(header, fields)))
        }
        return Archive(entries: entries, meta: meta, eml: eml, header: header, rows: rows)
    }

    func testArchiveStructureMapsEveryColumnToADarwinCoreTerm() throws {
        let s = try reviewedStation("dwc-structure")
        let a = try export(s)
        XCTAssertEqual(a.entries, ["eml.xml", "meta.xml", "occurrence.txt"])

        let archive = try XCTUnwrap(a.meta.rootElement())
        XCTAssertEqual(archive.localName, "archive")
        XCTAssertEqual(archive.uri, "http://rs.tdwg.org/dwc/text/")
        XCTAssertEqual(attribute(archive, "metadata"), "eml.xml")
        let core = try XCTUnwrap(archive.elements(forLocalName: "core", uri: "http://rs.tdwg.org/dwc/text/").first)
        let rowType = try XCTUnwrap(attribute(core, "rowType"))
        XCTAssertTrue(rowType.hasPrefix("http://rs.tdwg.org/dwc/terms/"))
        XCTAssertTrue(DarwinCoreTermNames.classes.contains(String(rowType.dropFirst("http://rs.tdwg.org/dwc/terms/".count))), rowType)
        XCTAssertEqual(attribute(core, "ignoreHeaderLines"), "1")
        XCTAssertEqual(attribute(core, "fieldsTerminatedBy"), "\\t")
        XCTAssertEqual(attribute(core, "encoding"), "UTF-8")
        let idIndex = try XCTUnwrap(attribute(core.elements(forLocalName: "id", uri: "http://rs.tdwg.org/dwc/text/").first, "index")
            .flatMap { Int($0) })

        let fields = core.elements(forLocalName: "field", uri: "http://rs.tdwg.org/dwc/text/")
        let indexes = fields.compactMap { attribute($0, "index").flatMap { Int($0) } }
        XCTAssertEqual(indexes.count, fields.count, "every field has a numeric index")
        XCTAssertEqual(indexes.sorted(), Array(0..<a.header.count), "the fields cover the columns one to one")
        XCTAssertTrue((0..<a.header.count).contains(idIndex))
        var terms: [String] = []
        for field in fields {
            let uri = try XCTUnwrap(attribute(field, "term"))
            XCTAssertTrue(uri.hasPrefix("http://rs.tdwg.org/dwc/terms/"), uri)
            let name = String(uri.dropFirst("http://rs.tdwg.org/dwc/terms/".count))
            XCTAssertTrue(DarwinCoreTermNames.all.contains(name), "\(name) is not a Darwin Core term")
            let index = try XCTUnwrap(attribute(field, "index").flatMap { Int($0) })
            XCTAssertEqual(a.header[index], name, "column \(index)'s header names its term")
            terms.append(name)
        }
        XCTAssertEqual(a.header[idIndex], "occurrenceID")
        for required in ["occurrenceID", "eventDate", "decimalLatitude", "decimalLongitude", "geodeticDatum",
                         "coordinateUncertaintyInMeters", "scientificName", "scientificNameID", "occurrenceStatus",
                         "basisOfRecord", "organismID", "associatedMedia", "identifiedBy", "dateIdentified",
                         "identificationVerificationStatus", "identificationRemarks"] {
            XCTAssertTrue(terms.contains(required), "missing \(required)")
        }

        let emlRoot = try XCTUnwrap(a.eml.rootElement())
        XCTAssertEqual(emlRoot.localName, "eml")
        XCTAssertEqual(try a.eml.nodes(forXPath: "//dataset/title").first?.stringValue?.contains("FlukeWatch station"), true)
        XCTAssertEqual(try a.eml.nodes(forXPath: "//temporalCoverage//beginDate/calendarDate").first?.stringValue, "2026-07-14")
    }

    func testOccurrencesSayWhoIdentifiedTheWhaleAndHow() throws {
        let s = try reviewedStation("dwc-content")
        let a = try export(s)
        XCTAssertEqual(a.rows.count, 2, "the rejected and the open sighting are not published")
        let uuids = try [s.match, s.secondMatch].map { try s.row($0)["uuid"] as String }
        XCTAssertEqual(a.rows.map { $0["occurrenceID"] }, uuids.map { "urn:uuid:\($0)" })

        let human = a.rows[0]
        XCTAssertEqual(human["basisOfRecord"], "HumanObservation")
        XCTAssertEqual(human["identificationVerificationStatus"], "verified")
        XCTAssertEqual(human["identifiedBy"], "Ana Souza")
        XCTAssertEqual(human["eventDate"], "2026-07-14T10:00:00-03:00")
        XCTAssertEqual(human["decimalLatitude"], "-23.810000")
        XCTAssertEqual(human["decimalLongitude"], "-45.300000")
        XCTAssertEqual(human["geodeticDatum"], "EPSG:4326")
        XCTAssertEqual(human["scientificName"], "Megaptera novaeangliae")
        XCTAssertEqual(human["scientificNameID"], "urn:lsid:marinespecies.org:taxname:137092")
        XCTAssertEqual(human["occurrenceStatus"], "present")
        XCTAssertEqual(human["organismID"], "HW-1")
        XCTAssertEqual(human["organismName"], "Salt")
        XCTAssertEqual(human["associatedMedia"], "IMG_0001.JPG")
        XCTAssertEqual(human["coordinateUncertaintyInMeters"], "")
        XCTAssertNotNil(human["dateIdentified"].flatMap { ISO8601DateFormatter().date(from: $0) })
        XCTAssertEqual(human["identificationRemarks"]?.contains("score 0.9500"), true, human["identificationRemarks"] ?? "")
        XCTAssertEqual(human["identificationRemarks"]?.contains("model test-model-1"), true)

        let machine = a.rows[1]
        XCTAssertEqual(machine["basisOfRecord"], "MachineObservation")
        XCTAssertEqual(machine["identificationVerificationStatus"], "automatically confirmed")
        XCTAssertEqual(machine["organismID"], "HW-2")
        XCTAssertEqual(machine["identifiedBy"], "FlukeWatch (test-model-1)")
    }

    func testOpenSightingsOnRequestAndTheTimeWindow() throws {
        let s = try reviewedStation("dwc-window")
        let all = try export(s, ["--include-open"])
        XCTAssertEqual(all.rows.count, 3, "rejected sightings are never published")
        let open = try XCTUnwrap(all.rows.first { $0["identificationVerificationStatus"] == "unverified" })
        XCTAssertEqual(open["basisOfRecord"], "MachineObservation")
        XCTAssertEqual(open["organismID"], "", "a new-individual candidate names no individual until reviewed")

        // Captures: 10:00, 11:00, 12:00 and 13:00 (-03:00); --until is exclusive.
        let window = try export(s, ["--include-open", "--since", "2026-07-14T10:30:00-03:00", "--until", "2026-07-14T16:00:00Z"])
        XCTAssertEqual(window.rows.map { $0["eventDate"] }, ["2026-07-14T12:00:00-03:00"])

        let backwards = try runFlukeWatch(["export", "dwc", s.station.root.appendingPathComponent("x.zip").path,
                                           "--since", "2026-07-15", "--until", "2026-07-14"] + s.stateArguments)
        XCTAssertNotEqual(backwards.status, 0)
        XCTAssertTrue(backwards.stderr.contains("--until"), backwards.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.station.root.appendingPathComponent("x.zip").path))
    }
}
