//! A line-breaking printer with the decisions of prettyplease's: the classic Oppen scheme of
//! boxes (consistent: every break of the box breaks, or none; inconsistent: each break breaks
//! only when what follows it up to the next break does not fit) with prettyplease's constants
//! (margin 89, indent 4, at least 60 columns after an indentation) and its way of measuring:
//! tokens are measured in a window the width of what is left of the line, a box or a break is
//! as long as the text from it to the next break at its own level or an outer one (so the `,`
//! after a `]` counts in the array's box), a hard break is infinitely long, and a box still
//! open when the window overflows is broken. The window matters beyond speed: a struct
//! literal's `end_with_max_width` only sees its box while the box is in the window, which
//! decides whether `Foo {}` stays on one line after a long `static` head.
//!
//! The scan and print steps follow prettyplease's `algorithm.rs` (MIT or Apache-2.0, itself
//! adapted from rustc's `pp.rs`) step for step, since equal decisions need equal measuring;
//! only the tokens this crate's statics use are kept (no `post_break`, no `no_break`).

use std::collections::VecDeque;
use std::ops::Range;

pub(crate) const MARGIN: isize = 89;
pub(crate) const INDENT: isize = 4;
const MIN_SPACE: isize = 60;
const INFINITY: isize = 0xffff;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Breaks {
    Consistent,
    Inconsistent,
}

#[derive(Clone, Copy, Default, Debug)]
struct Break {
    offset: isize,
    blank: isize,
    pre_break: Option<char>,
    if_nonempty: bool,
    never_break: bool,
}

#[derive(Clone, Debug)]
enum Token {
    /// A range of `Printer::text`.
    Text(Range<usize>),
    Break(Break),
    Begin {
        offset: isize,
        breaks: Breaks,
    },
    End,
}

#[derive(Clone, Copy)]
enum Frame {
    Fits,
    Broken(usize, Breaks),
}

/// Tokens of one item, measured and printed as they come.
pub(crate) struct Printer<'o> {
    out: &'o mut String,
    /// The texts of the tokens in `buf`.
    text: String,
    /// The window: tokens measured but not printed yet, with their lengths (negative: not
    /// known yet). `first` is the number of tokens that left it since the start.
    buf: VecDeque<(Token, isize)>,
    first: usize,
    /// Numbers of the boxes and breaks in `buf` whose length is not known yet.
    open: VecDeque<usize>,
    /// Length of the tokens printed, and of those scanned.
    left_total: isize,
    right_total: isize,
    /// Columns left on the line, the indentation of the line, spaces not written yet.
    space: isize,
    indent: usize,
    pending: usize,
    frames: Vec<Frame>,
}

impl<'o> Printer<'o> {
    pub(crate) fn new(out: &'o mut String) -> Self {
        Printer {
            out,
            text: String::with_capacity(256),
            buf: VecDeque::with_capacity(64),
            first: 0,
            open: VecDeque::with_capacity(32),
            left_total: 0,
            right_total: 0,
            space: MARGIN,
            indent: 0,
            pending: 0,
            frames: Vec::with_capacity(16),
        }
    }

    fn push(&mut self, token: Token, size: isize) -> usize {
        self.buf.push_back((token, size));
        self.first + self.buf.len() - 1
    }

    fn entry(&mut self, n: usize) -> &mut (Token, isize) {
        &mut self.buf[n - self.first]
    }

    fn restart(&mut self) {
        self.left_total = 1;
        self.right_total = 1;
        self.first += self.buf.len();
        self.buf.clear();
    }

    pub(crate) fn word(&mut self, s: &str) {
        if self.open.is_empty() {
            self.print_text(s);
            return;
        }
        let start = self.text.len();
        self.text.push_str(s);
        let len = s.len() as isize;
        self.push(Token::Text(start..self.text.len()), len);
        self.right_total += len;
        self.check_window();
    }

    fn begin(&mut self, offset: isize, breaks: Breaks) {
        if self.open.is_empty() {
            self.restart();
        }
        let n = self.push(Token::Begin { offset, breaks }, -self.right_total);
        self.open.push_back(n);
    }

    pub(crate) fn cbox(&mut self, indent: isize) {
        self.begin(indent, Breaks::Consistent);
    }

    pub(crate) fn ibox(&mut self, indent: isize) {
        self.begin(indent, Breaks::Inconsistent);
    }

    pub(crate) fn end(&mut self) {
        if self.open.is_empty() {
            self.print_end();
            return;
        }
        if let Some((Token::Break(b), _)) = self.buf.back() {
            let b = *b;
            let after_begin = self.buf.len() >= 2
                && matches!(self.buf[self.buf.len() - 2].0, Token::Begin { .. });
            if after_begin {
                // An empty box with one break: neither is printed.
                self.buf.truncate(self.buf.len() - 2);
                self.open.pop_back();
                self.open.pop_back();
                self.right_total -= b.blank;
                return;
            }
            if b.if_nonempty {
                self.buf.pop_back();
                self.open.pop_back();
                self.right_total -= b.blank;
            }
        }
        let n = self.push(Token::End, -1);
        self.open.push_back(n);
    }

    /// `end`, after breaking the box if it is wider than `max` (prettyplease's struct
    /// literals: `Foo { a: 1 }` stays on one line only when short). A box that already left
    /// the window is broken anyway, and is not looked at.
    pub(crate) fn end_with_max_width(&mut self, max: isize) {
        let mut depth = 1;
        for &n in self.open.iter().rev() {
            match self.buf[n - self.first].0 {
                Token::Begin { .. } => {
                    depth -= 1;
                    if depth == 0 {
                        let size = self.buf[n - self.first].1;
                        if size < 0 && size + self.right_total > max {
                            let at = self.text.len();
                            self.push(Token::Text(at..at), INFINITY);
                            self.right_total += INFINITY;
                        }
                        break;
                    }
                }
                Token::End => depth += 1,
                Token::Break(_) | Token::Text(_) => {}
            }
        }
        self.end();
    }

    fn scan_break(&mut self, b: Break) {
        if self.open.is_empty() {
            self.restart();
        } else {
            self.settle(0);
        }
        let n = self.push(Token::Break(b), -self.right_total);
        self.open.push_back(n);
        self.right_total += b.blank;
    }
    pub(crate) fn zerobreak(&mut self) {
        self.scan_break(Break::default());
    }

    pub(crate) fn space(&mut self) {
        self.scan_break(Break {
            blank: 1,
            ..Break::default()
        });
    }

    pub(crate) fn hardbreak(&mut self) {
        self.scan_break(Break {
            blank: INFINITY,
            ..Break::default()
        });
    }

    pub(crate) fn space_if_nonempty(&mut self) {
        self.scan_break(Break {
            blank: 1,
            if_nonempty: true,
            ..Break::default()
        });
    }

    pub(crate) fn neverbreak(&mut self) {
        self.scan_break(Break {
            never_break: true,
            ..Break::default()
        });
    }

    /// `,` then a space, or for the last element a break that writes `,` when it breaks.
    pub(crate) fn trailing_comma(&mut self, is_last: bool) {
        if is_last {
            self.scan_break(Break {
                pre_break: Some(','),
                ..Break::default()
            });
        } else {
            self.word(",");
            self.space();
        }
    }

    /// `trailing_comma` whose last break is a space when it does not break.
    pub(crate) fn trailing_comma_or_space(&mut self, is_last: bool) {
        if is_last {
            self.scan_break(Break {
                blank: 1,
                pre_break: Some(','),
                ..Break::default()
            });
        } else {
            self.word(",");
            self.space();
        }
    }

    /// Moves the indentation after the last break (the `}` of a struct literal).
    pub(crate) fn offset(&mut self, offset: isize) {
        if let Some((Token::Break(b), _)) = self.buf.back_mut() {
            b.offset += offset;
        }
    }

    /// Sets the lengths known now: those of the boxes closed since the last break of this
    /// level and of that break (prettyplease's `check_stack`).
    fn settle(&mut self, mut depth: usize) {
        while let Some(&n) = self.open.back() {
            let total = self.right_total;
            let entry = self.entry(n);
            match entry.0 {
                Token::Begin { .. } => {
                    if depth == 0 {
                        break;
                    }
                    entry.1 += total;
                    self.open.pop_back();
                    depth -= 1;
                }
                Token::End => {
                    entry.1 = 1;
                    self.open.pop_back();
                    depth += 1;
                }
                Token::Break(_) => {
                    entry.1 += total;
                    self.open.pop_back();
                    if depth == 0 {
                        break;
                    }
                }
                Token::Text(_) => break,
            }
        }
    }

    /// While the window is wider than the rest of the line, its first token cannot fit: print
    /// what is settled.
    fn check_window(&mut self) {
        while self.right_total - self.left_total > self.space {
            if self.open.front() == Some(&self.first) {
                self.open.pop_front();
                if let Some(e) = self.buf.front_mut() {
                    e.1 = INFINITY;
                }
            }
            self.advance();
            if self.buf.is_empty() {
                break;
            }
        }
    }

    /// Prints the settled tokens at the start of the window.
    fn advance(&mut self) {
        while let Some(&(_, size)) = self.buf.front() {
            if size < 0 {
                break;
            }
            let Some((token, size)) = self.buf.pop_front() else {
                break;
            };
            self.first += 1;
            match token {
                Token::Text(r) => {
                    self.left_total += size;
                    let text = std::mem::take(&mut self.text);
                    self.print_text(&text[r]);
                    self.text = text;
                }
                Token::Break(b) => {
                    self.left_total += b.blank;
                    self.print_break(b, size);
                }
                Token::Begin { offset, breaks } => {
                    if size > self.space {
                        self.frames.push(Frame::Broken(self.indent, breaks));
                        self.indent = usize::try_from(self.indent as isize + offset).unwrap_or(0);
                    } else {
                        self.frames.push(Frame::Fits);
                    }
                }
                Token::End => self.print_end(),
            }
        }
    }

    fn print_end(&mut self) {
        if let Some(Frame::Broken(i, _)) = self.frames.pop() {
            self.indent = i;
        }
    }

    /// The indentation not written yet (a line never ends with spaces).
    fn flush_spaces(&mut self) {
        const SPACES: &str = "                                                                ";
        while self.pending > 0 {
            let n = self.pending.min(SPACES.len());
            self.out.push_str(&SPACES[..n]);
            self.pending -= n;
        }
    }

    fn print_text(&mut self, s: &str) {
        self.flush_spaces();
        self.out.push_str(s);
        self.space -= s.len() as isize;
    }

    fn print_break(&mut self, b: Break, size: isize) {
        let fits = b.never_break
            || match self.frames.last() {
                Some(Frame::Fits) => true,
                Some(Frame::Broken(_, Breaks::Consistent)) => false,
                Some(Frame::Broken(_, Breaks::Inconsistent)) | None => size <= self.space,
            };
        if fits {
            self.pending += b.blank as usize;
            self.space -= b.blank;
            return;
        }
        if let Some(c) = b.pre_break {
            self.flush_spaces();
            self.out.push(c);
        }
        self.out.push('\n');
        let at = self.indent as isize + b.offset;
        self.pending = usize::try_from(at).unwrap_or(0);
        self.space = (MARGIN - at).max(MIN_SPACE);
    }

    /// Prints what is left.
    pub(crate) fn finish(mut self) {
        if !self.open.is_empty() {
            self.settle(0);
            self.advance();
        }
    }
}
