import FlukeStore
import Foundation

/// The dataset's metadata in Ecological Metadata Language (EML 2.1.1, GBIF profile): title,
/// who made it, and the coverage in space, time and taxa computed from the records themselves.
struct EMLDocument {
    var title: String
    var stationName: String
    var stationID: String
    var sightings: [ExportedSighting]
    var published: Date

    func xml() -> String {
        let e = XMLText.escaped
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <eml:eml xmlns:eml="eml://ecoinformatics.org/eml-2.1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="eml://ecoinformatics.org/eml-2.1.1 http://rs.gbif.org/schema/eml-gbif-profile/1.1/eml.xsd" packageId="\(UUID().uuidString.lowercased())" system="http://gbif.org" scope="system" xml:lang="eng">
              <dataset>
                <title xml:lang="eng">\(e(title))</title>
                <creator><organizationName>\(e(stationName))</organizationName></creator>
                <metadataProvider><organizationName>\(e(stationName))</organizationName></metadataProvider>
                <pubDate>\(day.string(from: published))</pubDate>
                <language>eng</language>
                <abstract><para>\(e(abstract))</para></abstract>
                <keywordSet><keyword>humpback whale</keyword><keyword>photo-identification</keyword><keyword>Occurrence</keyword></keywordSet>
                <coverage>

            """
        let positions = sightings.compactMap { s in s.latitude.flatMap { lat in s.longitude.map { (lat, $0) } } }
        if !positions.isEmpty {
            let lats = positions.map(\.0), lons = positions.map(\.1)
            xml += """
                      <geographicCoverage>
                        <geographicDescription>Positions of the photos recorded by station \(e(stationID))</geographicDescription>
                        <boundingCoordinates>
                          <westBoundingCoordinate>\(lons.min()!)</westBoundingCoordinate>
                          <eastBoundingCoordinate>\(lons.max()!)</eastBoundingCoordinate>
                          <northBoundingCoordinate>\(lats.max()!)</northBoundingCoordinate>
                          <southBoundingCoordinate>\(lats.min()!)</southBoundingCoordinate>
                        </boundingCoordinates>
                      </geographicCoverage>

                """
        }
        if let first = sightings.map(\.capturedEpoch).min(), let last = sightings.map(\.capturedEpoch).max() {
            xml += """
                      <temporalCoverage>
                        <rangeOfDates>
                          <beginDate><calendarDate>\(day.string(from: Date(timeIntervalSince1970: first)))</calendarDate></beginDate>
                          <endDate><calendarDate>\(day.string(from: Date(timeIntervalSince1970: last)))</calendarDate></endDate>
                        </rangeOfDates>
                      </temporalCoverage>

                """
        }
        xml += """
                  <taxonomicCoverage>
                    <taxonomicClassification>
                      <taxonRankName>species</taxonRankName>
                      <taxonRankValue>\(DarwinCoreOccurrence.scientificName)</taxonRankValue>
                      <commonName>humpback whale</commonName>
                    </taxonomicClassification>
                  </taxonomicCoverage>
                </coverage>
                <contact><organizationName>\(e(stationName))</organizationName></contact>
              </dataset>
            </eml:eml>

            """
        return xml
    }

    var abstract: String {
        "\(sightings.count) sighting(s) of individually identified humpback whales (Megaptera novaeangliae), from tail-fluke photographs taken at station \(stationID) and matched against the station's catalog by FlukeWatch. Records confirmed by a reviewer are HumanObservation; records confirmed automatically or not reviewed are MachineObservation, and identificationVerificationStatus says which."
    }
}
