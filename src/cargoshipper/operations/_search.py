"""Plain-language search over the operations: weighted token overlap, scored like BM25.

Each operation is a bag of stemmed tokens from its id (weighted most), summary, tags, path,
parameter names and action types (``type`` enum values of the body). A query is tokenized the
same way, expanded with a few DigitalOcean synonyms (floating IP = reserved IP, k8s =
kubernetes...), and every operation is scored by the rarity (idf) of the query tokens it has,
times how prominently it has them. Then the query's verb, if any ("list", "get", "create",
"delete", "update"), favours operations of that kind; with no verb, listing operations win
ties: a bare noun ("ssh keys") most often means "show me them".
"""

from __future__ import annotations

import bisect
import functools
import heapq
import math
import re
from collections import defaultdict

from ._index import Operation, _load

# Words that mean the same thing, on both sides: value is the canonical word.
_CANONICAL = {
    **dict.fromkeys(["destroy", "remove", "delete", "deleting", "erase"], "delete"),
    **dict.fromkeys(["get", "retrieve", "show", "fetch", "read", "describe", "view"], "get"),
    **dict.fromkeys(["create", "add", "new", "make", "initiate", "provision"], "create"),
    **dict.fromkeys(["update", "modify", "edit", "change", "patch", "set", "configure"], "update"),
    **dict.fromkeys(["list", "enumerate"], "list"),
    **dict.fromkeys(["ip", "ips", "ipv4", "address"], "ip"),
    **dict.fromkeys(["database", "databases", "db", "dbs"], "database"),
    **dict.fromkeys(["key", "keys"], "key"),
}
# Query-only aliases: a query word (or two) -> the words DigitalOcean's API uses for it.
_ALIASES = {
    "floating": "reserved",
    "k8s": "kubernetes",
    "doks": "kubernetes",
    "kube": "kubernetes",
    "app platform": "app",
    "dns": "domain",
    "lb": "load balancer",
    "lbs": "load balancer",
    "server": "droplet",
    "vm": "droplet",
    "vms": "droplet",
    "instance": "droplet",
    "cert": "certificate",
    "ssl": "certificate",
    "tls": "certificate",
    "metric": "monitoring metric",
    "metrics": "monitoring metric",
    "alert": "monitoring alert",
    "block storage": "volume",
    "disk": "volume",
    "postgres": "database",
    "postgresql": "database",
    "mysql": "database",
    "redis": "database",
    "valkey": "database",
    "mongodb": "database",
    "kafka": "database",
    "opensearch": "database",
    "container registry": "registry",
    "docker": "registry",
    "bucket": "spaces",
    "restart": "reboot",
}
_STOPWORDS = set(
    str.split(
        "a an the for of in on to my me i we want how do does with by from and or please what "
        "which is are be this that it its can you your our using use via per into at as any "
        "all every existing api digitalocean do v1 v2"
    )
)
_VERB_KINDS = {"list", "get", "create", "delete", "update"}
# Verbs that ask for a change done by a POST (an action), not a read.
_ACTION_VERBS = set(
    str.split(
        "attach detach reboot restart shutdown resize rebuild rename restore enable disable "
        "power upgrade assign unassign recycle cancel retry run trigger invoke execute take "
        "start stop apply rollback validate install uninstall transfer convert purge reset"
    )
)

# Field weights: a token in the id counts most, one in a parameter name least.
_WEIGHTS = {
    "group": 3.0,
    "method": 2.5,
    "summary": 2.0,
    "action": 2.0,  # the values of a body's `type` enum: "reboot", "attach", "snapshot"...
    "tags": 1.0,
    "path": 1.0,
    "params": 0.3,
}
_B = 0.3  # length normalization strength (BM25's b)
_PREFIX_FACTOR = 0.6  # a query word that only starts a known token ("kube..."): partial credit


def _stem(word: str) -> str:
    """Very light English stemming: plurals, -ing, -ed, trailing -e (same on both sides)."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif len(word) >= 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@functools.cache
def _token(word: str) -> str:
    return _stem(_CANONICAL.get(word, word))


@functools.lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_token(w) for w in _words(text) if w not in _STOPWORDS)


def _query_tokens(query: str) -> list[str]:
    words = _words(query)
    text = " ".join(words)
    for phrase, meaning in _ALIASES.items():
        if " " in phrase:
            text = re.sub(rf"\b{phrase}\b", meaning, text)
    expanded = []
    for word in text.split():
        expanded.append(word)
        if word in _ALIASES and " " not in word:
            expanded += _ALIASES[word].split()
    return list(dict.fromkeys(_token(w) for w in expanded if w not in _STOPWORDS))


def _kind(op: Operation) -> str:
    """What kind of call an operation is: list, get, create, delete or update."""
    name = op.id.split(".")[1]
    if op.method == "GET":
        if name.startswith("list") or not op.path.endswith("}"):
            return "list"
        return "get"
    return {"POST": "create", "DELETE": "delete"}.get(op.method, "update")


def _path_fit(template: str, path: str) -> int:
    """How well a path fits a URL template: -1 if not at all, else its fixed segments matched.

    "/v2/droplets/123" and "/v2/droplets/{id}" both fit "/v2/droplets/{droplet_id}".
    """
    want = template.lower().strip("/").split("/")
    have = path.lower().split("?")[0].strip("/").split("/")
    if len(want) != len(have):
        return -1
    if not all(w == h or w.startswith("{") for w, h in zip(want, have, strict=True)):
        return -1
    return sum(w == h for w, h in zip(want, have, strict=True))


def _fields(op: Operation) -> list[tuple[float, str]]:
    """The texts an operation is found by, with their weights, heaviest first."""
    group, method = op.id.split(".")
    body = op.body_schema["properties"] if op.body_schema else {}
    action = body.get("type", "")
    texts = {
        "group": group,
        "method": method,
        "summary": op.summary,
        "action": action.removeprefix("enum: ") if action.startswith("enum: ") else "",
        "tags": " ".join(op.tags),
        "path": re.sub(r"\{[^}]*\}", " ", op.path),
        "params": " ".join([*op.path_params, *op.query_params, *body]),
    }
    return sorted(((_WEIGHTS[name], text) for name, text in texts.items()), reverse=True)


class _Index:
    def __init__(self, ops: list[Operation]) -> None:
        self.ops = ops
        self.by_id = {op.id: i for i, op in enumerate(ops)}
        self.kinds = [_kind(op) for op in ops]
        # the id's words that name things, not what is done to them ("list", "assign"...)
        generic = {_token(w) for w in [*_VERB_KINDS, *_ACTION_VERBS, "post"]}
        self.id_nouns = [set(_tokens(op.id)) - generic or {""} for op in ops]
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        lengths = []
        for i, op in enumerate(ops):
            weights: dict[str, float] = {}
            for weight, text in _fields(op):
                for token in set(_tokens(text)):
                    # the heaviest field counts fully, further ones a little
                    weights[token] = weights[token] + 0.3 * weight if token in weights else weight
            for token, weight in weights.items():
                postings[token][i] = weight
            lengths.append(len(set(_tokens(f"{op.id} {op.summary}"))))
        average = sum(lengths) / len(lengths)
        self.norms = [1 - _B + _B * n / average for n in lengths]
        self.postings = dict(postings)
        self.idf = {t: math.log(1 + len(ops) / len(p)) for t, p in postings.items()}
        self.vocabulary = sorted(postings)

    def _matches(self, token: str) -> list[tuple[str, float]]:
        """The indexed tokens a query token stands for, with a credit factor."""
        if token in self.postings:
            return [(token, 1.0)]
        if len(token) < 4:
            return []
        start = bisect.bisect_left(self.vocabulary, token)
        found = []
        for candidate in self.vocabulary[start : start + 20]:
            if not candidate.startswith(token):
                break
            found.append((candidate, _PREFIX_FACTOR))
        return found

    def search(self, query: str, limit: int) -> list[Operation]:
        if not query.strip():
            raise ValueError("empty search query")
        if limit <= 0:
            return []
        exact = query.strip().lower().removeprefix("client.").removesuffix("()")
        tokens = _query_tokens(query)
        scores: dict[int, float] = defaultdict(float)
        for token in tokens:
            for indexed, factor in self._matches(token):
                idf = self.idf[indexed] * factor
                for i, weight in self.postings[indexed].items():
                    scores[i] += idf * weight
        verbs = {kind for kind in _VERB_KINDS if _token(kind) in tokens}
        if any(_token(verb) in tokens for verb in _ACTION_VERBS):
            verbs.add("create")
        for i in scores:
            kind = self.kinds[i]
            boost = 1.0
            if verbs:
                boost = 1.35 if kind in verbs else 0.7
            elif kind == "list":
                boost = 1.15
            # the share of the id's nouns the query names: "volumes.create" over
            # "volume_snapshots.create" for "create volume"
            named = len(self.id_nouns[i].intersection(tokens)) / len(self.id_nouns[i])
            scores[i] = scores[i] * boost * (1 + 0.5 * named) / self.norms[i]
        if exact in self.by_id:
            scores[self.by_id[exact]] = math.inf
        path = re.fullmatch(r"(?:(get|post|put|patch|delete)\s+)?(/\S+)", exact)
        if path:  # a URL template or a concrete path: GET first unless a verb is given
            verb = (path.group(1) or "get").upper()
            for i, op in enumerate(self.ops):
                fit = _path_fit(op.path, path.group(2))
                if fit >= 0:
                    scores[i] = 1e9 * (1 + fit + 0.5 * (op.method == verb))
        best = heapq.nlargest(limit, scores.items(), key=lambda item: (item[1], -item[0]))
        return [self.ops[i] for i, score in best if score > 0]


@functools.cache
def _index() -> _Index:
    ops = _load()[0]
    return _Index([ops[op_id] for op_id in sorted(ops)])


def search(query: str, limit: int = 8) -> list[Operation]:
    """The operations that best match a plain-language query (or an id), best first.

    An empty or blank query raises ``ValueError``; a query that matches nothing returns [].
    """
    return _index().search(query, limit)
