//! Where each node of a template sits in its text: key path → line/column, built from YAML events.
//!
//! JSON is YAML 1.2 flow syntax, so the same event walk serves both formats. The walk also finds
//! duplicate mapping keys, which `serde_json` would silently overwrite.

use std::collections::{HashMap, HashSet};

use serde_saphyr::granit_parser::{Event, Parser, ScanError, Span};

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::path::KeyPath;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// Key path → position of the node (for mapping entries: of the key).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    positions: HashMap<KeyPath, Position>,
}

impl SourceMap {
    /// The position of `path`, or of its nearest ancestor that has one.
    pub fn position_of(&self, path: &KeyPath) -> Option<Position> {
        let mut current = Some(path.clone());
        while let Some(path) = current {
            if let Some(position) = self.positions.get(&path) {
                return Some(*position);
            }
            current = path.parent();
        }
        None
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }
}

enum Frame {
    Mapping { path: KeyPath, pending_key: Option<String>, seen: HashSet<String> },
    Sequence { path: KeyPath, next_index: usize },
    /// A complex (non-scalar) mapping key: its events are skipped.
    SkippedKey { depth: usize },
}

fn position(span: &Span) -> Position {
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Position { line: to_u32(span.start.line()), column: to_u32(span.start.col()).saturating_add(1) }
}

/// The result of the event walk: the map, and any duplicate-key or syntax diagnostics.
pub(crate) struct Scan {
    pub source_map: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Walks the YAML/JSON event stream of `text`.
pub(crate) fn scan(text: &str) -> Scan {
    let mut walker = Walker { source_map: SourceMap::default(), diagnostics: Vec::new(), stack: Vec::new() };
    for event in Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => {
                if walker.on_event(&event, &span) {
                    break;
                }
            }
            Err(error) => {
                walker.diagnostics.push(syntax_error(&error));
                break;
            }
        }
    }
    Scan { source_map: walker.source_map, diagnostics: walker.diagnostics }
}

fn syntax_error(error: &ScanError) -> Diagnostic {
    let marker = error.marker();
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Diagnostic::error(codes::SYNTAX, KeyPath::root(), error.info())
        .at(Position { line: to_u32(marker.line()), column: to_u32(marker.col()).saturating_add(1) })
}

struct Walker {
    source_map: SourceMap,
    diagnostics: Vec<Diagnostic>,
    stack: Vec<Frame>,
}

enum Node {
    Scalar(String),
    Mapping,
    Sequence,
    Other,
}

impl Walker {
    /// Handles one event; returns true when the first document is complete.
    fn on_event(&mut self, event: &Event<'_>, span: &Span) -> bool {
        let node = match event {
            Event::Scalar(text, ..) => Node::Scalar(text.to_string()),
            Event::MappingStart(..) => Node::Mapping,
            Event::SequenceStart(..) => Node::Sequence,
            Event::Alias(..) => Node::Other,
            Event::MappingEnd | Event::SequenceEnd => {
                self.close();
                return self.stack.is_empty() && !self.source_map.is_empty();
            }
            _ => return false,
        };
        if let Some(Frame::SkippedKey { depth }) = self.stack.last_mut() {
            match node {
                Node::Mapping | Node::Sequence => *depth += 1,
                _ => {}
            }
            return false;
        }
        let Some(path) = self.node_path(&node, span) else { return false };
        self.source_map.positions.entry(path.clone()).or_insert_with(|| position(span));
        match node {
            Node::Mapping => self.stack.push(Frame::Mapping { path, pending_key: None, seen: HashSet::new() }),
            Node::Sequence => self.stack.push(Frame::Sequence { path, next_index: 0 }),
            _ => {}
        }
        false
    }

    /// The path of the node that starts now, or None when the node is a mapping key.
    fn node_path(&mut self, node: &Node, span: &Span) -> Option<KeyPath> {
        match self.stack.last_mut() {
            None => Some(KeyPath::root()),
            Some(Frame::Sequence { path, next_index }) => {
                *next_index += 1;
                Some(path.index(*next_index - 1))
            }
            Some(Frame::Mapping { path, pending_key, seen }) => match pending_key.take() {
                Some(key) => Some(path.key(&key)),
                None => {
                    let key = match node {
                        Node::Scalar(key) => key.clone(),
                        Node::Mapping | Node::Sequence => {
                            self.stack.push(Frame::SkippedKey { depth: 1 });
                            return None;
                        }
                        Node::Other => "*alias".to_owned(),
                    };
                    let key_path = path.key(&key);
                    if !seen.insert(key.clone()) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                codes::DUPLICATE_KEY,
                                key_path.clone(),
                                format!("duplicate key `{key}`"),
                            )
                            .at(position(span)),
                        );
                    }
                    self.source_map.positions.entry(key_path).or_insert_with(|| position(span));
                    *pending_key = Some(key);
                    None
                }
            },
            Some(Frame::SkippedKey { .. }) => None,
        }
    }

    fn close(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::SkippedKey { depth }) if *depth > 1 => *depth -= 1,
            Some(Frame::SkippedKey { .. }) => {
                self.stack.pop();
                // The complex key is done; its value follows under a placeholder key.
                if let Some(Frame::Mapping { pending_key, .. }) = self.stack.last_mut() {
                    *pending_key = Some("?complex-key".to_owned());
                }
            }
            _ => {
                self.stack.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> KeyPath {
        text.split('.').fold(KeyPath::root(), |p, part| match part.parse::<usize>() {
            Ok(i) => p.index(i),
            Err(_) => p.key(part),
        })
    }

    #[test]
    fn maps_yaml_paths_to_positions() {
        let text = "FormatVersion: OOS-2019-06-01\nTasks:\n  - Name: a\n    Action: ACS::Sleep\n    Properties:\n      Duration: PT1S\n";
        let scan = scan(text);
        assert!(scan.diagnostics.is_empty());
        let map = scan.source_map;
        assert_eq!(map.position_of(&path("Tasks.0.Action")), Some(Position { line: 4, column: 5 }));
        assert_eq!(map.position_of(&path("Tasks.0.Properties.Duration")), Some(Position { line: 6, column: 7 }));
        assert_eq!(map.position_of(&path("Tasks.0.Properties.Duration.X")), Some(Position { line: 6, column: 7 }));
    }

    #[test]
    fn maps_json_and_reports_duplicate_keys() {
        let text = "{\n  \"Tasks\": [\n    {\"Name\": \"a\", \"Name\": \"b\"}\n  ]\n}";
        let scan = scan(text);
        assert_eq!(scan.source_map.position_of(&path("Tasks.0")), Some(Position { line: 3, column: 5 }));
        assert_eq!(scan.diagnostics.len(), 1);
        assert_eq!(scan.diagnostics[0].code, codes::DUPLICATE_KEY);
        assert_eq!((scan.diagnostics[0].line, scan.diagnostics[0].column), (Some(3), Some(19)));
    }
}
