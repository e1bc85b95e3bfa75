# Berth's event stream of a playbook run, read by the `ansible` adapter of the Ansible port
# (activities/ansible/ansible-playbook/): what the run is doing now, for heartbeats, and how it
# ended, without parsing the human-readable output.

from __future__ import annotations

DOCUMENTATION = """
    name: berth_events
    type: notification
    short_description: write a run's events as JSON lines for Berth
    description:
        - >-
          Appends one JSON object per line to a file, for each task as it starts, for each host's
          result (ok, changed, failed, unreachable, skipped) with the task's name, and the final stats.
        - Berth tails the file to report progress and reads the counts and the failed task from it.
    requirements:
        - enabled in callbacks_enabled (Berth sets ANSIBLE_CALLBACKS_ENABLED)
    options:
        events_file:
            description: The file the events are appended to; nothing is written when unset.
            type: path
            env:
                - name: BERTH_ANSIBLE_EVENTS_FILE
"""

import json

from ansible.plugins.callback import CallbackBase

# A failed task's message is kept short: it names the problem, the output holds the rest.
MESSAGE_LIMIT = 2000


def _text(value) -> str:
    return value if isinstance(value, str) else str(value)


def _parts(result):
    """The task, host and result data, through the 2.19 names or the older private ones."""
    data = result.result if hasattr(result, "result") else result._result
    task = result.task if hasattr(result, "task") else result._task
    host = result.host if hasattr(result, "host") else result._host
    return task, host, data


def _message(task, data) -> str:
    if getattr(task, "no_log", False) or data.get("_ansible_no_log") or data.get("censored"):
        return "output hidden (no_log)"
    parts = [_text(data.get(key)) for key in ("msg", "reason", "stderr") if data.get(key)]
    if not parts and isinstance(data.get("results"), list):
        # A loop: the first failed item's message.
        for item in data["results"]:
            if isinstance(item, dict) and item.get("failed"):
                return _message(task, item)
    return ": ".join(parts)[:MESSAGE_LIMIT]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "berth_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._file = None

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        path = self.get_option("events_file")
        if path and self._file is None:
            # Line-buffered: every event is on disk once written, for the reader tailing it.
            self._file = open(path, "a", encoding="utf-8", buffering=1)

    def _emit(self, event: dict) -> None:
        if self._file is not None:
            self._file.write(json.dumps(event, ensure_ascii=False, default=_text) + "\n")

    def _task_started(self, task, handler: bool) -> None:
        self._emit({"event": "task", "task": _text(task.get_name()), "handler": handler})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started(task, False)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_started(task, True)

    def _result(self, status: str, result, **extra) -> None:
        task, host, data = _parts(result)
        event = {
            "event": "result",
            "status": status,
            "task": _text(task.get_name()),
            "host": _text(host.get_name()),
        }
        event.update(extra)
        if status in ("failed", "unreachable"):
            event["msg"] = _message(task, data)
        self._emit(event)

    def v2_runner_on_ok(self, result):
        _, _, data = _parts(result)
        self._result("changed" if data.get("changed") else "ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("failed", result, ignored=bool(ignore_errors))

    def v2_runner_on_unreachable(self, result):
        self._result("unreachable", result)

    def v2_runner_on_skipped(self, result):
        self._result("skipped", result)

    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for host in sorted(stats.processed.keys()):
            summary = stats.summarize(host)
            hosts[_text(host)] = {
                key: int(summary.get(key, 0))
                for key in ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")
            }
        self._emit({"event": "stats", "hosts": hosts})
        if self._file is not None:
            self._file.close()
            self._file = None
