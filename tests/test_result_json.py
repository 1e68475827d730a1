"""result.json, written project by project: the same text as one json.dumps of the whole batch."""

from __future__ import annotations

import dataclasses
import json

from perfeval.result_json import _plain, batch_to_dict, write_result
from tests.conftest import sample_batch


def test_streamed_file_is_json_dumps_of_the_batch(tmp_path):
    batch = sample_batch()
    path = tmp_path / "result.json"
    write_result(batch, path)
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(batch_to_dict(batch), ensure_ascii=False, default=_plain)
    data = json.loads(text)
    assert list(data)[-2:] == ["projects", "issues"]
    assert [p["name"] for p in data["projects"]] == [r.project.name for r in batch.results]
    assert len(data["issues"]) == len(batch.issues)


def test_values_and_issues_keep_every_field(tmp_path):
    batch = sample_batch()
    data = batch_to_dict(batch)
    indicator = batch.results[0].indicators[0].indicator
    target = data["projects"][0]["indicators"][0]["target"]
    expected = dataclasses.asdict(indicator.target)
    expected.update(date=None, notes=list(indicator.target.notes))
    assert target == expected
    assert data["issues"] == [dataclasses.asdict(i) for i in batch.issues]
    assert data["unit"] == dataclasses.asdict(batch.unit)


def test_empty_and_long_lists(tmp_path):
    batch = sample_batch()
    many = dataclasses.replace(batch, results=batch.results * 300, issues=batch.issues * 300)
    for variant in (dataclasses.replace(batch, results=(), issues=()), many):
        path = tmp_path / "result.json"
        write_result(variant, path)
        assert path.read_text(encoding="utf-8") == json.dumps(batch_to_dict(variant), ensure_ascii=False,
                                                              default=_plain)


def test_long_projects_are_written_as_they_come(tmp_path):
    """Encoded projects are written once they add up to a megabyte of text, not 256 at a time: twenty
    projects of 14 MB each (150 notes of 32,000 characters) held at once took a run past 1 GB."""
    import io

    from perfeval.result_json import write_list

    class Recorder(io.StringIO):
        def __init__(self):
            super().__init__()
            self.sizes = []

        def write(self, text):
            self.sizes.append(len(text))
            return super().write(text)

    items = ['"' + "项" * 600_000 + '"'] * 5 + ['"短"'] * 3
    out = Recorder()
    write_list(out, iter(items))
    assert json.loads(out.getvalue()) == [json.loads(i) for i in items]
    assert max(out.sizes) < 1_300_000  # two long items at most in one write
