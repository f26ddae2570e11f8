import NIOHTTP1

extension HTTPRequestHead {
    /// The request's path, without the query.
    var path: Substring {
        uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }
}
