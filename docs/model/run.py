#!/usr/bin/env python3
"""Build and check every ProVerif model of docs/model.

Models:
  docs/model/<name>.pv             a base model; expected results <name>.expect
  docs/model/variants/<name>.patch a variant: a unified diff against the base
                                   model named on its "--- " line; expected
                                   results variants/<name>.expect

Each variant is built into a temporary directory with `patch --fuzz=0`,
so a patch whose context no longer matches its base fails instead of
applying somewhere else.  Every model runs under ProVerif (in parallel,
one per CPU by default, each with a timeout); its RESULT lines are
compared with the expected ones as a multiset (order does not count,
every line must be there exactly as often as expected, and no other).

  docs/model/run.py                       build and run everything
  docs/model/run.py NAME...               only these models (base or variant)
  docs/model/run.py --check-variants-only apply the patches, no ProVerif
  docs/model/run.py --emit DIR            write the built variants to DIR

Exit status 0 when every model gives its expected results, 1 otherwise,
2 on a usage or setup error.  ProVerif's full output of each model is kept
in the log directory it prints (--logs DIR to choose it).  Run it at low
priority on a shared machine: `nice -n 10 docs/model/run.py`.
"""

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

MODEL_DIR = os.path.dirname(os.path.abspath(__file__))
VARIANT_DIR = os.path.join(MODEL_DIR, "variants")


class Model:
    def __init__(self, name, expect, base=None, patch=None):
        self.name = name      # e.g. "ossuary" or "broken-flags-not-in-transcript"
        self.expect = expect  # path of the .expect file
        self.base = base      # variants: the base model's file name
        self.patch = patch    # variants: path of the .patch file
        self.path = None      # the .pv file ProVerif runs


def die(msg):
    print(f"run.py: {msg}", file=sys.stderr)
    sys.exit(2)


def patch_base(patch_path):
    """The base model named on the patch's '--- ' line, and the diff itself
    (everything before the first '--- ' line is the patch's description)."""
    with open(patch_path, encoding="utf-8") as f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        if line.startswith("--- "):
            base = line[4:].split("\t")[0].strip()
            if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
                break
            return base, "".join(lines[i:])
    die(f"{patch_path}: no '--- BASE.pv' / '+++ NAME.pv' header")


def discover():
    models = []
    for fn in sorted(os.listdir(MODEL_DIR)):
        if fn.endswith(".pv"):
            name = fn[:-3]
            expect = os.path.join(MODEL_DIR, name + ".expect")
            if not os.path.exists(expect):
                die(f"{fn} has no {name}.expect")
            m = Model(name, expect)
            m.path = os.path.join(MODEL_DIR, fn)
            models.append(m)
    for fn in sorted(os.listdir(VARIANT_DIR)):
        if fn.endswith(".patch"):
            name = fn[:-6]
            expect = os.path.join(VARIANT_DIR, name + ".expect")
            if not os.path.exists(expect):
                die(f"variants/{fn} has no {name}.expect")
            base, _ = patch_base(os.path.join(VARIANT_DIR, fn))
            if not os.path.exists(os.path.join(MODEL_DIR, base)):
                die(f"variants/{fn}: base model {base} not found")
            models.append(Model(name, expect, base, os.path.join(VARIANT_DIR, fn)))
    return models


def build_variant(m, outdir):
    """Apply m.patch to its base into outdir/<name>.pv.  Returns an error
    message, or None."""
    _, diff = patch_base(m.patch)
    out = os.path.join(outdir, m.name + ".pv")
    # patch writes to -o; --fuzz=0: every context line must match exactly.
    r = subprocess.run(
        ["patch", "--quiet", "--fuzz=0", "--no-backup-if-mismatch",
         "--reject-file=-", "-o", out, os.path.join(MODEL_DIR, m.base)],
        input=diff, capture_output=True, text=True)
    if r.returncode != 0:
        return (r.stdout + r.stderr).strip() or f"patch exited with {r.returncode}"
    m.path = out
    return None


def read_expect(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if l.startswith("RESULT")]


def run_proverif(proverif, m, logdir, timeout):
    """Run ProVerif on m.path; return (results, wall, user CPU, max RSS in KiB, note)."""
    log = os.path.join(logdir, m.name + ".log")
    start = time.monotonic()
    with open(log, "w") as out:
        p = subprocess.Popen([proverif, m.path], stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(p.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    note = None
    if p.returncode == -signal.SIGKILL and wall >= timeout:
        note = f"timed out after {timeout} s"
    elif p.returncode != 0:
        note = f"proverif exited with status {p.returncode}"
    with open(log, encoding="utf-8", errors="replace") as f:
        results = [l.rstrip("\n") for l in f if l.startswith("RESULT")]
    return results, wall, ru.ru_utime, ru.ru_maxrss, note


def compare(expected, got):
    e, g = collections.Counter(expected), collections.Counter(got)
    return sorted((e - g).elements()), sorted((g - e).elements())


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", metavar="NAME",
                    help="models to run (file name without .pv or .patch); default all")
    ap.add_argument("--check-variants-only", action="store_true",
                    help="only check that every patch applies cleanly to its base")
    ap.add_argument("--emit", metavar="DIR",
                    help="write the built variants to DIR (implies --check-variants-only)")
    ap.add_argument("--proverif", default=os.environ.get("PROVERIF", "proverif"),
                    help="ProVerif executable (default: $PROVERIF, else proverif on PATH)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="ProVerif runs at a time (default: number of CPUs)")
    ap.add_argument("--timeout", type=int, default=3600,
                    help="seconds allowed per model (default 3600)")
    ap.add_argument("--logs", metavar="DIR",
                    help="keep ProVerif's output in DIR (default: a new temporary directory)")
    args = ap.parse_args()

    models = discover()
    if args.names:
        known = {m.name: m for m in models}
        wanted = set()
        for n in args.names:
            n = os.path.basename(n)
            for suffix in (".pv", ".patch", ".expect"):
                if n.endswith(suffix):
                    n = n[:-len(suffix)]
            if n not in known:
                die(f"no model named {n}; known: {' '.join(known)}")
            wanted.add(n)
        models = [m for m in models if m.name in wanted]

    check_only = args.check_variants_only or args.emit
    if check_only:
        builddir = args.emit or tempfile.mkdtemp(prefix="ossuary-model-")
        os.makedirs(builddir, exist_ok=True)
    else:
        if shutil.which(args.proverif) is None:
            die(f"ProVerif not found ({args.proverif}); see README.md, 'Running it'")
        builddir = tempfile.mkdtemp(prefix="ossuary-model-")

    passed = failed = 0
    runnable = []
    for m in models:
        if m.patch is None:
            runnable.append(m)
            continue
        err = build_variant(m, builddir)
        if err:
            failed += 1
            print(f"FAILED {m.name}: variants/{m.name}.patch does not apply to {m.base}:\n  "
                  + err.replace("\n", "\n  "), flush=True)
        elif check_only:
            passed += 1
            print(f"ok     {m.name}: variants/{m.name}.patch applies to {m.base}", flush=True)
        else:
            runnable.append(m)

    if check_only:
        if not args.emit:
            shutil.rmtree(builddir)
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0

    logdir = args.logs or tempfile.mkdtemp(prefix="ossuary-proverif-logs-")
    os.makedirs(logdir, exist_ok=True)
    version = subprocess.run([args.proverif, "-help"], capture_output=True,
                             text=True).stdout.split("\n")[0].split(". ")[0]
    print(f"{version}; {len(runnable)} models, {args.jobs} at a time, "
          f"timeout {args.timeout} s; logs in {logdir}", flush=True)

    lock = threading.Lock()
    counts = {"passed": 0, "failed": failed}

    def job(m):
        results, wall, cpu, rss, note = run_proverif(args.proverif, m, logdir, args.timeout)
        missing, unexpected = compare(read_expect(m.expect), results)
        ok = note is None and not missing and not unexpected
        cost = f"wall {wall:.0f} s, user {cpu:.0f} s, {rss // 1024} MiB"
        summary = collections.Counter(
            "is true" if r.endswith(" is true.") or r.endswith(" is true.)") else
            "is false" if r.endswith(" is false.") or r.endswith(" is false.)") else
            "cannot be proved" if r.endswith("cannot be proved.") else "other"
            for r in results)
        tally = ", ".join(f"{n} {k}" for k, n in sorted(summary.items())) or "no RESULT"
        with lock:
            counts["passed" if ok else "failed"] += 1
            if ok:
                print(f"ok     {m.name}: {len(results)} RESULT lines as expected "
                      f"({tally}; {cost})", flush=True)
            else:
                print(f"FAILED {m.name}: {note or 'RESULT lines differ'} ({tally}; {cost})",
                      flush=True)
                for l in missing:
                    print(f"  expected, missing: {l}")
                for l in unexpected:
                    print(f"  not expected:      {l}")
                sys.stdout.flush()

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(job, runnable))
    shutil.rmtree(builddir)
    print(f"{counts['passed']} passed, {counts['failed']} failed "
          f"(wall {time.monotonic() - t0:.0f} s)")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
