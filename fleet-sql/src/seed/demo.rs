//! The live-looking demo fleet of `fleetd demo` (being written).
