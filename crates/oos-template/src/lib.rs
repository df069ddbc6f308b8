//! oos-template
