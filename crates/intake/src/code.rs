//! Code excerpts as tools print them: each line behind its number (Bandit
//! `26     except:`, gosec `26: \texcept`), often with a line or two of
//! context around the flagged lines.

use crate::common::non_blank;

/// The lines of `code` from `first` to `last`, without their numbers, so a
/// snippet holds only the flagged code and a fingerprint built from it does
/// not change when a neighbouring line does. Code whose lines are not all
/// numbered is kept as it is; numbered code outside the range is kept whole.
pub(crate) fn numbered_snippet(
    code: &str,
    first: Option<u32>,
    last: Option<u32>,
) -> Option<String> {
    let numbered: Option<Vec<(u32, &str)>> = code.lines().map(numbered_line).collect();
    let Some(numbered) = numbered.filter(|lines| !lines.is_empty()) else {
        return non_blank(Some(code)).map(|_| code.trim_end().to_string());
    };
    let in_range = |n: &u32| first.is_none_or(|f| *n >= f) && last.is_none_or(|l| *n <= l);
    let flagged: Vec<&str> =
        numbered.iter().filter(|(n, _)| in_range(n)).map(|(_, text)| *text).collect();
    let lines =
        if flagged.is_empty() { numbered.iter().map(|(_, text)| *text).collect() } else { flagged };
    let text = lines.join("\n");
    (!text.trim().is_empty()).then(|| text.trim_end().to_string())
}

/// `26     except:` → `(26, "    except:")`, `26: \texcept:` → `(26,
/// "\texcept:")`: the number, then the line after the `:` and the one blank
/// that tools put between them; `None` for a line without a number.
fn numbered_line(line: &str) -> Option<(u32, &str)> {
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let number = line.get(..digits)?.parse().ok()?;
    let rest = line.get(digits..)?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    Some((number, rest.strip_prefix([' ', '\t']).unwrap_or(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_flagged_lines_are_kept_without_numbers() {
        let bandit = "25         save(x)\n26     except:\n27         pass\n28 \n";
        assert_eq!(
            numbered_snippet(bandit, Some(26), Some(27)).as_deref(),
            Some("    except:\n        pass")
        );
        let gosec = "27: func f() {\n28: \tdata, _ := os.ReadFile(p)\n29: }\n";
        assert_eq!(
            numbered_snippet(gosec, Some(28), Some(28)).as_deref(),
            Some("\tdata, _ := os.ReadFile(p)")
        );
    }

    #[test]
    fn code_without_numbers_or_out_of_range_is_kept_whole() {
        assert_eq!(numbered_snippet("x = 1\n", Some(3), Some(3)).as_deref(), Some("x = 1"));
        assert_eq!(numbered_snippet("f(`a\n2 b`)", Some(1), None).as_deref(), Some("f(`a\n2 b`)"));
        assert_eq!(numbered_snippet("9 y = 2\n", Some(3), Some(3)).as_deref(), Some("y = 2"));
        assert_eq!(numbered_snippet("", Some(3), None), None);
        assert_eq!(numbered_snippet("4 \n", Some(4), None), None);
    }
}
