import Foundation

extension MatchingRecipe {
    /// The grid stored vectors were pooled on before the grid became a station choice: vectors
    /// on it carry no grid tag, so catalogs embedded then keep their version.
    public static let historicalGrid = 7

    /// What stored feature vectors made with this recipe are tagged with beside the model version.
    /// Vectors pooled on another grid, or averaged over other views, are another feature space
    /// (another length, or other values), so a station that changes either re-embeds its catalog
    /// as for a new model; so are vectors averaged with other map zooms, or with views made at an
    /// inner map instead of the image (`@` and the tensor's name). Empty for the crop alone
    /// on the historical 7×7 grid.
    public var featureVersionSuffix: String { gridSuffix + viewsSuffix + mapZoomSuffix }

    private var mapZoomSuffix: String {
        guard !extraMapZooms.isEmpty else { return "" }
        return "+mapzoom" + extraMapZooms.map { String(format: "%g", $0) }.joined(separator: "_")
    }

    private var gridSuffix: String {
        guard let grid, grid != Self.historicalGrid else { return "" }
        return "+grid\(grid)"
    }

    private var viewsSuffix: String {
        guard !extraViews.isEmpty else { return "" }
        // FNV-1a over the views' description: short, stable across runs and platforms.
        var hash: UInt32 = 2_166_136_261
        for byte in extraViews.map({ "\($0.degrees)@\($0.zoom)" }).joined(separator: ",").utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        let hex = String(hash, radix: 16)
        let at = viewsAt.map { "@\($0)" } ?? ""
        return "+views\(extraViews.count + 1)-\(String(repeating: "0", count: 8 - hex.count))\(hex)\(at)"
    }
}
