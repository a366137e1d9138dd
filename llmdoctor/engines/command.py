"""Parse a user's launch command (the argv after `llmdoctor plan --`) into a LaunchCommand.

Handles `VAR=value` prefixes, `docker run [opts] IMAGE [args]` (engine images whose entrypoint is
the engine, --entrypoint, `bash -c "..."`), and the four engines' programs. Unknown flags are kept
in unknown_flags; nothing here is fatal except a command with no engine in it.
"""
from __future__ import annotations

import os
import re
import shlex
from typing import Optional

from llmdoctor.engines import engines, get
from llmdoctor.errors import UsageError
from llmdoctor.plan.records import DockerWrapper, LaunchCommand

# docker run options that take a value (docker 27 `docker run --help`); the rest are switches.
_DOCKER_VALUED = {
    "-e", "--env", "--env-file", "-v", "--volume", "-p", "--publish", "--gpus", "--shm-size", "--ipc",
    "--runtime", "--name", "--network", "--net", "--entrypoint", "-w", "--workdir", "--device", "-u",
    "--user", "--mount", "--ulimit", "--restart", "--cpus", "-m", "--memory", "--memory-swap", "-l",
    "--label", "--add-host", "--security-opt", "--cap-add", "--cap-drop", "-h", "--hostname",
    "--platform", "--pull", "--log-opt", "--log-driver", "--group-add", "--tmpfs", "--cgroupns", "--pid",
    "--uts", "--stop-signal", "--cpuset-cpus", "--dns", "--label-file", "--volumes-from", "--expose",
    "--health-cmd", "--cidfile", "--device-cgroup-rule", "--sysctl", "--storage-opt", "--oom-score-adj",
}
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _size_bytes(text: str) -> Optional[int]:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([bkmgt]?)b?", text.strip().lower())
    if not m:
        return None
    return int(float(m.group(1)) * {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2)])


def _split_env(argv: list[str], env: dict[str, str]) -> list[str]:
    i = 0
    if argv and os.path.basename(argv[0]) == "env":
        i = 1
    while i < len(argv) and _ENV.match(argv[i]):
        k, _, v = argv[i].partition("=")
        env[k] = v
        i += 1
    return argv[i:]


def _parse_docker(argv: list[str], env: dict[str, str]) -> tuple[DockerWrapper, list[str], Optional[list[str]]]:
    d = DockerWrapper()
    entrypoint: Optional[list[str]] = None
    i = 2 if len(argv) > 1 and argv[1] in ("run", "create") else 1
    while i < len(argv):
        tok = argv[i]
        if not tok.startswith("-"):
            d.image = tok
            return d, argv[i + 1:], entrypoint
        name, eq, val = tok.partition("=")
        if name in _DOCKER_VALUED and not eq:
            val = argv[i + 1] if i + 1 < len(argv) else ""
            i += 1
        if name in ("-e", "--env"):
            k, has, v = val.partition("=")
            d.env[k] = v if has else os.environ.get(k, "")
        elif name == "--gpus":
            d.gpus = val
        elif name == "--shm-size":
            d.shm_size_bytes = _size_bytes(val)
        elif name == "--ipc":
            d.ipc = val
        elif name == "--runtime":
            d.runtime = val
        elif name == "--device":
            d.devices.append(val)
        elif name in ("-v", "--volume"):
            host, _, rest = val.partition(":")
            target = rest.split(":", 1)[0]
            if host.startswith(("/", "~", ".")) and target.startswith("/"):     # a bind mount, not a named volume
                d.volumes.append((os.path.expanduser(host), target))
        elif name == "--mount":
            opts = dict(p.partition("=")[::2] for p in val.split(","))
            src, dst = opts.get("source") or opts.get("src"), opts.get("target") or opts.get("destination") or opts.get("dst")
            if opts.get("type", "volume") == "bind" and src and dst:
                d.volumes.append((src, dst))
        elif name == "--privileged":
            d.privileged = True
        elif name == "--entrypoint":
            entrypoint = _shell_words(val)
        i += 1
    return d, [], entrypoint


def _shell_words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:           # "No closing quotation", "No escaped character"
        raise UsageError(f"launch command: cannot split {text[:80]!r} as the shell would: {exc}") from None


def _unwrap_shell(argv: list[str]) -> list[str]:
    """`bash -c "cd /x && vllm serve ..."`: the segment that runs an engine."""
    if len(argv) >= 3 and os.path.basename(argv[0]) in ("bash", "sh", "zsh") and argv[1] in ("-c", "-lc"):
        _shell_words(argv[2])
        for segment in re.split(r"&&|;|\|\|", argv[2]):
            words = _shell_words(segment)
            words = _split_env(words, {})
            if words and _engine_of(words)[0]:
                return words
        return _shell_words(argv[2])
    return argv


def _engine_of(argv: list[str]) -> tuple[Optional[str], int, Optional[str]]:
    """(engine, index where its arguments start, program label)."""
    for engine in engines():
        found = engine.match(argv)
        if found:
            return engine.name, found[0], found[1]
    return None, 0, None


def parse_command(argv: list[str], env: Optional[dict[str, str]] = None) -> LaunchCommand:
    env = dict(env or {})
    original = list(argv)
    rest = _split_env(list(argv), env)
    docker = None
    if rest and os.path.basename(rest[0]) in ("docker", "podman", "nerdctl"):
        docker, container_args, entrypoint = _parse_docker(rest, env)
        env.update(docker.env)
        if entrypoint:
            rest = entrypoint + container_args
        else:
            rest = container_args
            images = [(pattern, program) for e in engines() for pattern, program in e.images]
            for pattern, program in images:
                if docker.image and pattern.search(docker.image) and not _engine_of(_unwrap_shell(rest))[0]:
                    rest = list(program) + rest
                    break
    rest = _unwrap_shell(rest)
    rest = _split_env(rest, env)
    engine, start, program = _engine_of(rest)
    if engine is None:
        labels = [e.label for e in engines()]
        raise UsageError(f"no {', '.join(labels[:-1])} or {labels[-1]} command found in: {shlex.join(original)[:200]}")
    args = rest[start:]
    model, flags, unknown = get(engine).parse_args(args, env)
    return LaunchCommand(engine=engine, argv=original, program=program, model=model, args=list(args),
                         flags=flags, unknown_flags=unknown, env=env, docker=docker)


def image_version(cmd: LaunchCommand) -> Optional[str]:
    """The engine version an image tag names (vllm/vllm-openai:v0.11.0 -> 0.11.0), if any."""
    if not cmd.docker or not cmd.docker.image or ":" not in cmd.docker.image:
        return None
    tag = cmd.docker.image.rsplit(":", 1)[1]
    m = re.match(r"v?(\d+\.\d+(?:\.\d+)?)", tag)
    return m.group(1) if m else None


def rewrap(original: LaunchCommand, engine_argv: list[str]) -> list[str]:
    """`engine_argv` (program and arguments) in the user's own wrapper: the `VAR=value` prefixes and the
    `docker run ... IMAGE` part, so the recommended command runs where theirs would. An image whose
    entrypoint is the engine gets the arguments without the program, as the user gave them."""
    argv = list(original.argv)
    i = 1 if argv and os.path.basename(argv[0]) == "env" else 0
    while i < len(argv) and _ENV.match(argv[i]):
        i += 1
    prefix = argv[:i]
    docker = original.docker
    if docker is None or not docker.image or docker.image not in argv[i:]:
        return prefix + list(engine_argv)
    at = argv.index(docker.image, i)
    container = argv[at + 1:]
    found = _engine_of(_unwrap_shell(container)) if container else (None, 0, None)
    if found[0] is None and any(p.search(docker.image) for e in engines() for p, _ in e.images):
        start = get(original.engine).match(list(engine_argv))
        return argv[:at + 1] + list(engine_argv[start[0] if start else 0:])
    return argv[:at + 1] + list(engine_argv)
