"""Line cleaning shared by every engine parser.

Logs arrive pasted from issue threads, docker, journald and k8s viewers: colour codes (real ESC
sequences and the `^[[0;36m` text copied from terminals), CRLF, container prefixes, typographic
quotes from blog engines, and lines hard-wrapped by the poster. Everything here is cosmetic: it
turns that into one LogLine per logical engine line, keeping the first physical line number.
"""
from __future__ import annotations

import re

from llmdoctor.logparse.records import LogLine

MAX_LINE = 64 * 1024          # a longer physical line is cut (a dict repr of a config is ~10 KiB)
MAX_JOINED = 256 * 1024       # a re-joined logical line never grows past this

_ANSI = re.compile(r"(?:\x1b|\^\[)\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\[(?:\d{1,3};)*\d{1,3}m")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_EN_DASH_FLAG = re.compile(r"(?<=\s)[\u2013\u2014](?=[a-z])")         # blog engines turn -- into an en dash
_FRAME = re.compile(r"^[\u2502|]\s|\s*[\u2502]\s*$")                  # k8s / lens frame bars
_DOCKER_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+")
_COMPOSE = re.compile(r"^[A-Za-z0-9][\w.-]*\s*\|\s")                   # `vllm-1  | ...`
_JOURNAL = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [\w.@-]+(?:\[\d+\])?: ")
_WORKER = re.compile(r"^\((?P<proc>[A-Za-z][\w]*?)(?: rank=(?P<rank>\d+))? pid=(?P<pid>\d+)\)\s?")
_LEVEL = re.compile(r"^(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\s+"
                    r"(?:\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\s+)?\[?(?P<src>[\w./<>-]+:\d+)\]\s?")
_SGLANG = re.compile(r"^\[(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?P<ranks>(?: [A-Z]+\d+)*)\]\s?")
_LLAMA_TS = re.compile(r"^(?:\[\d+\]\s+)?\d+\.\d\d\.\d\d\d\.\d\d\d (?P<lvl>[DIWE]) ")
_TP_IN_NAME = re.compile(r"TP(\d+)")
_LLAMA_LEVELS = {"D": "DEBUG", "I": "INFO", "W": "WARNING", "E": "ERROR"}

# What a fresh logical line may start with; anything else after a long line is a wrapped remainder.
_STARTS = re.compile(
    r"^(?:\(|\[|[A-Z]{3,}\b|\d+[-:.]\d|[A-Za-z_][\w.]*(?::|Error|Exception)|Traceback|File |Loading |time=|"
    r"llama|llm_|load_|ggml|\$ |#|\+|\||=|--|- |\w+@)")


def strip_decorations(raw: str) -> str:
    """Colour codes, typographic quotes, container and frame prefixes; not the engine's own prefix."""
    s = raw[:MAX_LINE]
    s = _ANSI.sub("", s).translate(_QUOTES)
    s = _EN_DASH_FLAG.sub("--", s)
    s = _FRAME.sub("", s)
    for pat in (_DOCKER_TS, _JOURNAL, _COMPOSE, _DOCKER_TS):   # compose may wrap a timestamped line
        s = pat.sub("", s, count=1)
    return s.rstrip()


def split_prefix(s: str) -> tuple[str, dict]:
    """Remove the engine's prefixes (worker tag, level + file:line, SGLang timestamp) and say what they were."""
    info: dict = {}
    m = _WORKER.match(s)
    if m:
        info["proc"] = m["proc"]
        info["pid"] = int(m["pid"])
        if m["rank"] is not None:
            info["rank"] = int(m["rank"])
        else:
            tp = _TP_IN_NAME.search(m["proc"])
            if tp:
                info["rank"] = int(tp.group(1))
        s = s[m.end():]
    m = _LEVEL.match(s)
    if m:
        info["level"] = "WARNING" if m["level"] == "WARN" else m["level"]
        info["src"] = m["src"]
        s = s[m.end():]
    m = _SGLANG.match(s)
    if m:
        ranks = m["ranks"].strip()
        if ranks:
            info["proc"] = ranks
            tp = _TP_IN_NAME.search(ranks)
            if tp:
                info["rank"] = int(tp.group(1))
        s = s[m.end():]
    m = _LLAMA_TS.match(s)
    if m:
        info["level"] = _LLAMA_LEVELS[m["lvl"]]
        s = s[m.end():]
    return s, info


def clean_lines(text: str) -> list[LogLine]:
    """Split, clean and re-join. Lone CRs (progress bars) count as line breaks."""
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[LogLine] = []
    prev_raw_len = 0
    prev_trailing_space = False
    prev_prefixed = False
    for no, raw in enumerate(physical, start=1):
        s = strip_decorations(raw)
        if not s.strip():
            prev_raw_len = 0
            continue
        had_worker = bool(_WORKER.match(s))
        msg, info = split_prefix(s)
        prefixed = had_worker or "level" in info or "proc" in info
        if out and not prefixed and _is_continuation(s, prev_raw_len, prev_prefixed, out[-1].text):
            last = out[-1]
            glue = " " if (prev_trailing_space or s[:1].isspace()) else ""
            if len(last.text) < MAX_JOINED:
                last.text = last.text + glue + s.strip()
            prev_raw_len = len(raw.rstrip("\r\n"))
            prev_trailing_space = raw.rstrip("\r\n") != raw.rstrip()
            continue
        out.append(LogLine(no=no, text=msg.strip(), level=info.get("level"), proc=info.get("proc"),
                           rank=info.get("rank"), pid=info.get("pid"), src=info.get("src")))
        prev_raw_len = len(raw.rstrip("\r\n"))
        prev_trailing_space = raw.rstrip("\r\n") != raw.rstrip()
        prev_prefixed = prefixed and "level" in info
    return out


def _is_continuation(s: str, prev_len: int, prev_prefixed: bool, prev_text: str) -> bool:
    """A hard wrap (previous physical line long, this one not a fresh start) or an indented
    remainder of a levelled message (not a traceback's own indented frames)."""
    if prev_len >= 140 and not _STARTS.match(s):
        return True
    if prev_prefixed and s[:1].isspace() and not prev_text.endswith(":") \
            and not s.lstrip().startswith(("File ", "^", "~")):
        return True
    return False
