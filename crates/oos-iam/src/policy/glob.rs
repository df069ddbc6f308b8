//! Wildcard matching for RAM patterns: `*` matches any run of characters (also `:` and `/`),
//! `?` exactly one character; everything else is literal.

/// Whether `text` matches `pattern` as a whole. Linear in practice: one backtrack point (the last `*`).
/// ASCII inputs are matched byte-wise without allocating.
pub fn matches(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return matches_units(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    matches_units(&pattern, &text, '*', '?')
}

fn matches_units<T: Copy + PartialEq>(pattern: &[T], text: &[T], star: T, any_one: T) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(&c) if c == star => {
                last_star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == any_one || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match last_star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    last_star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == star)
}

/// [`matches()`] ignoring case (Unicode lower-casing of both sides).
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    matches(&pattern.to_lowercase(), &text.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_table() {
        let cases = [
            ("*", "", true),
            ("*", "anything:at/all", true),
            ("oos:Start*", "oos:StartExecution", true),
            ("oos:Start*", "oos:Stop", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            (
                "acs:oos:*:*:template/*",
                "acs:oos:cn-hangzhou:123:template/prod-web",
                true,
            ),
            (
                "acs:oos:*:*:template/*",
                "acs:oos:cn-hangzhou:123:execution/exec-1",
                false,
            ),
            (
                "acs:ecs:cn-hangzhou:123:instance/i-*",
                "acs:ecs:cn-hangzhou:123:instance/i-abc",
                true,
            ),
            (
                "acs:ecs:cn-hangzhou:123:instance/i-*",
                "acs:ecs:cn-beijing:123:instance/i-abc",
                false,
            ),
            ("**", "x", true),
            ("x", "x", true),
            ("x", "xy", false),
            ("", "", true),
            ("", "a", false),
            ("?", "é", true),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(matches(pattern, text), want, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn case_folding_is_opt_in() {
        assert!(!matches("oos:start*", "oos:StartExecution"));
        assert!(matches_ignore_case("OOS:start*", "oos:StartExecution"));
    }
}
