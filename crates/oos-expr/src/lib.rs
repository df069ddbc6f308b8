//! oos-expr
