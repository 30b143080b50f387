//! The production-sized benchmark data set (being written).
