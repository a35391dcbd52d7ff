//! SQL `LIKE` with ksqlDB's rules: `%` matches any run, `_` one character, and no
//! escape character unless `ESCAPE` names one. Arrow's `like` kernel treats `\` as an
//! escape always, so it differs from ksqlDB on patterns with a backslash; this kernel
//! runs over the string array's native `&str` values instead.

/// A compiled SQL `LIKE` pattern: `%` matches any run, `_` one character.
#[derive(Debug, Clone)]
pub struct LikePattern {
    kind: LikeKind,
}

#[derive(Debug, Clone)]
enum LikeKind {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    General(Vec<LikeToken>),
}

#[derive(Debug, Clone, PartialEq)]
enum LikeToken {
    Literal(char),
    One,
    Many,
}

impl LikePattern {
    pub fn new(pattern: &str, escape: Option<char>) -> LikePattern {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if Some(c) == escape {
                if let Some(n) = chars.next() {
                    tokens.push(LikeToken::Literal(n));
                }
                continue;
            }
            match c {
                '%' => {
                    if tokens.last() != Some(&LikeToken::Many) {
                        tokens.push(LikeToken::Many)
                    }
                }
                '_' => tokens.push(LikeToken::One),
                c => tokens.push(LikeToken::Literal(c)),
            }
        }
        let literal = |ts: &[LikeToken]| -> Option<String> {
            ts.iter()
                .map(|t| match t {
                    LikeToken::Literal(c) => Some(*c),
                    _ => None,
                })
                .collect()
        };
        let n = tokens.len();
        let kind = if let Some(s) = literal(&tokens) {
            LikeKind::Exact(s)
        } else if n >= 1 && tokens[n - 1] == LikeToken::Many && literal(&tokens[..n - 1]).is_some() {
            LikeKind::Prefix(literal(&tokens[..n - 1]).unwrap_or_default())
        } else if n >= 1 && tokens[0] == LikeToken::Many && literal(&tokens[1..]).is_some() {
            LikeKind::Suffix(literal(&tokens[1..]).unwrap_or_default())
        } else if n >= 2
            && tokens[0] == LikeToken::Many
            && tokens[n - 1] == LikeToken::Many
            && literal(&tokens[1..n - 1]).is_some()
        {
            LikeKind::Contains(literal(&tokens[1..n - 1]).unwrap_or_default())
        } else {
            LikeKind::General(tokens)
        };
        LikePattern { kind }
    }

    pub fn matches(&self, s: &str) -> bool {
        match &self.kind {
            LikeKind::Exact(p) => s == p,
            LikeKind::Prefix(p) => s.starts_with(p.as_str()),
            LikeKind::Suffix(p) => s.ends_with(p.as_str()),
            LikeKind::Contains(p) => s.contains(p.as_str()),
            LikeKind::General(tokens) => {
                let text: Vec<char> = s.chars().collect();
                wildcard(tokens, &text)
            }
        }
    }
}

/// Iterative wildcard matching with single-star backtracking: O(n*m) worst case.
fn wildcard(p: &[LikeToken], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(LikeToken::Many) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(LikeToken::One) => {
                pi += 1;
                ti += 1;
            }
            Some(LikeToken::Literal(c)) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == LikeToken::Many)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        let cases = [
            ("iOS%", "iOS-app", true),
            ("iOS%", "android", false),
            ("%Invalid user%", "sshd: Invalid user admin", true),
            ("%.log", "a.log", true),
            ("a_c", "abc", true),
            ("a_c", "abbc", false),
            ("a%b%c", "axxbyyc", true),
            ("a%b%c", "axxbyy", false),
            ("", "", true),
            ("%", "anything", true),
            ("a\\b", "a\\b", true),
        ];
        for (p, s, want) in cases {
            assert_eq!(LikePattern::new(p, None).matches(s), want, "{p} ~ {s}");
        }
        assert!(LikePattern::new("100!%", Some('!')).matches("100%"));
        assert!(!LikePattern::new("100!%", Some('!')).matches("1000"));
    }
}
