"""A large file full of misspelt names still gets a "did you mean" for each (issue 19,
item 9). Above a few hundred names, suggestions come from an index rather than from
comparing every name (bench/validate_big.py times it); this checks they are still right."""

from __future__ import annotations

import difflib
import random
import re

import pytest
from cspr_engine.format.loader import LoadError, load_process
from cspr_engine.problems import did_you_mean

from bench.validate_big import big_process, fact_names, misspelt


def test_each_misspelt_name_in_a_large_file_gets_the_fact_it_meant(tmp_path):
    text, meant = big_process(2000, 200)
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_process(path)
    problems = caught.value.problems
    assert len(problems) == len(meant)
    lines = text.splitlines()
    facts = [line.split(":")[0].strip() for line in lines if line.endswith("{type: boolean}")]
    for problem in problems:
        condition, typo = (part.strip() for part in lines[problem.where.line - 1].split(":"))
        suggested = re.search(r"did you mean '([^']+)'", problem.message)
        assert suggested, str(problem)
        # The fact it meant, or one as close (difflib's choice among every fact).
        best = difflib.get_close_matches(typo, facts, n=1, cutoff=0.6)[0]
        assert suggested.group(1) in (meant[condition], best), str(problem)


def test_suggestions_from_the_index_agree_with_comparing_every_name():
    names = fact_names(1000, seed=7)
    rng = random.Random(7)
    words = [misspelt(rng.choice(names), rng) for _ in range(150)]
    words += ["panel", "zzzz", "aware_notified", "x"]  # far from any, or short
    choices = dict.fromkeys(names)
    for word in words:
        best = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
        expected = f" — did you mean '{best[0]}'?" if best else ""
        found = did_you_mean(word, choices)
        # The index may miss a distant match, never give a wrong or worse one.
        assert found == expected or (not found and word in ("aware_notified",)), word
