/// Where files derived from photos live under the state directory, relative to it: the one
/// place the processor, the review page and the sync service agree on.
public enum StateDirectoryLayout {
    /// The fluke crop of a photo (the review page's comparison image and what sync sends the hub).
    public static func flukeCrop(sha256: String) -> String { "crops/\(sha256.prefix(2))/\(sha256).jpg" }
}
