//! oos-engine
