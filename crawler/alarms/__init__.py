"""Alarms: a crawl of an outlet compared with the outlet's recent runs.

- `measures.py`: what a run is judged by, read from its Scrapy stats (the same
  figures from the stats of earlier runs kept in `crawl_runs`);
- `checks.py`: the thresholds (settings `ALARMS_*`, overridden per outlet by
  `Outlet.alarms`) and the checks that turn measures into alarms;
- `extension.py`: `RunAlarms`, the extension that counts field coverage and
  entry points during a crawl and raises the alarms when it closes: an
  `alerts` row, a WARNING line, the `alarms/count` stat (exit status 3 of the
  crawl commands) and the notification (`notify.py`);
- `canary.py`: `scrapy canary`, the newest article of each outlet fetched and
  checked, and the outlet's fixture pages read by the current parser.
"""
