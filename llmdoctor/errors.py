"""The error tree and exit codes (DESIGN.md, Contracts)."""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0              # nothing at or above --fail-on
    FINDINGS = 1        # findings at or above --fail-on
    USAGE = 2           # usage error or unreadable input
    INTERNAL = 3        # a bug in llmdoctor
    INTERRUPTED = 130


class LLMDoctorError(Exception):
    """An error with a one-line message meant for the user."""

    exit_code = ExitCode.INTERNAL


class UsageError(LLMDoctorError):
    exit_code = ExitCode.USAGE


class InputError(LLMDoctorError):
    """A file the user gave us is missing, unreadable, malformed or hostile."""

    exit_code = ExitCode.USAGE
