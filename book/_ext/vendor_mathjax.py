"""Vendor the few MathJax 3 files the site needs into book/_static/mathjax/ (run by hand, never at build time).

The site must render math with no CDN, and a fresh clone must build with nothing but PyPI, so the files
are committed (about 1.7 MB) rather than fetched by `make book`. This script documents and repeats how
they were made::

    python book/_ext/vendor_mathjax.py            # runs `npm pack mathjax@3.2.2` in a temp folder
    python book/_ext/vendor_mathjax.py TARBALL    # or uses a tarball you already have

It checks the tarball's SHA-256, then copies ``es5/tex-chtml-full.js`` (TeX input with every extension
built in, so nothing is autoloaded at page load), the CommonHTML woff-v2 fonts it loads, and the licence.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.2.2"
SHA256 = "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"
DEST = Path(__file__).resolve().parent.parent / "_static" / "mathjax"
WANTED = ("package/LICENSE", "package/es5/tex-chtml-full.js", "package/es5/output/chtml/fonts/woff-v2/")


def npm_pack(workdir: Path) -> Path:
    """Download the npm tarball of mathjax@VERSION into workdir and return its path."""
    subprocess.run(["npm", "pack", f"mathjax@{VERSION}"], cwd=workdir, check=True, capture_output=True)
    return workdir / f"mathjax-{VERSION}.tgz"


def vendor(tarball: Path, dest: Path = DEST) -> list[Path]:
    """Extract the wanted files of a verified MathJax tarball into dest (replacing it); return them."""
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{tarball}: SHA-256 {digest} is not mathjax@{VERSION}'s {SHA256}; pass the right tarball")
    shutil.rmtree(dest, ignore_errors=True)
    written = []
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith(WANTED):
                relative = member.name.removeprefix("package/").removeprefix("es5/")
                target = dest / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
                written.append(target)
    (dest / "VERSION").write_text(f"mathjax {VERSION} (npm), sha256 {SHA256}\n")
    return written


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tarball = Path(argv[1]) if len(argv) > 1 else npm_pack(Path(tmp))
        files = vendor(tarball)
    size = sum(f.stat().st_size for f in files)
    print(f"vendored {len(files)} files, {size / 1e6:.2f} MB, into {DEST}")


if __name__ == "__main__":
    main(sys.argv)
