"""Small shared utilities (progress bars, hashing, JSON) used by every stage."""

from strokeseg.util.lazy import lazy_exports

#: the public names (imported on first use); every other module of the package is internal
_API = {
    "thread_count": "strokeseg.util.threads",
    "configure_torch": "strokeseg.util.threads",
    "deterministic": "strokeseg.util.threads",
    "ExecutorConfig": "strokeseg.util.executors",
    "ExecutorKind": "strokeseg.util.executors",
    "run_tasks": "strokeseg.util.executors",
}
__all__ = sorted(_API)
__getattr__, __dir__ = lazy_exports(__name__, _API)
