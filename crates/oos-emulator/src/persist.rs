//! On-disk state: the whole cloud as one JSON document, replaced atomically on every save.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::EmulatorError;
use crate::state::Cloud;

const FORMAT: &str = "oos-emulator-state/1";

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: String,
    cloud: Cloud,
}

/// Loads the cloud saved at `path`, or `None` when the file does not exist.
pub fn load(path: &Path) -> Result<Option<Cloud>, EmulatorError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(EmulatorError::State {
                path: path.to_path_buf(),
                message: error.to_string(),
            });
        }
    };
    let file: StateFile = serde_json::from_str(&text).map_err(|error| EmulatorError::State {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    if file.format != FORMAT {
        return Err(EmulatorError::State {
            path: path.to_path_buf(),
            message: format!("unknown format {:?}, expected {FORMAT}", file.format),
        });
    }
    Ok(Some(file.cloud))
}

/// Writes `cloud` to `path` through a temporary file in the same directory and a rename, so
/// a crash leaves either the old or the new state, never a torn file.
pub fn save(path: &Path, cloud: &Cloud) -> Result<(), EmulatorError> {
    let failed = |error: &dyn std::fmt::Display| EmulatorError::State {
        path: path.to_path_buf(),
        message: error.to_string(),
    };
    let document = serde_json::to_vec(&StateFile {
        format: FORMAT.into(),
        cloud: cloud.clone(),
    })
    .map_err(|error| failed(&error))?;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut temporary =
        tempfile::NamedTempFile::new_in(&directory).map_err(|error| failed(&error))?;
    temporary
        .write_all(&document)
        .map_err(|error| failed(&error))?;
    temporary
        .as_file()
        .sync_all()
        .map_err(|error| failed(&error))?;
    temporary.persist(path).map_err(|error| failed(&error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_the_same_cloud() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        assert!(load(&path).unwrap().is_none());
        let mut cloud = Cloud::default();
        crate::provision::create_instance(
            &mut cloud,
            crate::provision::InstanceSpec {
                region_id: "cn-hangzhou".into(),
                ..Default::default()
            },
            jiff::Timestamp::UNIX_EPOCH,
        );
        save(&path, &cloud).unwrap();
        assert_eq!(load(&path).unwrap().unwrap(), cloud);
    }

    #[test]
    fn a_foreign_file_is_a_clear_error() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("state.json");
        std::fs::write(&path, r#"{"format":"other","cloud":{}}"#).unwrap();
        let message = load(&path).unwrap_err().to_string();
        assert!(message.contains("state.json"), "{message}");
    }
}
