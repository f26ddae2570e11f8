/// The store's tables. Times are µs since the epoch; a `source` is one board (or relayed
/// stream), a `session` one run of a bridge on it. Samples live in `block`s (compressed,
/// `SampleBlock`), their summaries in `summary` cells per level (`SummaryCell`), the
/// source's state changes (unplugged, finished, samples the store lost) in `event`.
enum StoreSchema {
    static let statements = [
        "CREATE TABLE source(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
        "CREATE TABLE channel(id INTEGER PRIMARY KEY, source INTEGER NOT NULL REFERENCES source(id), name TEXT NOT NULL, UNIQUE(source, name))",
        """
        CREATE TABLE session(id INTEGER PRIMARY KEY, source INTEGER NOT NULL REFERENCES source(id),
            start INTEGER NOT NULL, end INTEGER NOT NULL, samples INTEGER NOT NULL DEFAULT 0,
            channels TEXT NOT NULL DEFAULT '', open INTEGER NOT NULL DEFAULT 1, kind TEXT NOT NULL DEFAULT 'live')
        """,
        """
        CREATE TABLE block(id INTEGER PRIMARY KEY, source INTEGER NOT NULL, session INTEGER NOT NULL,
            first INTEGER NOT NULL, last INTEGER NOT NULL, samples INTEGER NOT NULL, channels TEXT NOT NULL, data BLOB NOT NULL)
        """,
        "CREATE INDEX block_by_time ON block(source, last)",
        "CREATE TABLE summary(source INTEGER NOT NULL, level INTEGER NOT NULL, start INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(source, level, start)) WITHOUT ROWID",
        "CREATE TABLE event(id INTEGER PRIMARY KEY, source INTEGER NOT NULL, session INTEGER NOT NULL, time INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL)",
        "CREATE INDEX event_by_time ON event(source, time)",
    ]
}
