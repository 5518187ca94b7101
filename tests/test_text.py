from elmo_lib.text import normalise, tokenize


def test_escapes_are_undone():
    raw = r"It#39;s quot;big quot; news: #36;10 \$5 A &lt;b&gt;bold&lt;/b&gt; move &amp; more"
    assert normalise(raw) == 'it\'s "big " news: $10 $5 a  bold  move & more'


def test_backslash_line_breaks_become_spaces():
    assert tokenize(r"Wall Street's dwindling\band of ultra-cynics") == [
        "wall", "street", "'s", "dwindling", "band", "of", "ultra", "-", "cynics"]


def test_lowercases_and_splits_punctuation():
    assert tokenize("U.S. stocks (AP) rose 3.5%, don't panic!") == [
        "u.s", ".", "stocks", "(", "ap", ")", "rose", "3.5", "%", ",", "don", "'t", "panic", "!"]


def test_numeric_entity_without_ampersand_mid_word():
    assert tokenize("Reuters#39; report") == ["reuters", "'", "report"]


def test_shown_text_reads_as_a_person_reads_it():
    from elmo_lib.text import readable
    raw = r"&lt;strong&gt;Letters:&lt;/strong&gt; It#39;s  quot;big quot; news: #36;10"
    assert readable(raw) == 'Letters: It\'s "big " news: $10'
