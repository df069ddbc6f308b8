//! Exported audit segments: before retention deletes old audit records it writes them to one file
//! per segment (JSON lines: a header with the segment's place in the chain, then each record as
//! stored), and [`verify`] walks the files and the chain left in the database as one chain.
//!
//! File `audit-<first seq, 16 digits>.jsonl`, first line
//! `{"Segment":{"FirstSeq","PrevHash","HeadSeq","HeadHash","NextPrevHash","Records"}}`: the segment
//! chains from `PrevHash` (64 zeros for the first), ends at the chain head `HeadSeq`/`HeadHash`, and
//! the next segment (or the database's first record) chains from `NextPrevHash`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::api::AuditStore;
use crate::audit::{self, AuditRecord, ChainSource, GENESIS, Tamper, Verification};
use crate::{Result, StoreError};

/// A segment's place in the chain (the first line of its file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SegmentHead {
    pub first_seq: i64,
    pub prev_hash: String,
    pub head_seq: i64,
    pub head_hash: String,
    pub next_prev_hash: String,
    pub records: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HeaderLine {
    segment: SegmentHead,
}

/// Why the segments and the chain do not make one intact chain (`code` is stable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SegmentFault {
    /// `AuditSegment.Missing`, `.Gap`, `.Modified`, `.Reordered`, `.Unreadable`, or `AuditTrail.Broken`
    /// (in the database's chain).
    pub code: &'static str,
    pub file: Option<PathBuf>,
    pub seq: i64,
    pub detail: String,
}

impl std::fmt::Display for SegmentFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.as_ref().map(|file| format!(" in {}", file.display())).unwrap_or_default();
        write!(f, "{}: seq {}{file}: {}", self.code, self.seq, self.detail)
    }
}

/// The outcome of walking the segments and then the database's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SegmentsVerification {
    pub segments: usize,
    /// Records checked in the files.
    pub exported_records: i64,
    /// The walk of the database's chain (from its first record).
    pub chain: Verification,
    pub fault: Option<SegmentFault>,
}

/// Writes `records` (consecutive, oldest first) as a segment file in `dir`, durably, and returns
/// its path. A file for the same first seq (left by a pass that stopped before its delete) is replaced.
pub(crate) fn write(dir: &Path, records: &[AuditRecord]) -> Result<PathBuf> {
    let (Some(first), Some(last)) = (records.first(), records.last()) else { unreachable!("segments are never empty") };
    let failed = |path: &Path, error: std::io::Error| StoreError::SegmentWrite { path: path.display().to_string(), message: error.to_string() };
    fs::create_dir_all(dir).map_err(|error| failed(dir, error))?;
    let path = dir.join(format!("audit-{:016}.jsonl", first.seq));
    let partial = dir.join(format!(".audit-{:016}.jsonl.partial", first.seq));
    let head = SegmentHead {
        first_seq: first.seq,
        prev_hash: first.prev_hash.clone(),
        head_seq: last.seq,
        head_hash: last.hash.clone(),
        next_prev_hash: last.hash.clone(),
        records: records.len() as i64,
    };
    let mut text = serde_json::to_string(&HeaderLine { segment: head }).expect("a header serializes");
    text.push('\n');
    for record in records {
        text.push_str(&serde_json::to_string(record).expect("a record serializes"));
        text.push('\n');
    }
    let mut file = fs::File::create(&partial).map_err(|error| failed(&partial, error))?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|error| failed(&partial, error))?;
    fs::rename(&partial, &path).map_err(|error| failed(&path, error))?;
    fs::File::open(dir).and_then(|dir| dir.sync_all()).map_err(|error| failed(dir, error))?;
    Ok(path)
}

/// One segment file read back.
struct Segment {
    path: PathBuf,
    head: SegmentHead,
    records: Vec<AuditRecord>,
}

#[async_trait::async_trait]
impl ChainSource for Segment {
    async fn records_after(&self, seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let start = self.records.partition_point(|record| record.seq <= seq);
        Ok(self.records[start..].iter().take(limit as usize).cloned().collect())
    }

    async fn seq_with_hash(&self, hash: &str, not_seq: i64) -> Result<Option<i64>> {
        Ok(self.records.iter().find(|record| record.hash == hash && record.seq != not_seq).map(|record| record.seq))
    }
}

/// Walks every segment file of `dir` in seq order from seq 1, then `store`'s chain, which must
/// continue where the last segment ends.
pub async fn verify(store: &dyn AuditStore, dir: &Path) -> Result<SegmentsVerification> {
    let chain = store.verify_audit().await?;
    let mut outcome = SegmentsVerification { segments: 0, exported_records: 0, chain: chain.clone(), fault: None };
    let segments = match read_dir(dir) {
        Ok(segments) => segments,
        Err(fault) => {
            outcome.fault = Some(fault);
            return Ok(outcome);
        }
    };
    let mut head = Verification { records: 0, head_seq: 0, head_hash: GENESIS.to_string(), broken: None, first_seq: 1, first_prev_hash: GENESIS.to_string() };
    for segment in &segments {
        if let Some(fault) = check_segment(segment, &mut head).await? {
            outcome.fault = Some(fault);
            return Ok(outcome);
        }
        outcome.segments += 1;
        outcome.exported_records += segment.head.records;
    }
    outcome.fault = check_chain(&chain, &head);
    Ok(outcome)
}

/// Checks one segment after the verified `head` and moves `head` to its end.
async fn check_segment(segment: &Segment, head: &mut Verification) -> Result<Option<SegmentFault>> {
    let fault = |code: &'static str, seq: i64, detail: String| Some(SegmentFault { code, file: Some(segment.path.clone()), seq, detail });
    if segment.head.first_seq > head.head_seq + 1 {
        return Ok(fault("AuditSegment.Missing", head.head_seq + 1, format!("no segment file holds seq {}..{}", head.head_seq + 1, segment.head.first_seq - 1)));
    }
    if segment.head.first_seq <= head.head_seq {
        return Ok(fault("AuditSegment.Reordered", segment.head.first_seq, format!("the segment overlaps the one before it (which ends at seq {})", head.head_seq)));
    }
    if segment.head.prev_hash != head.head_hash {
        return Ok(fault("AuditSegment.Modified", segment.head.first_seq, "the segment does not chain from the end of the one before it".into()));
    }
    let walked = audit::walk_from(segment, head.head_seq, head.head_hash.clone()).await?;
    if let Some(broken) = walked.broken {
        let code = match broken.reason {
            Tamper::Modified => "AuditSegment.Modified",
            Tamper::Deleted => "AuditSegment.Gap",
            Tamper::Reordered => "AuditSegment.Reordered",
        };
        return Ok(fault(code, broken.seq, broken.detail));
    }
    let declared = (segment.head.head_seq, &segment.head.head_hash, segment.head.records);
    if declared != (walked.head_seq, &walked.head_hash, walked.records) || segment.head.next_prev_hash != walked.head_hash {
        let detail = format!("the header names head seq {} but the records end at seq {} (records missing or the header edited)", segment.head.head_seq, walked.head_seq);
        return Ok(fault("AuditSegment.Gap", walked.head_seq + 1, detail));
    }
    head.head_seq = walked.head_seq;
    head.head_hash = walked.head_hash;
    Ok(None)
}

/// Checks that the database's chain is intact and continues where the segments end.
fn check_chain(chain: &Verification, segments_end: &Verification) -> Option<SegmentFault> {
    if let Some(broken) = &chain.broken {
        return Some(SegmentFault { code: "AuditTrail.Broken", file: None, seq: broken.seq, detail: format!("{}: {}", broken.reason.as_str(), broken.detail) });
    }
    if chain.records == 0 {
        return None;
    }
    if chain.first_seq != segments_end.head_seq + 1 {
        let detail = format!("the segments end at seq {} but the database's chain starts at seq {}", segments_end.head_seq, chain.first_seq);
        let code = if chain.first_seq > segments_end.head_seq + 1 { "AuditSegment.Missing" } else { "AuditSegment.Reordered" };
        return Some(SegmentFault { code, file: None, seq: segments_end.head_seq + 1, detail });
    }
    if chain.first_prev_hash != segments_end.head_hash {
        return Some(SegmentFault { code: "AuditSegment.Modified", file: None, seq: chain.first_seq, detail: "the database's first record does not chain from the last segment's head".into() });
    }
    None
}

/// The segment files of `dir`, in seq order.
fn read_dir(dir: &Path) -> Result<Vec<Segment>, SegmentFault> {
    let unreadable = |file: Option<PathBuf>, detail: String| SegmentFault { code: "AuditSegment.Unreadable", file, seq: 0, detail };
    let entries = fs::read_dir(dir).map_err(|error| unreadable(Some(dir.to_owned()), error.to_string()))?;
    let mut segments = Vec::new();
    for entry in entries {
        let path = entry.map_err(|error| unreadable(Some(dir.to_owned()), error.to_string()))?.path();
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        if name.starts_with("audit-") && name.ends_with(".jsonl") {
            segments.push(read_segment(&path).map_err(|detail| unreadable(Some(path.clone()), detail))?);
        }
    }
    segments.sort_by_key(|segment| segment.head.first_seq);
    Ok(segments)
}

fn read_segment(path: &Path) -> Result<Segment, String> {
    let text = fs::read_to_string(path).map_err(|error| error.to_string())?;
    let mut lines = text.lines();
    let header: HeaderLine = serde_json::from_str(lines.next().unwrap_or_default()).map_err(|error| format!("line 1 (the segment header): {error}"))?;
    let records = lines
        .enumerate()
        .map(|(index, line)| serde_json::from_str(line).map_err(|error| format!("line {}: {error}", index + 2)))
        .collect::<Result<Vec<AuditRecord>, String>>()?;
    Ok(Segment { path: path.to_owned(), head: header.segment, records })
}
