"""The course settings that tooling reads from ``_config.yml`` (one place for each of them).

* ``repository.url``: the *public* student edition's repository (launch buttons, the student README);
  the private instructor repository is named nowhere.
* ``html.baseurl``: where the site is published; released notebooks link to chapters there.
* ``sphinx.config.course_released_solutions``: assignments whose solutions students may now see.
* ``sphinx.config.course_feedback_language``: the language of the autograder's feedback and report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CourseConfig:
    repository_url: str
    site_url: str
    released_solutions: tuple[str, ...]
    feedback_language: str = "en"


def read(config: Path = ROOT / "_config.yml") -> CourseConfig:
    """The settings above; a missing or malformed one is an error naming the setting and the file."""
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{config}: cannot read it ({error})") from error
    repository_url = (data.get("repository") or {}).get("url", "")
    site_url = (data.get("html") or {}).get("baseurl", "")
    sphinx_config = (data.get("sphinx") or {}).get("config") or {}
    released = sphinx_config.get("course_released_solutions", [])
    language = sphinx_config.get("course_feedback_language", "en")
    if not repository_url or not site_url:
        raise ValueError(f"{config}: set repository.url (the public student repository) and html.baseurl (the site)")
    if not isinstance(released, list) or not all(isinstance(x, str) for x in released):
        raise ValueError(f"{config}: sphinx.config.course_released_solutions must be a list of assignment ids")
    if language not in ("en", "ko"):
        raise ValueError(f"{config}: sphinx.config.course_feedback_language must be en or ko, not {language!r}")
    return CourseConfig(repository_url.rstrip("/"), site_url.rstrip("/") + "/", tuple(released), language)
