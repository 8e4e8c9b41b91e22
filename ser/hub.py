"""Where the model comes from: a local folder, a Hugging Face Hub repo, or the bundled default.

Resolution order (:func:`resolve_model`, which :meth:`ser.inference.Predictor.from_pretrained` calls):

1. an explicit local bundle folder, else ``$SER_MODEL_DIR``;
2. a Hub repo: an explicit repo id or ``$SER_MODEL_REPO`` (revision from ``$SER_MODEL_REVISION``,
   token from ``$HF_TOKEN``, endpoint from ``$HF_ENDPOINT``), downloaded with the real
   ``huggingface_hub`` client into the normal HF cache, restricted to the bundle's files;
3. the default bundle shipped inside the package.

If the Hub cannot be reached, a cached copy of the same repo and revision is used (and the
returned :class:`ModelSource` says so); with nothing cached, :class:`ModelSourceError` names the
repo, the revision and what to do. What arrives is validated by :func:`ser.bundle.load_bundle`
exactly like a local folder; nothing from the network is ever unpickled.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import httpx2
from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from ser.bundle import BUNDLE_FILES, DEFAULT_BUNDLE_DIR
from ser.errors import SERError

logger = logging.getLogger(__name__)

ENV_DIR = "SER_MODEL_DIR"
ENV_REPO = "SER_MODEL_REPO"
ENV_REVISION = "SER_MODEL_REVISION"
#: Seconds to wait for the Hub before falling back to the cache.
HUB_TIMEOUT_S = 10.0
_UNREACHABLE = (OfflineModeIsEnabled, ConnectionError, TimeoutError, httpx2.TransportError)
#: A Hub repo id: ``namespace/name`` (letters, digits, ``-``, ``_``, ``.``).
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")


class ModelSourceError(SERError, RuntimeError):
    """The model could not be obtained; the message says which repo/revision and what to do."""


@dataclass(frozen=True)
class ModelSource:
    """A resolved bundle folder and where it came from.

    Attributes:
        path: Local folder holding the bundle files.
        origin: ``"local"``, ``"hub"``, ``"hub-cache"`` (Hub unreachable, cached copy used)
            or ``"default"``.
        repo_id: Hub repo, for Hub origins.
        revision: Revision asked for (branch, tag or commit), for Hub origins.
        commit: Resolved commit hash, for Hub origins.
    """

    path: Path
    origin: str
    repo_id: str | None = None
    revision: str | None = None
    commit: str | None = None

    def describe(self) -> str:
        """One line for logs and the app's details panel."""
        if self.origin in ("local", "default"):
            return f"{self.origin} bundle {self.path}"
        cached = " (Hub unreachable: using the cached copy)" if self.origin == "hub-cache" else ""
        return f"{self.repo_id}@{self.revision or 'main'} (commit {(self.commit or '?')[:12]}){cached}"


def resolve_model(
    path_or_repo_id: str | Path | None = None,
    revision: str | None = None,
    token: str | None = None,
) -> ModelSource:
    """Find the model bundle to use.

    Args:
        path_or_repo_id: A bundle folder, or a Hub repo id (``"user/name"``). ``None``:
            ``$SER_MODEL_DIR``, else ``$SER_MODEL_REPO``, else the bundled default.
        revision: Branch, tag or commit of a Hub repo (default ``$SER_MODEL_REVISION``, else main).
        token: Hub token (default: ``$HF_TOKEN`` / the stored login).

    Raises:
        ModelSourceError: A path that is not a folder, or a repo that cannot be had.
    """
    if path_or_repo_id is None:
        path_or_repo_id = os.environ.get(ENV_DIR) or os.environ.get(ENV_REPO) or None
    if path_or_repo_id is None:
        return ModelSource(DEFAULT_BUNDLE_DIR, "default")
    if Path(path_or_repo_id).is_dir():
        return ModelSource(Path(path_or_repo_id), "local")
    if isinstance(path_or_repo_id, Path) or not _REPO_ID.fullmatch(path_or_repo_id):
        raise ModelSourceError(
            f"No model folder at {path_or_repo_id}, and it is not a Hub repo id (namespace/name). Give a "
            "folder written by ser-train, or a repo id."
        )
    return download_bundle(path_or_repo_id, revision or os.environ.get(ENV_REVISION) or None, token)


def download_bundle(
    repo_id: str, revision: str | None = None, token: str | None = None, cache_dir: str | Path | None = None
) -> ModelSource:
    """Download (or reuse from the HF cache) the bundle files of ``repo_id`` at ``revision``.

    Raises:
        ModelSourceError: Unknown repo or revision, no access, or Hub unreachable with nothing
            cached.
    """
    where = f"'{repo_id}' at revision '{revision or 'main'}'"
    endpoint = _endpoint()
    try:  # fails fast, with the Hub's own reason, before any download
        HfApi(endpoint=endpoint, token=token).model_info(repo_id, revision=revision, timeout=HUB_TIMEOUT_S)
    except (RepositoryNotFoundError, GatedRepoError) as err:
        raise ModelSourceError(
            f"Model repo '{repo_id}' was not found on {endpoint or 'the Hub'}, or it is private. Check the name, "
            f"or set HF_TOKEN to a token that can read it."
        ) from err
    except RevisionNotFoundError as err:
        raise ModelSourceError(
            f"Model repo '{repo_id}' has no revision '{revision}'. Use a branch, tag or commit that "
            f"exists (SER_MODEL_REVISION)."
        ) from err
    except (*_UNREACHABLE, HfHubHTTPError) as err:
        logger.warning("Cannot reach the Hub for %s (%s); looking in the local cache", where, err)
        return _from_cache(repo_id, revision, cache_dir, where, err)
    path = Path(
        snapshot_download(
            repo_id,
            revision=revision,  # by name, so that the cache records the ref for offline use
            allow_patterns=list(BUNDLE_FILES),
            token=token,
            cache_dir=cache_dir,
            etag_timeout=HUB_TIMEOUT_S,
            endpoint=endpoint,
        )
    )
    logger.info("Model %s resolved to commit %s", where, path.name)
    return ModelSource(path, "hub", repo_id, revision, path.name)


def _endpoint() -> str | None:
    """``$HF_ENDPOINT`` read at call time (huggingface_hub reads it once, at import)."""
    return os.environ.get("HF_ENDPOINT") or None


def _from_cache(
    repo_id: str, revision: str | None, cache_dir: str | Path | None, where: str, cause: Exception
) -> ModelSource:
    try:
        path = Path(
            snapshot_download(
                repo_id,
                revision=revision,
                allow_patterns=list(BUNDLE_FILES),
                cache_dir=cache_dir,
                local_files_only=True,
            )
        )
    except (LocalEntryNotFoundError, FileNotFoundError) as err:
        raise ModelSourceError(
            f"Cannot download model {where}: the Hub is unreachable ({type(cause).__name__}) and "
            f"no copy is cached. Connect to the network (or set HF_ENDPOINT), or run without "
            f"{ENV_REPO} to use the bundled model."
        ) from err
    logger.warning("Using the cached copy of %s (commit %s)", where, path.name)
    return ModelSource(path, "hub-cache", repo_id, revision, path.name)


class PublishError(SERError, RuntimeError):
    """A bundle cannot be published (invalid, or without metrics)."""


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish_bundle` did (or, with ``dry_run``, would do)."""

    repo_id: str
    revision: str
    files: list[str]
    card: str
    commit_url: str | None = None
    commit: str | None = None
    created_commit: bool = False


def publish_bundle(
    model_dir: str | Path,
    repo_id: str,
    revision: str | None = None,
    private: bool = False,
    token: str | None = None,
    message: str | None = None,
    dry_run: bool = False,
) -> PublishResult:
    """Validate a bundle, render its model card and push both to ``repo_id`` in one commit.

    ``create_repo(exist_ok=True)``, then the branch ``revision`` if it does not exist yet, then one
    ``upload_folder`` commit of every bundle file plus ``README.md`` (the card). Unchanged files
    make no new commit. With ``dry_run`` nothing is sent.

    Raises:
        PublishError: The bundle fails validation or has no ``metrics.json``, or the Hub refused
            or could not be reached.
    """
    import shutil
    import tempfile

    from ser.bundle import BundleError, load_bundle
    from ser.card import render_card

    try:
        bundle = load_bundle(model_dir)
        card = render_card(bundle, repo_id)
    except (BundleError, ValueError) as err:
        raise PublishError(f"refusing to publish {model_dir}: {err}") from err
    branch = revision or "main"
    files = sorted(f for f in BUNDLE_FILES if f != "README.md" and (Path(model_dir) / f).is_file())
    files.append("README.md")
    if dry_run:
        return PublishResult(repo_id, branch, files, str(card))

    api = HfApi(endpoint=_endpoint(), token=token)
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        if branch != "main":
            api.create_branch(repo_id, branch=branch, exist_ok=True)
        with tempfile.TemporaryDirectory() as staging:
            for f in files[:-1]:
                shutil.copy2(Path(model_dir) / f, Path(staging) / f)
            card.save(Path(staging) / "README.md")
            before = api.model_info(repo_id, revision=branch).sha
            info = api.upload_folder(
                folder_path=staging,
                repo_id=repo_id,
                revision=branch,
                commit_message=message or f"Publish {bundle.name}",
            )
    except (*_UNREACHABLE, HfHubHTTPError) as err:
        raise PublishError(
            f"could not publish to {repo_id}@{branch} on {_endpoint() or 'the Hub'}: {err}. Check the "
            "network, and that HF_TOKEN can write to that repo."
        ) from err
    created = info.oid != before
    logger.info(
        "%s %s@%s: %s", "Committed to" if created else "Nothing changed in", repo_id, branch, info.commit_url
    )
    return PublishResult(repo_id, branch, files, str(card), info.commit_url, info.oid, created)
