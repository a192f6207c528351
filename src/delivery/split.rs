//! Cutting text to a platform's message size, counted as the platform counts it.

/// Telegram (and Discord) count message length in UTF-16 code units: an emoji is two.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Splits `text` into pieces of at most `max` UTF-16 units, at line breaks where it can,
/// else at a character boundary. Joining the pieces with `\n` gives back the text when
/// every cut fell on a line break.
pub fn split(text: &str, max: usize) -> Vec<String> {
    assert!(max >= 2, "a piece must hold at least one character");
    let mut pieces = Vec::new();
    let mut current = String::new();
    for line in text.split('\n') {
        let needed = utf16_len(line) + usize::from(!current.is_empty());
        if utf16_len(&current) + needed <= max {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
            continue;
        }
        if !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
        // A single line longer than a message is cut at character boundaries.
        for ch in line.chars() {
            if utf16_len(&current) + ch.len_utf16() > max {
                pieces.push(std::mem::take(&mut current));
            }
            current.push(ch);
        }
    }
    if !current.is_empty() || pieces.is_empty() {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_piece() {
        assert_eq!(split("a\nb", 10), ["a\nb"]);
    }

    #[test]
    fn long_text_is_cut_at_line_breaks_and_loses_nothing() {
        let text: String = (0..500).map(|i| format!("#{i} case line with 燃气 and 🔥")).collect::<Vec<_>>().join("\n");
        let pieces = split(&text, 4096);
        assert!(pieces.len() > 1);
        assert!(pieces.iter().all(|p| utf16_len(p) <= 4096));
        assert_eq!(pieces.join("\n"), text);
    }

    #[test]
    fn a_line_longer_than_a_message_is_cut_between_characters() {
        let line = "🔥".repeat(3000); // 6000 UTF-16 units
        let pieces = split(&line, 4096);
        assert_eq!(pieces.len(), 2);
        assert!(pieces.iter().all(|p| utf16_len(p) <= 4096));
        assert_eq!(pieces.concat(), line);
    }
}
