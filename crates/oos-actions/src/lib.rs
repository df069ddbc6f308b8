//! oos-actions
