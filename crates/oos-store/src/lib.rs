//! oos-store
