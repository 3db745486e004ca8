"""The one-record-per-line JSON layout the queue, checkpoints and artist documents share."""

from __future__ import annotations

import json

import pytest

from mediakeeper.text.jsonfmt import dumps_by_line


def test_a_list_of_objects_gets_a_line_per_object_and_everything_else_one_line():
    data = {
        "version": 1,
        "note": "Café “quoted”",
        "items": [{"key": "a", "n": 1}, {"key": "b", "tags": ["x", "y"]}],
        "numbers": [1, 2],
        "empty": [],
        "mixed": [{"a": 1}, 2],
        "nested": {"items": [{"a": 1}]},
    }
    assert dumps_by_line(data) == (
        "{\n"
        '  "version": 1,\n'
        '  "note": "Café “quoted”",\n'
        '  "items": [\n'
        '    {"key": "a", "n": 1},\n'
        '    {"key": "b", "tags": ["x", "y"]}\n'
        "  ],\n"
        '  "numbers": [1, 2],\n'
        '  "empty": [],\n'
        '  "mixed": [{"a": 1}, 2],\n'
        '  "nested": {"items": [{"a": 1}]}\n'
        "}\n"
    )


@pytest.mark.parametrize(
    "data",
    [{}, {"a": 1}, {"items": [{"k": 1}]}, {"items": [{"k": 1}], "after": None}, {"x": [{}]}],
    ids=["empty", "one-value", "one-record", "records-then-value", "empty-record"],
)
def test_every_shape_reads_back_as_the_same_data(data):
    text = dumps_by_line(data)
    assert json.loads(text) == data
    assert text.startswith("{\n") and text.endswith("\n}\n")


def test_records_come_from_the_callers_encoder_in_order():
    items = [{"key": "b"}, {"key": "a"}]
    text = dumps_by_line({"items": items}, record=lambda item: f'"{item["key"]}!"')
    assert text == '{\n  "items": [\n    "b!",\n    "a!"\n  ]\n}\n'
