"""Where an alarm goes besides the log and the `alerts` table: a command that
reads it as JSON on its standard input (`ALARMS_NOTIFY_COMMAND`, run by the
shell, once per alarm) and/or a webhook URL that receives it as a JSON POST
(`ALARMS_WEBHOOK_URL`). A notification that fails is logged as an error and
counted (`alarms/notify_failed`); the alarm stays in the table and the log."""
from __future__ import annotations

import json
import logging
import subprocess
import urllib.request

logger = logging.getLogger(__name__)


class Notifier:
    def __init__(self, command: str | None = None, webhook_url: str | None = None, timeout: float = 10.0):
        self.command = command
        self.webhook_url = webhook_url
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings) -> Notifier:
        return cls(settings.get("ALARMS_NOTIFY_COMMAND") or None, settings.get("ALARMS_WEBHOOK_URL") or None,
                   settings.getfloat("ALARMS_NOTIFY_TIMEOUT", 10.0))

    def send(self, alarm: dict) -> int:
        """Deliver one alarm; the number of deliveries that failed."""
        body = json.dumps(alarm, ensure_ascii=False, sort_keys=True)
        failed = 0
        if self.command:
            try:
                done = subprocess.run(self.command, shell=True, input=body.encode("utf-8"), timeout=self.timeout,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                if done.returncode:
                    raise RuntimeError(f"exit status {done.returncode}: "
                                       f"{done.stderr.decode('utf-8', 'replace').strip()[:300]}")
            except (OSError, subprocess.SubprocessError, RuntimeError) as error:
                logger.error("The alarm notification command %r failed: %s", self.command, error)
                failed += 1
        if self.webhook_url:
            request = urllib.request.Request(self.webhook_url, data=body.encode("utf-8"), method="POST",
                                             headers={"Content-Type": "application/json; charset=utf-8"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    answer.read()
            except (OSError, ValueError) as error:
                logger.error("The alarm webhook %s failed: %s", self.webhook_url, error)
                failed += 1
        return failed
