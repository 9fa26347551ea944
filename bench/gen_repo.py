#!/usr/bin/env python3
"""Generate a git repository for the history benchmark (bench/git-history).

Deterministic: a project of source-like files evolving over many commits, so the history holds
>= 50,000 distinct blobs. A few commits add fake Upstash tokens (structurally valid, random)
and later commits delete some of them. Four commits add a release tarball (`dist/*.tgz`, one
of them 20 MB of sources) with a token in `package/.env`, as build artefacts get committed.

The history is written with `git fast-import`, which stores nearly every blob whole. By default
the pack is then rebuilt with `git repack -adf` (a fresh delta search, git's default window and
depth): each file's versions become chains of deltas, as in a repository that has been cloned
or gc'd. `--whole-blobs` keeps the blobs as fast-import stored them (`git repack -ad` reuses
its deltas, which are nearly all between trees).

usage: gen_repo.py DIR [--files N] [--commits N] [--changes-per-commit N] [--whole-blobs]
"""
import argparse, base64, gzip, io, os, random, subprocess, sys, tarfile

WORDS = ("const let var function return if else for while import export from class new this "
         "await async try catch throw null undefined true false string number boolean "
         "request response handler config options value result error data items index "
         "user account session token cache client server route render props state").split()

def line(r):
    n = r.randint(2, 12)
    ind = "  " * r.randint(0, 4)
    return ind + " ".join(r.choice(WORDS) for _ in range(n)) + (";" if r.random() < .6 else "")

def text(r, lines):
    return "\n".join(line(r) for _ in range(lines)) + "\n"

def redis_token(r):
    num = r.randint(10000, 65000)
    body = "".join(r.choice("0123456789abcdef") for _ in range(32)).encode()
    raw = bytes([1]) + num.to_bytes(2, "big") + bytes([0, 2, 32]) + b"p1" + body
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")

def tarball(r, size, token):
    """An npm-style release tarball: package/ sources (about `size` bytes) and a leaked .env."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_600_000_000
            t.addfile(info, io.BytesIO(data))
        n = 0
        while n < size:
            data = text(r, r.randint(40, 400)).encode()
            add(f"package/lib/part{n}.js", data)
            n += len(data)
        add("package/.env", f"NODE_ENV=production\nUPSTASH_REDIS_REST_TOKEN={token}\n".encode())
    return gzip.compress(buf.getvalue(), mtime=0)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=2500)
    ap.add_argument("--commits", type=int, default=2000)
    ap.add_argument("--changes-per-commit", type=int, default=25)
    ap.add_argument("--whole-blobs", action="store_true",
                    help="keep fast-import's packing: blobs stored whole, not as deltas")
    a = ap.parse_args()
    r = random.Random(7)
    os.makedirs(a.dir, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", a.dir], check=True)
    dirs = [f"src/mod{i // 50}" for i in range(a.files)]
    names = [f"{dirs[i]}/file{i}.{r.choice(['js', 'ts', 'py', 'go', 'md', 'json'])}" for i in range(a.files)]
    contents = {n: text(r, r.randint(40, 160)) for n in names}
    fi = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=a.dir, stdin=subprocess.PIPE)
    out = fi.stdin
    mark = 0
    t0 = 1_600_000_000
    planted = 0
    def commit(files, msg, n):
        nonlocal mark
        mark += 1
        data = msg.encode()
        out.write(f"commit refs/heads/main\nmark :{mark}\n".encode())
        out.write(f"author Dev <dev@example.com> {t0 + n * 3600} +0000\n".encode())
        out.write(f"committer Dev <dev@example.com> {t0 + n * 3600} +0000\n".encode())
        out.write(f"data {len(data)}\n".encode() + data + b"\n")
        if mark > 1:
            out.write(f"from :{mark - 1}\n".encode())
        for path, body in files:
            if body is None:
                out.write(f"D {path}\n".encode())
            else:
                b = body if isinstance(body, bytes) else body.encode()
                out.write(f"M 100644 inline {path}\ndata {len(b)}\n".encode() + b + b"\n")
    commit([(n, contents[n]) for n in names], "initial import", 0)
    for c in range(1, a.commits + 1):
        changed = []
        for n in r.sample(names, a.changes_per_commit):
            lines = contents[n].splitlines()
            for _ in range(r.randint(1, 4)):
                i = r.randrange(len(lines) + 1)
                lines.insert(i, line(r))
                if r.random() < .5 and len(lines) > 10:
                    del lines[r.randrange(len(lines))]
            contents[n] = "\n".join(lines) + "\n"
            changed.append((n, contents[n]))
        if c % 200 == 0:
            changed.append((f"config/env{c}.env", f"UPSTASH_REDIS_REST_TOKEN={redis_token(r)}\n"))
            planted += 1
        if c % 400 == 0:
            changed.append((f"config/env{c - 200}.env", None))
        if c % 500 == 250:
            size = 20 << 20 if c == 750 else 200_000
            changed.append((f"dist/release-{c}.tgz", tarball(r, size, redis_token(r))))
            planted += 1
        commit(changed, f"change {c}", c)
    out.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "repack", "-adq"] + ([] if a.whole_blobs else ["-f"]), cwd=a.dir, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=a.dir, check=True)
    print(f"planted {planted} tokens")

main()
