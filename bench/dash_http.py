"""A small HTTP client of the Dash page, as a browser's renderer would talk to it.

It signs in at ``/login`` (or not, in demo mode), loads the page (``/``,
``/_dash-layout``, ``/_dash-dependencies``), keeps every component property the layout
and the answers set, and fires the server-side callbacks an interaction triggers, round
after round, until nothing more changes, the way dash-renderer chains them (clientside
callbacks are skipped; their job, e.g. the grid asking for rows, is done by hand with
``set``). Standard library only, one cookie jar per client, so the load benchmark
(``bench/load.py``) runs many at once and the sign-in tests (``tests/test_signin.py``)
can replay and tamper with the requests.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

CALLBACK = "/_dash-update-component"


def id_key(component_id) -> str:
    """A component id as Dash writes it in callback strings (dict ids as sorted JSON)."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def _split_output(output: str) -> list[tuple[str, str]]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(p.rsplit(".", 1)) for p in parts]  # type: ignore[misc]


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float
    output: str = ""

    def json(self):
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class DashHTTP:
    base: str  # "http://127.0.0.1:8050"
    timeout: float = 60.0
    values: dict = field(default_factory=dict)  # (id key, prop) -> value
    patterns: dict = field(default_factory=dict)  # id key of dict ids -> the id dict
    deps: list = field(default_factory=list)
    answers: list = field(default_factory=list)  # every callback Answer, in order
    record: bool = True
    parallel: int = 1  # callbacks of one round sent at once (a browser: 6 per host)

    def __post_init__(self) -> None:
        self.base = self.base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    # --- plain HTTP ----------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Answer:
        req = urllib.request.Request(
            self.base + path, data=body, method=method, headers=headers or {}
        )
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                data, status = response.read(), response.status
        except urllib.error.HTTPError as err:
            data, status = err.read(), err.code
        return Answer(status, data, time.perf_counter() - start)

    def get(self, path: str, accept: str = "*/*") -> Answer:
        return self.request("GET", path, headers={"Accept": accept})

    def cookie(self, name: str) -> str | None:
        for c in self.jar:
            if c.name == name:
                return c.value
        return None

    def sign_in(self, name: str, password: str) -> Answer:
        page = self.get("/login", accept="text/html")
        token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
        form = urllib.parse.urlencode(
            {"username": name, "password": password, "csrf_token": token.group(1) if token else ""}
        ).encode()
        return self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    # --- the page ------------------------------------------------------------------------

    def load(self, search: str = "") -> list[Answer]:
        """Load the page (as a browser would: the document, layout, dependencies) and run
        the callbacks the address starts; returns every answer."""
        shell = self.get("/" + search, accept="text/html")
        layout = self.get("/_dash-layout", accept="application/json")
        deps = self.get("/_dash-dependencies", accept="application/json")
        if layout.status == 200 and deps.status == 200:
            self.values.clear()
            self._walk(layout.json())
            self.deps = [d for d in deps.json() if not d.get("clientside_function")]
            self.values[("url", "search")] = search
            self.values[("url", "pathname")] = "/"
            return [shell, layout, deps, *self.fire({("url", "search")})]
        return [shell, layout, deps]

    def _walk(self, node) -> None:
        if isinstance(node, list):
            for child in node:
                self._walk(child)
            return
        if not isinstance(node, dict) or "props" not in node:
            return
        props = node["props"]
        cid = props.get("id")
        if cid is not None:
            key = id_key(cid)
            if isinstance(cid, dict):
                self.patterns[key] = cid
            for prop, value in props.items():
                if prop != "children" or not isinstance(value, dict | list):
                    self.values[(key, prop)] = value
        for value in props.values():
            if isinstance(value, dict | list):
                self._walk(value)

    def set(self, key: str, prop: str, value) -> set:
        """Set a property as a user (or a component) would; returns it as changed."""
        self.values[(key, prop)] = value
        return {(key, prop)}

    # --- callbacks -----------------------------------------------------------------------

    def _matches(self, spec_id: str) -> list[str]:
        """The component id keys a dependency id names (wildcards against dict ids)."""
        if not spec_id.startswith("{"):
            return [spec_id]
        pattern = json.loads(spec_id)
        fixed = {k: v for k, v in pattern.items() if not isinstance(v, list)}
        return [
            key
            for key, cid in self.patterns.items()
            if set(cid) == set(pattern) and all(cid.get(k) == v for k, v in fixed.items())
        ]

    def _item(self, spec: dict):
        sid, prop = spec["id"], spec["property"]
        if sid.startswith("{"):
            return [
                {"id": self.patterns[k], "property": prop, "value": self.values.get((k, prop))}
                for k in self._matches(sid)
            ]
        return {"id": sid, "property": prop, "value": self.values.get((sid, prop))}

    def payload(self, dep: dict, changed: set) -> dict:
        outputs = []
        for sid, prop in _split_output(dep["output"]):
            if sid.startswith("{"):
                outputs.append(
                    [{"id": self.patterns[k], "property": prop} for k in self._matches(sid)]
                )
            else:
                outputs.append({"id": sid, "property": prop})
        multi = dep["output"].startswith("..")
        return {
            "output": dep["output"],
            "outputs": outputs if multi else outputs[0],
            "inputs": [self._item(i) for i in dep["inputs"]],
            "state": [self._item(s) for s in dep.get("state", [])],
            "changedPropIds": sorted(f"{k}.{p}" for k, p in changed),
        }

    def post(self, payload: dict) -> Answer:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": self.cookie("_csrf_token") or "",
        }
        answer = self.request("POST", CALLBACK, body, headers)
        answer.output = payload.get("output", "")
        if self.record:
            self.answers.append(answer)
        return answer

    def triggered_by(self, changed: set) -> list[dict]:
        out = []
        for dep in self.deps:
            for spec in dep["inputs"]:
                keys = self._matches(spec["id"])
                if any((k, spec["property"]) in changed for k in keys):
                    out.append(dep)
                    break
        return out

    def fire(self, changed: set, *, rounds: int = 8) -> list[Answer]:
        """Run every callback ``changed`` triggers, then those their answers trigger; the
        callbacks of one round at once, as the renderer sends them (``parallel``)."""
        answers: list[Answer] = []
        for _ in range(rounds):
            if not changed:
                break
            payloads = [self.payload(dep, changed) for dep in self.triggered_by(changed)]
            if self.parallel > 1 and len(payloads) > 1:
                with ThreadPoolExecutor(min(self.parallel, len(payloads))) as pool:
                    got = list(pool.map(self.post, payloads))
            else:
                got = [self.post(p) for p in payloads]
            now: set = set()
            for answer in got:
                answers.append(answer)
                if answer.status == 200 and answer.body:
                    now |= self._apply(answer.json())
            changed = now
        return answers

    def _apply(self, data) -> set:
        changed = set()
        if not isinstance(data, dict):
            return changed
        for section in ("response", "sideUpdate"):
            for key, props in (data.get(section) or {}).items():
                key = id_key(json.loads(key)) if key.startswith("{") else key
                for prop, value in (props or {}).items():
                    if self.values.get((key, prop)) != value:
                        self.values[(key, prop)] = value
                        changed.add((key, prop))
                    if isinstance(value, dict | list):
                        self._walk(value)  # components an answer brought (peer table rows)
        return changed
