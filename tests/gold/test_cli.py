"""``weaksup gold`` end to end: show, create, add, record; bad input exits 2 with a message."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from weaksup.cli import main
from weaksup.gold import load_gold


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_show_gives_classes_per_split_annotators_and_versions(capsys):
    code, out, err = cli(capsys, "gold", "show", REPO / "gold_sets" / "youtube_spam")
    assert code == 0, err
    gold = load_gold(REPO / "gold_sets" / "youtube_spam")
    spam_test = int((gold.labels("test") == "spam").sum())
    assert gold.describe() in out
    assert any(line.split() == ["spam", str(int((gold.labels("dev") == "spam").sum())), str(spam_test)]
               for line in out.splitlines())
    assert f"1 {gold.hash} labels.csv  286   290      ok" in out


def test_create_add_and_record_from_the_command_line(tmp_path, capsys):
    first = tmp_path / "first.csv"
    first.write_text("id,class,split\n1,ham,dev\n2,spam,dev\n3,spam,test\n", encoding="utf-8")
    folder = tmp_path / "gold" / "spam"
    code, out, err = cli(capsys, "gold", "create", folder, "--from", first, "--labels", "ham,spam",
                         "--id-column", "id", "--label-column", "class")
    assert code == 0, err
    assert "gold set spam v1" in out and load_gold(folder).counts() == {"dev": 2, "test": 1}

    more = tmp_path / "more.tsv"
    more.write_text("id\tclass\n1\tspam\n4\tham\n", encoding="utf-8")
    args = ("gold", "add", folder, "--from", more, "--id-column", "id", "--label-column", "class", "--split", "test")
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    assert "v2" in out and "1 row(s) added, 1 changed, 0 unchanged" in out
    assert load_gold(folder).labels("test").to_dict() == {"3": "spam", "1": "spam", "4": "ham"}
    code, out, _ = cli(capsys, *args)
    assert (code, "unchanged at v2" in out) == (0, True)

    current = next(folder.glob("labels-*.csv"))
    current.write_text(current.read_text(encoding="utf-8").replace("4,ham", "4,spam"), encoding="utf-8")
    code, out, err = cli(capsys, "gold", "show", folder)
    assert "edited in place" in out and "weaksup gold record" in out
    code, out, err = cli(capsys, "gold", "record", folder)
    assert code == 0, err
    assert "the edit of v2 recorded" in out and load_gold(folder).version == 3
    code, out, _ = cli(capsys, "gold", "record", folder)
    assert "nothing to record" in out


@pytest.mark.parametrize("args, message", [
    (("show", "{tmp}/none"), "does not exist"),
    (("create", "{tmp}/g", "--from", "{tmp}/l.csv", "--labels", "ham,spam"), "no column 'row_id' (--id-column)"),
    (("create", "{tmp}/g", "--from", "{tmp}/l.csv", "--labels", "ham", "--id-column", "id"),
     "unknown label 'spam'"),
    (("create", "{tmp}/g", "--from", "{tmp}/l.xlsx", "--labels", "ham,spam"), "unsupported labels file type"),
    (("add", "{tmp}/none", "--from", "{tmp}/l.csv", "--id-column", "id"), "does not exist"),
])
def test_bad_input_exits_2_naming_what_is_wrong(tmp_path, capsys, args, message):
    (tmp_path / "l.csv").write_text("id,label,split\n1,ham,dev\n2,spam,dev\n", encoding="utf-8")
    code, out, err = cli(capsys, "gold", *(a.format(tmp=tmp_path) for a in args))
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "g").exists()


def test_multilabel_create_and_add_read_the_labels_column_by_default(tmp_path, capsys):
    """(create --multilabel defaults to `labels`; add reads the gold set manifest's label_column)"""
    from weaksup.multilabel.gold import load_multilabel_gold
    from weaksup.multilabel.space import MultiLabelSpace

    first = tmp_path / "first.csv"
    first.write_text("row_id,labels,split\n1,joy;love,dev\n2,anger,test\n", encoding="utf-8")
    folder = tmp_path / "gold" / "emo"
    code, out, err = cli(capsys, "gold", "create", folder, "--from", first, "--labels", "joy,love,anger",
                         "--multilabel")
    assert code == 0, err
    more = tmp_path / "more.csv"
    more.write_text("row_id,labels,split\n3,love,dev\n5,[],test\n", encoding="utf-8")  # ([]: a run's empty set)
    code, out, err = cli(capsys, "gold", "add", folder, "--from", more)
    assert code == 0, err
    assert "2 row(s) added" in out
    gold = load_multilabel_gold(folder, space=MultiLabelSpace(["joy", "love", "anger"]))
    assert gold.version == 2 and gold.counts() == {"dev": 2, "test": 2} and gold.label_sets("test")["5"] == ()
    # --label-column still overrides the default
    other = tmp_path / "other.csv"
    other.write_text("row_id,emotions,split\n4,joy,test\n", encoding="utf-8")
    code, out, err = cli(capsys, "gold", "add", folder, "--from", other, "--label-column", "emotions")
    assert code == 0, err
    assert load_multilabel_gold(folder, space=MultiLabelSpace(["joy", "love", "anger"])).counts()["test"] == 3
