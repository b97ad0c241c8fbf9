"""The performance harness behind `freeseat bench`: loopback scenarios, JSON and Markdown out."""

from benchmarks.config import BenchConfig
from benchmarks.report import BenchReport, Figure, ScenarioResult
from benchmarks.run import SCENARIOS, run_bench

__all__ = ["SCENARIOS", "BenchConfig", "BenchReport", "Figure", "ScenarioResult", "run_bench"]
