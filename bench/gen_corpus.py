#!/usr/bin/env python3
"""Build upsweep's benchmark corpus: a tree of real-looking source (JS/TS, Python, Go, JSON,
YAML, Markdown, lock files, minified bundles and source maps, CSS with base64 data URIs,
notebooks, binary files) with a known set of planted FAKE Upstash credentials of every kind.

Archives too, each with a plant inside: an npm package (.tgz) and a jar or wheel (zip) per
project, and a `docker save`-like image (image tar -> layer tar -> package .tgz) every third
project; bench/archive times one large archive. They draw from their own random generators, so
each project's plain files are the same as without them. A plant inside an archive is recorded
at the chain of names joined by `!` (`p/dist/a.tgz!package/.env`), as upsweep shows it.

Deterministic: the same --seed and --size-mb give byte-identical trees. Writes
  OUT/tree/...          the files to scan
  OUT/manifest.json     every planted secret: kind and exact locations (path, line, column)

The fake credentials follow the layouts of docs/formats.md with random content (as
tests/common/fake.rs does); none is, or ever was, a real credential. Usage:
  python3 bench/gen_corpus.py --out bench/corpus [--seed 1] [--size-mb 320]
"""

import argparse
import base64
import gzip
import io
import json
import os
import random
import shutil
import string
import sys
import tarfile
import zipfile

# --------------------------------------------------------------------------------------------
# Fake credentials (structurally valid; mirror src/fake.rs)

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ADJ = ["sought", "proud", "brave", "calm", "eager", "fancy", "gentle", "happy", "quiet",
       "witty", "jolly", "lucky", "noble", "rapid", "sunny", "tidy"]
ANIMAL = ["mollusk", "ferret", "lemur", "otter", "panda", "koala", "gecko", "bison", "heron",
          "moose", "raven", "shrew", "tapir", "viper", "walrus", "yak"]
REGION = ["", "", "", "eu1-", "eu2-", "us1-", "usw1-", "global-"]


class Fakes:
    def __init__(self, rng):
        self.r = rng
        self.issued = set()

    def hex(self, n):
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def uuid4(self):
        return "%s-%s-4%s-%s%s-%s" % (self.hex(8), self.hex(4), self.hex(3),
                                      self.r.choice("89ab"), self.hex(3), self.hex(12))

    def number(self):
        return self.r.randrange(10_000, 65_000)

    def redis_host(self, number):
        return "%s%s-%s-%d.upstash.io" % (self.r.choice(REGION), self.r.choice(ADJ),
                                          self.r.choice(ANIMAL), number)

    def endpoint(self):
        return "%s-%s-%d-%s" % (self.r.choice(ADJ), self.r.choice(ANIMAL),
                                self.r.randrange(10_000, 99_999),
                                self.r.choice(["us1", "eu1", "apse1"]))

    def _unique(self, s):
        assert s not in self.issued
        self.issued.add(s)
        return s

    def redis_token(self, number, read_only=False, wide=False):
        if read_only:
            while True:
                fb = self.r.randbytes(32)
                if len(set(fb)) > 1:
                    break
            typ = 2
        else:
            fb = self.hex(32).encode()
            if self.r.random() < 0.5:
                fb += b"p%d" % self.r.randrange(1, 99_999)
            typ = 1
        head = bytes([typ | 0x80 if wide else typ])
        head += number.to_bytes(8 if wide else 2, "big")
        head += bytes([0, 2, len(fb)])
        raw = head + self.r.choice([b"p1", b"p2"]) + fb
        return self._unique(base64.urlsafe_b64encode(raw).rstrip(b"=").decode())

    def redis_token_legacy(self, number):
        head = bytes([1]) + number.to_bytes(2, "big") + bytes([1, 36, 32])
        raw = head + self.uuid4().encode() + self.hex(32).encode()
        return self._unique(base64.urlsafe_b64encode(raw).decode())

    def vector_token(self, endpoint, read_only=False):
        user = b"readonly" if read_only else b"admin"
        pw = base64.b64encode(self.uuid4().encode())
        raw = bytes([0, len(endpoint), len(user), len(pw)]) + endpoint.encode() + user + pw
        return self._unique(base64.b64encode(raw).decode())

    def qstash_token(self):
        j = '{"UserID":"%s","Password":"%s"}' % (self.uuid4(), self.hex(32))
        return self._unique(base64.b64encode(j.encode()).decode())

    def signing_key(self):
        def cls(c):
            return 0 if c.isdigit() else (1 if c.isupper() else 2)
        while True:
            body = "".join(self.r.choice(BASE58) for _ in range(28))
            changes = sum(1 for a, b in zip(body, body[1:]) if cls(a) != cls(b))
            upper = sum(c.isupper() for c in body)
            lower = sum(c.islower() for c in body)
            if len(set(body)) >= 12 and changes > 8 and upper >= 2 and lower >= 2:
                return self._unique("sig_" + body)

    def redis_token_legacy_flag(self, number, flag, read_only=False):
        """A legacy token with an explicit layout flag (0x00 was issued too)."""
        fb = self.r.randbytes(32) if read_only else self.hex(32).encode()
        head = bytes([2 if read_only else 1]) + number.to_bytes(2, "big") + bytes([flag, 36, 32])
        raw = head + self.uuid4().encode() + fb
        return self._unique(base64.urlsafe_b64encode(raw).decode())

    def qstash_token_uuid(self):
        """An older QStash token: its password is a UUID."""
        j = '{"UserID":"%s","Password":"%s"}' % (self.uuid4(), self.uuid4())
        return self._unique(base64.b64encode(j.encode()).decode())

    def signing_key_of(self, n):
        """A signing key of n characters after sig_ (28 now; 46, 47 or 50 for 2022 keys)."""
        def cls(c):
            return 0 if c.isdigit() else (1 if c.isupper() else 2)
        while True:
            body = "".join(self.r.choice(BASE58) for _ in range(n))
            changes = sum(1 for a, b in zip(body, body[1:]) if cls(a) != cls(b))
            upper = sum(c.isupper() for c in body)
            lower = sum(c.islower() for c in body)
            run = max(len(list(g)) for _, g in __import__("itertools").groupby(body))
            if len(set(body)) >= 12 and changes * 28 > 8 * n and upper >= 2 and lower >= 2 and run < 6:
                return self._unique("sig_" + body)

    def kafka_host(self, rest):
        return "%s-%s-%d-%s%s-kafka.upstash.io" % (self.r.choice(ADJ), self.r.choice(ANIMAL), self.r.randrange(1000, 20000),
                                                   self.r.choice(["eu1", "us1", "apn1"]), "-rest" if rest else "")

    def kafka_username(self, host):
        cluster = "-".join(host.split(".")[0].split("-")[:3])
        return base64.urlsafe_b64encode(cluster.encode() + b"$" + self.r.randbytes(30)).rstrip(b"=").decode()

    def kafka_password(self):
        """32 hex, base64 of a UUID, or base64url of 52 random bytes (the three issued shapes)."""
        k = self.r.randrange(3)
        if k == 0:
            return self._unique(self.hex(32))
        if k == 1:
            return self._unique(base64.b64encode(self.uuid4().encode()).decode())
        while True:
            p = base64.urlsafe_b64encode(self.r.randbytes(52)).decode()
            body = p.rstrip("=")
            run = max(len(list(g)) for _, g in __import__("itertools").groupby(body))
            if run < 6 and any(c.isupper() for c in body) and any(c.islower() for c in body) and any(c.isdigit() for c in body):
                return self._unique(p)

    def password(self):
        return self._unique(self.hex(32))

    def api_key(self):
        return self._unique(self.uuid4())


# --------------------------------------------------------------------------------------------
# Vocabulary

WORDS = """account action active adapter address admin agent alert alias align allow amount
anchor api app apply archive array asset async audit auth author avatar backend backup badge
balance banner base batch billing blob block body bookmark border bucket buffer build bundle
button cache callback canvas card cart catalog category channel chart checkout child chunk
city claim client cluster code collection color column comment commit config connection
consumer contact container content context cookie count country coupon cursor customer
dashboard data database date debug default delay delete delivery deploy device dialog digest
discount document domain draft driver editor element email encoder endpoint engine entity
entry error event export feature feed field file filter flag folder footer form format frame
gateway graph grid group handler header health history hook host icon image import index
input install invoice item job key label language layout lead level limit link list loader
locale lock log login manager manifest map market media member menu message meta metric
model module monitor name node note notice number offer option order owner package page
panel parser partner password path payload payment peer permission phone pipeline plan
plugin point policy pool port post preview price product profile project prompt provider
proxy query queue quota range rate reader record redirect region registry release remote
render report request resource response result role route row rule runner sample scope
schema score screen script search secret section segment selector sender server service
session setting shape share shipment signal site size slot snapshot socket source span
stage state status step storage store stream style subject summary supplier support switch
table tag target task team template tenant theme thread ticket timer title token topic
total trace track transaction transfer tree trigger type unit update upload user value
vendor version view visitor volume wallet warning webhook widget window worker workflow
zone""".split()
PKGS = ["react", "react-dom", "next", "lodash", "axios", "express", "zod", "dayjs", "@upstash/redis",
        "@upstash/ratelimit", "@upstash/qstash", "@upstash/vector", "ioredis", "prisma", "@prisma/client",
        "tailwindcss", "postcss", "vite", "vitest", "jest", "eslint", "typescript", "uuid", "chalk",
        "commander", "yargs", "rxjs", "immer", "redux", "@tanstack/react-query", "graphql", "pino",
        "winston", "dotenv", "bcrypt", "jsonwebtoken", "stripe", "@aws-sdk/client-s3", "sharp", "undici"]
SENTENCES = [
    "This function handles the retry logic for transient failures.",
    "See the migration guide before upgrading to the next major version.",
    "TODO: remove this once the backend supports pagination.",
    "The cache is invalidated whenever the upstream record changes.",
    "Note that the password must be rotated every ninety days.",
    "We pass the API key through the environment, never through the code.",
    "Rate limiting uses a sliding window backed by Redis.",
    "Keep this in sync with the schema in the shared package.",
    "FIXME: the search index is rebuilt on every deploy, which is slow.",
    "Tokens are read from process.env at startup and cached.",
    "Configure UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN in your environment.",
    "Données chiffrées au repos; la clé est fournie par le coffre.",
    "Übersicht der Konfiguration für die Staging-Umgebung.",
    "キャッシュはアップストリームの変更で無効化されます。",
    "Use `redis-cli --tls -a <password> -h <host> -p 6379` to connect.",
    "The signing key is verified by the receiver on every message.",
]


def ident(r):
    w = r.choice(WORDS)
    k = r.random()
    if k < 0.4:
        return w
    w2 = r.choice(WORDS)
    if k < 0.8:
        return w + w2.capitalize()
    return w + "_" + w2


def camel(r):
    return r.choice(WORDS).capitalize() + r.choice(WORDS).capitalize()


def sentence(r):
    if r.random() < 0.5:
        return r.choice(SENTENCES)
    n = r.randrange(5, 14)
    s = " ".join(r.choice(WORDS) for _ in range(n))
    return s.capitalize() + "."


def rand_b64(r, n, alphabet=string.ascii_letters + string.digits + "+/"):
    return "".join(r.choice(alphabet) for _ in range(n))


def jwt(r):
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(
        ('{"sub":"%s","iat":%d,"role":"%s"}' % (ident(r), r.randrange(1_600_000_000, 1_800_000_000), r.choice(WORDS))).encode()
    ).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(r.randbytes(32)).rstrip(b"=").decode()
    return "%s.%s.%s" % (head, body, sig)


# --------------------------------------------------------------------------------------------
# Line and block pools, generated once: files are assembled by sampling blocks.

NEGATIVE_TEXTS = set()


def negative_line(r, f):
    """A line that looks like a credential but must not be reported."""
    line = _negative_line(r, f)
    NEGATIVE_TEXTS.add(line)
    return line


def _negative_line(r, f):
    k = r.randrange(18)
    if k == 14:
        return 'UPSTASH_API_KEY="${3:-your-api-key}"'
    if k == 15:
        return 'key = os.getenv("DATADOG_API_KEY", "%s")' % f.uuid4()
    if k == 16:
        return "UPSTASH_KAFKA_REST_PASSWORD=your-password"
    if k == 17:
        return "REDIS_URL=redis://%s@localhost:6379" % f.hex(32)
    if k == 0:
        return "UPSTASH_REDIS_REST_TOKEN=AYNgAS2553feg6a2d9842h2a0gcdb5f8efe9934DQ="
    if k == 1:
        return "UPSTASH_REDIS_REST_TOKEN=<your-token>"
    if k == 2:
        return "UPSTASH_REDIS_REST_TOKEN=********"
    if k == 3:
        return "const requestId = \"%s\";" % f.uuid4()
    if k == 4:
        return "  \"integrity\": \"sha512-%s==\"," % rand_b64(r, 86)
    if k == 5:
        return "const session = \"%s\";" % jwt(r)
    if k == 6:
        return "REDIS_URL=redis://default:%s@localhost:6379" % f.hex(32)
    if k == 7:
        return "static volatile sig_atomic_t %s_flag = 0;" % ident(r)
    if k == 8:
        return "export const BLOB = \"%s\";" % rand_b64(r, r.choice([56, 88, 100, 128]))
    if k == 9:
        return "commit %s" % f.hex(40)
    if k == 10:
        return "checksum: %s" % f.hex(32)
    if k == 11:
        return "UPSTASH_REDIS_PASSWORD=2553feg6a2d9842h2a0gcdb5f8efe9934"
    if k == 12:
        return "QSTASH_TOKEN=eyJVc2VySUQiOiI8eW91ci11c2VyLWlkPiIsIlBhc3N3b3JkIjoiPHBhc3N3b3JkPiJ9"
    return "API_KEY=%s" % f.uuid4()


def js_block(r, f, ts):
    fn, a, b, v = ident(r), ident(r), ident(r), ident(r)
    typ = (": " + r.choice(["string", "number", "Record<string, unknown>", camel(r)])) if ts else ""
    out = []
    k = r.randrange(9)
    if k == 0:
        for _ in range(r.randrange(1, 5)):
            out.append('import { %s, %s } from "%s";' % (ident(r), ident(r), r.choice(PKGS)))
    elif k == 1:
        out += ["/**", " * %s" % sentence(r), " * @param %s %s" % (a, sentence(r)), " */",
                "export async function %s(%s%s, %s%s) {" % (fn, a, typ, b, typ)]
        for _ in range(r.randrange(2, 8)):
            out.append("  const %s = await %s.%s(%s, \"%s\");" % (ident(r), a, ident(r), b, ident(r)))
        out += ["  if (!%s) {" % v, "    throw new Error(\"%s\");" % sentence(r), "  }",
                "  return %s.filter((x) => x.%s > %d);" % (v, ident(r), r.randrange(1000)), "}", ""]
    elif k == 2:
        cls = camel(r)
        out.append("export class %s%s {" % (cls, " implements I" + cls if ts else ""))
        for _ in range(r.randrange(1, 5)):
            out.append("  private %s%s = %s;" % (ident(r), typ, r.choice(["null", "0", "[]", "new Map()", '""'])))
        out += ["", "  constructor(private readonly %s%s) {}" % (a, typ), ""]
        for _ in range(r.randrange(1, 4)):
            out += ["  %s(%s) {" % (ident(r), b), "    // %s" % sentence(r),
                    "    return this.%s.get(%s) ?? %d;" % (ident(r), b, r.randrange(100)), "  }", ""]
        out.append("}")
    elif k == 3:
        out += ["const %s = {" % v]
        for _ in range(r.randrange(2, 10)):
            out.append("  %s: %s," % (ident(r), r.choice([
                '"%s"' % ident(r), str(r.randrange(10 ** 6)), "true", "false",
                'process.env.%s' % ident(r).upper(), '"https://%s.example.com/%s"' % (ident(r), ident(r))])))
        out.append("};")
    elif k == 4:
        out += ["export default function %s({ %s, %s }) {" % (camel(r), a, b),
                "  const [%s, set%s] = useState(%s);" % (v, v[:1].upper() + v[1:], r.choice(["null", "false", "0"])),
                "  return (", "    <div className=\"%s %s\">" % (ident(r), ident(r)),
                "      <h2>{%s.%s}</h2>" % (a, ident(r)), "      <p>%s</p>" % sentence(r),
                "    </div>", "  );", "}"]
    elif k == 5:
        out += ["// %s" % sentence(r), "const password = process.env.%s_PASSWORD;" % ident(r).upper(),
                "const apiKey = config.get(\"%s.apiKey\");" % ident(r)]
    elif k == 6:
        out += ["describe(\"%s\", () => {" % sentence(r)]
        for _ in range(r.randrange(1, 4)):
            out += ["  it(\"%s\", async () => {" % sentence(r),
                    "    expect(await %s(%d)).toEqual({ %s: \"%s\" });" % (fn, r.randrange(99), ident(r), f.hex(r.choice([8, 12, 40]))),
                    "  });"]
        out.append("});")
    elif k == 7:
        out.append("// %s" % sentence(r))
    else:
        out += ["  %s.%s(%s);" % (ident(r), ident(r), ", ".join(ident(r) for _ in range(r.randrange(0, 4)))),
                "  if (%s.length > %d) return;" % (ident(r), r.randrange(64))]
    return out


def py_block(r, f):
    out = []
    k = r.randrange(8)
    if k == 0:
        out += ["import %s" % ident(r), "from %s.%s import %s, %s" % (ident(r), ident(r), camel(r), ident(r))]
    elif k == 1:
        out += ["", "def %s(%s, %s=None):" % (ident(r), ident(r), ident(r)), '    """%s"""' % sentence(r)]
        for _ in range(r.randrange(2, 7)):
            out.append("    %s = %s.%s(%s)" % (ident(r), ident(r), ident(r), r.choice(["", '"%s"' % ident(r), str(r.randrange(100))])))
        out += ["    if not %s:" % ident(r), "        raise ValueError(%r)" % sentence(r), "    return %s" % ident(r)]
    elif k == 2:
        out += ["", "class %s(%s):" % (camel(r), r.choice(["object", "BaseModel", "Exception", camel(r)]))]
        for _ in range(r.randrange(1, 6)):
            out.append("    %s: %s = %s" % (ident(r), r.choice(["str", "int", "bool", "list[str]"]), r.choice(['""', "0", "False", "[]"])))
    elif k == 3:
        out += ["# %s" % sentence(r), "PASSWORD = os.environ.get(\"%s_PASSWORD\", \"\")" % ident(r).upper()]
    elif k == 4:
        out += ["    for %s in %s:" % (ident(r), ident(r)), "        %s.append(%s.%s)" % (ident(r), ident(r), ident(r))]
    elif k == 5:
        out.append("    # %s" % sentence(r))
    else:
        out.append("    logger.info(\"%s %%s\", %s)" % (sentence(r), ident(r)))
    return out


def go_block(r, f):
    out = []
    k = r.randrange(6)
    if k == 0:
        out += ["", "func (s *%s) %s(ctx context.Context, %s string) (*%s, error) {" % (camel(r), camel(r), ident(r), camel(r))]
        for _ in range(r.randrange(2, 7)):
            out += ["\t%s, err := s.%s.%s(ctx, %s)" % (ident(r), ident(r), camel(r), ident(r)),
                    "\tif err != nil {", "\t\treturn nil, fmt.Errorf(\"%s: %%w\", err)" % ident(r), "\t}"]
        out += ["\treturn &%s{%s: %s}, nil" % (camel(r), camel(r), ident(r)), "}"]
    elif k == 1:
        out += ["", "type %s struct {" % camel(r)]
        for _ in range(r.randrange(2, 8)):
            fld = camel(r)
            out.append("\t%s %s `json:\"%s\"`" % (fld, r.choice(["string", "int64", "bool", "[]byte", "time.Time"]), ident(r)))
        out.append("}")
    elif k == 2:
        out += ["// %s" % sentence(r), "const %s = \"%s\"" % (camel(r), ident(r))]
    elif k == 3:
        out.append("\t// %s" % sentence(r))
    else:
        out += ["\tlog.Printf(\"%s %%v\", %s)" % (sentence(r), ident(r))]
    return out


def md_block(r, f):
    k = r.randrange(6)
    if k == 0:
        return ["", "## %s" % sentence(r).rstrip("."), ""]
    if k == 1:
        return [" ".join(sentence(r) for _ in range(r.randrange(2, 6)))]
    if k == 2:
        return ["", "```bash", "npm install %s" % r.choice(PKGS),
                "export UPSTASH_REDIS_REST_URL=\"https://<your-database>.upstash.io\"",
                "export UPSTASH_REDIS_REST_TOKEN=\"<your-token>\"", "```", ""]
    if k == 3:
        return ["- %s" % sentence(r) for _ in range(r.randrange(2, 6))]
    return ["| %s | %s | %s |" % (ident(r), ident(r), r.randrange(1000)) for _ in range(r.randrange(2, 6))]


def yaml_block(r, f):
    k = r.randrange(5)
    if k == 0:
        return ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: %s" % ident(r),
                "  labels:", "    app: %s" % ident(r), "spec:", "  replicas: %d" % r.randrange(1, 6),
                "  template:", "    spec:", "      containers:", "        - name: %s" % ident(r),
                "          image: registry.example.com/%s:%d.%d.%d" % (ident(r), r.randrange(9), r.randrange(20), r.randrange(50)),
                "          env:", "            - name: REDIS_PASSWORD", "              valueFrom:",
                "                secretKeyRef: { name: %s, key: password }" % ident(r), "---"]
    if k == 1:
        return ["jobs:", "  %s:" % ident(r), "    runs-on: ubuntu-latest", "    steps:",
                "      - uses: actions/checkout@v4", "      - run: npm ci && npm test",
                "        env:", "          UPSTASH_REDIS_REST_TOKEN: ${{ secrets.UPSTASH_REDIS_REST_TOKEN }}"]
    if k == 2:
        return ["%s:" % ident(r)] + ["  %s: %s" % (ident(r), r.choice([ident(r), str(r.randrange(9999)), "true", '"%s"' % sentence(r)])) for _ in range(r.randrange(2, 9))]
    return ["# %s" % sentence(r)]


def json_record(r, f):
    return ('    {"id": "%s", "%s": "%s", "%s": %d, "createdAt": "2024-%02d-%02dT%02d:%02d:00Z", "hash": "%s", "tags": ["%s", "%s"]}'
            % (f.uuid4(), ident(r), sentence(r), ident(r), r.randrange(10 ** 6), r.randrange(1, 13),
               r.randrange(1, 29), r.randrange(24), r.randrange(60), f.hex(40), ident(r), ident(r)))


# Share of generated blocks that are a look-alike (negative) line. Real code holds few such
# lines; too many would also flatter ripgrep, which stops reading a line at its first match.
NEG_RATE = 0.02


def build_pools(r, f):
    def pool(n, make):
        return [[negative_line(r, f)] if r.random() < NEG_RATE else make() for _ in range(n)]
    pools = {}
    pools["js"] = pool(6000, lambda: js_block(r, f, False))
    pools["ts"] = pool(6000, lambda: js_block(r, f, True))
    pools["py"] = pool(6000, lambda: py_block(r, f))
    pools["go"] = pool(5000, lambda: go_block(r, f))
    pools["md"] = pool(3000, lambda: md_block(r, f))
    pools["yaml"] = pool(3000, lambda: yaml_block(r, f))
    pools["json"] = [[json_record(r, f)] for _ in range(6000)]
    # Build output (bundles, source maps) from code without the look-alikes; a bundle gets a
    # few of its own.
    pools["js-clean"] = [b for b in pools["js"] if len(b) != 1 or b[0] not in NEGATIVE_TEXTS]
    return pools


# --------------------------------------------------------------------------------------------
# The tree

class Tree:
    """Files as lists of lines (text) or bytes (binary), with planted secrets recorded."""

    def __init__(self, root):
        self.root = root
        self.files = 0
        self.bytes = 0
        self.manifest = {}  # secret -> {"kind", "locations": [...]}

    def write_text(self, rel, lines, crlf=False):
        data = ("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n")
        self.write_bytes(rel, data.encode("utf-8"))

    def write_bytes(self, rel, data):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        self.files += 1
        self.bytes += len(data)

    def record(self, secret, kind, rel, line, column):
        e = self.manifest.setdefault(secret, {"kind": kind, "locations": []})
        assert e["kind"] == kind, (secret, kind, e)
        e["locations"].append({"path": rel, "line": line, "column": column})


def chars(b):
    """Characters as upsweep counts them: bytes that are not UTF-8 continuation bytes."""
    return sum(1 for c in b if (c & 0xC0) != 0x80)


class Planter:
    """Makes one plant: a small block of lines holding a secret, and where the secret sits."""

    def __init__(self, r, f):
        self.r = r
        self.f = f

    # Each returns (lines, [(secret, kind, line_index_in_block, char_offset_in_line)]).
    def make(self, what):
        r, f = self.r, self.f
        n = f.number()
        if what == "redis-rw":
            t = f.redis_token(n)
            host = f.redis_host(n)
            style = r.randrange(5)
            if style == 0:
                lines = ["UPSTASH_REDIS_REST_URL=https://%s" % host, "UPSTASH_REDIS_REST_TOKEN=%s" % t]
                return lines, [(t, "redis-rest-token", 1, len("UPSTASH_REDIS_REST_TOKEN="))]
            if style == 1:
                pre = '  token: "'
                lines = ["const redis = new Redis({", '  url: "https://%s",' % host, pre + t + '",', "});"]
                return lines, [(t, "redis-rest-token", 2, len(pre))]
            if style == 2:
                pre = 'curl https://%s/get/%s -H "Authorization: Bearer ' % (host, ident(r))
                return [pre + t + '"'], [(t, "redis-rest-token", 0, len(pre))]
            if style == 3:
                pre = '  "KV_REST_API_TOKEN": "'
                return ["{", pre + t + '",', '  "KV_REST_API_URL": "https://%s"' % host, "}"], [(t, "redis-rest-token", 1, len(pre))]
            pre = "KV_REST_API_TOKEN=\""
            return [pre + t + '"'], [(t, "redis-rest-token", 0, len(pre))]
        if what == "redis-rw-wide":
            t = f.redis_token(r.randrange(70_000, 2 ** 40), wide=True)
            pre = "UPSTASH_REDIS_REST_TOKEN="
            return [pre + t], [(t, "redis-rest-token", 0, len(pre))]
        if what == "redis-ro":
            t = f.redis_token(n, read_only=True, wide=r.random() < 0.3)
            pre = r.choice(["KV_REST_API_READ_ONLY_TOKEN=", "UPSTASH_REDIS_REST_READONLY_TOKEN=\"", "readonlyToken: '"])
            return [pre + t + ("" if pre.endswith("=") else pre[-1])], [(t, "redis-rest-token-readonly", 0, len(pre))]
        if what == "redis-legacy":
            t = f.redis_token_legacy(n)
            pre = "UPSTASH_REDIS_REST_TOKEN="
            return [pre + t], [(t, "redis-rest-token", 0, len(pre))]
        if what == "redis-password":
            p = f.password()
            pre = r.choice(["UPSTASH_REDIS_PASSWORD=", "  upstashPassword: '", "upstash_redis_pass = \""])
            end = {"'": "',", '"': '"'}.get(pre[-1], "")
            return [pre + p + end], [(p, "redis-password", 0, len(pre))]
        if what == "redis-password-host":
            p = f.password()
            pre = '  password: "'
            lines = ["const client = new Redis({", '  host: "%s",' % f.redis_host(n), "  port: 6379,", pre + p + '",', "  tls: {},", "});"]
            return lines, [(p, "redis-password", 3, len(pre))]
        if what == "redis-cli":
            p = f.password()
            pre = "redis-cli --tls -a "
            return [pre + p + " -h %s -p 6379" % f.redis_host(n)], [(p, "redis-password", 0, len(pre))]
        if what == "redis-url":
            p = f.password() if r.random() < 0.6 else f.redis_token(n)
            host = f.redis_host(n) if r.random() < 0.8 else "%s-%s-%d.kv.vercel-storage.com" % (r.choice(ADJ), r.choice(ANIMAL), n)
            pre, end = r.choice([("REDIS_URL=rediss://default:", ""), ("KV_URL=\"redis://default:", "\""),
                                 ("  url: 'rediss://default:", "',")])
            tail = "@%s:%d" % (host, r.choice([6379, n]))
            return [pre + p + tail + end], [(p, "redis-url", 0, len(pre))]
        if what == "qstash-token":
            t = f.qstash_token()
            pre = r.choice(["QSTASH_TOKEN=", "US_EAST_1_QSTASH_TOKEN=\"", "const qstash = new Client({ token: \""])
            end = '"' if pre.endswith('"') else ""
            return [pre + t + end], [(t, "qstash-token", 0, len(pre))]
        if what == "qstash-signing-key":
            k = f.signing_key()
            pre = r.choice(["QSTASH_CURRENT_SIGNING_KEY=", "QSTASH_NEXT_SIGNING_KEY=\"", "  currentSigningKey: \"", "SIGNING_KEY="])
            end = '"' if pre.endswith('"') else ""
            return [pre + k + end], [(k, "qstash-signing-key", 0, len(pre))]
        if what in ("vector", "vector-ro", "search", "search-ro"):
            ep = f.endpoint()
            ro = what.endswith("-ro")
            t = f.vector_token(ep, read_only=ro)
            prod = "SEARCH" if what.startswith("search") else "VECTOR"
            kind = ("search-token" if prod == "SEARCH" else "vector-token") + ("-readonly" if ro else "")
            pre = "UPSTASH_%s_REST_%sTOKEN=" % (prod, "READONLY_" if ro else "")
            lines = ["UPSTASH_%s_REST_URL=https://%s-%s.upstash.io" % (prod, ep, prod.lower()), pre + t]
            return lines, [(t, kind, 1, len(pre))]
        if what == "api-key":
            k = f.api_key()
            pre = r.choice(["UPSTASH_API_KEY=", "upstash_api_key = \"", "  UpstashManagementApiKey: '"])
            end = {"'": "'", '"': '"'}.get(pre[-1], "")
            return [pre + k + end], [(k, "developer-api-key", 0, len(pre))]
        if what == "api-key-context":
            k = f.api_key()
            pre = '  api_key = "'
            lines = ['provider "upstash" {', '  email   = "%s@example.com"' % ident(r), pre + k + '"', "}"]
            return lines, [(k, "developer-api-key", 2, len(pre))]
        if what == "encoded":
            t = f.redis_token(n)
            enc = base64.b64encode(t.encode()).decode()
            pre = "  UPSTASH_REDIS_REST_TOKEN: "
            lines = ["apiVersion: v1", "kind: Secret", "metadata:", "  name: %s" % ident(r), "type: Opaque", "data:", pre + enc]
            return lines, [(t, "redis-rest-token", 6, len(pre))]
        if what == "redis-legacy-flag0":
            ro = r.random() < 0.4
            t = f.redis_token_legacy_flag(n, 0, read_only=ro)
            pre = "UPSTASH_REDIS_REST_READONLY_TOKEN=" if ro else "UPSTASH_REDIS_REST_TOKEN="
            kind = "redis-rest-token-readonly" if ro else "redis-rest-token"
            return [pre + t], [(t, kind, 0, len(pre))]
        if what == "redis-url-no-user":
            p = f.password()
            pre = r.choice(["redis-cli -u redis://", "REDIS_URL=rediss://", "  url: 'redis://"])
            end = "'," if pre.endswith("'redis://") else ""
            host = f.redis_host(n)
            return [pre + p + "@%s:%d" % (host, n) + end], [(p, "redis-url", 0, len(pre))]
        if what == "api-key-indirect":
            k = f.api_key()
            pre, end = r.choice([('UPSTASH_API_KEY="${3:-', '}"'), ('api_key = os.getenv("UPSTASH_API_KEY", "', '")'),
                                 ("const apiKey = process.env.UPSTASH_API_KEY ?? '", "';"),
                                 ('KEY = ENV.fetch("UPSTASH_API_KEY", "', '")'), ("  upstash:apiKey: ", "")])
            return [pre + k + end], [(k, "developer-api-key", 0, len(pre))]
        if what == "api-key-tf-variable":
            k = f.api_key()
            pre = '  default     = "'
            lines = ['variable "upstash_api_key" {', "  type        = string", "  sensitive   = true", pre + k + '"', "}"]
            return lines, [(k, "developer-api-key", 3, len(pre))]
        if what == "qstash-legacy":
            if r.random() < 0.5:
                t = f.qstash_token_uuid()
                pre = "QSTASH_TOKEN="
                return [pre + t], [(t, "qstash-token", 0, len(pre))]
            k = f.signing_key_of(r.choice([46, 47, 50]))
            pre = r.choice(["QSTASH_CURRENT_SIGNING_KEY=", "QSTASH_NEXT_SIGNING_KEY="])
            return [pre + k], [(k, "qstash-signing-key", 0, len(pre))]
        if what == "kafka":
            kh = f.kafka_host(True)
            kp = f.kafka_password()
            if r.random() < 0.5:
                # The case: a Kafka client two lines from a Redis client.
                rp = f.password()
                pre_k, pre_r = '  password: "', '  password: "'
                lines = ['const redis = new Redis({ host: "%s", port: 6379 });' % f.redis_host(n), "",
                         "const kafka = new Kafka({", '  url: "https://%s",' % kh,
                         '  username: "%s",' % f.kafka_username(kh), pre_k + kp + '",', "});", "",
                         "const cache = new Redis({", '  host: "%s",' % f.redis_host(n), pre_r + rp + '",', "});"]
                return lines, [(kp, "kafka-password", 5, len(pre_k)), (rp, "redis-password", 10, len(pre_r))]
            pre = "UPSTASH_KAFKA_REST_PASSWORD="
            lines = ["UPSTASH_REDIS_HOST=%s" % f.redis_host(n), "UPSTASH_KAFKA_REST_URL=https://%s" % kh, pre + kp]
            return lines, [(kp, "kafka-password", 2, len(pre))]
        if what == "upstashdev":
            p = f.password()
            host = f.redis_host(n).replace(".upstash.io", ".upstashdev.com")
            pre = 'var client = new Redis("redis://:'
            return [pre + p + '@%s:%d");' % (host, n)], [(p, "redis-url", 0, len(pre))]
        raise ValueError(what)


# Blank lines around a plant in generated text, so that no rule's context window (at most 12
# lines) reaches from a plant to a look-alike value in the generated text around it.
PAD = 13

PLANT_KINDS = ["redis-rw", "redis-rw-wide", "redis-ro", "redis-legacy", "redis-password",
               "redis-password-host", "redis-cli", "redis-url", "qstash-token", "qstash-signing-key",
               "vector", "vector-ro", "search", "search-ro", "api-key", "api-key-context", "encoded",
               # Formats that shipped before today's, and the places they hide (docs/formats.md).
               "redis-legacy-flag0", "redis-url-no-user", "api-key-indirect", "api-key-tf-variable",
               "qstash-legacy", "kafka", "upstashdev"]


# --------------------------------------------------------------------------------------------
# File makers

class Gen:
    def __init__(self, root, seed, size_mb):
        self.r = random.Random(seed)
        self.f = Fakes(random.Random(seed + 1))
        self.neg = Fakes(random.Random(seed + 2))  # values that must not be found
        self.tree = Tree(root)
        self.target = size_mb * 1024 * 1024
        self.planter = Planter(self.r, self.f)
        print("building pools...", file=sys.stderr)
        self.pools = build_pools(self.r, self.neg)
        self.plant_cycle = 0
        self.last_env_plant = None
        # Archives draw from their own generators, so the plain files are the same with or
        # without them.
        self.ar = random.Random(seed + 3)
        self.archive_planter = Planter(self.ar, Fakes(random.Random(seed + 4)))
        self.archive_cycle = 0
        self.archive_found = []
        self.classes = {}  # secret -> the plant class that made it (PLANT_KINDS, "pyc", ...)

    def next_plant(self):
        what = PLANT_KINDS[self.plant_cycle % len(PLANT_KINDS)]
        self.plant_cycle += 1
        block, secrets = self.planter.make(what)
        for secret, *_ in secrets:
            self.classes.setdefault(secret, what)
        return block, secrets

    def text_from_pool(self, pool, target_bytes, plants=0, head=None, tail=None):
        """Lines sampled from a pool to about target_bytes, with `plants` plants spread in."""
        r = self.r
        lines = list(head or [])
        size = 0
        blocks = self.pools[pool]
        while size < target_bytes:
            for b in r.choices(blocks, k=32):
                lines.extend(b)
                size += sum(len(x) + 1 for x in b)
        spots = sorted(r.randrange(len(lines) + 1) for _ in range(plants))
        planted = []
        offset = 0
        for s in spots:
            block, secrets = self.next_plant()
            at = s + offset
            # Keep plants apart from unrelated context: blank lines around them.
            block = [""] * PAD + block + [""] * PAD
            lines[at:at] = block
            for secret, kind, li, col in secrets:
                planted.append((secret, kind, at + PAD + li, col))
            offset += len(block)
        if tail:
            lines.extend(tail)
        return lines, planted

    def emit_text(self, rel, lines, planted, crlf=False):
        self.tree.write_text(rel, lines, crlf)
        for secret, kind, li, col in planted:
            self.tree.record(secret, kind, rel, li + 1, len(lines[li][:col]) + 1)

    def source(self, proj, i, lang):
        r = self.r
        ext = {"js": r.choice(["js", "mjs", "jsx"]), "ts": r.choice(["ts", "tsx"]), "py": "py", "go": "go"}[lang]
        d = r.choice(["src", "src/lib", "src/components", "src/server", "app", "pkg/%s" % ident(r), "internal", "tests"])
        size = int(r.lognormvariate(8.6, 0.9))  # median ~5 KB
        plants = 1 if r.random() < 0.03 else 0
        head = {"go": ["package %s" % ident(r).lower().replace("_", ""), "", "import (", '\t"context"', '\t"fmt"', ")"]}.get(lang)
        lines, planted = self.text_from_pool(lang, size, plants, head=head)
        self.emit_text("%s/%s/%s_%d.%s" % (proj, d, ident(r), i, ext), lines, planted)

    def env_file(self, proj, i):
        r = self.r
        lines = ["# %s" % sentence(r), "NODE_ENV=%s" % r.choice(["production", "development", "staging"]),
                 "PORT=%d" % r.randrange(3000, 9000), "DATABASE_URL=postgres://app:app@localhost:5432/%s" % ident(r)]
        planted = []
        for _ in range(r.randrange(1, 4)):
            # Now and then the same value again (a copied .env): one finding, two locations.
            if self.last_env_plant and r.random() < 0.1:
                block, secrets = self.last_env_plant
                self.last_env_plant = None
            else:
                block, secrets = self.next_plant()
                self.last_env_plant = (block, secrets)
            lines.append("")
            for secret, kind, li, col in secrets:
                planted.append((secret, kind, len(lines) + li, col))
            lines.extend(block)
        name = r.choice([".env", ".env.local", ".env.production", "config/.env.staging", ".dev.vars"])
        self.emit_text("%s/%s%s" % (proj, name, "" if i == 0 else ".%d" % i), lines, planted, crlf=r.random() < 0.15)

    def json_data(self, proj, i):
        r = self.r
        n = int(r.lognormvariate(9.5, 1.0)) // 180 + 2
        recs = [x[0] for x in r.choices(self.pools["json"], k=n)]
        lines = ["{", '  "version": %d,' % r.randrange(1, 9), '  "items": ['] + [x + "," for x in recs[:-1]] + [recs[-1], "  ]", "}"]
        self.emit_text("%s/data/%s_%d.json" % (proj, ident(r), i), lines, [])

    def package_lock(self, proj):
        r = self.r
        lines = ["{", '  "name": "%s",' % ident(r), '  "lockfileVersion": 3,', '  "packages": {']
        for _ in range(r.randrange(300, 1500)):
            name = r.choice(PKGS) + ("" if r.random() < 0.5 else "-" + r.choice(WORDS))
            lines += ['    "node_modules/%s": {' % name, '      "version": "%d.%d.%d",' % (r.randrange(20), r.randrange(30), r.randrange(40)),
                      '      "resolved": "https://registry.npmjs.org/%s/-/%s-1.0.0.tgz",' % (name, name.split("/")[-1]),
                      '      "integrity": "sha512-%s==",' % base64.b64encode(r.randbytes(64)).decode()[:86],
                      '      "dev": %s' % r.choice(["true", "false"]), "    },"]
        lines += ['    "": {}', "  }", "}"]
        self.emit_text("%s/package-lock.json" % proj, lines, [])
        y = []
        for _ in range(r.randrange(200, 800)):
            name = r.choice(PKGS)
            y += ['"%s@^%d.%d.0":' % (name, r.randrange(20), r.randrange(30)), '  version "%d.%d.%d"' % (r.randrange(20), r.randrange(30), r.randrange(40)),
                  '  resolved "https://registry.yarnpkg.com/%s/-/%s-1.0.0.tgz#%s"' % (name, name.split("/")[-1], self.neg.hex(40)),
                  '  integrity sha512-%s==' % base64.b64encode(r.randbytes(64)).decode()[:86], ""]
        self.emit_text("%s/yarn.lock" % proj, y, [])
        g = []
        for _ in range(r.randrange(100, 600)):
            mod = "github.com/%s/%s" % (ident(r), ident(r))
            v = "v%d.%d.%d" % (r.randrange(3), r.randrange(30), r.randrange(40))
            g += ["%s %s h1:%s=" % (mod, v, base64.b64encode(r.randbytes(32)).decode()[:43]),
                  "%s %s/go.mod h1:%s=" % (mod, v, base64.b64encode(r.randbytes(32)).decode()[:43])]
        self.emit_text("%s/go.sum" % proj, g, [])

    def bundle(self, proj, i):
        """A minified single-line bundle, with inlined data URIs and occasionally a plant."""
        r = self.r
        size = int(r.lognormvariate(13.2, 0.8))  # median ~540 KB
        parts = []
        total = 0
        planted = []
        plant_at = r.random() < 0.5
        while total < size:
            k = r.random()
            if k < 0.9795:
                b = r.choice(self.pools["js-clean"])
                s = ";".join(x.strip() for x in b if x.strip() and not x.strip().startswith(("//", "/*", "*")))
            elif k < 0.98:  # about one statement in 2000 (a few per bundle)
                s = 'var %s="%s"' % (ident(r)[:2], negative_line(r, self.neg).replace('"', "'"))
            else:
                s = 'var %s="data:image/png;base64,%s"' % (ident(r)[:2], base64.b64encode(r.randbytes(r.randrange(200, 8000))).decode())
            parts.append(s)
            total += len(s) + 1
            if plant_at and total > size // 2:
                plant_at = False
                block, secrets = self.next_plant()
                # A one-line plant goes in as a string; a longer one keeps its lines (a bundle
                # with a few newlines).
                if len(block) == 1:
                    parts.append('var _c="%s"' % block[0].replace('"', "'"))
                else:
                    parts.append("\n" * PAD + "\n".join(block) + "\n" * PAD)
                for secret, kind, li, col in secrets:
                    planted.append((secret, kind, block[li][col:col + 32]))
                total = sum(len(p) + 1 for p in parts)
        text = "!function(){" + ";".join(parts) + "}();"
        lines = text.split("\n")
        rel = "%s/dist/%s.%s.min.js" % (proj, ident(r), self.neg.hex(8))
        self.tree.write_text(rel, lines)
        # Locate plants by the text written where the secret is (unique), for line and column.
        for secret, kind, needle in planted:
            for n, line in enumerate(lines):
                j = line.find(needle)
                if j >= 0:
                    self.tree.record(secret, kind, rel, n + 1, j + 1)
                    break
            else:
                raise AssertionError("plant lost in bundle")

    def source_map(self, proj, i):
        r = self.r
        # VLQ mappings: short base64 segments separated by ',' (and ';' between lines).
        n = int(r.lognormvariate(11.5, 0.7))
        pool = base64.b64encode(r.randbytes(n)).decode()
        segs = []
        at = 0
        while at < len(pool):
            line = []
            for _ in range(r.randrange(1, 30)):
                k = r.choice([4, 4, 4, 5, 6, 7])
                line.append(pool[at:at + k])
                at += k
            segs.append(",".join(line))
        content = "\\n".join(" ".join(x.strip() for x in r.choice(self.pools["js-clean"])) for _ in range(r.randrange(20, 200))).replace('"', '\\"')
        data = '{"version":3,"file":"%s.js","sources":["../src/%s.ts"],"sourcesContent":["%s"],"names":[],"mappings":"%s"}' % (
            ident(r), ident(r), content, ";".join(segs))
        self.tree.write_bytes("%s/dist/%s_%d.js.map" % (proj, ident(r), i), data.encode())

    def css(self, proj, i):
        r = self.r
        lines = []
        target = int(r.lognormvariate(11.5, 1.0))
        size = 0
        while size < target:
            sel = ".%s-%s" % (ident(r), ident(r))
            if r.random() < 0.25:
                mime, n = r.choice([("image/png", r.randrange(200, 8000)), ("image/png", r.randrange(200, 8000)),
                                    ("image/svg+xml", r.randrange(300, 3000)), ("image/gif", r.randrange(100, 1500)),
                                    ("font/woff2", r.randrange(10000, 60000))])
                line = "%s{background-image:url(data:%s;base64,%s)}" % (sel, mime, base64.b64encode(r.randbytes(n)).decode())
            else:
                line = "%s { color: #%s; margin: %dpx %dpx; display: %s; }" % (sel, self.neg.hex(6), r.randrange(40), r.randrange(40), r.choice(["flex", "grid", "block", "none"]))
            lines.append(line)
            size += len(line) + 1
        self.emit_text("%s/assets/css/%s_%d.css" % (proj, ident(r), i), lines, [])

    def notebook(self, proj, i):
        r = self.r
        cells = []
        planted_secret = None
        for _ in range(r.randrange(5, 30)):
            if r.random() < 0.3:
                img = base64.b64encode(r.randbytes(r.randrange(5000, 60000))).decode()
                cells.append({"cell_type": "code", "source": ["plt.plot(%s)\n" % ident(r)], "outputs": [{"data": {"image/png": img}, "output_type": "display_data"}]})
            else:
                src = ["%s\n" % x for x in r.choice(self.pools["py"])]
                cells.append({"cell_type": "code", "source": src, "outputs": []})
        if r.random() < 0.3:
            t = self.f.redis_token(self.f.number())
            planted_secret = t
            cells.insert(r.randrange(len(cells)), {"cell_type": "code", "source": ["import os\n", "os.environ[\"UPSTASH_REDIS_REST_TOKEN\"] = \"%s\"\n" % t], "outputs": []})
        text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
        lines = text.split("\n")
        rel = "%s/notebooks/%s_%d.ipynb" % (proj, ident(r), i)
        self.tree.write_text(rel, lines)
        if planted_secret:
            for n, line in enumerate(lines):
                j = line.find(planted_secret)
                if j >= 0:
                    self.tree.record(planted_secret, "redis-rest-token", rel, n + 1, j + 1)
                    self.classes[planted_secret] = "notebook"
                    break

    def binary(self, proj, i):
        r = self.r
        kind = r.choice(["png", "woff2", "wasm", "sqlite", "so", "jpg"])
        magic = {"png": b"\x89PNG\r\n\x1a\n", "woff2": b"wOF2", "wasm": b"\0asm\1\0\0\0", "sqlite": b"SQLite format 3\0",
                 "so": b"\x7fELF\2\1\1\0", "jpg": b"\xff\xd8\xff\xe0"}[kind]
        size = int(r.lognormvariate(10.8, 1.2))
        data = bytearray(magic + r.randbytes(size))
        rel = "%s/%s/%s_%d.%s" % (proj, r.choice(["assets/img", "public", "vendor/lib", "db"]), ident(r), i, kind)
        if kind in ("sqlite", "so") and r.random() < 0.4:
            block, secrets = self.next_plant()
            if len(block) == 1:
                secret, kind_, _, col = secrets[0]
                at = r.randrange(len(magic), len(data))
                blob = b"\0" + block[0].encode() + b"\0"
                data[at:at] = blob
                pos = at + 1 + col
                before = bytes(data[:pos])
                line = before.count(b"\n") + 1
                column = chars(before[before.rfind(b"\n") + 1:]) + 1
                self.tree.write_bytes(rel, bytes(data))
                self.tree.record(secret, kind_, rel, line, column)
                return
            # Multi-line plants are not put into binary files; put the block in a text file.
            self.emit_text("%s/config/%s_%d.env" % (proj, ident(r), i), block, [(s, k, li, c) for s, k, li, c in secrets])
        self.tree.write_bytes(rel, bytes(data))

    def pyc(self, proj, i):
        """A compiled Python module: marshal frames every string constant with a type byte and
        a length byte and keeps no variable name beside it. Some hold a database host and its
        password (docs/formats.md: passwords in binary files); the rest hold digests only."""
        r = self.r

        def const(b):
            return b"\xda" + bytes([len(b)]) + b

        plant = r.random() < 0.4
        body = bytearray(b"\xa7\r\r\n" + r.randbytes(12) + b"\xe3" + bytes(16))
        for _ in range(r.randrange(20, 200)):
            k = r.random()
            if k < 0.5:
                body += const(ident(r).encode())
            elif k < 0.6 and not plant:
                body += const(self.neg.hex(32).encode()) + b"N"
            else:
                body += b"\xe9" + r.randbytes(4) + b"\x97\x00d\x01" + r.randbytes(r.randrange(4, 40))
        rel = "%s/app/__pycache__/%s_%d.cpython-311.pyc" % (proj, ident(r), i)
        if plant:
            n = self.f.number()
            host = self.f.redis_host(n).encode()
            pw = self.f.password()
            at = r.randrange(len(body) // 2, len(body))
            body[at:at] = const(host) + b"\xe9" + (6379).to_bytes(4, "little") + b"\xda " + pw.encode() + b"N)\x03"
            pos = at + len(const(host)) + 5 + 2
            before = bytes(body[:pos])
            line = before.count(b"\n") + 1
            column = chars(before[before.rfind(b"\n") + 1:]) + 1
            self.tree.write_bytes(rel, bytes(body))
            self.tree.record(pw, "redis-password", rel, line, column)
            self.classes[pw] = "pyc"
            return
        self.tree.write_bytes(rel, bytes(body))

    def yaml_file(self, proj, i):
        r = self.r
        size = int(r.lognormvariate(8.0, 0.8))
        plants = 1 if r.random() < 0.15 else 0
        lines, planted = self.text_from_pool("yaml", size, plants)
        self.emit_text("%s/%s/%s_%d.yaml" % (proj, r.choice(["deploy", "k8s", ".github/workflows", "charts/values"]), ident(r), i), lines, planted)

    def markdown(self, proj, i):
        r = self.r
        size = int(r.lognormvariate(8.5, 0.9))
        plants = 1 if r.random() < 0.05 else 0
        lines, planted = self.text_from_pool("md", size, plants, head=["# %s" % camel(r), ""])
        self.emit_text("%s/docs/%s_%d.md" % (proj, ident(r), i), lines, planted)

    # ----------------------------------------------------------------------------------------
    # Archives: what gets shipped (an npm package, a jar or wheel, a docker-save image), each
    # with one plant in an entry. A plant's location is the chain of names joined by `!` (as
    # upsweep shows it), then its line and column in the entry.

    def archive_plant(self):
        what = PLANT_KINDS[self.archive_cycle % len(PLANT_KINDS)]
        self.archive_cycle += 1
        block, secrets = self.archive_planter.make(what)
        for secret, *_ in secrets:
            self.classes.setdefault(secret, "archive")
        return block, secrets

    def archive_text(self, pool, size):
        """Lines from a pool, about `size` bytes, drawn with the archives' generator."""
        lines, n = [], 0
        while n < size:
            b = self.ar.choice(self.pools[pool])
            lines.extend(b)
            n += sum(len(x) + 1 for x in b)
        return ("\n".join(lines) + "\n").encode()

    def planted_env(self, chain):
        """An env file holding one plant; its secrets recorded at `chain` (a `!`-joined path)."""
        block, secrets = self.archive_plant()
        lines = ["# %s" % sentence(self.ar), "NODE_ENV=production", ""] + block
        for secret, kind, li, col in secrets:
            self.archive_found.append((secret, kind, chain, 3 + li + 1, len(block[li][:col]) + 1))
        return ("\n".join(lines) + "\n").encode()

    def record_archive(self, outer):
        for secret, kind, chain, line, column in self.archive_found:
            self.tree.record(secret, kind, outer + "!" + chain, line, column)
        self.archive_found = []

    @staticmethod
    def tar_bytes(entries):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
            for name, data in entries:
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
                t.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    @staticmethod
    def zip_bytes(entries):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in entries:
                z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        return buf.getvalue()

    def npm_package(self, name):
        """An npm package tarball (`npm pack`): package/ with sources and a leaked .env."""
        r = self.ar
        entries = [("package/package.json", ('{"name": "%s", "version": "1.0.0"}\n' % name).encode())]
        for i in range(r.randrange(3, 8)):
            entries.append(("package/dist/%s_%d.js" % (ident(r), i), self.archive_text("js", int(r.lognormvariate(9.0, 0.7)))))
        at = r.randrange(1, len(entries) + 1)
        entries.insert(at, ("package/.env", self.planted_env("package/.env")))
        return gzip.compress(self.tar_bytes(entries), mtime=0)

    def archives(self, proj, p):
        r = self.ar
        name = "%s-%s" % (ident(r).lower().replace("_", "-"), r.choice(WORDS))
        # An npm package in dist/.
        rel = "%s/dist/%s-1.0.0.tgz" % (proj, name)
        self.tree.write_bytes(rel, self.npm_package(name))
        self.record_archive(rel)
        # A jar (or a wheel): a zip with a properties (or settings) file holding a plant.
        if r.random() < 0.5:
            rel = "%s/build/libs/%s-1.0.jar" % (proj, name)
            inner = "BOOT-INF/classes/application.properties"
            entries = [("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nMain-Class: app.Main\n")]
        else:
            rel = "%s/dist/%s-1.0-py3-none-any.whl" % (proj, name.replace("-", "_"))
            inner = "%s/settings.env" % name.replace("-", "_")
            entries = [("%s/__init__.py" % name.replace("-", "_"), self.archive_text("py", 4000))]
        for i in range(r.randrange(2, 6)):
            entries.append(("src/%s_%d.py" % (ident(r), i), self.archive_text("py", int(r.lognormvariate(9.0, 0.7)))))
        entries.insert(r.randrange(1, len(entries) + 1), (inner, self.planted_env(inner)))
        self.tree.write_bytes(rel, self.zip_bytes(entries))
        self.record_archive(rel)
        # Every third project: a `docker save` image whose layer holds an npm package.
        if p % 3 == 0:
            pkg = "%s-%s" % (r.choice(WORDS), r.choice(WORDS))
            layer_id = self.neg.hex(64)
            in_layer = "usr/src/app/node_modules/%s/%s-2.0.0.tgz" % (pkg, pkg)
            tgz = self.npm_package(pkg)
            chain_tail = "%s/layer.tar!%s!" % (layer_id, in_layer)
            self.archive_found = [(s_, k, chain_tail + c, l, col) for s_, k, c, l, col in self.archive_found]
            layer = self.tar_bytes([("usr/src/app/server.js", self.archive_text("js", 20000)), (in_layer, tgz),
                                    ("etc/hostname", b"app\n")])
            image = self.tar_bytes([("manifest.json", ('[{"Config": "config.json", "Layers": ["%s/layer.tar"]}]\n' % layer_id).encode()),
                                    ("config.json", b'{"architecture": "amd64", "os": "linux"}\n'),
                                    ("%s/layer.tar" % layer_id, layer), ("%s/VERSION" % layer_id, b"1.0")])
            rel = "%s/images/%s.tar" % (proj, pkg)
            self.tree.write_bytes(rel, image)
            self.record_archive(rel)

    def project(self, p):
        r = self.r
        proj = "%s-%s-%03d" % (r.choice(WORDS), r.choice(WORDS), p)
        self.tree.write_text("%s/package.json" % proj, ['{', '  "name": "%s",' % proj, '  "version": "1.0.0",', '  "dependencies": {'] +
                             ['    "%s": "^%d.%d.0",' % (x, r.randrange(20), r.randrange(30)) for x in r.sample(PKGS, 12)] + ['    "zod": "^3.0.0"', "  }", "}"])
        self.package_lock(proj)
        for i in range(r.randrange(1, 3)):
            self.env_file(proj, i)
        makers = [(self.source, "ts", 22), (self.source, "js", 20), (self.source, "py", 14), (self.source, "go", 10),
                  (self.json_data, None, 8), (self.yaml_file, None, 6), (self.markdown, None, 6),
                  (self.css, None, 2), (self.binary, None, 6), (self.source_map, None, 1), (self.notebook, None, 1),
                  (self.pyc, None, 1)]
        weights = [w for _, _, w in makers]
        n = r.randrange(250, 550)
        for i in range(n):
            fn, arg, _ = r.choices(makers, weights=weights)[0]
            if arg:
                fn(proj, i, arg)
            else:
                fn(proj, i)
        for i in range(r.randrange(1, 4)):
            self.bundle(proj, i)
        self.archives(proj, p)

    def run(self):
        p = 0
        while self.tree.bytes < self.target:
            self.project(p)
            p += 1
            print("  project %d: %d files, %.0f MB" % (p, self.tree.files, self.tree.bytes / 2 ** 20), file=sys.stderr)
        return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size-mb", type=int, default=320)
    a = ap.parse_args()
    # Only this generator's own outputs are replaced: OUT may hold other benchmarks' data
    # (bench/git-history keeps its repository in bench/corpus too).
    tree = os.path.join(a.out, "tree")
    manifest_path = os.path.join(a.out, "manifest.json")
    for stale in (manifest_path, tree):
        if os.path.isdir(stale):
            shutil.rmtree(stale)
        elif os.path.exists(stale):
            os.remove(stale)
    os.makedirs(tree)
    g = Gen(tree, a.seed, a.size_mb)
    projects = g.run()
    for secret, e in g.tree.manifest.items():
        e["class"] = g.classes.get(secret, "other")
    planted = sum(len(e["locations"]) for e in g.tree.manifest.values())
    kinds = {}
    for e in g.tree.manifest.values():
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    manifest = {"seed": a.seed, "size_mb": a.size_mb, "projects": projects, "files": g.tree.files,
                "bytes": g.tree.bytes, "secrets": len(g.tree.manifest), "locations": planted, "by_kind": kinds,
                "planted": g.tree.manifest}
    with open(manifest_path, "w") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
    print("corpus: %d files, %d bytes (%.0f MB), %d secrets planted at %d locations" %
          (g.tree.files, g.tree.bytes, g.tree.bytes / 2 ** 20, len(g.tree.manifest), planted), file=sys.stderr)
    for k in sorted(kinds):
        print("  %-28s %d" % (k, kinds[k]), file=sys.stderr)


if __name__ == "__main__":
    main()
