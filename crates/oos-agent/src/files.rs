//! SendFile: one file written from base64 with its mode, owner and group; an existing file is left
//! alone unless the job says `overwrite`.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use base64::Engine;
use oos_agent_proto::{FileJob, FinishStatus, Outcome};

use crate::codes;
use crate::runner::{account, failed};

const DEFAULT_MODE: u32 = 0o644;

/// Writes the file of `job` and says how it went.
pub fn write_file(job: &FileJob, start_ms: i64) -> Outcome {
    match try_write(job) {
        Ok(()) => Outcome {
            invoke_id: job.invoke_id.clone(),
            status: FinishStatus::Success,
            exit_code: Some(0),
            start_ms,
            finish_ms: crate::now_ms(),
            output: String::new(),
            dropped: 0,
            error_code: None,
            error_info: None,
        },
        Err((code, info)) => failed(&job.invoke_id, start_ms, code, info),
    }
}

fn try_write(job: &FileJob) -> Result<(), (&'static str, String)> {
    if job.name.is_empty() || job.name == "." || job.name == ".." || job.name.contains('/') {
        return Err((codes::INVALID_FILE_NAME, format!("{:?} is not a file name", job.name)));
    }
    let mode = parse_mode(&job.file_mode)
        .ok_or_else(|| (codes::INVALID_FILE_MODE, format!("{:?} is not an octal file mode", job.file_mode)))?;
    let content = base64::engine::general_purpose::STANDARD
        .decode(job.content_base64.trim())
        .map_err(|error| (codes::INVALID_FILE_CONTENT, format!("the content is not base64: {error}")))?;
    let owner = match job.owner.as_str() {
        "" => None,
        name => Some(account::user_by_name(name).ok_or_else(|| (codes::INVALID_USER, format!("no user {name} on this host")))?),
    };
    let group = match job.group.as_str() {
        "" => owner.as_ref().map(|owner| owner.gid),
        name => Some(account::group_id(name).ok_or_else(|| (codes::INVALID_GROUP, format!("no group {name} on this host")))?),
    };
    let directory = Path::new(&job.target_dir);
    let path = directory.join(&job.name);
    let write_failed = |error: std::io::Error| (codes::FILE_WRITE_FAILED, format!("{}: {error}", path.display()));
    fs::create_dir_all(directory).map_err(write_failed)?;
    let mut options = OpenOptions::new();
    options.write(true).mode(mode);
    if job.overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(&path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            (codes::FILE_ALREADY_EXISTS, format!("{} exists and overwrite is false", path.display()))
        } else {
            write_failed(error)
        }
    })?;
    file.write_all(&content).map_err(write_failed)?;
    // The mode given at creation is filtered by the umask, and an overwritten file keeps its own.
    file.set_permissions(fs::Permissions::from_mode(mode)).map_err(write_failed)?;
    if owner.is_some() || group.is_some() {
        std::os::unix::fs::fchown(&file, owner.map(|owner| owner.uid), group).map_err(write_failed)?;
    }
    file.sync_all().map_err(write_failed)
}

fn parse_mode(text: &str) -> Option<u32> {
    if text.is_empty() {
        return Some(DEFAULT_MODE);
    }
    u32::from_str_radix(text, 8).ok().filter(|mode| *mode <= 0o7777)
}
