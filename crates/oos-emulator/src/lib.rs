//! oos-emulator
