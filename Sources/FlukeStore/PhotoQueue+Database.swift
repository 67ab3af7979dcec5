extension PhotoQueue {
    /// The database the queue writes to, for steps that follow a sighting's recording (auto-confirm).
    public var stationDatabase: StationDatabase { database }
}
