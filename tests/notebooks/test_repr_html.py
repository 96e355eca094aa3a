"""Network._repr_html_: how Jupyter shows a network, the summary table in HTML."""

from html.parser import HTMLParser

import neuroflow as nf


class Cells(HTMLParser):
    """The text of every <th>/<td>, row by row, and the caption."""

    def __init__(self):
        super().__init__()
        self.rows, self.caption, self._in = [], "", None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "caption"):
            self._in = tag
            if tag != "caption":
                self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th", "caption"):
            self._in = None

    def handle_data(self, data):
        if self._in == "caption":
            self.caption += data
        elif self._in:
            self.rows[-1][-1] += data


def test_repr_html_is_the_summary_table():
    net = nf.Network([nf.Dense(4, 8, activation="relu"), nf.Dropout(0.5),
                      nf.Dense(8, 3, activation="softmax")], seed=0)
    page = net._repr_html_()
    parser = Cells()
    parser.feed(page)
    parser.close()
    assert parser.caption == "Network: 4 \u2192 8 \u2192 8 \u2192 3"
    assert parser.rows[0] == ["#", "layer", "activation", "output shape", "parameters"]
    assert parser.rows[1:4] == [["0", "Dense", "relu", "(None, 8)", "40"],
                                ["1", "Dropout", "-", "(None, 8)", "0"],
                                ["2", "Dense", "softmax", "(None, 3)", "27"]]
    assert parser.rows[4] == ["trainable parameters: 67 \u00b7 loss: cross_entropy \u00b7 "
                              "dtype: float32"]
    # the same rows as the text summary
    for row in parser.rows[1:4]:
        assert any(all(cell in line for cell in row) for line in net.summary().splitlines())


def test_repr_html_counts_with_separators():
    net = nf.Network.from_sizes([784, 256, 10], seed=0)
    parser = Cells()
    parser.feed(net._repr_html_())
    assert parser.rows[1][-1] == "200,960"
    assert "203,530" in parser.rows[-1][0]
