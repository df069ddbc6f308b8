//! The engine's [`Sealer`]: the master key, which seals the engine state of executions with secrets
//! so that no database column holds them in plain text.

use std::path::Path;

use oos_runtime::Sealer;
use oos_iam::MasterKey;

use crate::ServerError;

/// Seals with a master key file (created on first use; see [`crate::bootstrap::KeyFiles`]).
#[derive(Debug)]
pub struct KeySealer(MasterKey);

impl KeySealer {
    /// The master key in `path`.
    pub fn open(path: &Path) -> Result<Self, ServerError> {
        let key = MasterKey::load_or_create(path).map_err(|e| ServerError::Setup(e.to_string()))?;
        Ok(Self(key))
    }
}

/// What sealed engine state is bound to, besides its execution or task execution id.
fn bound(context: &str) -> String {
    format!("engine-state/{context}")
}

impl Sealer for KeySealer {
    fn seal(&self, plaintext: &str, context: &str) -> String {
        self.0.seal(plaintext, &bound(context))
    }

    fn open(&self, sealed: &str, context: &str) -> Result<String, String> {
        self.0.open(sealed, &bound(context)).map(|plain| plain.expose().to_owned()).map_err(|e| e.to_string())
    }
}
