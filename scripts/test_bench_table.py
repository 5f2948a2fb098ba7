#!/usr/bin/env python3
"""Tests of the table/JSON assembly of scripts/bench (pure code; no benchmark runs here).
Run: python3 -m unittest discover -s scripts -p 'test_bench_table.py'   (.ci/run does)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_table as bt  # noqa: E402


class StatsTests(unittest.TestCase):
    def test_median_min_max_of_odd_and_even_counts(self):
        self.assertEqual(bt.stats([3, 1, 2]), {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3})
        # Even count: mean of the two middle values, (2 + 10) / 2 = 6.
        self.assertEqual(bt.stats([10, 1, 2, 40]), {"median": 6.0, "min": 1.0, "max": 40.0, "n": 4})

    def test_missing_values_are_skipped_and_nothing_left_is_none(self):
        self.assertEqual(bt.stats([None, 4, None])["n"], 1)
        self.assertIsNone(bt.stats([None, None]))
        self.assertIsNone(bt.stats([]))


class RatioTests(unittest.TestCase):
    def test_ratios_are_paired_per_run(self):
        # Runs: (ours 2, peer 10), (ours 4, peer 10), (ours 5, peer 40): ratios 5, 2.5, 8 -> median 5.
        r = bt.row("x", "fig", "s", [2, 4, 5], peer=[10, 10, 40], peer_name="p")
        self.assertEqual(r["ratio"], {"median": 5.0, "min": 2.5, "max": 8.0, "n": 3})
        # Not the ratio of the medians (10 / 4 = 2.5).
        self.assertNotEqual(r["ratio"]["median"], r["peer"]["median"] / r["ours"]["median"])

    def test_runs_without_a_peer_value_or_with_zero_ours_are_left_out(self):
        self.assertEqual(bt.paired_ratios([0, 2, 3], [5, None, 9]), [3.0])

    def test_unpaired_rows_divide_the_medians(self):
        r = bt.row("x", "fig", "%", [1, 3, 2], peer=[8], paired=False)
        self.assertEqual(r["ratio"], {"median": 4.0, "min": 4.0, "max": 4.0, "n": 1})

    def test_no_peer_no_ratio(self):
        r = bt.row("x", "fig", "ms", [1, 2])
        self.assertIsNone(r["peer"])
        self.assertIsNone(r["ratio"])
        self.assertIsNone(r["peer_name"])


class VerdictTests(unittest.TestCase):
    def test_targets_on_ours_and_on_the_ratio(self):
        at_most_100 = {"on": "ours", "op": "<=", "value": 100}
        self.assertTrue(bt.row("a", "f", "ms", [90, 120, 100], target=at_most_100)["pass"])   # median 100
        self.assertFalse(bt.row("a", "f", "ms", [101, 120, 90], target=at_most_100)["pass"])  # median 101
        ratio_20 = {"on": "ratio", "op": ">=", "value": 20}
        # ratios 10/0.5 = 20, 6/0.5 = 12, 30/1 = 30 -> median 20: pass.
        self.assertTrue(bt.row("b", "f", "s", [0.5, 0.5, 1], peer=[10, 6, 30], target=ratio_20)["pass"])
        self.assertFalse(bt.row("b", "f", "s", [1, 1, 1], peer=[10, 6, 30], target=ratio_20)["pass"])  # median 10

    def test_no_target_or_no_peer_is_not_judged(self):
        self.assertIsNone(bt.row("a", "f", "ms", [1])["pass"])
        self.assertIsNone(bt.row("b", "f", "s", [1], target={"on": "ratio", "op": ">=", "value": 2})["pass"])


class RenderTests(unittest.TestCase):
    def test_format_and_table(self):
        self.assertEqual(bt.fmt({"median": 1.234, "min": 1.0, "max": 2.0, "n": 3}, 2), "1.23 [1.00-2.00]")
        self.assertEqual(bt.fmt({"median": 1.5, "min": 1.5, "max": 1.5, "n": 1}, 1), "1.5")
        self.assertEqual(bt.fmt(None, 1), "n/a")
        rows = [bt.row("s", "CPU", "s/h", [2, 2], peer=[20, 40], peer_name="cc",
                       target={"on": "ratio", "op": ">=", "value": 20}, digits=1)]
        lines = bt.render_table(rows).splitlines()
        self.assertEqual(len(lines), 3)
        cells = [c.strip() for c in lines[2].strip("|").split("|")]
        self.assertEqual(cells, ["CPU (s/h)", "2.0", "30.0 [20.0-40.0] (cc)", "15.00 [10.00-20.00]", "peer/ours >= 20", "FAIL"])

    def test_document_counts_verdicts_and_is_json(self):
        rows = [bt.row("a", "f", "ms", [1], target={"on": "ours", "op": "<=", "value": 2}),
                bt.row("b", "f", "ms", [3], target={"on": "ours", "op": "<=", "value": 2}),
                bt.row("c", "f", "ms", [3])]
        doc = bt.document(rows, {"nproc": 2}, {"runs": 1}, {}, {}, 1.5, "2026-11-29T00:00:00Z")
        self.assertEqual(doc["summary"], {"pass": 1, "fail": 1, "not_judged": 1})
        self.assertEqual(doc["schema"], "verdant-bench/1")
        self.assertNotIn("digits", doc["rows"][0])
        self.assertEqual(json.loads(json.dumps(doc))["rows"][1]["pass"], False)


if __name__ == "__main__":
    unittest.main()
