//! KrakenD's `flatmap_filter` (being written).
