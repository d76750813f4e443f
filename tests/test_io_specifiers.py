"""Kaldi rspecifier / wspecifier parsing (metricvox.io.specifiers)."""
import pytest

from metricvox.errors import InputError
from metricvox.io import parse_rspecifier, parse_wspecifier


@pytest.mark.parametrize("spec, kind, path, options", [
    ("ark:feats.ark", "ark", "feats.ark", set()),
    ("scp:data/feats.scp", "scp", "data/feats.scp", set()),
    ("-", "ark", "-", set()),
    ("ark:-", "ark", "-", set()),
    ("scp:-", "scp", "-", set()),
    ("ark,s,cs:a.ark", "ark", "a.ark", {"s", "cs"}),
    ("ark,t:a.ark", "ark", "a.ark", {"t"}),
    ("ark:gunzip -c a.ark.gz |", "ark", "gunzip -c a.ark.gz |", set()),
    ("scp:C:/x.scp", "scp", "C:/x.scp", set()),
])
def test_rspecifiers(spec, kind, path, options):
    parsed = parse_rspecifier(spec)
    assert (parsed.kind, parsed.path, set(parsed.options)) == (kind, path, options)


@pytest.mark.parametrize("spec, ark, scp, text", [
    ("ark:out.ark", "out.ark", None, False),
    ("-", "-", None, False),
    ("ark:-", "-", None, False),
    ("ark,t:-", "-", None, True),
    ("ark,scp:o.ark,o.scp", "o.ark", "o.scp", False),
    ("scp,ark:o.scp,o.ark", "o.ark", "o.scp", False),
    ("ark,scp,t:o.ark,o.scp", "o.ark", "o.scp", True),
    ("ark,f:o.ark", "o.ark", None, False),
])
def test_wspecifiers(spec, ark, scp, text):
    parsed = parse_wspecifier(spec)
    assert (parsed.ark, parsed.scp, parsed.text) == (ark, scp, text)


@pytest.mark.parametrize("spec", ["feats.ark", "ark:", "ark,scp:a.ark", "txt:a", "ark,zz:a.ark"])
def test_bad_rspecifiers(spec):
    with pytest.raises(InputError):
        parse_rspecifier(spec)


@pytest.mark.parametrize("spec", ["out.ark", "scp:o.scp", "ark,scp:o.ark", "ark,scp:-,o.scp",
                                  "ark,scp:x,x", "ark:| gzip -c > o.gz", "ark,o:o.ark"])
def test_bad_wspecifiers(spec):
    with pytest.raises(InputError):
        parse_wspecifier(spec)
