"""The Iran-Iraq defense meeting watch: load the watch definition, detect meetings, merge them into events."""

from newswatch.core.meetings.detect import MeetingDetection, detect, detect_many
from newswatch.core.meetings.merge import MergeResult, merge_events
from newswatch.core.meetings.watch import Watch, load_watch

__all__ = ["MeetingDetection", "MergeResult", "Watch", "detect", "detect_many", "load_watch", "merge_events"]
