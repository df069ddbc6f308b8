//! oos-acs
