//! Guessing the separator of a CSV file from its first lines, honouring quotes, so that a
//! comma inside `"3, rue de la Paix"` does not vote for the comma.

/// How many records of the sample are looked at.
const SAMPLE_RECORDS: usize = 20;

/// A column separator (séparateur) a French spreadsheet export may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delimiter {
    /// `;`, Excel's "CSV" on a French Windows.
    Semicolon,
    /// `,`, Excel's "CSV" elsewhere, and most software.
    Comma,
    /// Tab, Excel's "Texte (séparateur : tabulation)".
    Tab,
}

impl Delimiter {
    /// Candidates in order of preference when the evidence is equal.
    pub const ALL: [Self; 3] = [Self::Semicolon, Self::Tab, Self::Comma];

    /// The separator byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::Semicolon => b';',
            Self::Comma => b',',
            Self::Tab => b'\t',
        }
    }

    /// The separator character.
    pub fn char(self) -> char {
        char::from(self.byte())
    }
}

/// Picks the separator whose header splits into several columns and which gives the same
/// column count on the most following lines; `;` when nothing splits.
///
/// `complete` says whether `sample` is the whole file: if not, its last line may be cut and
/// is not counted.
pub fn sniff_delimiter(sample: &str, complete: bool) -> Delimiter {
    let mut best = Delimiter::Semicolon;
    let mut best_score = (0usize, 0usize);
    for delimiter in Delimiter::ALL {
        let counts = field_counts(sample, delimiter.char(), complete);
        let Some((&header, rest)) = counts.split_first() else {
            continue;
        };
        // A separator absent from the header cannot be the file's.
        if header < 2 {
            continue;
        }
        let agreeing = rest.iter().filter(|&&count| count == header).count();
        let score = (agreeing, header);
        if score > best_score {
            best_score = score;
            best = delimiter;
        }
    }
    best
}

/// Quote-aware field counts of the first records of the sample; blank lines are skipped.
fn field_counts(sample: &str, delimiter: char, complete: bool) -> Vec<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut counts = Vec::new();
    let mut state = State::FieldStart;
    let mut fields = 1usize;
    let mut record_has_text = false;
    for c in sample.chars() {
        if counts.len() > SAMPLE_RECORDS {
            return counts;
        }
        let is_newline = c == '\n' || c == '\r';
        match state {
            State::Quoted => {
                if c == '"' {
                    state = State::QuoteInQuoted;
                }
                record_has_text = true;
                continue;
            }
            State::QuoteInQuoted if c == '"' => {
                state = State::Quoted;
                continue;
            }
            _ => {}
        }
        if is_newline {
            if record_has_text {
                counts.push(fields);
            }
            fields = 1;
            record_has_text = false;
            state = State::FieldStart;
        } else if c == delimiter {
            fields += 1;
            record_has_text = true;
            state = State::FieldStart;
        } else {
            record_has_text = true;
            state = if state == State::FieldStart && c == '"' {
                State::Quoted
            } else {
                State::Unquoted
            };
        }
    }
    if record_has_text && (complete || counts.is_empty()) {
        counts.push(fields);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolon_template() {
        let sample = "\u{feff}Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;NIR;\r\n\
                      1234;Sophie;Tifour;1982-02-01;200000000000094;\r\n";
        assert_eq!(sniff_delimiter(sample, true), Delimiter::Semicolon);
    }

    #[test]
    fn comma_with_quoted_commas_and_semicolons() {
        let sample = "Nom,Prénom,Adresse\n\
                      Dupont,Jean,\"3, rue de la Paix; bât. B\"\n\
                      Durand,Marie,\"12; avenue Foch\"\n";
        assert_eq!(sniff_delimiter(sample, true), Delimiter::Comma);
    }

    #[test]
    fn tab_separated() {
        let sample =
            "Courriel*\tPrénom\tNom\tTéléphones\na@b.fr\tA\tB\t06 01 02 03 04, 07 01 02 03 04\n";
        assert_eq!(sniff_delimiter(sample, true), Delimiter::Tab);
    }

    #[test]
    fn semicolon_with_commas_in_data() {
        let sample = "Nom;Adresse\nDupont;3, rue de la Paix\nDurand;5, rue Haute\n";
        assert_eq!(sniff_delimiter(sample, true), Delimiter::Semicolon);
    }

    #[test]
    fn quoted_line_breaks_do_not_count_as_records() {
        let sample = "a,b\n\"x\ny;z;w\",1\n\"p\nq;r;s\",2\n";
        assert_eq!(field_counts(sample, ',', true), vec![2, 2, 2]);
        assert_eq!(sniff_delimiter(sample, true), Delimiter::Comma);
    }

    #[test]
    fn spaces_after_semicolons() {
        let sample = "id; nom; prénom; date de naissance; emails des professionnels\r\n\
                      b7e43c7c-7c3e-464b-80de-f4926d4bb1e0; Saintpa; Marc; 1982-02-01; \r\n";
        assert_eq!(sniff_delimiter(sample, true), Delimiter::Semicolon);
    }

    #[test]
    fn single_column_or_empty_defaults_to_semicolon() {
        assert_eq!(
            sniff_delimiter("Courriel\na@b.fr\n", true),
            Delimiter::Semicolon
        );
        assert_eq!(sniff_delimiter("", true), Delimiter::Semicolon);
        assert_eq!(sniff_delimiter("Nom\n;;,,\t\n", true), Delimiter::Semicolon);
    }

    #[test]
    fn a_cut_last_line_is_ignored() {
        let sample = "a;b;c\n1;2;3\n4;5";
        assert_eq!(field_counts(sample, ';', false), vec![3, 3]);
        assert_eq!(field_counts(sample, ';', true), vec![3, 3, 2]);
    }
}
