//! Text tables for people: columns aligned by display width, so that names in any script
//! line up (an East Asian wide character takes two columns, a combining mark none), as
//! UAX #11 says and terminals draw them (the `unicode-width` crate).

use unicode_width::UnicodeWidthStr;

/// How a column's cells sit in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text: padded on the right.
    Left,
    /// Numbers: padded on the left.
    Right,
}

enum Line {
    Cells(Vec<String>),
    /// Text under the second column (a description, a source), not counted in the widths.
    Note(String),
}

/// A table built row by row and rendered once every width is known.
pub struct Table {
    columns: Vec<(Align, usize)>,
    gap: usize,
    lines: Vec<Line>,
}

/// The width a terminal gives `text`.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

impl Table {
    /// A table whose columns are aligned as `columns` says, `gap` spaces apart.
    pub fn new(columns: &[Align], gap: usize) -> Table {
        Table { columns: columns.iter().map(|a| (*a, 0)).collect(), gap, lines: Vec::new() }
    }

    /// Makes column `index` at least `min` wide (a layout that stays put when every cell is
    /// short).
    pub fn min_width(mut self, index: usize, min: usize) -> Table {
        if let Some(c) = self.columns.get_mut(index) {
            c.1 = c.1.max(min);
        }
        self
    }

    /// Adds a row; missing cells are empty, extra cells are ignored.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let cells: Vec<String> =
            (0..self.columns.len()).map(|i| cells.get(i).map_or("", AsRef::as_ref).to_owned()).collect();
        self.lines.push(Line::Cells(cells));
    }

    /// Adds a line of text that starts where the second column starts.
    pub fn note(&mut self, text: &str) {
        self.lines.push(Line::Note(text.to_owned()));
    }

    /// The table as text, one line per row, each ending in `\n`; no trailing spaces.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.1).collect();
        for line in &self.lines {
            if let Line::Cells(cells) = line {
                for (w, cell) in widths.iter_mut().zip(cells) {
                    *w = (*w).max(width(cell));
                }
            }
        }
        let mut out = String::new();
        for line in &self.lines {
            match line {
                Line::Note(text) => {
                    out.push_str(&" ".repeat(widths.first().map_or(0, |w| w + self.gap)));
                    out.push_str(text);
                }
                Line::Cells(cells) => {
                    let mut text = String::new();
                    for (i, cell) in cells.iter().enumerate() {
                        let pad = " ".repeat(widths[i].saturating_sub(width(cell)));
                        match self.columns[i].0 {
                            Align::Left => {
                                text.push_str(cell);
                                text.push_str(&pad);
                            }
                            Align::Right => {
                                text.push_str(&pad);
                                text.push_str(cell);
                            }
                        }
                        if i + 1 < cells.len() {
                            text.push_str(&" ".repeat(self.gap));
                        }
                    }
                    out.push_str(text.trim_end_matches(' '));
                }
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns_and_the_next_column_lines_up() {
        let mut t = Table::new(&[Align::Left, Align::Right, Align::Left], 2);
        t.row(&["organization", "n", "x"]);
        t.row(&["データ統合", "12", "a"]);
        t.row(&["Müller", "3", "b"]);
        t.note("note");
        let text = t.render();
        let columns: Vec<usize> = text
            .lines()
            .take(3)
            .map(|l| {
                let end = l.rfind(' ').expect("gap") + 1;
                width(&l[..end])
            })
            .collect();
        assert_eq!(columns, [18, 18, 18], "{text}");
        assert_eq!(text.lines().nth(1), Some("データ統合    12  a"));
        assert_eq!(text.lines().nth(3), Some("              note"));
    }
}
