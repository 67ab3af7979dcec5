/// Where files derived from photos live under the state directory, relative to it: the one
/// place the processor, the review page and the sync service agree on.
public enum StateDirectoryLayout {
    /// The fluke crop of a photo (the review page's comparison image and what sync sends the hub).
    public static func flukeCrop(sha256: String) -> String { "crops/\(sha256.prefix(2))/\(sha256).jpg" }
    /// A catalog photo's crop for the review page: cut from the original on first view, or, for a
    /// reference the hub sent, the crop fetched from the hub.
    public static func catalogCrop(sha256: String) -> String { "crops/catalog/\(sha256.prefix(2))/\(sha256).jpg" }
}
