"""One secret screen for every input that is not a secret setting (issue #16).

Every key and value of config/flux.yaml and of every stack setting, nested objects and lists
included, is handed to the secret detector (flux_bootstrap/secret_detector.py); a hit is refused
with its source, key path and line, never the value nor a part of it, and says where the secret
belongs. Not screened: the secret settings themselves (githubToken, sopsAgeKey,
githubAppPrivateKey, commitStatusToken) and config/secrets-flux.yaml. `check`, `render` and the
program all reach it through `resolve_settings`: one rule, both paths.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from typing import Iterator, Mapping

from ..errors import Problem
from ..secret_detector import AGE_KEY, GITHUB_TOKEN, PRIVATE_KEY, URL_PASSWORD, Finding, detect
from ..yaml_source import YamlDocument
from .fields import SecretValue
from .messages import StackPlace

HELM_VALUES = "helmValues"  # the chart's values: a Secret's data there is rendered in plain text
_REVOKE = "The value is not shown; if it was ever committed or shared, revoke or rotate it."
_ADVICE = {
    GITHUB_TOKEN: "a token belongs in config/secrets-flux.yaml or `pulumi config set --secret githubToken`",
    AGE_KEY: "an age identity is the private key of SOPS: it belongs only in `pulumi config set --secret sopsAgeKey` "
             "(or config/age.agekey); settings take its recipient (age1...), the public part",
    URL_PASSWORD: "credentials never belong in a URL: a token belongs in config/secrets-flux.yaml or "
                  "`pulumi config set --secret githubToken`",
    PRIVATE_KEY: "a private key belongs in no plain setting: a GitHub App's goes in config/github-app.pem or "
                 "`pulumi config set --secret githubAppPrivateKey`, and Flux's deploy key is made by the program",
}
_IN_HELM_VALUES = ("a Secret's data does not belong in helmValues; put it in Git encrypted with SOPS (docs/sops.md) "
                   "or create the Secret yourself")
_OTHER = ("a secret belongs in no plain setting: give it to the cluster as a Secret, in Git encrypted with SOPS "
          "(docs/sops.md), or create the Secret yourself")


@dataclass(frozen=True)
class Hit:
    path: tuple[str, ...]  # the key path shown: the value's, or for a key, the mapping's that holds it
    finding: Finding
    in_key: bool = False
    at: tuple[str, ...] = ()  # the key path to the line (a secret key included): never shown


def hits(value: object, path: tuple[str, ...] = ()) -> Iterator[Hit]:
    """Every key and string value of `value` that looks like a secret, depth first, in order."""
    if isinstance(value, str):
        finding = detect(value)
        if finding is not None:
            yield Hit(path, finding, at=path)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            finding = detect(str(key))
            if finding is not None:  # a secret key: its path stops at the mapping, its contents go unread
                yield Hit(path, finding, in_key=True, at=(*path, str(key)))
            else:
                yield from hits(item, (*path, str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from hits(item, (*path, str(index)))


def refusal(hit: Hit) -> str:
    """Our words for a hit: what it looks like and where that belongs; never the value."""
    what = f"a key here looks like {hit.finding.label}" if hit.in_key else f"looks like {hit.finding.label}"
    if hit.finding.kind == GITHUB_TOKEN or (hit.finding.kind == AGE_KEY and hit.path[:1] != (HELM_VALUES,)):
        advice = _ADVICE[hit.finding.kind]
    elif hit.path[:1] == (HELM_VALUES,):
        advice = _IN_HELM_VALUES
    else:
        advice = _ADVICE.get(hit.finding.kind, _OTHER)
    return f"{what}; {advice}. {_REVOKE}"


def stack_problems(values: Mapping[str, object], place: StackPlace, secret_settings: Mapping[str, str]) -> list[Problem]:
    """The hits in every stack setting but the secret ones (and values stored encrypted), at the
    setting's line. A setting's own name is screened where it is named (names.is_showable)."""
    problems = []
    for name, value in values.items():
        if name in secret_settings or isinstance(value, SecretValue):
            continue
        objects = extra_object_problems(value) if name == HELM_VALUES else []
        covered = {path for path, _ in objects}
        for hit in hits(value, (name,)):
            if not any(hit.path[: len(path)] == path for path in covered):
                problems.append(place(".".join(hit.path), refusal(hit)))
        problems += [place(".".join(path), message) for path, message in objects]
    return problems


_SECRET_IN_VALUES = ("is a Secret's data in helmValues: the chart would create it from the Helm values, which are "
                     "stored in plain text in the Helm release and the stack's state. " + _IN_HELM_VALUES[0].upper()
                     + _IN_HELM_VALUES[1:] + ". " + _REVOKE)


def extra_object_problems(helm_values: object) -> list[tuple[tuple[str, ...], str]]:
    """(key path, message) for what helmValues would put in the cluster in plain text: any Secret
    with data (whatever it holds: base64 hides it from a shape check), in extraObjects or the
    chart's own kustomize-controller Secret, and a base64 `data`/`binaryData` value of another
    extra object that decodes to a secret."""
    if not isinstance(helm_values, Mapping):
        return []
    found: list[tuple[tuple[str, ...], str]] = []
    # The chart's own Secret (templates/kustomize-controller-secret.yaml) takes its data from the values.
    controller = helm_values.get("kustomizeController")
    chart_secret = controller.get("secret") if isinstance(controller, Mapping) else None
    if isinstance(chart_secret, Mapping) and isinstance(chart_secret.get("data"), Mapping) and chart_secret["data"]:
        found.append(((HELM_VALUES, "kustomizeController", "secret", "data"), _SECRET_IN_VALUES))
    extra = helm_values.get("extraObjects")
    for index, obj in enumerate(extra if isinstance(extra, list) else ()):
        if not isinstance(obj, Mapping):
            continue
        at = (HELM_VALUES, "extraObjects", str(index))
        for field in ("data", "stringData", "binaryData"):
            content = obj.get(field)
            if not isinstance(content, Mapping) or not content:
                continue
            if obj.get("kind") == "Secret":
                found.append(((*at, field), _SECRET_IN_VALUES))
            elif field != "stringData":
                found += [((*at, field, str(key)), refusal(Hit((HELM_VALUES,), finding)))
                          for key, finding in _decoded_findings(content)]
    return found


def _decoded_findings(content: Mapping) -> Iterator[tuple[object, Finding]]:
    """The base64 values of a `data`/`binaryData` map whose decoded text looks like a secret."""
    for key, value in content.items():
        if not isinstance(value, str):
            continue
        try:
            text = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        finding = detect(text)
        if finding is not None:
            yield key, finding


def document_problems(document: YamlDocument | None, source: str) -> list[Problem]:
    """The hits in a config file's keys and values, each at its line. A secret top-level key is
    left to the file's schema, which refuses every unknown key without showing its name."""
    if document is None:
        return []
    return [Problem(source, refusal(hit), field=".".join(hit.path) or None, line=_line(document, hit.at))
            for hit in hits(document.data) if hit.path or not hit.in_key]


def screened_over(refused: list[Problem], screened: list[Problem]) -> list[Problem]:
    """The problems, the screen's in place of any other rule's at a field it hit: its words say what
    was typed there and where that belongs. A replaced problem that stopped other checks still says so."""
    hit = {problem.field for problem in screened}
    hiding = {problem.field for problem in refused if problem.field in hit and problem.hides_others}
    kept = [problem for problem in refused if problem.field not in hit]
    return kept + [replace(problem, hides_others=True) if problem.field in hiding else problem for problem in screened]


def _line(document: YamlDocument, at: tuple[str, ...]) -> int | None:
    """The line of the nearest key on the path (a list item has none of its own)."""
    for end in range(len(at), 0, -1):
        line = document.line(*at[:end])
        if line is not None:
            return line
    return None
