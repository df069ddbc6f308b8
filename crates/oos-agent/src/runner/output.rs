//! The output of one invocation: the first `limit` bytes kept (cut on a UTF-8 boundary), the rest
//! counted, and what is kept handed out in chunks for streaming.

/// Collects a process's output.
#[derive(Debug)]
pub struct OutputCollector {
    kept: Vec<u8>,
    limit: usize,
    /// Once the limit is reached nothing more is kept (even a shorter character that would fit).
    full: bool,
    dropped: u64,
    /// How much of `kept` was already handed out.
    streamed: usize,
}

impl OutputCollector {
    /// Keeps at most `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Self { kept: Vec::new(), limit: usize::try_from(limit).unwrap_or(usize::MAX), full: false, dropped: 0, streamed: 0 }
    }

    /// Adds bytes read from the process.
    pub fn push(&mut self, bytes: &[u8]) {
        let room = if self.full { 0 } else { self.limit - self.kept.len() };
        if bytes.len() <= room {
            self.kept.extend_from_slice(bytes);
            return;
        }
        let cut = utf8_cut(bytes, room);
        self.kept.extend_from_slice(&bytes[..cut]);
        self.dropped += (bytes.len() - cut) as u64;
        self.full = true;
    }

    /// Bytes kept but not handed out yet.
    pub fn pending(&self) -> usize {
        self.kept.len() - self.streamed
    }

    /// The kept bytes not handed out yet that end on a character boundary (all of them at the end),
    /// decoded lossily; `None` when there is nothing to hand out.
    pub fn take_chunk(&mut self, at_end: bool) -> Option<String> {
        let fresh = &self.kept[self.streamed..];
        let length = if at_end || self.full { fresh.len() } else { complete_prefix(fresh) };
        if length == 0 {
            return None;
        }
        let chunk = String::from_utf8_lossy(&fresh[..length]).into_owned();
        self.streamed += length;
        Some(chunk)
    }

    /// The whole kept output and the count of bytes dropped.
    pub fn finish(self) -> (String, u64) {
        (String::from_utf8_lossy(&self.kept).into_owned(), self.dropped)
    }
}

/// The largest cut `<= room` of `bytes` that does not split a UTF-8 sequence.
fn utf8_cut(bytes: &[u8], room: usize) -> usize {
    let mut cut = room.min(bytes.len());
    let mut steps = 0;
    while cut > 0 && cut < bytes.len() && is_continuation(bytes[cut]) && steps < 3 {
        cut -= 1;
        steps += 1;
    }
    cut
}

/// The length of `bytes` without a trailing incomplete UTF-8 sequence.
fn complete_prefix(bytes: &[u8]) -> usize {
    let start = bytes.len().saturating_sub(3);
    for index in (start..bytes.len()).rev() {
        let byte = bytes[index];
        if is_continuation(byte) {
            continue;
        }
        let needed = match byte {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if index + needed > bytes.len() { index } else { bytes.len() };
    }
    bytes.len()
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_cuts_before_a_split_character_and_counts_the_rest() {
        let mut collector = OutputCollector::new(5);
        collector.push("abcdé".as_bytes()); // 6 bytes: é is 2
        collector.push(b"xyz");
        assert_eq!(collector.finish(), ("abcd".to_owned(), 5));
    }

    #[test]
    fn chunks_wait_for_a_whole_character() {
        let mut collector = OutputCollector::new(100);
        let text = "é".as_bytes();
        collector.push(&text[..1]);
        assert_eq!(collector.take_chunk(false), None);
        collector.push(&text[1..]);
        assert_eq!(collector.take_chunk(false).as_deref(), Some("é"));
        assert_eq!(collector.pending(), 0);
    }
}
