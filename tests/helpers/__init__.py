"""What the tests share beside their fixtures (tests/conftest.py): subprocesses and the
checkout (``processes``), real audio and its tags read back by mutagen alone (``audio``), the
operating system's refusals and limits made real (``system``), and pipeline files
(``pipelines``)."""

from tests.helpers.audio import (
    AUDIO_SUFFIXES,
    FAMILY,
    RAW_KEYS,
    audio_files,
    build_library,
    change_appends,
    family_of,
    load_music_queue,
    raw_frames_of,
    tag_by_hand,
    tag_map,
    tree_of,
)
from tests.helpers.pipelines import step, write_pipeline
from tests.helpers.processes import (
    REPO_ROOT,
    batched_home,
    decisions_alone,
    held_when,
    leaves_decisions,
    loaded_among,
    queue_manager_cli,
    resume,
    run_counted,
    run_pasted,
    run_script,
    script_env,
    stopped_when,
    wait_until,
)
from tests.helpers.system import (
    FakeClock,
    deeper_than_path_max,
    immutable,
    read_only_bind,
    refuse_scandir,
    small_tmpfs,
)

__all__ = [
    "AUDIO_SUFFIXES", "FAMILY", "RAW_KEYS", "REPO_ROOT", "FakeClock", "audio_files",
    "batched_home", "build_library", "change_appends", "decisions_alone", "deeper_than_path_max",
    "family_of", "held_when", "immutable", "leaves_decisions", "load_music_queue", "loaded_among",
    "queue_manager_cli", "raw_frames_of", "read_only_bind", "refuse_scandir", "resume",
    "run_counted", "run_pasted", "run_script",
    "script_env", "small_tmpfs", "step", "stopped_when", "tag_by_hand", "tag_map", "tree_of",
    "wait_until", "write_pipeline",
]  # fmt: skip
