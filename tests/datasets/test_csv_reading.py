"""CSV reading shared by ``load_csv`` and ``neuroflow predict``: BOM, the header rule,
strict numbers, delimiters, encodings, row numbers, bounded reading and column matching.

Finding numbers refer to the reliability review (reliability.md, sections B and D)."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from neuroflow.datasets import csv as csv_module
from neuroflow.datasets import load_csv, match_columns
from neuroflow.datasets.csv import looks_like_header, parse_number
from neuroflow.errors import DatasetError


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------------------- B.8: BOM, row 1
def test_b8_bom_does_not_drop_first_row(tmp_path):
    """B.8: a UTF-8 BOM (Excel "CSV UTF-8") made 0.1's predict reader skip row 1 as a header."""
    path = write(tmp_path, b"\xef\xbb\xbf1.0,2.0\n-1.0,-2.0\n3,4\n")
    data = load_csv(path, target=None)
    assert data.x.tolist() == [[1, 2], [-1, -2], [3, 4]]
    assert not data.has_header and data.model_feature_names is None


def test_b8_bom_before_a_header_is_stripped(tmp_path):
    """B.8: the BOM is not part of the first column's name."""
    data = load_csv(write(tmp_path, b"\xef\xbb\xbfwidth,label\n1,a\n2,b\n"))
    assert data.feature_names == ["width"] and data.has_header


@pytest.mark.parametrize("first", ["1.0,", "1.0,abc", "1.0,NA", "abc,1.0"])
def test_b8_a_bad_cell_in_row_1_is_an_error_naming_row_1(tmp_path, first):
    """B.8: in 0.1, an empty or non-numeric cell in row 1 silently dropped that data row."""
    path = write(tmp_path, f"{first}\n-1.0,-2.0\n3,4\n")
    with pytest.raises(DatasetError, match=r"data.csv': row 1, column [12]") as error:
        load_csv(path, target=None)
    one_line(error)


def test_b8_typo_in_row_1_suggests_header_option(tmp_path):
    """B.8: the message says how to declare a header when row 1 really is one."""
    with pytest.raises(DatasetError, match=r"row 1, column 2 .*received 'abc'; if row 1 names "
                                           r"the columns, pass header=True \(--header"):
        load_csv(write(tmp_path, "1.0,abc\n3,4\n"), target=None)


# ---------------------------------------------------------------------------- header rule
@pytest.mark.parametrize(("cells", "expected"), [
    (["width", "height", "label"], True),
    (["", "a", "b"], True),            # pandas index column: empty first name
    (["x1", "2020"], False),           # a number: data (use header=True for numeric names)
    (["1.0", "abc"], False),
    (["NA", "NA", "cat"], False),      # missing-value markers are data, not names
    (["?", "b"], False),
    (["", ""], False),
])
def test_header_rule(cells, expected):
    assert looks_like_header(cells) is expected


def test_header_overrides_and_auto_alias(tmp_path):
    path = write(tmp_path, "2019,2020,label\n1,2,a\n3,4,b\n")
    with pytest.raises(DatasetError, match="row 1, column 3"):
        load_csv(path, target=None)  # numbers in row 1: data; 'label' is not a number
    data = load_csv(path, header=True)
    assert data.feature_names == ["2019", "2020"] and data.model_feature_names == ["2019",
                                                                                   "2020"]
    assert load_csv(path, target="label").has_header  # the target's name marks the header
    plain = write(tmp_path, "a,b\n1,2\n", "plain.csv")
    with pytest.raises(DatasetError, match=r"row 1, column 1 \('column_1'\): expected a number"):
        load_csv(plain, target=None, header=False)
    assert load_csv(plain, target=None, header="auto").has_header


def test_duplicate_header_names_are_refused(tmp_path):
    with pytest.raises(DatasetError, match=r"row 1 \(the header\): expected unique column "
                                           r"names, received 'a' more than once"):
        load_csv(write(tmp_path, "a,a,label\n1,2,x\n"))


# ---------------------------------------------------------------------------- B.16: numbers
@pytest.mark.parametrize("cell", ["1_000", "1__0", "0x10", "١٢", "1e", "--1", "1.2.3", "e5"])
def test_b16_strict_numbers_refuse_what_float_accepts_or_garbage(cell):
    """B.16: Python's float() accepts '1_000' (and Arabic-Indic digits); 0.1 did too."""
    assert parse_number(cell) is None


@pytest.mark.parametrize(("cell", "value"), [("7", 7.0), (" -1.5e3 ", -1500.0), (".5", 0.5),
                                             ("5.", 5.0), ("+2E-2", 0.02)])
def test_strict_numbers_accept_plain_decimals(cell, value):
    assert parse_number(cell) == value


def test_b16_underscore_feature_is_an_error_with_a_reason(tmp_path):
    """B.16: load_csv in 0.1 read 1_000 as 1000."""
    with pytest.raises(DatasetError, match=r"row 2, column 1 \('a'\): expected a number, "
                                           r"received '1_000' \(digit-group underscores"):
        load_csv(write(tmp_path, "a,label\n1_000,x\n2,y\n"))


def test_b16_labels_1_0_and_10_stay_different(tmp_path):
    """B.16: in 0.1 the labels '1_0' and '10' became one class."""
    data = load_csv(write(tmp_path, "a,label\n1,10\n2,1_0\n3,10\n"))
    assert data.class_names == ["10", "1_0"] and data.y.tolist() == [0, 1, 0]
    with pytest.raises(DatasetError, match="a regression target must be a number, "
                                           "received '1_0'"):
        load_csv(write(tmp_path, "a,label\n1,10\n2,1_0\n", "r.csv"), task="regression")


# ---------------------------------------------------------------------------- D.26: messages
def test_d26_semicolon_file_names_the_delimiter(tmp_path):
    """D.26: 0.1 reported 'sizes[0]: expected a positive integer, received: 0'."""
    path = write(tmp_path, "a;b;label\n1;2;x\n3;4;y\n")
    with pytest.raises(DatasetError, match=r"data.csv': expected at least 2 columns .*"
                                           r"received 1 in row 1; the file seems to use ';'"):
        load_csv(path)
    assert load_csv(path, delimiter=";").x.tolist() == [[1, 2], [3, 4]]


def test_d26_target_only_csv_is_refused(tmp_path):
    """D.26: a CSV with only a target column gave a message about sizes[0]."""
    with pytest.raises(DatasetError, match="expected at least 2 columns"):
        load_csv(write(tmp_path, "label\nx\ny\n"))


def test_tab_delimiter(tmp_path):
    data = load_csv(write(tmp_path, "a\tb\tlabel\n1\t2\tx\n", "t.txt"), delimiter="\t")
    assert data.x.tolist() == [[1, 2]]


@pytest.mark.parametrize(("raw", "fragment"), [
    ("1,2\n3,4\n".encode("utf-16"), "received UTF-16 text; save it as UTF-8"),
    ("caf\u00e9,1\n".encode("latin-1"), "received a byte that is not UTF-8 (0xe9; Latin-1"),
])
def test_d26_non_utf8_names_the_file(tmp_path, raw, fragment):
    """D.26: 0.1's predict printed "'utf-8' codec can't decode byte 0xff" with no file name."""
    with pytest.raises(DatasetError, match=re.escape(f"CSV file {str(tmp_path / 'data.csv')!r}: "
                                                     "expected UTF-8 text")) as error:
        load_csv(write(tmp_path, raw), target=None)
    assert fragment in one_line(error)


def test_bad_delimiter_argument(tmp_path):
    with pytest.raises(ValueError, match="delimiter: expected one character"):
        load_csv(write(tmp_path, "1,2\n"), delimiter='"')


# ---------------------------------------------------------------------------- row numbers
def test_row_numbers_count_like_a_spreadsheet(tmp_path):
    """Blank lines count, a quoted cell over two lines is one row, the header is row 1."""
    text = 'a,b,label\n\n1,2,"two\nlines"\n3,oops,x\n'
    with pytest.raises(DatasetError, match=r"row 4, column 2 \('b'\): expected a number"):
        load_csv(write(tmp_path, text))


def test_code_r_missing_drop_keeps_rows_and_lines_aligned(tmp_path):
    """code.md §4 R: 0.1 rebuilt set(dropped) for every row (quadratic); the kept rows and
    their targets must still line up."""
    lines = ["a,label"] + [f"{i},{'NA' if i % 2 else i % 3}" for i in range(3000)]
    data = load_csv(write(tmp_path, "\n".join(lines) + "\n"), missing="drop")
    assert len(data.dropped_rows) == 1500 and data.dropped_rows[:2] == [3, 5]
    kept = [i for i in range(3000) if i % 2 == 0]
    assert data.x[:, 0].tolist() == kept
    assert [data.class_names[k] for k in data.y] == [i % 3 for i in kept]


# ---------------------------------------------------------------------------- files
def test_reader_refuses_directories_and_fifos(tmp_path):
    """Every reader checks for a regular file before opening it (a FIFO would hang)."""
    with pytest.raises(DatasetError, match="expected a file, received a directory"):
        load_csv(tmp_path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match=r"'.*pipe.csv': expected a regular file, received "
                                           r"a named pipe"):
        load_csv(fifo)


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_module, "MAX_CSV_BYTES", 10)
    with pytest.raises(DatasetError, match="expected at most 10 bytes, received a file of"):
        load_csv(write(tmp_path, "a,b\n1,2\n3,4\n"))


def test_memory_error_names_the_file(tmp_path, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(csv_module._csv, "reader", exhausted)
    with pytest.raises(DatasetError, match=r"data.csv': not enough memory to read it"):
        load_csv(write(tmp_path, "a,b\n1,2\n"))


# ---------------------------------------------------------------------------- feature names
def test_model_feature_names_only_with_a_header(tmp_path):
    data = load_csv(write(tmp_path, "width,height,label\n1,2,a\n3,4,b\n"))
    assert data.model_feature_names == ["width", "height"]
    bare = load_csv(write(tmp_path, "1,2,0\n3,4,1\n", "bare.csv"))
    assert bare.feature_names == ["column_1", "column_2"] and bare.model_feature_names is None


def test_b16_match_columns_by_name():
    """B.16: 0.1 matched columns by position only, so reordered columns gave wrong results."""
    assert match_columns(["height", "width"], ["width", "height"], "f") == [1, 0]
    assert match_columns(["a", "b"], None, "f") == [0, 1]  # no names: by position
    x = np.array([[10.0, 1.0]])  # file order: height, width
    assert x[:, match_columns(["height", "width"], ["width", "height"], "f")].tolist() == [
        [1.0, 10.0]]


@pytest.mark.parametrize(("header", "fragment"), [
    (["width"], "missing 'height'"),
    (["width", "height", "colour"], "not in the model: 'colour'"),
    (["width", "colour"], "missing 'height'; not in the model: 'colour'"),
    (["width", "width"], "expected unique column names, received 'width' more than once"),
])
def test_match_columns_refuses_by_name(header, fragment):
    with pytest.raises(DatasetError, match=re.escape(fragment)) as error:
        match_columns(header, ["width", "height"], "CSV file 'new.csv'")
    assert one_line(error).startswith("CSV file 'new.csv': ")
