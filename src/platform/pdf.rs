//! A small PDF writer for text documents such as commission statements: headings, wrapped
//! paragraphs, label/value facts and tables with right-aligned money columns, laid out on A4
//! pages with automatic page breaks and a "Page n of m" footer.
//!
//! Written by hand because text is all we need: the base fonts Helvetica and Helvetica-Bold are
//! built into every PDF viewer (nothing to embed), text is WinAnsi-encoded, and content streams
//! stay uncompressed. That fits in one module, where a PDF crate would bring far more than we use.

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Baseline of the footer, inside the bottom margin so it never collides with content.
const FOOTER_BASELINE: f32 = 30.0;
/// Space between a table cell's text and its column edges.
const CELL_PADDING: f32 = 4.0;
/// A table row must fit on one page, so a cell shows at most this many lines and ends in "…".
const MAX_CELL_LINES: usize = 6;
/// Space between a table's header row and its first row, with a rule in the middle.
const HEADER_RULE_GAP: f32 = 3.0;
/// Space after a paragraph, facts or table.
const BLOCK_GAP: f32 = 8.0;
/// WinAnsi byte of "…", which marks cut text.
const ELLIPSIS: u8 = 0x85;

#[derive(Clone, Copy)]
struct Style {
    font: Font,
    size: f32,
    leading: f32,
    /// 0 is black.
    gray: f32,
}

const HEADING: Style = Style {
    font: Font::Bold,
    size: 16.0,
    leading: 22.0,
    gray: 0.0,
};
const BODY: Style = Style {
    font: Font::Regular,
    size: 10.0,
    leading: 14.0,
    gray: 0.0,
};
const LABEL: Style = Style {
    font: Font::Regular,
    size: 10.0,
    leading: 14.0,
    gray: 0.4,
};
const TABLE_HEAD: Style = Style {
    font: Font::Bold,
    size: 9.0,
    leading: 13.0,
    gray: 0.0,
};
const TABLE_BODY: Style = Style {
    font: Font::Regular,
    size: 9.0,
    leading: 13.0,
    gray: 0.0,
};
const FOOTER: Style = Style {
    font: Font::Regular,
    size: 8.0,
    leading: 10.0,
    gray: 0.4,
};

/// How a table column aligns its heading and cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    /// For amounts, so the digits line up.
    Right,
}

/// One table column. Columns wider in total than the page are narrowed in proportion.
#[derive(Clone, Copy, Debug)]
pub struct Column<'a> {
    pub heading: &'a str,
    pub width_pt: f32,
    pub align: Align,
}

/// A document being laid out; [`Document::finish`] turns it into PDF bytes.
pub struct Document {
    title: String,
    /// Content streams of the finished pages; footers are added at the end, once the page
    /// count is known.
    pages: Vec<Vec<u8>>,
    /// Content stream of the page being filled.
    page: Vec<u8>,
    /// Top of the next line on the current page.
    y: f32,
}

impl Document {
    /// An empty document; `title` becomes the PDF's /Title and appears in every footer.
    pub fn new(title: &str) -> Document {
        Document {
            title: title.to_owned(),
            pages: Vec::new(),
            page: Vec::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    /// A bold, larger line (wrapped if long), kept on the same page as what follows it.
    pub fn heading(&mut self, text: &str) {
        if !self.page.is_empty() {
            self.y -= BLOCK_GAP;
        }
        let lines = wrap(text, HEADING, CONTENT_WIDTH);
        self.make_room(lines.len() as f32 * HEADING.leading + 2.0 * BODY.leading);
        for line in &lines {
            self.line(MARGIN, HEADING, line);
        }
        self.y -= BLOCK_GAP / 2.0;
    }

    /// Body text wrapped to the page width; a newline starts a new line.
    pub fn paragraph(&mut self, text: &str) {
        for line in &wrap(text, BODY, CONTENT_WIDTH) {
            self.line(MARGIN, BODY, line);
        }
        self.y -= BLOCK_GAP;
    }

    /// Label/value pairs in two columns: grey labels, values beside them, both wrapped.
    pub fn facts(&mut self, rows: &[(&str, String)]) {
        const GAP: f32 = 12.0;
        let widest = rows
            .iter()
            .map(|(label, _)| width(&encode(label), LABEL))
            .fold(0.0, f32::max);
        // Long labels wrap rather than squeeze the values.
        let label_width = widest.min(CONTENT_WIDTH * 0.4);
        let value_x = MARGIN + label_width + GAP;
        for (label, value) in rows {
            let labels = wrap(label, LABEL, label_width);
            let values = wrap(value, BODY, CONTENT_WIDTH - label_width - GAP);
            // Line by line, so even a very long value breaks across pages instead of running
            // off the bottom.
            for i in 0..labels.len().max(values.len()).max(1) {
                self.make_room(BODY.leading);
                let baseline = self.y - BODY.size;
                if let Some(text) = labels.get(i) {
                    show(&mut self.page, MARGIN, baseline, LABEL, text);
                }
                if let Some(text) = values.get(i) {
                    show(&mut self.page, value_x, baseline, BODY, text);
                }
                self.y -= BODY.leading;
            }
        }
        self.y -= BLOCK_GAP;
    }

    /// A table with a bold header row that is repeated on every page the table continues on.
    /// Cells wrap within their column (at most [`MAX_CELL_LINES`] lines, then "…"); a row
    /// never splits across pages. Missing cells stay empty, extra cells are ignored.
    pub fn table(&mut self, columns: &[Column], rows: &[Vec<String>]) {
        let total: f32 = columns.iter().map(|c| c.width_pt).sum();
        let scale = if total > CONTENT_WIDTH {
            CONTENT_WIDTH / total
        } else {
            1.0
        };
        let columns: Vec<Column> = columns
            .iter()
            .map(|column| Column {
                width_pt: column.width_pt * scale,
                ..*column
            })
            .collect();
        let header: Vec<_> = columns
            .iter()
            .map(|column| cell_lines(column.heading, TABLE_HEAD, column.width_pt))
            .collect();
        let body: Vec<Vec<_>> = rows
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, column)| {
                        let text = row.get(i).map_or("", String::as_str);
                        cell_lines(text, TABLE_BODY, column.width_pt)
                    })
                    .collect()
            })
            .collect();
        // Keep the header with the first row.
        let first = body
            .first()
            .map_or(0.0, |cells| row_height(cells, TABLE_BODY));
        self.make_room(row_height(&header, TABLE_HEAD) + HEADER_RULE_GAP + first);
        self.table_header(&columns, &header);
        for cells in &body {
            if self.make_room(row_height(cells, TABLE_BODY)) {
                self.table_header(&columns, &header);
            }
            self.table_row(&columns, cells, TABLE_BODY);
        }
        self.y -= BLOCK_GAP;
    }

    /// The PDF file: every page gets its footer, then the objects, cross-reference table and
    /// trailer are written.
    pub fn finish(mut self) -> Vec<u8> {
        self.pages.push(std::mem::take(&mut self.page));
        let count = self.pages.len();
        let title = cut(encode(&self.title), FOOTER, CONTENT_WIDTH / 2.0);
        for (i, page) in self.pages.iter_mut().enumerate() {
            show(page, MARGIN, FOOTER_BASELINE, FOOTER, &title);
            let number = encode(&format!("Page {} of {count}", i + 1));
            let x = PAGE_WIDTH - MARGIN - width(&number, FOOTER);
            show(page, x, FOOTER_BASELINE, FOOTER, &number);
        }
        write_file(&self.title, &self.pages)
    }

    /// Starts a new page unless `height` more points fit on this one (or it is still empty,
    /// where a break would not help). Returns whether it did.
    fn make_room(&mut self, height: f32) -> bool {
        if self.y - height >= MARGIN || self.page.is_empty() {
            return false;
        }
        self.pages.push(std::mem::take(&mut self.page));
        self.y = PAGE_HEIGHT - MARGIN;
        true
    }

    /// One line of text at the cursor, on a new page if this one is full.
    fn line(&mut self, x: f32, style: Style, text: &[u8]) {
        self.make_room(style.leading);
        show(&mut self.page, x, self.y - style.size, style, text);
        self.y -= style.leading;
    }

    /// The header row and the rule under it.
    fn table_header(&mut self, columns: &[Column], header: &[Vec<Vec<u8>>]) {
        self.table_row(columns, header, TABLE_HEAD);
        let right = MARGIN + columns.iter().map(|c| c.width_pt).sum::<f32>();
        rule(
            &mut self.page,
            MARGIN,
            right,
            self.y - HEADER_RULE_GAP / 2.0,
        );
        self.y -= HEADER_RULE_GAP;
    }

    /// One table row at the cursor; the caller has made room for it.
    fn table_row(&mut self, columns: &[Column], cells: &[Vec<Vec<u8>>], style: Style) {
        let mut left = MARGIN;
        for (column, lines) in columns.iter().zip(cells) {
            for (i, text) in lines.iter().enumerate() {
                let baseline = self.y - style.size - i as f32 * style.leading;
                let x = match column.align {
                    Align::Left => left + CELL_PADDING,
                    Align::Right => left + column.width_pt - CELL_PADDING - width(text, style),
                };
                show(&mut self.page, x, baseline, style, text);
            }
            left += column.width_pt;
        }
        self.y -= row_height(cells, style);
    }
}

fn row_height(cells: &[Vec<Vec<u8>>], style: Style) -> f32 {
    cells.iter().map(Vec::len).max().unwrap_or(0).max(1) as f32 * style.leading
}

/// A cell's lines, wrapped inside the column's padding and cut after [`MAX_CELL_LINES`].
fn cell_lines(text: &str, style: Style, column_width: f32) -> Vec<Vec<u8>> {
    let inner = column_width - 2.0 * CELL_PADDING;
    let mut lines = wrap(text, style, inner);
    if lines.len() > MAX_CELL_LINES {
        lines.truncate(MAX_CELL_LINES);
        // Text was dropped, so the last line ends in "…" even if it would fit as it is.
        if let Some(last) = lines.last_mut() {
            *last = with_ellipsis(std::mem::take(last), style, inner);
        }
    }
    lines
}

/// Greedy word wrap of `text` (encoded to WinAnsi) into lines at most `max_width` wide. A
/// word wider than a line is broken between characters, so nothing is lost or overflows.
fn wrap(text: &str, style: Style, max_width: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for source in text.lines() {
        let mut line: Vec<u8> = Vec::new();
        let encoded = encode(source);
        for word in encoded.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
            if !line.is_empty() {
                let mut longer = line.clone();
                longer.push(b' ');
                longer.extend_from_slice(word);
                if width(&longer, style) <= max_width {
                    line = longer;
                    continue;
                }
                lines.push(std::mem::take(&mut line));
            }
            for &byte in word {
                line.push(byte);
                // Always keep one character per line, or a too-narrow column would loop forever.
                if line.len() > 1 && width(&line, style) > max_width {
                    line.pop();
                    lines.push(std::mem::replace(&mut line, vec![byte]));
                }
            }
        }
        // An empty source line stays, as vertical space.
        lines.push(line);
    }
    lines
}

/// `text` shortened to fit `max_width`, ending in "…" if anything was removed.
fn cut(text: Vec<u8>, style: Style, max_width: f32) -> Vec<u8> {
    if width(&text, style) <= max_width {
        text
    } else {
        with_ellipsis(text, style, max_width)
    }
}

/// `text` with "…" appended, dropping characters before it until it fits `max_width`.
fn with_ellipsis(mut text: Vec<u8>, style: Style, max_width: f32) -> Vec<u8> {
    text.push(ELLIPSIS);
    while text.len() > 1 && width(&text, style) > max_width {
        text.remove(text.len() - 2);
    }
    text
}

/// Draws one line of WinAnsi text with its baseline starting at (`x`, `baseline`).
fn show(page: &mut Vec<u8>, x: f32, baseline: f32, style: Style, text: &[u8]) {
    if text.is_empty() {
        return;
    }
    let font = match style.font {
        Font::Regular => "/F1",
        Font::Bold => "/F2",
    };
    let setup = format!(
        "BT {} g {font} {} Tf {} {} Td ",
        num(style.gray),
        num(style.size),
        num(x),
        num(baseline)
    );
    page.extend_from_slice(setup.as_bytes());
    page.push(b'(');
    for &byte in text {
        // These three would end or corrupt the string literal.
        if matches!(byte, b'(' | b')' | b'\\') {
            page.push(b'\\');
        }
        page.push(byte);
    }
    page.extend_from_slice(b") Tj ET\n");
}

/// A thin grey horizontal line.
fn rule(page: &mut Vec<u8>, from: f32, to: f32, y: f32) {
    let y = num(y);
    let line = format!("0.6 G 0.5 w {} {y} m {} {y} l S\n", num(from), num(to));
    page.extend_from_slice(line.as_bytes());
}

/// Coordinates with at most two decimals, without trailing zeros.
fn num(value: f32) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Object numbers: the fixed objects first, then a page and its content stream per page.
const CATALOG: usize = 1;
const PAGES: usize = 2;
const FONT_REGULAR: usize = 3;
const FONT_BOLD: usize = 4;
const INFO: usize = 5;
const FIRST_PAGE: usize = 6;

fn write_file(title: &str, pages: &[Vec<u8>]) -> Vec<u8> {
    // The comment's bytes above 127 tell transfer tools the file is binary.
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    let mut object = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    let page_ids = (0..pages.len()).map(|i| FIRST_PAGE + 2 * i);
    let kids: Vec<String> = page_ids.clone().map(|id| format!("{id} 0 R")).collect();
    object(
        &mut out,
        format!("<< /Type /Catalog /Pages {PAGES} 0 R >>").as_bytes(),
    );
    let pages_dict = format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        pages.len()
    );
    object(&mut out, pages_dict.as_bytes());
    for name in ["Helvetica", "Helvetica-Bold"] {
        let font = format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>"
        );
        object(&mut out, font.as_bytes());
    }
    // Metadata strings are not WinAnsi but PDFDocEncoding or UTF-16; UTF-16 keeps any title.
    let title: String = title
        .encode_utf16()
        .map(|unit| format!("{unit:04X}"))
        .collect();
    let info = format!("<< /Title <FEFF{title}> /Producer (Portico) >>");
    object(&mut out, info.as_bytes());
    for (id, content) in page_ids.zip(pages) {
        let page = format!(
            "<< /Type /Page /Parent {PAGES} 0 R /MediaBox [0 0 {} {}] \
             /Resources << /Font << /F1 {FONT_REGULAR} 0 R /F2 {FONT_BOLD} 0 R >> >> \
             /Contents {} 0 R >>",
            num(PAGE_WIDTH),
            num(PAGE_HEIGHT),
            id + 1
        );
        object(&mut out, page.as_bytes());
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(content);
        stream.extend_from_slice(b"\nendstream");
        object(&mut out, &stream);
    }
    let xref_at = out.len();
    let size = offsets.len() + 1;
    // Every entry is exactly 20 bytes, its line ending included.
    let mut xref = format!("xref\n0 {size}\n0000000000 65535 f \n");
    for offset in &offsets {
        xref.push_str(&format!("{offset:010} 00000 n \n"));
    }
    xref.push_str(&format!(
        "trailer\n<< /Size {size} /Root {CATALOG} 0 R /Info {INFO} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    ));
    out.extend_from_slice(xref.as_bytes());
    out
}

/// Unicode text as WinAnsi (Windows-1252) bytes, the encoding the fonts are declared with:
/// ASCII and Latin-1 map to themselves, the typographic extras to their 0x80–0x9F bytes,
/// anything else to "?".
fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ' '..='~' | '\u{A0}'..='\u{FF}' => out.push(c as u8),
            // Control characters have no glyph; a tab reads best as a space.
            '\0'..='\u{1F}' | '\u{7F}' => out.push(b' '),
            // Used in explanations ("rate → amount") and close enough.
            '→' => out.extend_from_slice(b"->"),
            _ => out.push(
                WIN_ANSI_EXTRAS
                    .iter()
                    .find(|&&(extra, _)| extra == c)
                    .map_or(b'?', |&(_, byte)| byte),
            ),
        }
    }
    out
}

/// The characters outside Latin-1 that WinAnsi places at 0x80–0x9F.
const WIN_ANSI_EXTRAS: [(char, u8); 27] = [
    ('\u{20AC}', 0x80), // €
    ('\u{201A}', 0x82), // ‚
    ('\u{0192}', 0x83), // ƒ
    ('\u{201E}', 0x84), // „
    ('\u{2026}', 0x85), // …
    ('\u{2020}', 0x86), // †
    ('\u{2021}', 0x87), // ‡
    ('\u{02C6}', 0x88), // ˆ
    ('\u{2030}', 0x89), // ‰
    ('\u{0160}', 0x8A), // Š
    ('\u{2039}', 0x8B), // ‹
    ('\u{0152}', 0x8C), // Œ
    ('\u{017D}', 0x8E), // Ž
    ('\u{2018}', 0x91), // ‘
    ('\u{2019}', 0x92), // ’
    ('\u{201C}', 0x93), // “
    ('\u{201D}', 0x94), // ”
    ('\u{2022}', 0x95), // •
    ('\u{2013}', 0x96), // –
    ('\u{2014}', 0x97), // —
    ('\u{02DC}', 0x98), // ˜
    ('\u{2122}', 0x99), // ™
    ('\u{0161}', 0x9A), // š
    ('\u{203A}', 0x9B), // ›
    ('\u{0153}', 0x9C), // œ
    ('\u{017E}', 0x9E), // ž
    ('\u{0178}', 0x9F), // Ÿ
];

#[derive(Clone, Copy)]
enum Font {
    Regular,
    Bold,
}

/// Width of WinAnsi text in points (kerning is ignored; it changes little at these sizes).
fn width(text: &[u8], style: Style) -> f32 {
    let widths = match style.font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    let units: u32 = text
        .iter()
        .map(|&b| u32::from(widths[usize::from(b)]))
        .sum();
    units as f32 * style.size / 1000.0
}

// Glyph widths in 1/1000 em of each WinAnsi code, from Adobe's Helvetica and Helvetica-Bold
// AFM metrics (the standard 14 fonts). Codes WinAnsi leaves undefined are 0; `encode` never
// produces them.
const HELVETICA: [u16; 256] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x00
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x10
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, // 0x70
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];
const HELVETICA_BOLD: [u16; 256] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x00
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x10
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, // 0x70
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

#[cfg(test)]
mod tests {
    use super::*;

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        find(haystack, needle.as_bytes()).is_some()
    }

    /// The objects in number order, found through the xref table, after checking that each
    /// offset points exactly at `n 0 obj`.
    fn objects(pdf: &[u8]) -> Vec<&[u8]> {
        let startxref = pdf.windows(10).rposition(|w| w == b"startxref\n").unwrap();
        let tail = std::str::from_utf8(&pdf[startxref + 10..]).unwrap();
        let xref_at: usize = tail.lines().next().unwrap().parse().unwrap();
        let xref = std::str::from_utf8(&pdf[xref_at..]).unwrap();
        let header = xref.lines().take(2).collect::<Vec<_>>();
        assert_eq!(header[0], "xref");
        let size: usize = header[1].strip_prefix("0 ").unwrap().parse().unwrap();
        let entries = &xref[header[0].len() + header[1].len() + 2..];
        assert!(entries.starts_with("0000000000 65535 f \n"));
        assert!(xref.contains(&format!("/Size {size} ")));
        (1..size)
            .map(|n| {
                let entry = &entries[20 * n..20 * (n + 1)];
                assert!(entry.ends_with(" 00000 n \n"), "entry {n}: {entry:?}");
                let offset: usize = entry[..10].parse().unwrap();
                let object = &pdf[offset..];
                let head = format!("{n} 0 obj\n");
                assert!(object.starts_with(head.as_bytes()), "object {n}");
                &object[..find(object, b"endobj").unwrap()]
            })
            .collect()
    }

    /// Each page's content stream, in page order, after checking its /Length.
    fn content_streams(pdf: &[u8]) -> Vec<&[u8]> {
        objects(pdf)
            .into_iter()
            .filter_map(|object| {
                let start = find(object, b"stream\n")? + 7;
                let end = find(object, b"\nendstream")?;
                let length = format!("/Length {} ", end - start);
                assert!(contains(object, &length), "stream length");
                Some(&object[start..end])
            })
            .collect()
    }

    fn statement(rows: usize) -> Vec<u8> {
        let mut doc = Document::new("Commission statement 2025-03");
        doc.heading("Commission statement");
        doc.paragraph("Commissions earned on orders delivered in March 2025.");
        doc.facts(&[
            ("Partner", "Müller GmbH".to_owned()),
            ("Period", "2025-03-01 – 2025-03-31".to_owned()),
        ]);
        let columns = [
            Column {
                heading: "Order",
                width_pt: 90.0,
                align: Align::Left,
            },
            Column {
                heading: "Rule",
                width_pt: 245.0,
                align: Align::Left,
            },
            Column {
                heading: "Amount",
                width_pt: 90.0,
                align: Align::Right,
            },
        ];
        let lines: Vec<Vec<String>> = (1..=rows)
            .map(|n| {
                vec![
                    format!("ORD-{n}"),
                    "5 % of net".to_owned(),
                    format!("€ {n},00"),
                ]
            })
            .collect();
        doc.table(&columns, &lines);
        doc.finish()
    }

    #[test]
    fn starts_with_the_header_and_ends_with_eof() {
        let pdf = Document::new("Empty").finish();
        assert!(pdf.starts_with(b"%PDF-1.4\n%"));
        assert!(pdf[10..14].iter().all(|&b| b > 127), "binary comment");
        assert!(pdf.ends_with(b"%%EOF\n"));
        assert!(
            contains(&pdf, "/Count 1 "),
            "an empty document still has a page"
        );
    }

    #[test]
    fn xref_offsets_point_at_every_object() {
        let pdf = statement(80);
        let objects = objects(&pdf);
        let pages = content_streams(&pdf).len();
        assert!(pages > 1);
        assert_eq!(objects.len(), FIRST_PAGE - 1 + 2 * pages);
        assert!(contains(objects[CATALOG - 1], "/Type /Catalog"));
        assert!(contains(
            objects[FONT_BOLD - 1],
            "/BaseFont /Helvetica-Bold"
        ));
        assert!(contains(objects[INFO - 1], "/Producer (Portico)"));
        // "Co" in UTF-16BE after the byte order mark.
        assert!(contains(objects[INFO - 1], "/Title <FEFF0043006F"));
    }

    #[test]
    fn encodes_text_as_win_ansi() {
        assert_eq!(
            encode("€ 1.234,50 – Müller → done"),
            b"\x80 1.234,50 \x96 M\xFCller -> done"
        );
        assert_eq!(encode("…’“”•—™Ÿ"), b"\x85\x92\x93\x94\x95\x97\x99\x9F");
        assert_eq!(encode("Zürich\t東京"), b"Z\xFCrich ??");
    }

    #[test]
    fn long_tables_span_pages_with_footer_and_header_on_each() {
        let pdf = statement(200);
        let pages = content_streams(&pdf);
        let count = pages.len();
        assert!(count >= 3, "{count} pages");
        assert!(contains(&pdf, &format!("/Count {count} ")));
        for (i, page) in pages.iter().enumerate() {
            assert!(contains(page, &format!("(Page {} of {count}) Tj", i + 1)));
            assert!(contains(page, "/F2 9 Tf"), "table header on page {}", i + 1);
            assert!(
                contains(page, "(Amount) Tj"),
                "table header on page {}",
                i + 1
            );
        }
        for n in 1..=200 {
            let cell = format!("(ORD-{n}) Tj");
            let shown = pages.iter().filter(|page| contains(page, &cell)).count();
            assert_eq!(shown, 1, "row {n} appears once");
        }
    }

    #[test]
    fn escapes_string_delimiters() {
        let mut doc = Document::new("Escapes");
        doc.paragraph(r"Rate (net) \ 5%");
        let pdf = doc.finish();
        assert!(contains(
            content_streams(&pdf)[0],
            r"(Rate \(net\) \\ 5%) Tj"
        ));
    }

    #[test]
    fn right_aligned_cells_end_at_the_column_edge() {
        let mut doc = Document::new("Align");
        let columns = [Column {
            heading: "Total",
            width_pt: 100.0,
            align: Align::Right,
        }];
        doc.table(&columns, &[vec!["1,00".to_owned()]]);
        let pdf = doc.finish();
        // 50 + 100 - 4 padding - (3 × 556 + 278) × 9 / 1000.
        assert!(contains(content_streams(&pdf)[0], "128.49 "));
    }

    #[test]
    fn wraps_within_the_width_and_cuts_overlong_cells() {
        let text = "Volume band 2 of 3 applies retroactively from the first unit ".repeat(8);
        let lines = wrap(&text, BODY, 200.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|line| width(line, BODY) <= 200.0));
        let words: Vec<_> = text.split_whitespace().collect();
        let joined = lines.join(&b' ');
        assert_eq!(joined, encode(&words.join(" ")));

        let lines = cell_lines(&text, TABLE_BODY, 80.0);
        assert_eq!(lines.len(), MAX_CELL_LINES);
        let last = lines.last().unwrap();
        assert_eq!(last.last(), Some(&ELLIPSIS));
        assert!(width(last, TABLE_BODY) <= 80.0 - 2.0 * CELL_PADDING);

        let unbroken = wrap(&"9".repeat(60), BODY, 100.0);
        assert!(unbroken.len() > 1, "a word wider than the line is broken");
    }
}
