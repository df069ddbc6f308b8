//! SendFile on the real file system: content, mode, owner, directory creation, overwrite rules;
//! and through the hub, once.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use base64::Engine;
use common::{Hub, start_agent};
use oos_agent::files::write_file;
use oos_agent_proto::{AgentMessage, FileJob, FinishStatus, ServerMessage};

fn file_job(target_dir: &std::path::Path, content: &[u8]) -> FileJob {
    FileJob {
        invoke_id: "t-file".to_owned(),
        target_dir: target_dir.to_string_lossy().into_owned(),
        name: "app.conf".to_owned(),
        content_base64: base64::engine::general_purpose::STANDARD.encode(content),
        file_mode: "0640".to_owned(),
        owner: "nobody".to_owned(),
        group: String::new(),
        overwrite: false,
    }
}

#[test]
fn a_file_is_written_with_its_mode_and_owner_and_kept_unless_overwrite() {
    let directory = tempfile::tempdir().unwrap();
    let target = directory.path().join("made/by/agent");
    let mut job = file_job(&target, b"port = 80\n");
    let written = write_file(&job, 0);
    assert_eq!(written.status, FinishStatus::Success, "{written:?}");
    let path = target.join("app.conf");
    assert_eq!(std::fs::read(&path).unwrap(), b"port = 80\n");
    let metadata = std::fs::metadata(&path).unwrap();
    assert_eq!(metadata.permissions().mode() & 0o7777, 0o640);
    let nobody = oos_agent::runner::account::user_by_name("nobody").unwrap();
    assert_eq!((metadata.uid(), metadata.gid()), (nobody.uid, nobody.gid));

    job.content_base64 = base64::engine::general_purpose::STANDARD.encode(b"port = 81\n");
    let refused = write_file(&job, 0);
    assert_eq!(refused.error_code.as_deref(), Some("FileAlreadyExists"));
    assert_eq!(std::fs::read(&path).unwrap(), b"port = 80\n");

    job.overwrite = true;
    job.file_mode = "0600".to_owned();
    assert_eq!(write_file(&job, 0).status, FinishStatus::Success);
    assert_eq!(std::fs::read(&path).unwrap(), b"port = 81\n");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o600);
}

#[test]
fn bad_names_modes_content_and_groups_are_refused() {
    let directory = tempfile::tempdir().unwrap();
    type Spoil = fn(&mut FileJob);
    let cases: [(Spoil, &str); 4] = [
        (|job| job.name = "../escape".to_owned(), "InvalidFileName"),
        (|job| job.file_mode = "0999".to_owned(), "InvalidFileMode"),
        (|job| job.content_base64 = "not base64!".to_owned(), "InvalidFileContent"),
        (|job| job.group = "no-such-group-here".to_owned(), "InvalidGroup"),
    ];
    for (spoil, code) in cases {
        let mut job = file_job(directory.path(), b"x");
        spoil(&mut job);
        assert_eq!(write_file(&job, 0).error_code.as_deref(), Some(code));
    }
}

#[tokio::test]
async fn a_send_file_delivered_twice_is_written_once() {
    let directory = tempfile::tempdir().unwrap();
    let target = directory.path().join("files");
    let mut hub = Hub::start().await;
    let (stop, agent) = start_agent(&directory.path().join("state"), &hub.url).await;
    let mut connection = hub.next_connection().await;
    connection.recv().await;
    let job = file_job(&target, b"first");
    connection.send(&ServerMessage::SendFile(job.clone())).await;
    assert!(matches!(connection.recv().await, AgentMessage::Accepted { .. }));
    let outcome = connection.finished("t-file").await;
    assert_eq!(outcome.status, FinishStatus::Success);
    // Again, even with other content: the ledger answers, the file is not touched (and the
    // overwrite refusal is not what answers).
    let again = FileJob { content_base64: base64::engine::general_purpose::STANDARD.encode(b"second"), overwrite: true, ..job };
    connection.send(&ServerMessage::SendFile(again)).await;
    assert_eq!(connection.finished("t-file").await, outcome);
    assert_eq!(std::fs::read(target.join("app.conf")).unwrap(), b"first");
    stop.send(true).unwrap();
    common::patiently("the agent to stop", agent).await.unwrap();
}
