#!/usr/bin/env python3
"""Generate llmdoctor/engines/ollama/cli_flags.json from Ollama's own Go source.

Standard library only.  The Go source is read statically (a small Go-aware
lexer + regular expressions); nothing is compiled or run.

What is extracted, per revision
-------------------------------
* ``flags``: every cobra command built in ``cmd/cmd.go`` ``NewCLI()`` and every
  command returned by a constructor added with ``rootCmd.AddCommand(pkg.F(..))``
  (e.g. ``launch.LaunchCmd`` / ``config.LaunchCmd``), with the flags declared
  on it via ``X.Flags().<Type>[Var][P](...)``, flags added by helper functions
  that receive the command (e.g. ``imagegen.RegisterFlags(runCmd)``),
  ``Lookup(name).NoOptDefVal``, ``MarkHidden`` / ``MarkDeprecated``, plus the
  implicit cobra ``-h/--help`` flag of every command.
  ``dest`` is ``<command>.<flag>``; the root command is called ``ollama``.
  ``programs`` lists the sub-command name and its cobra aliases.
* ``env_vars``: every variable read through ``envconfig`` (accessor
  declarations such as ``X = Uint("OLLAMA_NUM_PARALLEL", 1)``, functions that
  call ``Var("OLLAMA_...")``, and the ``AsMap()`` documentation table), plus
  every ``OLLAMA_*`` / ``LLAMA_ARG_*`` variable read elsewhere in non-test Go
  code through ``os.Getenv`` / ``os.LookupEnv`` / ``envconfig.Var|Bool|String``
  (directly or through a string constant).
* ``extra.modelfile_parameters``: the json tags of ``api.Options`` and its
  embedded ``api.Runner`` (api/types.go), defaults from ``DefaultOptions()``,
  plus the ``deprecatedParameters`` list of parser/parser.go (accepted with a
  warning and dropped).
* ``extra.commands``: Modelfile instructions (parser/parser.go, the list in the
  ``errInvalidCommand`` message).
* ``extra.cli_commands``: cobra sub-commands (Use, aliases, hidden, Args).

How to obtain the sources and re-run
------------------------------------
    git clone --bare https://github.com/ollama/ollama /tmp/ollama.git
    # (in the llmdoctor workspace the snapshot is /work/.mirror/ollama+ollama/repo)
    python3 tools/engine_flags/gen_ollama.py \
        --git-dir /tmp/ollama.git \
        --rev v0.6.5 --rev v0.9.0 --rev v0.12.11 --rev v0.15.5 --rev v0.30.0 \
        --rev fb3076099 \
        --out llmdoctor/engines/ollama/cli_flags.json

Revisions are given oldest -> newest; the label used in the JSON is the
revision string exactly as passed.  ``--tree LABEL=PATH`` may be used instead
of (or in addition to) ``--rev`` to read an unpacked source tree.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys

REPO = "ollama/ollama"
CMD_FILE = "cmd/cmd.go"
ENV_FILE = "envconfig/config.go"
TYPES_FILE = "api/types.go"
PARSER_FILE = "parser/parser.go"
MODULE = "github.com/ollama/ollama/"


# --------------------------------------------------------------------------
# source access
# --------------------------------------------------------------------------
class Source:
    """Read files of one revision from a bare git dir or an unpacked tree."""

    def __init__(self, label, git_dir=None, rev=None, tree=None):
        self.label = label
        self.git_dir = git_dir
        self.rev = rev
        self.tree = tree
        self._cache = {}
        self.files_read = set()

    def _git(self, *args):
        return subprocess.run(["git", "--git-dir", self.git_dir, *args],
                              check=True, capture_output=True).stdout.decode("utf-8", "replace")

    def commit(self):
        if self.git_dir:
            return self._git("rev-parse", self.rev + "^{commit}").strip()
        return None

    def read(self, path, record=True):
        if path not in self._cache:
            try:
                if self.git_dir:
                    self._cache[path] = self._git("show", f"{self.rev}:{path}")
                else:
                    with open(os.path.join(self.tree, path), encoding="utf-8", errors="replace") as fh:
                        self._cache[path] = fh.read()
            except (subprocess.CalledProcessError, OSError):
                self._cache[path] = None
        if record and self._cache[path] is not None:
            self.files_read.add(path)
        return self._cache[path]

    def list_go(self, directory=""):
        """Non-test .go files (recursive) under directory."""
        if self.git_dir:
            out = self._git("ls-tree", "-r", "--name-only", self.rev, *( [directory.rstrip("/") + "/"] if directory else []))
            names = out.splitlines()
        else:
            names = []
            root = os.path.join(self.tree, directory)
            for dp, _, fns in os.walk(root):
                for fn in fns:
                    names.append(os.path.relpath(os.path.join(dp, fn), self.tree).replace(os.sep, "/"))
        return sorted(n for n in names if n.endswith(".go") and not n.endswith("_test.go"))

    def list_pkg(self, directory):
        """Non-test .go files directly in directory (one Go package)."""
        d = directory.rstrip("/")
        return [n for n in self.list_go(d) if n.rsplit("/", 1)[0] == d]

    def grep_go(self, pattern):
        """Non-test .go files containing the extended regex pattern."""
        if self.git_dir:
            r = subprocess.run(["git", "--git-dir", self.git_dir, "grep", "-l", "-E", pattern, self.rev,
                                "--", "*.go", ":!*_test.go"], capture_output=True)
            return sorted({line.split(":", 1)[1] for line in r.stdout.decode().splitlines() if ":" in line})
        rx = re.compile(pattern)
        return [n for n in self.list_go() if rx.search(self.read(n, record=False) or "")]


# --------------------------------------------------------------------------
# tiny Go lexing helpers
# --------------------------------------------------------------------------
def strip_comments(src):
    """Replace // and /* */ comments by spaces (keeps offsets, keeps strings)."""
    out = list(src)
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            i = j + 1
        elif c == "`":
            j = src.find("`", i + 1)
            i = (j if j >= 0 else n) + 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        else:
            i += 1
    return "".join(out)


def match_close(src, i):
    """src[i] is an opening bracket; return index of its matching closer."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack = [pairs[src[i]]]
    j, n = i + 1, len(src)
    while j < n:
        c = src[j]
        if c == '"' or c == "'":
            k = j + 1
            while k < n and src[k] != c:
                k += 2 if src[k] == "\\" else 1
            j = k + 1
            continue
        if c == "`":
            j = src.find("`", j + 1) + 1
            continue
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")}]":
            if c != stack.pop():
                raise ValueError("unbalanced")
            if not stack:
                return j
        j += 1
    raise ValueError("unterminated")


def split_top(s, sep=","):
    parts, depth, cur, i, n = [], 0, [], 0, len(s)
    while i < n:
        c = s[i]
        if c in "\"'`":
            if c == "`":
                k = s.find("`", i + 1)
            else:
                k = i + 1
                while k < n and s[k] != c:
                    k += 2 if s[k] == "\\" else 1
            cur.append(s[i:k + 1])
            i = k + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


_NOVALUE = object()


def go_value(expr):
    """Go literal -> python value; _NOVALUE when not a plain literal."""
    e = expr.strip()
    if not e:
        return _NOVALUE
    if e.startswith("`") and e.endswith("`"):
        return e[1:-1]
    if e.startswith('"') and e.endswith('"'):
        try:
            return ast.literal_eval(e)
        except (ValueError, SyntaxError):
            return e[1:-1]
    if e in ("true", "false"):
        return e == "true"
    if e == "nil":
        return None
    if re.fullmatch(r"-?\d+", e):
        return int(e)
    if re.fullmatch(r"-?\d+\.\d*(e-?\d+)?", e):
        return float(e)
    return _NOVALUE


def func_body(src, name, recv=None):
    """Return (body_text, body_offset, params_text) of func `name` in src (comment-stripped)."""
    rx = re.compile(r"^func\s+(\([^)]*\)\s*)?" + re.escape(name) + r"\s*\(", re.M)
    for m in rx.finditer(src):
        p_open = m.end() - 1
        p_close = match_close(src, p_open)
        b_open = src.find("{", p_close)
        # skip result-list parentheses / func-typed params: first '{' at depth 0 after params
        b_close = match_close(src, b_open)
        return src[b_open + 1:b_close], b_open + 1, src[p_open + 1:p_close]
    return None, None, None


def first_sentence(text, limit=160):
    t = " ".join(str(text).split())
    m = re.match(r"(.+?[.!?])(\s|$)", t)
    if m and not re.search(r"(e\.g|i\.e|etc)\.$", m.group(1)):
        t = m.group(1)
    return t if len(t) <= limit else t[:limit - 1].rstrip() + "…"


def line_of(src, offset):
    return src.count("\n", 0, offset) + 1


# --------------------------------------------------------------------------
# cobra commands and flags
# --------------------------------------------------------------------------
FLAG_CALL = re.compile(r"\b(\w+)\.(Flags|PersistentFlags)\(\)\.([A-Z]\w*)\(")
CMD_LIT = re.compile(r"\b(\w+)\s*:?=\s*&cobra\.Command\{")

TYPE_MAP = {
    "Bool": ("bool", "store"), "String": ("str", "store"), "Int": ("int", "store"),
    "Int32": ("int", "store"), "Int64": ("int", "store"), "Uint": ("uint", "store"),
    "Uint64": ("uint", "store"), "Float32": ("float", "store"), "Float64": ("float", "store"),
    "Duration": ("duration", "store"), "StringArray": ("str", "append"),
    "StringSlice": ("str", "append"), "IntSlice": ("int", "append"),
    "StringToString": ("str", "append"), "Count": ("int", "count"),
}


def parse_imports(src):
    imp = {}
    m = re.search(r"^import\s*\((.*?)^\)", src, re.S | re.M)
    block = m.group(1) if m else ""
    for line in block.splitlines() + re.findall(r"^import\s+(.+)$", src, re.M):
        mm = re.match(r'\s*(\w+)?\s*"([^"]+)"', line)
        if mm:
            path = mm.group(2)
            alias = mm.group(1) or path.rsplit("/", 1)[-1]
            imp[alias] = path
    return imp


class CliScanner:
    def __init__(self, source):
        self.src = source
        self.commands = {}  # key -> dict(name, aliases, hidden, use, flags{}, parent, file)

    def pkg_dir(self, file_path, alias):
        raw = self.src.read(file_path)
        imp = parse_imports(raw)
        path = imp.get(alias)
        if not path or not path.startswith(MODULE):
            return None
        return path[len(MODULE):]

    def find_func(self, pkg_dir, name):
        for f in self.src.list_pkg(pkg_dir):
            text = strip_comments(self.src.read(f, record=False) or "")
            if re.search(r"^func\s+" + re.escape(name) + r"\s*\(", text, re.M):
                self.src.read(f)  # record
                return f, text
        return None, None

    def scan_function(self, file_path, text, fname, var_map=None):
        """Scan a function body; var_map maps local identifiers -> command keys.
        Returns the command key returned by the function (if any)."""
        body, off, params = func_body(text, fname)
        if body is None:
            return None
        var_map = dict(var_map or {})
        # command literals
        for m in CMD_LIT.finditer(body):
            var = m.group(1)
            lit_open = m.end() - 1
            lit = body[lit_open + 1:match_close(body, lit_open)]
            fields = {}
            for part in split_top(lit):
                mm = re.match(r"(\w+)\s*:\s*(.*)$", part, re.S)
                if mm:
                    fields[mm.group(1)] = mm.group(2).strip()
            use = go_value(fields.get("Use", '""'))
            name = use.split()[0] if isinstance(use, str) and use.strip() else var
            aliases = []
            if "Aliases" in fields:
                aliases = [go_value(a) for a in split_top(fields["Aliases"][fields["Aliases"].find("{") + 1:-1])]
            key = f"{file_path}:{fname}:{var}"
            self.commands[key] = {
                "name": name, "use": use, "aliases": aliases,
                "hidden": fields.get("Hidden") == "true",
                "short": go_value(fields.get("Short", '""')) if go_value(fields.get("Short", '""')) is not _NOVALUE else None,
                "args": fields.get("Args"),
                "deprecated": go_value(fields["Deprecated"]) if "Deprecated" in fields else None,
                "unknown_flags_allowed": "UnknownFlags: true" in fields.get("FParseErrWhitelist", ""),
                "flags": {}, "parent": None, "file": file_path,
                "line": line_of(text, off + m.start()),
            }
            var_map[var] = key
        self._scan_flags(file_path, text, body, off, var_map)
        # AddCommand
        for m in re.finditer(r"\b(\w+)\.AddCommand\(", body):
            parent = var_map.get(m.group(1))
            args = split_top(body[m.end():match_close(body, m.end() - 1)])
            for a in args:
                child = None
                if a in var_map:
                    child = var_map[a]
                else:
                    cm = re.match(r"(\w+)\.(\w+)\(", a)
                    if cm:
                        pdir = self.pkg_dir(file_path, cm.group(1))
                        if pdir:
                            f2, t2 = self.find_func(pdir, cm.group(2))
                            if f2:
                                child = self.scan_function(f2, t2, cm.group(2))
                if child and parent:
                    self.commands[child]["parent"] = parent
        # helper functions receiving a command: pkg.F(cmdVar) / F(cmdVar)
        for m in re.finditer(r"\b(?:(\w+)\.)?(\w+)\((\w+)\)", body):
            pkg, fn, arg = m.groups()
            if arg not in var_map or fn in ("AddCommand", "MarkHidden", "MarkDeprecated", "len", "append"):
                continue
            if pkg and pkg in var_map:
                continue  # a method call on a command
            pdir = self.pkg_dir(file_path, pkg) if pkg else file_path.rsplit("/", 1)[0]
            if not pdir:
                continue
            f2, t2 = self.find_func(pdir, fn)
            if not f2:
                continue
            _, _, p2 = func_body(t2, fn)
            pm = re.match(r"\s*(\w+)\s+\*cobra\.Command\s*$", p2 or "")
            if pm:
                self.scan_function(f2, t2, fn, {pm.group(1): var_map[arg]})
        # returned command
        rm = re.search(r"\breturn\s+(\w+)\s*$", body.rstrip(), re.S)
        if rm and rm.group(1) in var_map:
            return var_map[rm.group(1)]
        return None

    def _scan_flags(self, file_path, text, body, off, var_map):
        for m in FLAG_CALL.finditer(body):
            var, which, meth = m.groups()
            if var not in var_map:
                continue
            cmd = self.commands[var_map[var]]
            close = match_close(body, m.end() - 1)
            args = split_top(body[m.end():close])
            tail = body[close + 1:close + 40]
            if meth == "Lookup":
                fname = go_value(args[0])
                nm = re.match(r"\s*\.NoOptDefVal\s*=\s*(\"[^\"]*\")", tail)
                if nm and fname in cmd["flags"]:
                    cmd["flags"][fname]["no_opt_default"] = go_value(nm.group(1))
                continue
            if meth in ("MarkHidden", "MarkDeprecated", "MarkShorthandDeprecated"):
                fname = go_value(args[0])
                if fname in cmd["flags"]:
                    if meth == "MarkHidden":
                        cmd["flags"][fname]["hidden"] = True
                    else:
                        cmd["flags"][fname]["deprecated"] = go_value(args[1])
                        cmd["flags"][fname]["hidden"] = meth == "MarkDeprecated" or cmd["flags"][fname]["hidden"]
                continue
            mm = re.fullmatch(r"([A-Z][A-Za-z0-9]*?)(Var)?(P)?", meth)
            if not mm or mm.group(1) not in TYPE_MAP:
                continue
            base, is_var, is_p = mm.groups()
            a = args[1:] if is_var else args
            name = go_value(a[0])
            short = go_value(a[1]) if is_p else None
            rest = a[2:] if is_p else a[1:]
            default = go_value(rest[0]) if rest else None
            if default is _NOVALUE:
                default = rest[0]
            usage = go_value(rest[1]) if len(rest) > 1 else ""
            if usage is _NOVALUE:
                usage = rest[1]
            typ, action = TYPE_MAP[base]
            if base in ("StringArray", "StringSlice", "IntSlice") and default is None:
                default = []
            cmd["flags"][name] = {
                "name": name, "short": short or None, "type": typ, "action": action,
                "default": default, "help": usage, "hidden": False, "deprecated": None,
                "no_opt_default": "true" if base == "Bool" else None,
                "file": file_path, "line": line_of(text, off + m.start()),
            }

    def run(self):
        raw = self.src.read(CMD_FILE)
        text = strip_comments(raw)
        root_key = None
        self.scan_function(CMD_FILE, text, "NewCLI")
        for k, c in self.commands.items():
            if c["name"] == "ollama":
                root_key = k
        return root_key


def program_path(commands, key, root_key):
    names = []
    while key and key != root_key:
        names.append(commands[key]["name"])
        key = commands[key]["parent"]
    return " ".join(reversed(names)) if names else "ollama"


def cli_records(source):
    sc = CliScanner(source)
    root_key = sc.run()
    flags, cmds = {}, {}
    for key, c in sc.commands.items():
        if key != root_key and c["parent"] is None:
            continue  # built but never added to the tree
        prog = program_path(sc.commands, key, root_key)
        programs = [prog] if prog == "ollama" or " " not in prog else [prog]
        alias_progs = []
        if prog != "ollama":
            head = prog.rsplit(" ", 1)
            for al in c["aliases"]:
                alias_progs.append((head[0] + " " + al) if len(head) == 2 else al)
        programs = sorted([prog] + alias_progs)
        cmds[prog] = {
            "aliases": sorted(c["aliases"]), "hidden": c["hidden"], "use": c["use"],
            "short": c["short"], "args": c["args"], "unknown_flags_allowed": c["unknown_flags_allowed"],
            "deprecated": c["deprecated"], "file": c["file"],
        }
        items = dict(c["flags"])
        if "help" not in items:
            items["help"] = {"name": "help", "short": "h", "type": "bool", "action": "help",
                             "default": False, "help": "help for " + (c["name"] or "this command"),
                             "hidden": False, "deprecated": None, "no_opt_default": "true",
                             "file": "(cobra v1.7.0 command.go InitDefaultHelpFlag)", "line": None}
        for fname, f in items.items():
            names = ["--" + fname] + (["-" + f["short"]] if f["short"] else [])
            nargs = None
            if f["type"] != "bool" and f["no_opt_default"] is not None:
                nargs = "?"
            flags[f"{prog}.{fname}"] = {
                "names": names, "type": f["type"], "action": f["action"], "nargs": nargs,
                "choices": None, "default": f["default"], "deprecated": f["deprecated"], "env": None,
                "programs": programs, "help": first_sentence(f["help"]), "hidden": f["hidden"],
                "no_opt_default": f["no_opt_default"],
            }
    # post-parse value checks in handlers: fmt.Errorf("invalid value for --X: %q (must be a, b, or c)")
    for m in re.finditer(r"invalid value for --([\w-]+): %q \(must be ([^)]*)\)", text_all(source)):
        choices = [c.strip() for c in re.split(r",\s*(?:or\s+)?|\s+or\s+", m.group(2)) if c.strip()]
        for dest, rec_ in flags.items():
            if dest.endswith("." + m.group(1)):
                rec_["choices"] = choices
    return flags, cmds


def text_all(source):
    return source.read(CMD_FILE, record=False) or ""


# --------------------------------------------------------------------------
# environment variables
# --------------------------------------------------------------------------
ACCESSOR_TYPES = {"Bool": "bool", "BoolWithDefault": "bool", "String": "str", "Uint": "uint",
                  "Uint64": "uint64", "Int": "int", "Float": "float"}
FUNC_TYPES = [  # (regex on the function signature result, type)
    (r"time\.Duration", "duration"), (r"\*url\.URL", "host"), (r"\[\]string", "list"),
    (r"slog\.Level", "loglevel"), (r"\bstring\b", "str"), (r"\bbool\b", "bool"),
    (r"\buint\b", "uint"), (r"\bint\b", "int"),
]


def env_records(source):
    raw = source.read(ENV_FILE)
    text = strip_comments(raw)
    recs = {}

    def rec(name):
        return recs.setdefault(name, {"type": None, "default": None, "help": None, "accessor": None,
                                      "files": set(), "parse": None})

    # accessor declarations: Name = Kind("KEY"[, default])
    acc_by_ident = {}
    for m in re.finditer(r"^[ \t]*(?:var[ \t]+)?(\w+)\s*=\s*(Bool|BoolWithDefault|String|Uint|Uint64|Int)\(\"([A-Z0-9_]+)\"\s*(?:,\s*([^)]*))?\)",
                         text, re.M):
        ident, kind, key, dflt = m.groups()
        r = rec(key)
        r["type"] = ACCESSOR_TYPES[kind]
        r["accessor"] = f"{ident} = {kind}"
        r["files"].add(ENV_FILE)
        if dflt is not None and go_value(dflt) is not _NOVALUE:
            r["default"] = str(go_value(dflt))
        elif kind == "Bool":
            r["default"] = "false"
        elif kind == "String":
            r["default"] = ""
        r["parse"] = {"Bool": "strconv.ParseBool; a non-empty unparsable value counts as true",
                      "BoolWithDefault": "strconv.ParseBool; a non-empty unparsable value counts as true; default chosen by caller",
                      "String": "raw string (surrounding quotes/spaces trimmed)",
                      "Uint": "strconv.ParseUint; invalid -> slog.Warn(\"invalid environment variable, using default\") and default",
                      "Uint64": "strconv.ParseUint; invalid -> slog.Warn(\"invalid environment variable, using default\") and default",
                      "Int": "strconv.ParseInt; invalid -> warning and default"}[kind]
        acc_by_ident[ident] = key
        # doc comment directly above the declaration
        prev = raw[:m.start()].rstrip("\n").splitlines()
        cm_lines = []
        for ln in reversed(prev):
            if ln.strip().startswith("//"):
                cm_lines.insert(0, ln.strip().lstrip("/").strip())
            else:
                break
        if cm_lines:
            r["doc"] = " ".join(cm_lines)
        if kind == "BoolWithDefault":
            sites = set()
            for f in source.grep_go(r"envconfig\." + ident + r"\("):
                t = strip_comments(source.read(f, record=False) or "")
                for cm2 in re.finditer(r"envconfig\." + ident + r"\(", t):
                    arg = t[cm2.end():match_close(t, cm2.end() - 1)]
                    sites.add((f, arg.strip()))
            r["call_sites"] = sites
    # functions that read Var("KEY")
    for m in re.finditer(r"^func\s+(\w+)\(\)\s*([^{]*)\{", text, re.M):
        fname, result = m.group(1), m.group(2)
        body = text[m.end():match_close(text, m.end() - 1)]
        keys = re.findall(r"\bVar\(\"([A-Z0-9_]+)\"\)", body)
        for key in keys:
            r = rec(key)
            r["files"].add(ENV_FILE)
            if r["accessor"] is None:
                r["accessor"] = f"func {fname}()"
                for rx, t in FUNC_TYPES:
                    if re.search(rx, result):
                        r["type"] = t
                        break
                # default: "Default is X" doc comment right above the function
                doc = raw[:m.start()].rstrip().rsplit("\n\n", 1)[-1]
                dm = re.search(r"Default is (.+?)\.?\s*$", doc, re.M)
                if dm:
                    r["default"] = dm.group(1).strip()
                elif r["type"] == "duration":
                    tm = re.search(r"=\s*(\d+)\s*\*\s*time\.(Minute|Second|Hour)", body)
                    if tm:
                        r["default"] = tm.group(1) + {"Minute": "m", "Second": "s", "Hour": "h"}[tm.group(2)]
    # AsMap documentation
    body, _, _ = func_body(text, "AsMap")
    rawbody = body
    entries = re.findall(r"\"([A-Za-z0-9_]+)\"\s*:\s*\{\s*\"[A-Za-z0-9_]+\"\s*,\s*(.*?),\s*(\"(?:[^\"\\]|\\.)*\")\s*\}", body or "")
    entries += re.findall(r"ret\[\"([A-Za-z0-9_]+)\"\]\s*=\s*EnvVar\{\s*\"[A-Za-z0-9_]+\"\s*,\s*(.*?),\s*(\"(?:[^\"\\]|\\.)*\")\s*\}", body or "")
    for key, valexpr, desc in entries:
        r = rec(key)
        r["files"].add(ENV_FILE)
        r["help"] = go_value(desc)
        r["documented"] = True
        if "runtime.GOOS" in (rawbody or "") and re.search(r'ret\["' + key + r'"\]', body or ""):
            r["platform_note"] = "listed in AsMap only on some platforms (runtime.GOOS branch)"
        vm = re.match(r"(\w+)\((.*)\)$", valexpr.strip())
        if vm and vm.group(1) == "String" and r["type"] is None:
            r["type"], r["default"], r["accessor"] = "str", "", "String"
        if vm and vm.group(1) in acc_by_ident and acc_by_ident[vm.group(1)] == key and vm.group(2).strip():
            v = go_value(vm.group(2))
            if v is not _NOVALUE:
                r["default"] = str(v).lower() if isinstance(v, bool) else str(v)
        if r["help"] and (r["default"] is None or (r["accessor"] or "").startswith("func ")):
            dm = re.search(r"\(default:?\s*(.+?)\)", r["help"])
            if dm:
                r["default"] = dm.group(1).strip().strip('"')
    # nested String("KEY")() used inline
    for key in re.findall(r"\bString\(\"([A-Z0-9_]+)\"\)\(\)", text):
        r = rec(key)
        if r["type"] is None:
            r["type"], r["default"] = "str", ""
    # reads elsewhere in the tree
    pat = r"\"(OLLAMA|LLAMA_ARG)_[A-Z0-9_]+\""
    for f in source.grep_go(pat):
        if f == ENV_FILE:
            continue
        t = strip_comments(source.read(f, record=False) or "")
        consts = dict((c, v) for c, v in re.findall(r"\b(\w+)\s*=\s*\"((?:OLLAMA|LLAMA_ARG)_[A-Z0-9_]+)\"", t))
        for m in re.finditer(r"\b(?:os\.Getenv|os\.LookupEnv|envconfig\.(?:Var|Bool|String|BoolWithDefault|Uint|Uint64))\(\s*(\"[A-Z0-9_]+\"|\w+)\s*[,)]", t):
            arg = m.group(1)
            key = go_value(arg) if arg.startswith('"') else consts.get(arg)
            if not key or not re.match(r"(OLLAMA|LLAMA_ARG)_", key):
                continue
            r = rec(key)
            r["files"].add(f)
            if r["type"] is None:
                em = re.match(r"envconfig\.(\w+)", t[m.start():m.end()])
                r["type"] = ACCESSOR_TYPES.get(em.group(1), "str") if em and em.group(1) != "Var" else "str"
                r["accessor"] = t[m.start():m.end()].split("(")[0]
                if r["type"] == "bool":
                    r["default"] = "false"
    out, files = {}, {}
    for k, r in recs.items():
        sites = sorted(r.get("call_sites") or [])
        dflt = r["default"]
        if sites:
            lits = {a for _, a in sites}
            if {"true", "false"} <= lits:
                dflt = "unset (tri-state: the code compares X(true) with X(false) to detect an explicit value)"
            elif any(go_value(a) not in (True, False) for a in lits):
                dflt = "caller-dependent: " + "; ".join(f"{f}: {a}" for f, a in sites)
            elif len(lits) == 1:
                dflt = next(iter(lits))
        if dflt is None and r["type"] == "loglevel":
            dflt = "0 (INFO)"
        out[k] = {
            "type": r["type"] or "str", "default": dflt,
            "help": first_sentence(r["help"] or r.get("doc") or "") or None,
            "documented_in_help": bool(r.get("documented")),
            "accessor": r["accessor"], "parse": r["parse"],
        }
        if sites:
            out[k]["call_sites"] = [f"{f}: {a or '()'}" for f, a in sites]
        if r.get("platform_note"):
            out[k]["note"] = r["platform_note"]
        files[k] = sorted(r["files"])
    return out, files


# --------------------------------------------------------------------------
# Modelfile parameters / commands
# --------------------------------------------------------------------------
GO_TYPES = {"int": ("int", "store"), "float32": ("float", "store"), "float64": ("float", "store"),
            "bool": ("bool", "store"), "string": ("str", "store"), "[]string": ("str", "append"),
            "*int": ("int", "store"), "*bool": ("bool", "store")}


def struct_fields(text, name):
    m = re.search(r"^type\s+" + name + r"\s+struct\s*\{", text, re.M)
    if not m:
        return [], []
    body = text[m.end():match_close(text, m.end() - 1)]
    fields, embeds = [], []
    for line in body.splitlines():
        line_s = line.strip()
        fm = re.match(r"(\w+)\s+(\S+)\s+`json:\"([^\",]*)[^`]*`(.*)$", line_s)
        if fm:
            fields.append((fm.group(1), fm.group(2), fm.group(3), fm.group(4)))
        elif re.fullmatch(r"[A-Z]\w*", line_s):
            embeds.append(line_s)
    return fields, embeds


def modelfile_records(source):
    raw = source.read(TYPES_FILE)
    text = strip_comments(raw)
    defaults = {}
    body, _, _ = func_body(text, "DefaultOptions")
    for fm in re.finditer(r"\b([A-Z]\w*)\s*:\s*([^,\n]+),", body or ""):
        v = go_value(fm.group(2))
        defaults[fm.group(1)] = (fm.group(2).strip() if v is _NOVALUE else v)
    params = {}
    for sname, kind in (("Runner", "load"), ("Options", "predict")):
        fields, _ = struct_fields(raw, sname)
        for fname, gtype, tag, trailing in fields:
            if not tag or tag == "-":
                continue
            typ, action = GO_TYPES.get(gtype, (gtype, "store"))
            zero = {"int": 0, "float32": 0.0, "float64": 0.0, "bool": False, "string": ""}
            dflt = defaults.get(fname, zero.get(gtype))
            dep = None
            if "Deprecated" in trailing:
                dep = trailing.strip().lstrip("/").strip()
            params[tag] = {"names": [tag], "type": typ, "action": action, "nargs": None, "choices": None,
                           "default": dflt, "deprecated": dep, "env": None,
                           "programs": ["modelfile", "api"],
                           "help": f"api.{sname}.{fname} ({gtype}); " + (
                               "applied when the model is loaded (Runner)" if kind == "load" else "applied per request"),
                           "go_field": f"{sname}.{fname}", "go_type": gtype, "load_time": kind == "load"}
    # ContextLength default comes from env
    if "num_ctx" in params and isinstance(params["num_ctx"]["default"], str):
        params["num_ctx"]["env"] = "OLLAMA_CONTEXT_LENGTH"
    praw = source.read(PARSER_FILE) or ""
    ptext = strip_comments(praw)
    dm = re.search(r"deprecatedParameters\s*=\s*\[\]string\{", ptext)
    if dm:
        lst = [go_value(x) for x in split_top(ptext[dm.end():match_close(ptext, dm.end() - 1)])]
        for name in lst:
            if name in params:
                params[name]["deprecated"] = "warning: parameter %s is deprecated (Modelfile: printed and dropped)"
                continue
            params[name] = {"names": [name], "type": None, "action": "ignored", "nargs": None, "choices": None,
                            "default": None,
                            "deprecated": "warning: parameter %s is deprecated (Modelfile: printed and dropped; API options: unknown key -> slog.Warn \"invalid option provided\")",
                            "env": None, "programs": ["modelfile"],
                            "help": "deprecatedParameters entry in parser/parser.go; accepted by the Modelfile parser and ignored",
                            "go_field": None, "go_type": None, "load_time": False}
    cmds = {}
    cm = re.search(r"errInvalidCommand\s*=\s*errors\.New\((\"(?:[^\"\\]|\\.)*\")\)", ptext)
    if cm:
        msg = go_value(cm.group(1))
        for name in re.findall(r"\"(\w+)\"", msg):
            cmds[name.upper()] = {"names": [name.upper()], "type": "str", "action": "store", "nargs": None,
                                  "choices": None, "default": None, "deprecated": None, "env": None,
                                  "programs": ["modelfile"],
                                  "help": "Modelfile instruction (case-insensitive); list from parser.errInvalidCommand"}
    return params, cmds, (go_value(cm.group(1)) if cm else None)


# --------------------------------------------------------------------------
# span merging
# --------------------------------------------------------------------------
def merge_spans(per_version, versions):
    """per_version: {label: {key: record}} -> {key: [span...]}"""
    out = {}
    keys = sorted({k for v in per_version.values() for k in v})
    for k in keys:
        spans = []
        for label in versions:
            r = per_version[label].get(k)
            if r is None:
                continue
            if spans and spans[-1]["_last"] == versions.index(label) - 1 and spans[-1]["_rec"] == r:
                spans[-1]["to"] = label
                spans[-1]["_last"] = versions.index(label)
            else:
                spans.append({"from": label, "to": label, "_rec": r, "_last": versions.index(label)})
        res = []
        for s in spans:
            d = {"from": s["from"], "to": s["to"]}
            d.update(s["_rec"])
            res.append(d)
        out[k] = res
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--git-dir", help="bare git dir of ollama/ollama")
    ap.add_argument("--rev", action="append", default=[], help="revision (tag/sha), oldest first; repeatable")
    ap.add_argument("--tree", action="append", default=[], help="LABEL=PATH of an unpacked source tree")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    sources = [Source(r, git_dir=a.git_dir, rev=r) for r in a.rev]
    for t in a.tree:
        label, path = t.split("=", 1)
        sources.append(Source(label, tree=path))
    if not sources:
        ap.error("give --rev (with --git-dir) or --tree")
    versions = [s.label for s in sources]
    flags_pv, env_pv, par_pv, cmd_pv, cli_pv, meta, env_files = {}, {}, {}, {}, {}, {}, {}
    for s in sources:
        f, c = cli_records(s)
        flags_pv[s.label] = f
        cli_pv[s.label] = c
        env_pv[s.label], env_files[s.label] = env_records(s)
        p, mc, msg = modelfile_records(s)
        par_pv[s.label] = p
        cmd_pv[s.label] = mc
        meta[s.label] = {"repo": REPO, "commit": s.commit(), "files": sorted(s.files_read),
                         "env_scan": "plus every non-test *.go file containing a \"OLLAMA_*\" or \"LLAMA_ARG_*\" string literal (git grep), for env reads outside envconfig"}
        print(f"{s.label}: {len(f)} flags, {len(env_pv[s.label])} env vars, {len(p)} parameters, "
              f"{len(mc)} modelfile commands, {len(c)} cli commands", file=sys.stderr)

    def listify(merged, keyname="dest"):
        return [{keyname: k, "spans": v} for k, v in sorted(merged.items())]

    env_merged = merge_spans(env_pv, versions)
    env_list = []
    for name, spans in sorted(env_merged.items()):
        last = spans[-1]
        read_in = env_files[last["to"]].get(name, [])
        env_list.append({"name": name, "type": last["type"], "default": last["default"],
                         "help": last["help"], "read_in": read_in, "read_in_version": last["to"],
                         "spans": spans})
    doc = {
        "engine": "ollama",
        "generated_by": "tools/engine_flags/gen_ollama.py",
        "program": "ollama",
        "versions": versions,
        "sources": meta,
        "parser": {
            "style": "cobra",
            "library": "github.com/spf13/cobra v1.7.0 + github.com/spf13/pflag v1.0.5 (go.mod); main.go: cobra.CheckErr(cmd.NewCLI().ExecuteContext(...))",
            "unknown_flag_message": "Error: unknown flag: --foo  (pflag v1.0.5 flag.go: f.failf(\"unknown flag: --%s\", name); printed by cobra.CheckErr as fmt.Fprintln(os.Stderr, \"Error:\", msg), exit status 1; rootCmd has SilenceUsage/SilenceErrors so no usage text)",
            "unknown_shorthand_message": "Error: unknown shorthand flag: 'x' in -x  (pflag v1.0.5: f.failf(\"unknown shorthand flag: %q in -%s\", c, shorthands))",
            "bad_value_message": "Error: invalid argument \"abc\" for \"--dimensions\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax  (pflag v1.0.5 flag.go: fmt.Errorf(\"invalid argument %q for %q flag: %v\", value, flagName, err); flagName is \"-s, --name\" when the flag has a shorthand)",
            "missing_value_message": "Error: flag needs an argument: --format  (pflag v1.0.5: f.failf(\"flag needs an argument: %s\", s))",
            "unknown_command_message": "Error: unknown command \"foo\" for \"ollama\"  (cobra v1.7.0 args.go legacyArgs: fmt.Errorf(\"unknown command %q for %q%s\", ...))",
            "wrong_arg_count_message": "Error: accepts 1 arg(s), received 0  (cobra v1.7.0 args.go ExactArgs; MinimumNArgs: \"requires at least %d arg(s), only received %d\")",
            "notes": "Flags are per sub-command (no persistent flags); every command also has -h/--help. The hidden 'runner' command whitelists unknown flags (FParseErrWhitelist) and hands os.Args to runner.Execute. bool flags accept --x, --x=true|false (strconv.ParseBool).",
        },
        "flags": listify(merge_spans(flags_pv, versions)),
        "env_vars": env_list,
        "extra": {
            "modelfile_parameters": listify(merge_spans(par_pv, versions)),
            "commands": listify(merge_spans(cmd_pv, versions)),
            "cli_commands": listify(merge_spans(cli_pv, versions), "name"),
            "modelfile_rules": {
                "unknown_parameter_message": "Error: unknown parameter 'foo'  (api/types.go FormatParams: fmt.Errorf(\"unknown parameter '%s'\", key); raised by parser.(Modelfile).CreateRequest during `ollama create`, and by `/set parameter` in `ollama run`)",
                "bad_value_messages": ["invalid int value %s", "invalid float value %s", "invalid bool value %s"],
                "bad_value_note": "%s is the []string of values, e.g. 'invalid int value [abc]' (api/types.go FormatParams)",
                "deprecated_parameter_message": "warning: parameter %s is deprecated  (parser/parser.go CreateRequest: fmt.Printf, value dropped)",
                "api_unknown_option": "API 'options' keys that are not json tags of api.Options/api.Runner are ignored with slog.Warn(\"invalid option provided\", \"option\", key) (api/types.go Options.FromMap)",
                "api_bad_type_message": "option %q must be of type integer|boolean|float32|string|array (api/types.go Options.FromMap)",
            },
        },
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, sort_keys=False, ensure_ascii=False, default=sorted)
        fh.write("\n")


if __name__ == "__main__":
    main()
