//! Frames between parent and child: a 4-byte big-endian length, then that many bytes of JSON.

use std::io::{self, Read, Write};

/// Largest frame either side accepts (a job carries a task result; results are bounded well below).
pub const MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;

/// Writes `value` as one frame.
pub fn write(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    let bytes = serde_json::to_vec(value).map_err(io::Error::other)?;
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("a frame of {} bytes is larger than {MAX_FRAME_BYTES}", bytes.len())));
    }
    let len = u32::try_from(bytes.len()).map_err(io::Error::other)?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(&bytes)?;
    out.flush()
}

/// Reads one frame; `Ok(None)` when the other side closed before a new frame began.
pub fn read<T: serde::de::DeserializeOwned>(input: &mut impl Read) -> io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME_BYTES {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("a frame of {len} bytes is larger than {MAX_FRAME_BYTES}")));
    }
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    serde_json::from_slice(&bytes).map(Some).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_oversized_lengths_are_refused() {
        let mut buffer = Vec::new();
        write(&mut buffer, &serde_json::json!({"a": [1, 2]})).unwrap();
        write(&mut buffer, &"two").unwrap();
        let mut input = buffer.as_slice();
        assert_eq!(read::<serde_json::Value>(&mut input).unwrap(), Some(serde_json::json!({"a": [1, 2]})));
        assert_eq!(read::<String>(&mut input).unwrap(), Some("two".to_owned()));
        assert_eq!(read::<String>(&mut input).unwrap(), None);
        let huge = u32::MAX.to_be_bytes();
        assert_eq!(read::<String>(&mut huge.as_slice()).unwrap_err().kind(), io::ErrorKind::InvalidData);
    }
}
