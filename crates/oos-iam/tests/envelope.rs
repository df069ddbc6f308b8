//! Envelope encryption and the master key file.

use std::os::unix::fs::PermissionsExt;

use oos_iam::MasterKey;
use oos_iam::envelope::SecretError;

#[test]
fn seal_open_round_trip_is_bound_to_its_context() {
    let key = MasterKey::generate();
    let sealed = key.seal("s3cr3t-value", "LTAIabc");
    assert!(sealed.starts_with("xc20p1:") && !sealed.contains("s3cr3t"));
    assert_ne!(
        sealed,
        key.seal("s3cr3t-value", "LTAIabc"),
        "fresh data key and nonces every time"
    );
    assert_eq!(
        key.open(&sealed, "LTAIabc").unwrap().expose(),
        "s3cr3t-value"
    );
    assert!(matches!(
        key.open(&sealed, "LTAIother"),
        Err(SecretError::Tampered)
    ));
    assert!(matches!(
        MasterKey::generate().open(&sealed, "LTAIabc"),
        Err(SecretError::Tampered)
    ));
    assert!(matches!(
        key.open("xc20p1:abc", "LTAIabc"),
        Err(SecretError::Malformed(_))
    ));
    assert!(matches!(
        key.open("xc20p1:!!:??", "LTAIabc"),
        Err(SecretError::Malformed(_))
    ));
    assert!(matches!(
        key.open("xc20p1:AAAA:AAAA", "LTAIabc"),
        Err(SecretError::Malformed(_))
    ));
    let mut parts: Vec<String> = sealed.split(':').map(str::to_string).collect();
    parts[2] = parts[2].chars().rev().collect();
    assert!(
        key.open(&parts.join(":"), "LTAIabc").is_err(),
        "tampered ciphertext"
    );
    assert_eq!(format!("{key:?}"), "MasterKey(***)");
}

#[test]
fn master_key_file_is_created_owner_only_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let first = MasterKey::load_or_create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let sealed = first.seal("value", "ctx");
    let again = MasterKey::load_or_create(&path).unwrap();
    assert_eq!(again.open(&sealed, "ctx").unwrap().expose(), "value");

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = MasterKey::load_or_create(&path).unwrap_err();
    assert!(error.to_string().contains("644"), "{error}");

    let short = dir.path().join("short.key");
    std::fs::write(&short, "AAAA\n").unwrap();
    std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(
        MasterKey::load_or_create(&short)
            .unwrap_err()
            .to_string()
            .contains("32-byte")
    );

    let missing_dir = dir.path().join("nope/master.key");
    assert!(
        MasterKey::load_or_create(&missing_dir)
            .unwrap_err()
            .to_string()
            .contains("cannot create")
    );
}
