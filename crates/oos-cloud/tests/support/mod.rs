//! Test support shared by the integration tests.

#![allow(dead_code)]

pub mod emulated;
pub mod scripted;
