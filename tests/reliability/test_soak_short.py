"""A short soak (``bench/soak.py``, about 17 s): churn plus faults, nothing lost, nothing leaked.

The warm-up stays at 9 s: pods live 4 s and keep 5 s of grace, so from then on as many pods are
terminating as ever will be and the open-fd baseline is representative.  Faults 1.8 s apart give
five or six in 16 s (reset, restart, expire, eof, watch close, 503s on logs); the API server's 2 s
restart starts at about 3.6 s and so spans the first pod replacement (4 s): pods are created and
restart while pystern cannot see them, and must still be read in full after the relist.

The run starts in the background when collection ends (see ``soak_run.py`` and the hook in
``conftest.py``), so by the time this test runs it has usually finished.
"""

from __future__ import annotations

import json

import pytest

from tests.reliability import soak_run
from tests.reliability.conftest import SOAK_KEY


@pytest.mark.timeout(90)
def test_short_soak_is_clean(request: pytest.FixtureRequest) -> None:
    run = request.config.stash.get(SOAK_KEY, None) or soak_run.start()
    code, out, err = run.result()
    assert "Traceback" not in err, err
    summary = json.loads(out.splitlines()[-1])
    report = out[-3000:]
    assert summary["written"] > 2000, report  # 200 lines/s
    assert summary["lost"] == 0, report
    assert summary["repeated"] == 0, report
    assert summary["unexpected"] == 0, report
    # The faults actually happened, including an API server restart.
    assert summary["faults"].get("restart") == 1, report
    assert sum(summary["faults"].values()) >= 5, report
    # pystern ran until told to stop, and stopped as Ctrl-C says.
    assert summary["exit_code"] == 130, report
    # The baseline is taken once pods are being replaced (4 s lifetime + 5 s grace period).
    warm, end = summary["warm"], summary["end"]
    assert end["rss_kib"] - warm["rss_kib"] < 8 * 1024, report
    assert end["fds"] - warm["fds"] <= 8, report
    assert code == 0, report
