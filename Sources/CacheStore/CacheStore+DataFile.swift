extension CacheStore {
    /// The data file opened read-only, for sending stored chunks straight from it (sendfile); nil if it could
    /// not be opened. See ``BodyReader/withNextExtent(maxBytes:minimumFileBytes:copy:)``.
    public var dataFile: DataFile? { self.context.environment.dataFile }
}
