"""``ser-publish``: publish a trained bundle and its model card to the Hugging Face Hub.

Examples:
    ser-publish --model-dir models/default --repo-id you/ser-ravdess --dry-run
    HF_TOKEN=hf_… ser-publish --model-dir models/default --repo-id you/ser-ravdess

The card is ``ser/model_card.md`` rendered with the bundle's ``metrics.json``. Set ``HF_ENDPOINT``
for a private hub.
"""

from __future__ import annotations

import argparse
import os

from ser.cli import add_verbose_argument, entry_point, setup_logging
from ser.hub import publish_bundle


@entry_point
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="ser-publish", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model-dir", required=True, help="bundle folder (from scripts/train.py)")
    p.add_argument("--repo-id", required=True, help="Hub model repo, e.g. user/ser-ravdess")
    p.add_argument("--revision", help="branch to commit to (created if missing; default main)")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--token", default=os.environ.get("HF_TOKEN"), help="Hub token (default $HF_TOKEN)")
    p.add_argument("--message", help="commit message")
    p.add_argument("--dry-run", action="store_true", help="print the files and the card; send nothing")
    add_verbose_argument(p)
    args = p.parse_args(argv)
    setup_logging(args.verbose)
    result = publish_bundle(
        args.model_dir, args.repo_id, args.revision, args.private, args.token, args.message, args.dry_run
    )
    print("files:", ", ".join(result.files))
    if args.dry_run:
        print("\n--- README.md (model card) ---\n" + result.card)
        print("dry run: nothing was sent")
    elif result.created_commit:
        print(f"committed: {result.commit_url}")
    else:
        print(f"nothing changed; {args.repo_id}@{result.revision} stays at {result.commit_url}")
    return 0
